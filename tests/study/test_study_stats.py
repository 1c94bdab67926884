"""Output analysis: intervals, MSER-5, replications advice, paired comparisons, choice."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps

from twin.study.plan import Target
from twin.study.stats import (
    Option,
    mean_ci,
    mser5,
    paired_ci,
    recommend,
    replications_needed,
)


def test_mean_ci_matches_scipy() -> None:
    x = np.random.default_rng(1).normal(10, 2, 12)
    ci = mean_ci(x)
    low, high = sps.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=sps.sem(x))
    assert ci.low == pytest.approx(low) and ci.high == pytest.approx(high)
    assert mean_ci([3.0]).half == np.inf
    assert mean_ci([]).n == 0


def test_mser5_finds_an_initial_transient() -> None:
    rng = np.random.default_rng(2)
    steady = rng.normal(5, 1, 1000)
    transient = np.linspace(-20, 5, 200) + rng.normal(0, 1, 200)
    cut = mser5(np.r_[transient, steady])
    assert 120 <= cut <= 260
    assert mser5(steady) <= 100
    assert cut % 5 == 0


def test_replications_needed_reaches_the_half_width() -> None:
    x = np.random.default_rng(3).normal(100, 10, 10)
    n = replications_needed(x, 0.01)
    sd = x.std(ddof=1)
    assert sps.t.ppf(0.975, n - 1) * sd / np.sqrt(n) <= 0.01 * x.mean()
    assert sps.t.ppf(0.975, n - 2) * sd / np.sqrt(n - 1) > 0.01 * x.mean()


def test_paired_interval_is_sharper_with_common_noise() -> None:
    rng = np.random.default_rng(4)
    noise = rng.normal(0, 10, 10)
    a, b = 100 + noise + rng.normal(0, 0.5, 10), 98 + noise + rng.normal(0, 0.5, 10)
    paired = paired_ci(a, b)
    assert paired.low > 0
    assert paired.half < mean_ci(a).half / 5


def test_recommendation_is_cheapest_whose_lower_bound_meets() -> None:
    def opt(s: int, values: list[float], cost: float) -> Option:
        return Option(s, f"s{s}", mean_ci(values), cost)

    target = Target.parse("throughput_per_hour>=120")
    options = [
        opt(0, [119, 121, 120, 122], 1.0),  # mean above, lower bound below: not enough
        opt(1, [130, 131, 129, 130], 3.0),
        opt(2, [125, 126, 124, 125], 2.0),
    ]
    chosen = recommend(options, target)
    assert chosen is not None and chosen.scenario == 2
    assert recommend(options[:1], target) is None
    lead = Target.parse("mean_lead_time_s<=200")
    assert recommend([opt(0, [150, 210, 180], 1), opt(1, [150, 151, 152], 2)], lead) == \
        recommend([opt(1, [150, 151, 152], 2)], lead)
