"""The headline's answer quotes the figures of the fleet it names, not of the best fleet."""

from __future__ import annotations

import math

from twin.demo import answer


def _row(robots: int, rate: float, half: float, wait: float, busy: float) -> dict[str, float]:
    return {"robots": robots, "doors_per_on_shift_hour": rate, "ci95": half, "oee": 0.8,
            "robots_busy_on_shift": busy, "charger_wait_s": wait, "waiting_spot_share": 0.0,
            "waiting_traffic_share": 0.0}


def test_the_answer_quotes_the_fleet_it_names() -> None:
    # shaped like tote_line's sweep with the self-balancing walker_s2: four reach the pace
    rows = [_row(3, 48.1, 0.4, 666, 0.97), _row(4, 60.5, 2.0, 1005, 0.91),
            _row(5, 60.8, 2.0, 1467, 0.73)]
    text = answer(rows, 4)
    assert text.startswith("Answer: 4 humanoids reach the line's pace: 60.5 +/- 2.0 doors")
    assert "busy 91%" in text
    assert "5 make 60.8 +/- 2.0" in text and "1467 s a charge against 1005 s" in text
    assert text.index("60.5") < text.index("60.8")


def test_one_replication_says_there_is_no_interval() -> None:
    text = answer([_row(3, 60.0, math.nan, 600, 0.9)], 3)
    assert "60.0 (one replication)" in text and "nan" not in text
