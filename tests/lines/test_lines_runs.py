"""Every shipped line runs a short horizon and is deterministic: same seed, same event log."""

from __future__ import annotations

from pathlib import Path

import pytest
from lines_helpers import LINES, all_lines

import twin

LINE_FILES = all_lines()


# the plant-sized hall (100 humanoids, 125 stations) runs one shift: three days of it take a
# minute of CI; its week is benchmarks/scale_bench.py's job
HOURS = {"car_plant.yaml": 10.0}


@pytest.mark.timeout(150)
@pytest.mark.parametrize("path", LINE_FILES, ids=lambda p: p.relative_to(LINES).as_posix())
def test_line_runs_and_is_deterministic(path: Path) -> None:
    line = twin.load_line(path)
    hours = HOURS.get(path.name, 24.0)
    first = twin.simulate(line, hours=hours, seed=7, warmup_hours=0, events=True)
    again = twin.simulate(line, hours=hours, seed=7, warmup_hours=0, events=True)
    other = twin.simulate(line, hours=hours, seed=8, warmup_hours=0, events=True)
    assert len(first.events) > 0
    assert first.events.equals(again.events), "same seed, different event log"
    assert first.kpis.model_dump_json() == again.kpis.model_dump_json()
    assert not first.events.equals(other.events), "the seed changes nothing"
    k = first.kpis.line
    assert k.produced_units > 0, f"nothing was produced in {hours:g} h"
    for sid, st in first.kpis.stations.items():
        shares = (st.processing + st.setup + st.starved + st.blocked + st.down + st.off_shift)
        assert shares == pytest.approx(1.0, abs=1e-6), f"{sid} state shares add to {shares}"
        assert st.oee <= 1.0, f"{sid}: OEE {st.oee} over 1"
    assert k.oee <= 1.0, f"line OEE {k.oee} over 1"
