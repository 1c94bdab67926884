"""Every shipped line runs a short horizon and is deterministic: same seed, same event log."""

from __future__ import annotations

from pathlib import Path

import pytest
from lines_helpers import LINES, all_lines

import twin

LINE_FILES = all_lines()


@pytest.mark.timeout(150)  # car_plant (40 robots, 50 stations) takes ~15 s a run
@pytest.mark.parametrize("path", LINE_FILES, ids=lambda p: p.relative_to(LINES).as_posix())
def test_line_runs_and_is_deterministic(path: Path) -> None:
    line = twin.load_line(path)
    first = twin.simulate(line, hours=24, seed=7, warmup_hours=0, events=True)
    again = twin.simulate(line, hours=24, seed=7, warmup_hours=0, events=True)
    other = twin.simulate(line, hours=24, seed=8, warmup_hours=0, events=True)
    assert len(first.events) > 0
    assert first.events.equals(again.events), "same seed, different event log"
    assert first.kpis.model_dump_json() == again.kpis.model_dump_json()
    assert not first.events.equals(other.events), "the seed changes nothing"
    k = first.kpis.line
    assert k.produced_units > 0, "nothing was produced in 24 h"
    for sid, st in first.kpis.stations.items():
        shares = (st.processing + st.setup + st.starved + st.blocked + st.down + st.off_shift)
        assert shares == pytest.approx(1.0, abs=1e-6), f"{sid} state shares add to {shares}"
