"""The narrow-aisle line: a one-robot passage costs output twice, in head-on meetings (visible as
``waiting_traffic``) and in the slow pace robots keep in it (``NARROW_SPEED``, as physics bodies
do); a one-way loop wins back the meetings' part, not the pace (every robot still walks a
passage at 0.6 m/s) and not its longer way round (the figures in the line's header)."""

from __future__ import annotations

import numpy as np
import pytest
from lines_helpers import LINES, replicate

ONE_WAY = {"layout.aisles.0.one_way": True, "layout.aisles.1.one_way": True}


def _runs(overrides: dict[str, object]) -> np.ndarray:
    return replicate(LINES / "narrow_aisle.yaml", lambda r: (
        r.kpis.line.throughput_per_hour, r.kpis.line.waiting_traffic_share,
        r.kpis.traffic.deadlocks,  # type: ignore
    ), reps=3, hours=40, overrides=overrides)


@pytest.mark.slow
def test_one_way_loop_recovers_part_of_what_the_passages_cost() -> None:
    """Against ghosts (no floor rules: no meetings, no narrow pace) the line as built loses
    more than 5%; the loop, with no oncoming traffic, wins back a share of it: more than 15%
    (the meetings' part; measured 19 of 66 an hour, 40 h x 3 seeds) and less than all."""
    built, loop = _runs({}), _runs(ONE_WAY)
    ghosts = _runs({"layout.traffic.enabled": False})
    assert built[:, 1].mean() > 0.05, "robots wait for oncoming traffic in the passage"
    assert loop[:, 1].mean() < 0.01, "a one-way loop has no oncoming traffic"
    lost = ghosts[:, 0].mean() - built[:, 0].mean()
    recovered = loop[:, 0].mean() - built[:, 0].mean()
    assert lost > 0.05 * ghosts[:, 0].mean(), (lost, ghosts[:, 0].mean())
    assert 0.15 * lost < recovered < lost, (lost, recovered)
    assert (built[:, 2] == 0).all() and (loop[:, 2] == 0).all()
