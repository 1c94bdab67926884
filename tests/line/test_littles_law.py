"""Little's law on the KPIs over a week from Monday 00:00, and a warm-up in working time.

``wip_mean`` is the time integral of the units inside; ``mean_lead_time_s`` sums each unit's
time inside the window (its age, for the units still inside at the end) and
``departures_per_hour`` counts good, scrapped and consumed units. Two bookkeepings of the same
sample path, so L = lambda W must hold to rounding on every line over any window.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from line_helpers import REPO

from twin.kpi import KPIs, littles_law_gap, warnings
from twin.loader import load_line
from twin.sim import simulate

WEEK = 168.0
# A week of these takes 13-20 s of CPU each (eight robots in narrow aisles, a 40-robot hall);
# their Little's law is checked on the 36 h runs of test_conservation (every line, from
# Monday 00:00), which the suite makes anyway.
HEAVY = {"car_plant.yaml", "narrow_aisle.yaml"}
WEEK_LINES = [p for p in sorted((REPO / "lines").rglob("*.yaml")) if p.name not in HEAVY]


@cache
def week(path: Path, warmup_hours: float | None = None) -> KPIs:
    """A week of ``path`` from Monday 00:00 after its warm-up (the line's own by default)."""
    return simulate(load_line(path), hours=WEEK, seed=3, warmup_hours=warmup_hours,
                    series_bin_s=0).kpis


@pytest.mark.parametrize("path", WEEK_LINES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_littles_law_holds_on_the_kpis_over_a_week(path: Path) -> None:
    k = week(path).line
    assert k.departed_units == k.good_units + k.scrap_units + k.consumed_units
    assert k.wip_start + k.started_units - k.departed_units == k.wip_end
    assert k.departed_units > 0
    lam_w = k.departures_per_hour / 3600 * k.mean_lead_time_s
    assert lam_w == pytest.approx(k.wip_mean, rel=0.01), f"L {k.wip_mean} vs lambda W {lam_w}"
    assert littles_law_gap(k) < 1e-9  # the two bookkeepings agree to rounding


def test_the_warmup_is_working_time() -> None:
    """tote_line works 06:00-22:00 with breaks at 10:00 and 18:00 (15 h a day, Mon-Fri)."""
    path = REPO / "lines" / "tote_line.yaml"
    one, day = week(path).line, week(path, 24.0).line  # the line's own warm-up is 1 h
    assert one.warmup_s == 3600
    assert one.window_start_s == 7 * 3600  # Monday 06:00 + 1 h
    # Monday gives 15 h; Tuesday 06:00-10:00 and 10:30-15:30 the other 9
    assert day.window_start_s == (24 + 15.5) * 3600
    assert one.shift_hours == pytest.approx(75.0) and day.shift_hours == pytest.approx(75.0)
    # both windows hold one weekend of parked doors: the lead time hardly moves
    assert day.mean_lead_time_s == pytest.approx(one.mean_lead_time_s, rel=0.05)
    assert 0 < one.robot_utilisation <= 1  # over on-shift time, not calendar hours


def test_a_window_without_working_time_says_so() -> None:
    line = load_line(REPO / "lines" / "tote_line.yaml")
    result = simulate(line, hours=5, seed=1, warmup_hours=0, series_bin_s=0)
    k = result.kpis
    assert k.line.shift_hours == 0
    (warning,) = warnings(k)
    assert result.warnings == [warning]
    assert "no working time" in warning
    assert k.line.throughput_per_shift_hour != k.line.throughput_per_shift_hour  # NaN
    assert not warnings(week(REPO / "lines" / "tote_line.yaml"))
