"""A robot whose body fell while it had no task of the line (physics: sent out of another
robot's way) is down from that moment for its fall-recovery time, counted as a fall, and then
idle again or at work: the line hears it from the motion model (``Robot.stopped("fell")``).
Until 3 December 2026 such a fall was found only by the robot's next task: it lay on the floor
'idle' (robot2 for 50 s by passage_four's outfeed) and its down time started late."""

from __future__ import annotations

import pytest
from line_helpers import data_line

from twin.line.factory import Factory
from twin.loader import apply_overrides

FELL_AT = 5000.0
HOURS = 4.0


def test_a_fall_without_a_task_puts_the_robot_down_at_once_for_its_recovery() -> None:
    line = apply_overrides(data_line("tote"), {"shifts": "24/7", "fleet.count": 6})
    factory = Factory(line, 1, log=True)
    factory.start()
    env = factory.env
    env.run(until=FELL_AT)
    parked = [r for r in factory.robots.values() if r.parked]
    assert parked, "six robots on the tote line: some stand idle"
    robot = parked[0]
    others = {r.id: r.falls for r in factory.robots.values()}
    robot.stopped("fell")
    env.run(until=HOURS * 3600.0)
    recovery = robot.spec.fall_recovery_time
    events = factory.log.to_table().to_pandas()
    rows = events[(events.kind == "robot") & (events.entity.astype(str) == robot.id)]
    after = rows[rows.t >= FELL_AT]
    assert str(after.state.iloc[0]) == "down" and after.t.iloc[0] == pytest.approx(FELL_AT)
    assert str(after.state.iloc[1]) != "down"
    assert after.t.iloc[1] == pytest.approx(FELL_AT + recovery)  # stood up, then on
    assert robot.falls == others[robot.id] + 1
    assert all(r.falls == others[r.id] for r in factory.robots.values() if r is not robot)
    for r in factory.robots.values():
        r.set(r.clock.state, logged=False)
    down = robot.clock.acc["down"]
    assert down == pytest.approx(recovery)
    assert sum(robot.clock.acc.values()) == pytest.approx(HOURS * 3600.0)
