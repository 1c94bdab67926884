"""The statistics and the search of twin optimize, against theory and brute force.

The known-answer case: robots sharing chargers form a finite-source queue whose mean wait is
exact (machine-repair formulas); the search must find the fewest chargers whose mean wait is
under the target in at least 95 of 100 independent macro-replications.
"""

from __future__ import annotations

import math

import numpy as np
from charger_standin import machine_repair, mean_wait

from twin.demo import _machine_repair
from twin.study.search import Candidate, Request, Search
from twin.study.selection import FeasibilityCheck, h_squared, pair_check
from twin.study.stats import mean_ci

ROBOTS, WORK, SWAP = 10, 3600.0, 900.0  # charger_queue.yaml's cycle: 60 min work, 15 min swap
TARGET, ZONE = 180.0, 20.0  # mean wait (s) at most 180, indifferent within 20 s
CHARGERS = list(range(1, 7))


def test_h_squared_solves_fabians_bound() -> None:
    """h^2 makes Fabian's bound on a wrong decision, (1/2)(1 + h^2/(n0-1))^(-(n0-1)/2),
    equal beta."""
    for n0, beta in ((5, 0.05), (10, 0.01), (20, 0.05 / 96)):
        h2 = h_squared(n0, beta)
        assert math.isclose(0.5 * (1 + h2 / (n0 - 1)) ** (-(n0 - 1) / 2), beta, rel_tol=1e-12)


def test_feasibility_check_errs_less_than_beta_at_the_zone_edge() -> None:
    """Normal data whose mean sits exactly eps on the wrong (right) side of the threshold is
    declared feasible (infeasible) in at most beta of the trials (plus Monte Carlo slack)."""
    rng = np.random.default_rng(7)
    beta, eps, sd, trials = 0.05, 1.0, 2.0, 2000
    check = FeasibilityCheck(threshold=10.0, higher_is_better=True, strict=False,
                             tolerance=eps, n0=10, beta=beta)
    slack = 3 * math.sqrt(beta * (1 - beta) / trials)
    for mean, wrong in ((10.0 - eps, "feasible"), (10.0 + eps, "infeasible")):
        errors = 0
        for _ in range(trials):
            verdict = check.decide(rng.normal(mean, sd, 400))
            assert verdict.state != "open"
            errors += verdict.state == wrong
        assert errors / trials <= beta + slack, (mean, errors)


def test_paired_check_sees_a_small_effect_through_common_noise() -> None:
    """With common random numbers a 0.5 advantage under noise of sd 5 is flagged; the same
    two systems with independent noise are not (the test is one-sided and strict)."""
    rng = np.random.default_rng(3)
    common = rng.normal(0, 5, 10)
    fewer, more = 20.5 + common + rng.normal(0, 0.1, 10), 20.0 + common
    assert pair_check(0, 1, fewer, more, higher_is_better=True).violated
    assert not pair_check(0, 1, more, fewer, higher_is_better=True).violated
    independent = 20.0 + rng.normal(0, 5, 10)
    assert not pair_check(0, 1, fewer, independent, higher_is_better=True).violated


def test_the_stand_in_queue_is_the_machine_repair_queue() -> None:
    """The stand-in's replications bracket the exact wait, and the exact wait agrees with the
    teaching tour's own closed form (two implementations)."""
    for c in (2, 3):
        exact = machine_repair(ROBOTS, c, WORK, SWAP)
        assert math.isclose(exact, _machine_repair(ROBOTS, c, WORK, SWAP)[
            "wait for the swap station (s)"], rel_tol=1e-12)
        ci = mean_ci([mean_wait(ROBOTS, c, WORK, SWAP, 100, 10, (99, r)) for r in range(30)])
        assert abs(ci.mean - exact) <= ci.half + 0.02 * exact, (c, ci, exact)
        assert ci.half < 0.2 * exact


def _charger_search(macro: int) -> tuple[int | None, int]:
    candidates = [Candidate(i, (c,), f"chargers={c}", 2000.0 * c)
                  for i, c in enumerate(CHARGERS)]
    check = FeasibilityCheck(threshold=TARGET, higher_is_better=False, strict=False,
                             tolerance=ZONE, n0=10, beta=0.05 / len(CHARGERS))
    search = Search(candidates, ["chargers"], check)

    def sample(requests: list[Request]) -> dict[Request, float]:
        return {(cid, rep): mean_wait(ROBOTS, CHARGERS[cid], WORK, SWAP, 100, 10, (macro, rep))
                for cid, rep in requests}

    answer = search.run(sample)
    return (answer.values[0] if answer else None), search.runs


def test_fewest_chargers_correct_in_95_of_100_macro_replications() -> None:
    waits = [machine_repair(ROBOTS, c, WORK, SWAP) for c in CHARGERS]
    truth = next(c for c, w in zip(CHARGERS, waits, strict=True) if w <= TARGET)
    # the case lies outside the indifference zone, so the guarantee applies
    assert all(abs(w - TARGET) >= ZONE for w in waits)
    assert 1 < truth < CHARGERS[-1]
    found = [_charger_search(macro) for macro in range(100)]
    correct = sum(answer == truth for answer, _ in found)
    assert correct >= 95, f"{correct} of 100 correct"
    runs = np.mean([r for _, r in found])
    assert runs < 10 * len(CHARGERS)  # screened: fewer than the first stage everywhere


# ------------------------------------------------------------------ the search on known grids


def _grid(shape: tuple[int, ...], prices: tuple[float, ...]) -> list[Candidate]:
    import itertools

    out = []
    for i, values in enumerate(itertools.product(*(range(1, n + 1) for n in shape))):
        cost = sum(p * v for p, v in zip(prices, values, strict=True))
        out.append(Candidate(i, values, str(values), float(cost)))
    return out


def _sampler(truth: dict[int, float], seed: int, sd: float = 1.0):  # type: ignore[no-untyped-def]
    """Noisy observations with common random numbers: replication r shares most of its noise
    across configurations."""

    def sample(requests: list[Request]) -> dict[Request, float]:
        out = {}
        for cid, rep in requests:
            shared = np.random.default_rng([seed, rep]).normal(0, sd)
            own = np.random.default_rng([seed, rep, cid]).normal(0, sd / 4)
            out[(cid, rep)] = truth[cid] + shared + own
        return out

    return sample


def _cheapest(cands: list[Candidate], truth: dict[int, float], target: float) -> int | None:
    ok = [c for c in cands if truth[c.id] >= target]
    return min(ok, key=lambda c: (c.cost, c.id)).id if ok else None


def test_monotone_grids_match_brute_force_with_a_fraction_of_the_runs() -> None:
    """Random responses that grow with every factor: the search finds the brute-force answer
    from the true means and runs far fewer replications than the full factorial."""
    rng = np.random.default_rng(11)
    shape, prices = (6, 3, 4), (10.0, 2.0, 0.5)
    cands = _grid(shape, prices)
    correct, runs = 0, []
    for trial in range(20):
        steps = [np.cumsum(rng.uniform(0.5, 3.0, n)) for n in shape]
        truth = {c.id: float(sum(s[v - 1] for s, v in zip(steps, c.values, strict=True)))
                 for c in cands}
        target = float(np.quantile(list(truth.values()), rng.uniform(0.3, 0.8)))
        # push every mean at least the indifference zone away from the target (a monotone
        # step, so the response stays monotone): the guarantee then names one answer
        truth = {k: v + (0.5 if v >= target else -0.5) for k, v in truth.items()}
        check = FeasibilityCheck(target, True, False, 0.5, 10, 0.05 / len(cands))
        search = Search(cands, ["robots", "docks", "spares"], check)
        answer = search.run(_sampler(truth, trial))
        correct += (answer.id if answer else None) == _cheapest(cands, truth, target)
        runs.append(search.runs)
    assert correct >= 19, correct
    assert np.mean(runs) < len(cands) * 20 / 3


def test_a_factor_that_hurts_is_caught_and_its_inference_dropped() -> None:
    """Spares here make things worse (a congested dock): the monotone inference from the
    probe with every spare would set the answer aside; the spot check must catch it."""
    cands = _grid((4, 4), (10.0, 1.0))  # robots 1-4, spares 1-4
    truth = {c.id: 10.0 * c.values[0] - 3.0 * c.values[1] for c in cands}
    target = 26.5  # (3 robots, 1 spare) makes 27; (3, 4) only 18; (4, 1..3) 31..37
    check = FeasibilityCheck(target, True, False, 0.5, 10, 0.05 / len(cands))
    search = Search(cands, ["robots", "spares"], check)
    answer = search.run(_sampler(truth, 5))
    assert answer is not None and answer.values == (3, 1)
    assert [s.event for s in search.steps].count("not monotone") >= 1
    assert search.monotone == [True, False]


def test_without_monotone_inference_the_search_scans_in_cost_order() -> None:
    cands = _grid((3, 3), (10.0, 1.0))
    truth = {c.id: 10.0 * c.values[0] + c.values[1] for c in cands}
    check = FeasibilityCheck(31.5, True, False, 0.5, 10, 0.05 / len(cands))
    search = Search(cands, ["robots", "spares"], check, monotone=[False, False])
    answer = search.run(_sampler(truth, 1))
    assert answer is not None and answer.values == (3, 2)
    tested = [c.id for c in cands if search.data[c.id]]
    assert len(tested) == 8  # every configuration cheaper than (3, 2), and (3, 2)


def test_a_long_cheap_factor_is_halved_not_walked() -> None:
    """Robots 1-3 and buffer places 1-40: the buffer is bisected, so only a handful of its
    forty values are checked, and the answer is still the cheapest that meets."""
    cands = _grid((3, 40), (100.0, 1.0))
    truth = {c.id: 10.0 * c.values[0] + 0.5 * c.values[1] + 0.25 for c in cands}
    target = 31.0  # 2 robots need 22 places (31.25; 21 make 30.75); 3 robots need 2 (dearer)
    check = FeasibilityCheck(target, True, False, 0.2, 10, 0.05 / len(cands))
    search = Search(cands, ["robots", "buffer"], check)
    answer = search.run(_sampler(truth, 2, sd=0.3))
    assert answer is not None and answer.values == (2, 22)
    assert answer.id == _cheapest(cands, truth, target)
    checked = [c.values for c in cands if search.data[c.id]]
    assert len(checked) <= 16, checked


def test_congestion_along_robots_is_reported_and_reopens_nothing() -> None:
    """Robots past four get in each other's way. The search still finds the cheapest that
    meets; asked for more than any fleet makes, it walks every fleet size, sees the congestion
    (reported, nothing reopened) and keeps inferring along the docks."""
    cands = _grid((6, 3), (10.0, 1.0))  # robots 1-6, docks 1-3
    peak = {1: 10.0, 2: 20.0, 3: 28.0, 4: 30.0, 5: 24.0, 6: 18.0}
    truth = {c.id: peak[c.values[0]] + 2.0 * c.values[1] for c in cands}
    for target, expected in ((31.5, (3, 2)), (40.0, None)):  # (3, 2) makes 32; the best, 36
        check = FeasibilityCheck(target, True, False, 0.5, 10, 0.05 / len(cands))
        search = Search(cands, ["robots", "docks"], check)
        answer = search.run(_sampler(truth, 4))
        assert (answer.values if answer else None) == expected
        assert (answer.id if answer else None) == _cheapest(cands, truth, target)
        assert search.monotone[1]  # the docks keep their inference
    events = [s.event for s in search.steps]
    assert "congestion" in events and "not monotone" not in events
    assert sum(bool(v) for v in search.data.values()) < len(cands)  # docks 1-2 set aside
