"""The statistics of ``twin optimize``: a fully sequential feasibility check and the paired
monotonicity test.

The feasibility check is the triangular-region test of Andradottir and Kim (2010) and Batur
and Kim (2010) for one constraint and one threshold: after ``n0`` first-stage replications fix
the variance estimate S^2, the partial sum of (Y_j - q) is compared after every replication
with the boundary R(r) = max(0, h^2 S^2 / (2 eps) - eps r / 2). A system whose mean is at
least ``eps`` on the right side of the threshold q is declared feasible, one at least ``eps`` on
the wrong side infeasible, each with probability at least 1 - beta when the replication
outputs are normal (Fabian's bound; h^2 = (n0 - 1)((2 beta)^(-2/(n0-1)) - 1)).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

CHECK_CONFIDENCE = 0.99
"""One-sided level of the monotonicity test: a pair is flagged only on strong evidence."""


def h_squared(n0: int, beta: float) -> float:
    """The boundary constant h^2 for ``n0`` first-stage replications and error ``beta``."""
    if n0 < 2:
        raise ValueError("the feasibility check needs at least 2 first-stage replications")
    if not 0 < beta < 0.5:
        raise ValueError(f"error probability {beta} must lie in (0, 0.5)")
    return (n0 - 1) * ((2.0 * beta) ** (-2.0 / (n0 - 1)) - 1.0)


@dataclass(frozen=True)
class Verdict:
    """Outcome of the check on the data so far: ``feasible``, ``infeasible`` or ``open``."""

    state: str
    at: int
    """Replications the decision used (the data so far while open)."""
    mean: float
    sd: float
    """First-stage standard deviation (nan before the first stage is complete)."""
    bound: float
    """Half-width of the continuation region at ``at`` in units of the mean (R(r)/r)."""
    need: int
    """Replications after which the region closes (the most the check can take)."""


@dataclass(frozen=True)
class FeasibilityCheck:
    """Is the mean of a KPI on the right side of ``threshold``, within ``tolerance``?"""

    threshold: float
    higher_is_better: bool
    strict: bool
    tolerance: float
    n0: int
    beta: float

    @property
    def h2(self) -> float:
        return h_squared(self.n0, self.beta)

    def decide(self, values: Sequence[float] | np.ndarray) -> Verdict:
        """Walk the partial sums replication by replication; stop at the first crossing."""
        y = np.asarray(values, dtype=float)
        if len(y) < self.n0:
            mean = float(y.mean()) if len(y) else math.nan
            return Verdict("open", len(y), mean, math.nan, math.inf, self.n0)
        sd = float(y[: self.n0].std(ddof=1))
        eps = self.tolerance
        gain = (y - self.threshold) if self.higher_is_better else (self.threshold - y)
        sums = np.cumsum(gain)
        top = self.h2 * sd * sd / (2.0 * eps)
        need = max(self.n0, math.ceil(2.0 * top / eps))
        for r in range(self.n0, len(y) + 1):
            z = float(sums[r - 1])
            region = max(0.0, top - eps * r / 2.0)
            if region > 0.0 and abs(z) < region:
                continue
            if region > 0.0:
                ok = z >= region
            else:
                ok = z > 0.0 or (z == 0.0 and not self.strict)
            return Verdict("feasible" if ok else "infeasible", r, float(y[:r].mean()), sd,
                           region / r, need)
        r = len(y)
        return Verdict("open", r, float(y.mean()), sd, max(0.0, top - eps * r / 2.0) / r, need)


@dataclass(frozen=True)
class PairCheck:
    """Did fewer resources do significantly better than more (a broken monotonicity)?"""

    lower: int
    upper: int
    n: int
    gain: float
    """Mean paired advantage of ``lower`` over ``upper`` (positive: lower did better)."""
    half: float
    """One-sided half-width at CHECK_CONFIDENCE."""

    @property
    def violated(self) -> bool:
        return self.n >= 2 and self.gain - self.half > 0.0


def pair_check(lower: int, upper: int, low_values: Sequence[float],
               up_values: Sequence[float], higher_is_better: bool) -> PairCheck:
    """Paired (common random numbers) one-sided test that ``upper`` is not worse than
    ``lower``; the two value lists hold the same replications in the same order."""
    a = np.asarray(low_values, dtype=float)
    b = np.asarray(up_values, dtype=float)
    n = min(len(a), len(b))
    d = (a[:n] - b[:n]) if higher_is_better else (b[:n] - a[:n])
    if n < 2:
        return PairCheck(lower, upper, n, float(d.mean()) if n else math.nan, math.inf)
    sd = float(d.std(ddof=1))
    t = float(sps.t.ppf(CHECK_CONFIDENCE, n - 1))
    return PairCheck(lower, upper, n, float(d.mean()), t * sd / math.sqrt(n))
