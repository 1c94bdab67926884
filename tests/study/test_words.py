"""Factor settings and counts read as a plant manager says them."""

from __future__ import annotations

import pytest

from twin.study.charts import nice_ticks
from twin.study.words import override_words, plural


@pytest.mark.parametrize(("path", "value", "words"), [
    ("fleet.count", 1, "1 robot"),
    ("fleet.count", 3, "3 robots"),
    ("chargers.swap_station.count", 1, "1 swap station"),
    ("chargers.swap_station.count", 2, "2 swap stations"),
    ("chargers.swap.spares", 4, "4 spare batteries at the swap"),
    ("stations.regulator.servers", 2, "2 servers at regulator"),
    ("stations.trim.input_buffer", 6, "6 places before trim"),
    ("fleet.charging.go_charge_below", 0.3, "charging go charge below 0.3"),
])
def test_factor_settings_in_words(path: str, value: object, words: str) -> None:
    assert override_words(path, value) == words


def test_plural() -> None:
    assert plural(1, "battery") == "1 battery" and plural(2, "battery") == "2 batteries"


@pytest.mark.parametrize(("lo", "hi"), [(1, 4), (2, 5), (1, 40), (0, 1)])
def test_count_axes_tick_whole_numbers(lo: int, hi: int) -> None:
    ticks = nice_ticks(lo, hi, 6, integer=True)
    assert all(t == int(t) for t in ticks)
    assert ticks[0] <= lo and ticks[-1] >= hi
