"""Work spots are measured over planned (on-shift) time, like the robots working them."""

from __future__ import annotations

import pytest
from line_helpers import REPO

import twin
from twin.loader import load_line


def test_spot_time_is_the_robots_pick_and_place_time_over_planned_time() -> None:
    """A robot holds a spot exactly while it picks or places there, or, handed it after
    queueing, waits for the robot before to step off it, so spot robot-seconds over the window
    add up to the fleet's picking and placing time and those hand-overs; the spots' utilisation
    divides them by on-shift time (two shifts with breaks: 15 of 24 hours)."""
    line = load_line(REPO / "lines" / "tote_line.yaml")
    k = twin.simulate(line, hours=24, seed=3).kpis
    planned = k.line.shift_hours * 3600
    assert 0 < planned < 0.7 * k.line.horizon_s
    spot_s = sum(s.utilisation * s.spots * planned for s in k.spots.values())
    robot_s = sum((r.picking + r.placing) * k.line.horizon_s for r in k.robots.values())
    hand_overs = sum(s.hand_over_s for s in k.spots.values())
    assert 0 < hand_overs < sum(r.waiting_spot * k.line.horizon_s for r in k.robots.values())
    assert spot_s == pytest.approx(robot_s + hand_overs, rel=1e-9)
    assert all(0 < s.utilisation <= 1 for s in k.spots.values())
