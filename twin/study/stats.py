"""Output analysis: Student-t intervals, MSER-5 warm-up, replications advice, paired
comparisons and the recommendation."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

from twin.study.plan import Target


@dataclass(frozen=True)
class Interval:
    """A mean with its two-sided confidence interval over n replications."""

    mean: float
    half: float
    n: int
    sd: float

    @property
    def low(self) -> float:
        return self.mean - self.half

    @property
    def high(self) -> float:
        return self.mean + self.half

    @property
    def relative(self) -> float:
        """Half-width relative to the mean (inf for a zero mean)."""
        return abs(self.half / self.mean) if self.mean else math.inf


def mean_ci(values: Sequence[float] | np.ndarray, confidence: float = 0.95) -> Interval:
    """Student-t confidence interval of the mean of independent replications."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n == 0:
        return Interval(math.nan, math.nan, 0, math.nan)
    mean = float(x.mean())
    if n == 1:
        return Interval(mean, math.inf, 1, math.nan)
    sd = float(x.std(ddof=1))
    t = float(sps.t.ppf(0.5 + confidence / 2, n - 1))
    return Interval(mean, t * sd / math.sqrt(n), n, sd)


def paired_ci(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray,
              confidence: float = 0.95) -> Interval:
    """Interval of mean(a - b) over replications paired by seed (common random numbers)."""
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if x.shape != y.shape:
        raise ValueError("paired comparison needs the same replications on both sides")
    return mean_ci(x - y, confidence)


def mser(series: Sequence[float] | np.ndarray, batch: int = 5) -> int:
    """MSER-m truncation point: observations to drop so the rest has the tightest mean
    (White 1997); searches the first half of the batched series only."""
    y = np.asarray(series, dtype=float)
    k = len(y) // batch
    if k < 4:
        return 0
    z = y[: k * batch].reshape(k, batch).mean(axis=1)
    # statistic(d) = sum((z[d:] - mean(z[d:]))^2) / (k - d)^2, via suffix sums
    rev = z[::-1]
    s1 = np.cumsum(rev)[::-1]
    s2 = np.cumsum(rev * rev)[::-1]
    m = np.arange(k, 0, -1, dtype=float)
    ss = s2 - s1 * s1 / m
    score = ss / (m * m)
    half = k // 2
    d = int(np.argmin(score[: half + 1]))
    return d * batch


def mser5(series: Sequence[float] | np.ndarray) -> int:
    """MSER-5 truncation point in observations."""
    return mser(series, 5)


def replications_needed(values: Sequence[float] | np.ndarray, relative_half_width: float,
                        confidence: float = 0.95, limit: int = 100_000) -> int:
    """Replications for a half-width of ``relative_half_width`` x |mean| (sequential t)."""
    x = np.asarray(values, dtype=float)
    if len(x) < 2:
        raise ValueError("need at least two replications to estimate the variance")
    mean, sd = float(x.mean()), float(x.std(ddof=1))
    if sd == 0:
        return len(x)
    if mean == 0:
        return limit
    goal = relative_half_width * abs(mean)

    def enough(n: int) -> bool:
        return float(sps.t.ppf(0.5 + confidence / 2, n - 1)) * sd / math.sqrt(n) <= goal

    if not enough(limit - 1):
        return limit
    lo, hi = 2, limit - 1  # the half-width falls with n: bisect for the first n that is enough
    while lo < hi:
        mid = (lo + hi) // 2
        if enough(mid):
            hi = mid
        else:
            lo = mid + 1
    return lo


@dataclass(frozen=True)
class Option:
    """One scenario as the recommendation sees it."""

    scenario: int
    name: str
    kpi: Interval
    cost: float


def recommend(options: Sequence[Option], target: Target) -> Option | None:
    """The cheapest scenario whose pessimistic confidence bound meets the target."""
    ok = [o for o in options
          if o.kpi.n >= 2 and target.met(o.kpi.high if target.lower_is_better else o.kpi.low)]
    if not ok:
        return None
    return min(ok, key=lambda o: (o.cost, -o.kpi.mean if not target.lower_is_better
                                  else o.kpi.mean, o.scenario))
