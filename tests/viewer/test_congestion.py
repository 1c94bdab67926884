"""The viewer shades the floor where robots waited for traffic, from the event log alone."""

from __future__ import annotations

from pathlib import Path

import twin
from viewer.replay import Timeline
from viewer.run import load_run
from viewer.scene import congestion

LINES = Path(__file__).resolve().parents[2] / "lines"


def test_congestion_sits_at_the_narrow_passage(tmp_path: Path) -> None:
    line = twin.load_line(LINES / "narrow_aisle.yaml")
    res = twin.simulate(line, hours=4, seed=1, warmup_hours=0, events=True)
    res.write(tmp_path / "run")
    held = Timeline(load_run(tmp_path / "run")).congestion(1.0)
    total = sum(s for *_, s in held)
    robots = res.kpis.robots.values()
    logged = sum(r.waiting_traffic for r in robots) * res.kpis.line.horizon_s
    # every held second is placed somewhere (the log ends at its last row, a little before the
    # horizon, so a stop under way then is cut short)
    assert abs(total - logged) <= 1e-3 * logged
    # robots are held at the passages' mouths and inside them (the walls span x 12..32, the
    # passages are y 6..7 and 10..11), or where they set off (off the aisle), nowhere else
    locs = [(loc.x, loc.y) for loc in line.layout.locations.values()]
    at_start = sum(s for x, y, s in held
                   if min(abs(x - lx) + abs(y - ly) for lx, ly in locs) <= 1.0)
    passage = sum(s for x, y, s in held
                  if 9.0 <= x <= 35.0 and (5.5 <= y <= 8 or 9.5 <= y <= 12))
    assert passage > 0.5 * total and at_start + passage > 0.99 * total
    pieces = congestion(held)
    assert pieces and {p.name for p in pieces} <= {"congestion_0", "congestion_1", "congestion_2"}


def test_robots_standing_at_one_place_never_overlap(tmp_path: Path) -> None:
    import numpy as np

    line = twin.load_line(LINES / "teaching" / "spot_contention.yaml")
    res = twin.simulate(line, hours=1, seed=2, warmup_hours=0, events=True,
                        overrides={"fleet.count": 6})
    res.write(tmp_path / "run")
    timeline = Timeline(load_run(tmp_path / "run"))
    queued_seen = 0
    for t in np.linspace(60.0, 3500.0, 120):
        snap = timeline.at(float(t))
        standing = np.flatnonzero(~snap.robot_walking)
        queued_seen += sum(snap.robot_state[i] == "waiting_spot" for i in standing)
        xy = snap.robot_xy[standing]
        if len(xy) < 2:
            continue
        gaps = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
        np.fill_diagonal(gaps, np.inf)
        assert gaps.min() > 0.7, f"two robots drawn on top of each other at t={t:.0f}"
    assert queued_seen > 0, "six robots at one pick spot must queue"
