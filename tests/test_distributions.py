"""Distributions: sample means converge to ``.mean``; truncation, weights and shorthand."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from twin.distributions import BATCH, DIST_NAMES, Distribution, Empirical, Normal

ADAPTER: TypeAdapter[Any] = TypeAdapter(Distribution)
N = 40_000


def dist(**spec: Any) -> Any:
    return ADAPTER.validate_python(spec)


SPECS: dict[str, dict[str, Any]] = {
    "constant": {"dist": "constant", "value": "90 s"},
    "exponential": {"dist": "exponential", "mean": "3 min"},
    "uniform": {"dist": "uniform", "low": 10, "high": 50},
    "triangular": {"dist": "triangular", "low": 10, "mode": 20, "high": 60},
    "normal": {"dist": "normal", "mean": 60, "sd": 15},
    "lognormal": {"dist": "lognormal", "mean": 50, "cv": 0.4},
    "gamma": {"dist": "gamma", "mean": 50, "cv": 0.7},
    "weibull": {"dist": "weibull", "shape": 1.5, "scale": 80},
    "empirical": {"dist": "empirical", "values": [10, 20, 60], "weights": [1, 2, 1]},
}


def test_every_distribution_name_is_covered() -> None:
    assert set(SPECS) == set(DIST_NAMES)


def _sample(d: object, seed: int, n: int = N) -> np.ndarray:
    draw = d.sampler(np.random.default_rng(seed))  # type: ignore[attr-defined]
    return np.array([draw() for _ in range(n)])


@pytest.mark.parametrize("name", sorted(SPECS))
def test_sample_mean_converges_to_mean(name: str) -> None:
    d = dist(**SPECS[name])
    x = _sample(d, seed=1)
    mean = d.mean  # type: ignore[attr-defined]
    assert mean > 0
    se = x.std(ddof=1) / np.sqrt(len(x))
    assert abs(x.mean() - mean) <= 4 * se + 1e-9 * mean, (name, x.mean(), mean)
    assert (x >= 0).all()


@settings(max_examples=25, deadline=None)
@given(mean=st.floats(1, 1e4), cv=st.floats(0.05, 2.0), seed=st.integers(0, 2**32 - 1),
       kind=st.sampled_from(["lognormal", "gamma", "exponential"]))
def test_mean_cv_families_hit_their_mean(mean: float, cv: float, seed: int, kind: str) -> None:
    spec: dict[str, object] = {"dist": kind, "mean": mean}
    if kind != "exponential":
        spec["cv"] = cv
    d = dist(**spec)
    x = d.draw(np.random.default_rng(seed), 20_000)  # type: ignore[attr-defined]
    se = x.std(ddof=1) / np.sqrt(len(x))
    assert abs(x.mean() - mean) <= 5 * se + 1e-9 * mean


@settings(max_examples=40, deadline=None)
@given(mean=st.floats(0, 100), sd=st.floats(0, 300), seed=st.integers(0, 2**32 - 1))
def test_normal_truncated_at_zero_is_never_negative(mean: float, sd: float, seed: int) -> None:
    d = Normal.model_validate({"dist": "normal", "mean": mean, "sd": sd})
    x = d.draw(np.random.default_rng(seed), 3000)
    assert (x >= 0).all()
    assert d.mean >= mean - 1e-12


def test_truncated_normal_mean_is_the_truncated_mean() -> None:
    d = dist(dist="normal", mean=10, sd=20)
    x = _sample(d, seed=3, n=100_000)
    assert d.mean > 10  # truncation shifts the mean up
    assert x.mean() == pytest.approx(d.mean, rel=0.01)  # type: ignore[attr-defined]


@settings(max_examples=25, deadline=None)
@given(weights=st.lists(st.integers(0, 10), min_size=2, max_size=6).filter(lambda w: sum(w) > 0),
       seed=st.integers(0, 2**32 - 1))
def test_empirical_weights(weights: list[int], seed: int) -> None:
    values = [float(10 * (i + 1)) for i in range(len(weights))]
    d = Empirical.model_validate({"dist": "empirical", "values": values, "weights": weights})
    x = d.draw(np.random.default_rng(seed), 20_000)
    p = np.asarray(weights, float) / sum(weights)
    for v, share in zip(values, p, strict=True):
        got = float((x == v).mean())
        if share == 0:
            assert got == 0.0
        else:
            assert abs(got - share) <= 5 * np.sqrt(share * (1 - share) / len(x)) + 1e-12
    assert d.mean == pytest.approx(float(np.dot(values, p)))


def test_sampler_is_deterministic_and_batched() -> None:
    d = dist(**SPECS["gamma"])
    a = _sample(d, seed=7, n=3 * BATCH + 5)
    b = _sample(d, seed=7, n=3 * BATCH + 5)
    assert (a == b).all()
    assert len(set(a.tolist())) == len(a)  # batches do not repeat
    direct = d.draw(np.random.default_rng(7), BATCH)  # type: ignore[attr-defined]
    assert a[:BATCH].tolist() == direct.tolist()


@pytest.mark.parametrize(("short", "value"), [(45, 45.0), ("2 min", 120.0), ("90 s", 90.0),
                                              ({"value": "1 h"}, 3600.0)])
def test_shorthand_means_constant(short: object, value: float) -> None:
    d = ADAPTER.validate_python(short)
    assert d.dist == "constant"  # type: ignore[attr-defined]
    assert d.mean == value  # type: ignore[attr-defined]


@pytest.mark.parametrize(("spec", "match"), [
    ({"dist": "poisson", "mean": 3}, "unknown distribution"),
    ({"mean": 3}, "needs a 'dist'"),
    ({"dist": "uniform", "low": 5, "high": 1}, "low <= high"),
    ({"dist": "triangular", "low": 1, "mode": 9, "high": 5}, "low <= mode <= high"),
    ({"dist": "exponential", "mean": 0}, "greater than 0"),
    ({"dist": "exponential", "mean": "-3 min"}, "greater than 0"),
    ({"dist": "empirical", "values": [1, 2], "weights": [1]}, "one entry per value"),
    ({"dist": "empirical", "values": [1, 2], "weights": [0, 0]}, "not all zero"),
    ({"dist": "empirical", "values": [-1, 2]}, ">= 0"),
    ({"dist": "normal", "mean": 5, "sd": 1, "shape": 2}, "Extra inputs"),
    (-5, "greater than or equal to 0"),
])
def test_invalid_distributions(spec: object, match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        ADAPTER.validate_python(spec)
