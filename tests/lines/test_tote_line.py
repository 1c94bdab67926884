"""tote_line answers its capacity question: too few humanoids starve the line."""

from __future__ import annotations

import pytest
from lines_helpers import LINES, replicate


def _tph(count: int) -> float:
    runs = replicate(LINES / "tote_line.yaml", lambda r: (r.kpis.line.throughput_per_hour,),
                     reps=2, hours=40, overrides={"fleet.count": count})
    return float(runs[:, 0].mean())


@pytest.mark.timeout(120)
def test_fleet_size_is_the_capacity_question() -> None:
    one, three = _tph(1), _tph(3)
    assert one < 0.7 * three, f"1 robot {one:.1f}/h vs 3 robots {three:.1f}/h"
