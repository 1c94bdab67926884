"""The search behind ``twin optimize``: the cheapest configuration whose KPI meets a target.

Configurations of a full-factorial grid are visited in order of cost. Before the cheapest
undecided one, x, is checked, the search checks its *probes*: x with its most expensive factor
kept and every cheaper factor raised to its largest value; then with the two most expensive
kept; and so on down to x. When a probe misses the target, every configuration with no more of
any factor misses it too, if the KPI only improves as resources grow (monotonicity); those are
set aside without a run. A long cheaper factor is bisected rather than walked. The most
expensive factor (robots, as a rule) is never inferred across, so congestion along it cannot
mislead the search. Monotonicity is checked, not trusted: the cheapest configuration set aside
is run against the probe with common random numbers, every ordered pair of checked
configurations is compared the same way, and a factor along which fewer resources did
significantly better loses its inference (what it set aside is reopened). Each check is the
sequential feasibility test of ``twin.study.selection``. A configuration whose runs the sampler
condemns (``Failed``: a run that hung) is marked failed, is never chosen and sets nothing
aside, and the search goes on without it. The procedure is deterministic given the run
results, so it decides the same wherever the runs execute.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from twin.study.selection import FeasibilityCheck, PairCheck, Verdict, pair_check

Request = tuple[int, int]  # (configuration id, replication)
BISECT_GAP = 3
"""A cheaper factor is halved, not walked, while more than this many values separate the
lowest undecided one from the least known to meet the target."""
Sampler = Callable[[list[Request]], dict[Request, float]]


class Failed(Exception):
    """Raised by a sampler when runs of configuration ``cid`` failed in a way that rules it
    out (a run stopped at its wall-clock budget); ``reason`` is one readable line."""

    def __init__(self, cid: int, reason: str) -> None:
        super().__init__(reason)
        self.cid = cid
        self.reason = reason


class _Dropped(Exception):
    """Unwinds the search to its loop after a configuration failed."""


@dataclass(frozen=True)
class Candidate:
    """One configuration of the grid: its scenario id, factor values, name and cost."""

    id: int
    values: tuple[Any, ...]
    name: str
    cost: float


@dataclass
class Step:
    """One line of the decision log: what happened to which configuration, on what evidence."""

    step: int
    runs: int
    scenario: int
    name: str
    event: str
    replications: int
    mean: float
    detail: str


@dataclass
class Search:
    """Cost-ordered feasibility screening with checked monotone inference."""

    candidates: Sequence[Candidate]
    factors: Sequence[str]
    check: FeasibilityCheck
    batch: int = 4
    max_replications: int = 1000
    monotone: list[bool] = field(default_factory=list)
    """Per factor: may a miss be inferred along it? (numeric factors only)"""
    rank: list[int] = field(default_factory=list)
    """Factor indices from the most to the least expensive per unit."""
    data: dict[int, list[float]] = field(default_factory=dict)
    status: dict[int, str] = field(default_factory=dict)
    verdicts: dict[int, Verdict] = field(default_factory=dict)
    witness: dict[int, int] = field(default_factory=dict)
    steps: list[Step] = field(default_factory=list)
    pairs: dict[tuple[int, int], PairCheck] = field(default_factory=dict)
    answer: int | None = None
    on_step: Callable[[Step], None] | None = None
    congested: set[tuple[int, int]] = field(default_factory=set)
    wasted: dict[int, int] = field(default_factory=dict)
    """Per configuration: runs asked for in batches that failed (no KPI from them)."""

    def __post_init__(self) -> None:
        m = len(self.factors)
        numeric = [all(_is_number(c.values[f]) for c in self.candidates) for f in range(m)]
        if not self.monotone:
            self.monotone = numeric
        self.monotone = [a and b for a, b in zip(self.monotone, numeric, strict=True)]
        if not self.rank:
            self.rank = list(range(m))
        varying = {f for f in range(m) if len({c.values[f] for c in self.candidates}) > 1}
        self.rank = [f for f in self.rank if f in varying]
        self.by_id = {c.id: c for c in self.candidates}
        self.by_values = {c.values: c.id for c in self.candidates}
        self.order = sorted(self.candidates, key=lambda c: (c.cost, c.id))
        self.top = [max((c.values[f] for c in self.candidates), default=None)
                    if self.monotone[f] else None for f in range(m)]
        for c in self.candidates:
            self.status.setdefault(c.id, "open")
            self.data.setdefault(c.id, [])

    # ------------------------------------------------------------------ the procedure

    def run(self, sample: Sampler) -> Candidate | None:
        """Search until the cheapest feasible configuration is found (or none is)."""
        self.sample = sample
        while True:
            x = self._cheapest_open()
            if x is None:
                failed = self.failed
                self._log(-1, "none", 0, math.nan, "every configuration misses the target"
                          + (f" or failed ({len(failed)} failed)" if failed else ""))
                return None
            if self.status[x.id] == "feasible":  # it met the target as a probe
                return self._choose(x)
            try:
                if not self._climb(x):
                    return self._choose(x)
            except _Dropped:  # a configuration failed: look again for the cheapest open one
                continue

    def _climb(self, x: Candidate) -> bool:
        """Check x's probes from the most to the least raised, then x; True when something
        was set aside or reopened (the cheapest configuration left may have changed)."""
        for k in range(1, len(self.rank) + 1):
            g = self.rank[k - 1]
            if k > 1 and self.monotone[g] and self._bisect(x, k):
                return True
            if self._visit(self._probe(x, k, x.values[g]), x):
                return True
        return bool(not self.rank and self._visit(x.id, x))

    def _bisect(self, x: Candidate, k: int) -> bool:
        """On a long factor, halve the values between x's and the least known to meet (with
        the cheaper factors raised) instead of walking them one by one."""
        g = self.rank[k - 1]
        values = sorted({c.values[g] for c in self.candidates})
        lo = values.index(x.values[g])
        hi = next((i for i in range(lo + 1, len(values))
                   if self.status[self._probe(x, k, values[i])] == "feasible"), len(values) - 1)
        while hi - lo > BISECT_GAP:
            mid = (lo + hi) // 2
            if self._visit(self._probe(x, k, values[mid]), x):
                return True
            hi = mid
        return False

    def _visit(self, y: int, x: Candidate) -> bool:
        """Make sure probe y (>= x) meets the target; True when it does not (x is set aside
        with what y dominates) or when a broken monotonicity reopened cheaper ones."""
        if self.status[y] in ("feasible", "failed"):  # a failure says nothing about x
            return False
        if self.status[y] != "open":  # a miss above x: x misses too
            self._infer(y, [x.id])
            return True
        if y != x.id:
            self._log(y, "probe", len(self.data[y]), math.nan,
                      f"on the way to {self._name(x.id)}: if this misses, everything with no "
                      "more of any factor misses too")
        if self._test(y) == "infeasible":
            below = [c.id for c in self.order if self.status[c.id] == "open"
                     and self._dominates(y, c.id)]
            self._infer(y, below)
            return True
        return self._reopened_before(x)

    def _choose(self, x: Candidate) -> Candidate:
        self.answer = x.id
        self.status[x.id] = "chosen"
        cheaper = [c for c in self.failed if (self.by_id[c].cost, c) < (x.cost, x.id)]
        self._log(x.id, "chosen", len(self.data[x.id]), self.verdicts[x.id].mean,
                  "every cheaper configuration misses the target (checked or set aside), and "
                  "this one meets it" if not cheaper else
                  f"every cheaper configuration misses the target (checked or set aside) or "
                  f"failed ({len(cheaper)} failed, not judged: "
                  + "; ".join(self._name(c) for c in cheaper[:6])
                  + (" ..." if len(cheaper) > 6 else "") + "), and this one meets it")
        return x

    def _fail(self, cid: int, reason: str) -> None:
        """Rule out ``cid``: never chosen, sets nothing aside, left out of comparisons."""
        self.status[cid] = "failed"
        self.verdicts.pop(cid, None)
        self.witness.pop(cid, None)
        self._log(cid, "failed", len(self.data[cid]), _mean(self.data[cid]),
                  f"{reason}; not judged, the search goes on without it")

    @property
    def failed(self) -> list[int]:
        """Configurations ruled out by failed runs, cheapest first."""
        return [c.id for c in self.order if self.status[c.id] == "failed"]

    def _test(self, cid: int) -> str:
        """Add replications in batches until the sequential check decides."""
        v = self.check.decide(self.data[cid])
        while v.state == "open":
            have = len(self.data[cid])
            want = self.check.n0 if have < self.check.n0 else min(
                have + self.batch, v.need, self.max_replications)
            if want <= have:  # the replication cap: decide on the sign, without guarantee
                ok = v.mean >= self.check.threshold if self.check.higher_is_better else (
                    v.mean <= self.check.threshold)
                v = Verdict("feasible" if ok else "infeasible", have, v.mean, v.sd, 0.0,
                            v.need)
                self.verdicts[cid] = v
                self._log(cid, "cap", have, v.mean, f"replication cap {self.max_replications} "
                          f"reached before the check closed (it needs {v.need}); decided on "
                          "the mean alone, without the guarantee")
                break
            self._ensure(cid, want)
            v = self.check.decide(self.data[cid])
        self.verdicts[cid] = v
        self.status[cid] = v.state
        side = "meets" if v.state == "feasible" else "misses"
        self._log(cid, v.state, v.at, v.mean,
                  f"{side} the target: mean {v.mean:.4g} after {v.at} replications, "
                  f"continuation region ±{v.bound:.3g} (sd {v.sd:.3g})")
        self._compare(cid)
        return v.state

    def _infer(self, witness: int, below: list[int]) -> None:
        """Set aside what ``witness`` (a miss) dominates; then check the cheapest of them."""
        below = [b for b in below if b != witness and self.status[b] == "open"]
        if not below:
            return
        for b in below:
            self.status[b] = "inferred"
            self.witness[b] = witness
        names = "; ".join(self._name(b) for b in below[:6]) + (" ..." if len(below) > 6 else "")
        self._log(witness, "set aside", len(self.data[witness]), math.nan,
                  f"{len(below)} configuration(s) with no more of any factor miss too "
                  f"(monotone): {names}")
        spot = min(below, key=lambda b: (self.by_id[b].cost, b))
        self._ensure(spot, max(self.check.n0, 2))
        result = self._pair(spot, witness)
        self._log(spot, "spot check", result.n, _mean(self.data[spot]),
                  f"against {self._name(witness)} with common random numbers: advantage of "
                  f"fewer resources {result.gain:.3g} (one-sided bound {result.half:.3g})"
                  + (": monotonicity broken" if result.violated else ": consistent"))

    # ------------------------------------------------------------------ monotonicity

    def _compare(self, cid: int) -> None:
        """Compare a newly decided configuration with every ordered, decided one."""
        for other, verdict in list(self.verdicts.items()):
            if other == cid or verdict.state == "open":
                continue
            if self._below(other, cid):
                self._pair(other, cid)
            elif self._below(cid, other):
                self._pair(cid, other)

    def _pair(self, lower: int, upper: int) -> PairCheck:
        result = pair_check(lower, upper, self.data[lower], self.data[upper],
                            self.check.higher_is_better)
        self.pairs[(lower, upper)] = result
        if result.violated:
            self._broken(lower, upper, result)
        return result

    def _broken(self, lower: int, upper: int, result: PairCheck) -> None:
        lo, up = self.by_id[lower].values, self.by_id[upper].values
        differ = [f for f in range(len(self.factors)) if lo[f] != up[f]]
        if self.rank and self.rank[0] in differ:  # more of the lead factor did worse
            if (lower, upper) not in self.congested:
                self.congested.add((lower, upper))
                self._log(lower, "congestion", result.n, _mean(self.data[lower]),
                          f"{self._name(lower)} did better than {self._name(upper)} by "
                          f"{result.gain:.3g} ± {result.half:.3g}: more of "
                          f"{self.factors[self.rank[0]]} does worse here; nothing was inferred "
                          "across it, so nothing is reopened")
            return
        hit = [f for f in differ if self.monotone[f]]
        if not hit:
            return
        for f in hit:
            self.monotone[f] = False
            self.top[f] = None
        reopened = [b for b, w in self.witness.items()
                    if self.status[b] == "inferred" and not self._dominates(w, b)]
        for b in reopened:
            self.status[b] = "open"
            del self.witness[b]
        self._log(lower, "not monotone", result.n, _mean(self.data[lower]),
                  f"{self._name(lower)} did better than {self._name(upper)} by "
                  f"{result.gain:.3g} ± {result.half:.3g} over {result.n} paired replications: "
                  f"no more inference along {', '.join(self.factors[f] for f in hit)}; "
                  f"{len(reopened)} configuration(s) reopened")

    # ------------------------------------------------------------------ helpers

    def _probe(self, x: Candidate, k: int, value: Any) -> int:
        """x with the k - 1 most expensive factors kept, the k-th at ``value`` and every
        cheaper monotone factor raised to its largest value."""
        kept = set(self.rank[: k - 1])
        g = self.rank[k - 1]
        values = tuple(value if f == g else x.values[f] if f in kept or self.top[f] is None
                       else self.top[f] for f in range(len(self.factors)))
        return self.by_values[values]

    def _dominates(self, upper: int, lower: int) -> bool:
        """Every monotone factor at least as high, every other factor equal; the most
        expensive factor equal too (never inferred across: congestion lives there)."""
        up, lo = self.by_id[upper].values, self.by_id[lower].values
        lead = self.rank[0] if self.rank else -1
        return all((u >= v) if self.monotone[f] and f != lead else (u == v)
                   for f, (u, v) in enumerate(zip(up, lo, strict=True)))

    def _below(self, lower: int, upper: int) -> bool:
        """Strictly fewer resources in the numeric order (whatever the monotone flags)."""
        lo, up = self.by_id[lower].values, self.by_id[upper].values
        if lo == up:
            return False
        return all((a <= b) if _is_number(a) and _is_number(b) else (a == b)
                   for a, b in zip(lo, up, strict=True))

    def _reopened_before(self, x: Candidate) -> bool:
        first = self._cheapest_open()
        return first is not None and (first.cost, first.id) < (x.cost, x.id)

    def _cheapest_open(self) -> Candidate | None:
        """The cheapest configuration not known to miss (undecided, or met as a probe)."""
        return next((c for c in self.order if self.status[c.id] in ("open", "feasible")), None)

    def _ensure(self, cid: int, n: int) -> None:
        have = len(self.data[cid])
        if n <= have:
            return
        asked = [(cid, r) for r in range(have, n)]
        try:
            got = self.sample(asked)
        except Failed as exc:
            self.wasted[cid] = self.wasted.get(cid, 0) + len(asked)
            self._fail(exc.cid, exc.reason)
            raise _Dropped from None
        self.data[cid].extend(got[q] for q in asked)

    @property
    def runs(self) -> int:
        """Replications the search asked for, over every configuration (failed ones too)."""
        return sum(len(v) for v in self.data.values()) + sum(self.wasted.values())

    def _name(self, cid: int) -> str:
        return self.by_id[cid].name

    def _log(self, cid: int, event: str, reps: int, mean: float, detail: str) -> None:
        name = self._name(cid) if cid in self.by_id else ""
        step = Step(len(self.steps) + 1, self.runs, cid, name, event, reps, mean, detail)
        self.steps.append(step)
        if self.on_step is not None:
            self.on_step(step)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else math.nan
