"""Durations and quantities as planners write them: "90 s", "3 min", "8 h", plain numbers."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twin.units import (
    MAX_SECONDS,
    parse_duration,
    parse_energy,
    parse_length,
    parse_mass,
    parse_power,
    parse_speed,
)

UNIT_SECONDS = {"s": 1, "sec": 1, "seconds": 1, "min": 60, "minutes": 60, "h": 3600,
                "hr": 3600, "hours": 3600, "d": 86400, "ms": 1e-3, "w": 604800}

numbers = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)


@pytest.mark.parametrize(("text", "seconds"), [
    ("90 s", 90.0), ("3 min", 180.0), ("8 h", 28800.0), ("1.5 min", 90.0), ("2 d", 172800.0),
    ("45", 45.0), ("0", 0.0), (".5 h", 1800.0), ("1e3 s", 1000.0), ("  12s ", 12.0),
    ("250 ms", 0.25), ("3 MIN", 180.0), ("1 week", 604800.0), (30, 30.0), (2.5, 2.5),
])
def test_durations(text: object, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@given(numbers, st.sampled_from(sorted(UNIT_SECONDS)), st.sampled_from(["", " ", "  "]))
def test_duration_is_number_times_unit(value: float, unit: str, gap: str) -> None:
    text = f"{value!r}{gap}{unit}"
    if value * UNIT_SECONDS[unit] > MAX_SECONDS:
        with pytest.raises(ValueError, match="longer than"):
            parse_duration(text)
        return
    assert math.isclose(parse_duration(text), value * UNIT_SECONDS[unit], rel_tol=1e-12,
                        abs_tol=1e-12)


@given(numbers)
def test_plain_numbers_are_seconds(value: float) -> None:
    assert parse_duration(value) == value
    assert parse_duration(repr(value)) == pytest.approx(value, rel=1e-12)


@pytest.mark.parametrize("bad", ["3 parsecs", "min", "", "three min", "1 2 s", "--1 s", "1,5 s"])
def test_unreadable_durations_say_how_to_write_them(bad: str) -> None:
    with pytest.raises(ValueError, match=r"90 s|unknown unit"):
        parse_duration(bad)


@pytest.mark.parametrize("bad", [True, None, [1], {"s": 1}])
def test_non_numbers_are_rejected(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(bad)


@pytest.mark.parametrize(("fn", "text", "si"), [
    (parse_mass, "12 kg", 12.0), (parse_mass, "500 g", 0.5), (parse_length, "5 mm", 0.005),
    (parse_length, "2.5 m", 2.5), (parse_power, "1.5 kW", 1500.0), (parse_power, "25 W", 25.0),
    (parse_energy, "2 kWh", 7.2e6), (parse_energy, "10 Wh", 36000.0),
    (parse_speed, "3.6 km/h", 1.0), (parse_speed, "1.2 m/s", 1.2),
])
def test_other_quantities(fn: object, text: str, si: float) -> None:
    assert callable(fn)
    assert fn(text) == pytest.approx(si)


def test_config_fields_take_units() -> None:
    from twin.config import Station

    station = Station.model_validate({"process": "3 min", "ideal_cycle": "150 s"})
    assert station.ideal_cycle == 150.0
    assert station.process.mean == 180.0  # type: ignore[union-attr]
