"""The headline's answer quotes the figures of the fleet it names, not of the best fleet."""

from __future__ import annotations

import math

from twin.demo import answer


def _row(robots: int, rate: float, half: float, wait: float, busy: float) -> dict[str, float]:
    return {"robots": robots, "doors_per_on_shift_hour": rate, "ci95": half, "oee": 0.8,
            "robots_busy_on_shift": busy, "charger_wait_s": wait, "waiting_spot_share": 0.0,
            "waiting_traffic_share": 0.0}


def test_the_answer_quotes_the_fleet_it_names() -> None:
    rows = [_row(2, 44.2, 0.5, 167, 0.96), _row(3, 60.8, 1.7, 656, 0.86),
            _row(4, 61.2, 1.7, 857, 0.64)]
    text = answer(rows, 3)
    assert text.startswith("Answer: 3 humanoids reach the line's pace: 60.8 +/- 1.7 doors")
    assert "busy 86%" in text
    assert "4 make 61.2 +/- 1.7" in text and "857 s a charge against 656 s" in text
    assert text.index("60.8") < text.index("61.2")


def test_one_replication_says_there_is_no_interval() -> None:
    text = answer([_row(3, 60.0, math.nan, 600, 0.9)], 3)
    assert "60.0 (one replication)" in text and "nan" not in text
