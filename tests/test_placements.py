"""``twin.events.placements``: trips and the trip cycle read from an event log by hand."""

import math

import pandas as pd

from twin.events import placements


def test_placements_count_successes_and_time_between_them() -> None:
    rows = [  # (t, robot, state)
        (0.0, "a", "carrying"), (10.0, "a", "placing"), (20.0, "a", "walking_empty"),
        (50.0, "a", "placing"), (60.0, "a", "idle"),
        (5.0, "b", "placing"), (15.0, "b", "task_failed"), (15.0, "b", "placing"),
        (25.0, "b", "idle"),
        (0.0, "c", "placing"), (3.0, "c", "waiting_spot"), (9.0, "c", "placing"),
        (12.0, "c", "idle"), (30.0, "s", "busy"),
    ]
    ev = pd.DataFrame(rows, columns=["t", "entity", "state"])
    ev["kind"] = ["robot"] * 13 + ["station"]
    done, cycle = placements(ev)
    assert done == 4  # a twice, b once (its first place failed), c once (it waited inside)
    assert cycle == 40.0  # a: 20 -> 60
    assert math.isnan(placements(ev[ev["entity"] == "b"])[1])
