"""Quantities written the way planners write them: "90 s", "3 min", "8 h", "12 kg", "1.5 kW".

Inside the twin everything is SI: seconds, metres, kilograms, joules, watts. Plain numbers are
taken to be in the SI unit already (seconds for durations).
"""

from __future__ import annotations

import math
import re
from typing import Annotated

from pydantic import BeforeValidator

_NUMBER = r"([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"
_QUANTITY = re.compile(rf"^\s*{_NUMBER}\s*([A-Za-z%/]*)\s*$")

TIME_UNITS = {
    "": 1.0, "s": 1.0, "sec": 1.0, "secs": 1.0, "second": 1.0, "seconds": 1.0,
    "ms": 1e-3,
    "min": 60.0, "mins": 60.0, "minute": 60.0, "minutes": 60.0,
    "h": 3600.0, "hr": 3600.0, "hrs": 3600.0, "hour": 3600.0, "hours": 3600.0,
    "d": 86400.0, "day": 86400.0, "days": 86400.0,
    "w": 604800.0, "wk": 604800.0, "week": 604800.0, "weeks": 604800.0,
}
MASS_UNITS = {"": 1.0, "kg": 1.0, "g": 1e-3, "t": 1000.0}
LENGTH_UNITS = {"": 1.0, "m": 1.0, "cm": 0.01, "mm": 0.001, "km": 1000.0}
POWER_UNITS = {"": 1.0, "w": 1.0, "kw": 1000.0, "mw": 1e-3}
ENERGY_UNITS = {"": 1.0, "j": 1.0, "kj": 1e3, "wh": 3600.0, "kwh": 3.6e6}
SPEED_UNITS = {"": 1.0, "m/s": 1.0, "km/h": 1 / 3.6, "m/min": 1 / 60}
ANGLE_UNITS = {"": 1.0, "deg": 1.0, "rad": 57.29577951308232}


MAX_SECONDS = 1e9
"""Longest duration a line may state (about 32 years): far beyond any horizon, and small enough
that clock sums never overflow or lose sub-microsecond resolution."""


def _parse(value: object, units: dict[str, float], what: str, case_sensitive: bool) -> float:
    if isinstance(value, bool):
        raise ValueError(f"expected a {what}, got {value!r}")
    if isinstance(value, (int, float)):
        return _finite(float(value) if abs(value) < 1e308 else math.inf, value, what)
    if not isinstance(value, str):
        raise ValueError(f"expected a {what} such as {_example(what)}, got {value!r}")
    match = _QUANTITY.match(value)
    if not match:
        raise ValueError(f"cannot read {value!r} as a {what}; write it like {_example(what)}")
    number, unit = match.groups()
    key = unit if case_sensitive else unit.lower()
    if key not in units:
        known = ", ".join(sorted(u for u in units if u))
        raise ValueError(f"unknown unit {unit!r} in {value!r} for a {what}; use one of: {known}")
    return _finite(float(number) * units[key], value, what)


def _finite(number: float, value: object, what: str) -> float:
    """``number`` if it is finite; infinities, NaN and overflows (``1e400 s``) are mistakes."""
    if not math.isfinite(number):
        raise ValueError(f"{_show(value)} is not a finite {what}; write a number such as "
                         f"{_example(what)}")
    return number


def _show(value: object) -> str:
    """A value as the planner wrote it, cut short: a 400-digit number is no help in a message."""
    text = repr(value)
    return text if len(text) <= 24 else text[:20] + "..."


def _example(what: str) -> str:
    return {
        "duration": '"90 s", "3 min" or "8 h"',
        "mass": '"12 kg"',
        "length": '"2.5 m" or "5 mm"',
        "power": '"25 W" or "1.5 kW"',
        "energy": '"2 kWh"',
        "speed": '"1.2 m/s"',
        "angle": '"1 deg"',
    }.get(what, "a number")


def parse_duration(value: object) -> float:
    """Seconds from "90 s", "3 min", "8 h", "2 d" or a plain number of seconds (at most
    ``MAX_SECONDS`` either way)."""
    seconds = _parse(value, TIME_UNITS, "duration", case_sensitive=False)
    if abs(seconds) > MAX_SECONDS:
        raise ValueError(f"duration {_show(value)} is longer than {MAX_SECONDS:.0e} s (about 32 "
                         "years); leave the part out instead of giving it an endless time")
    return seconds


def parse_mass(value: object) -> float:
    return _parse(value, MASS_UNITS, "mass", case_sensitive=False)


def parse_length(value: object) -> float:
    return _parse(value, LENGTH_UNITS, "length", case_sensitive=False)


def parse_power(value: object) -> float:
    return _parse(value, POWER_UNITS, "power", case_sensitive=False)


def parse_energy(value: object) -> float:
    return _parse(value, ENERGY_UNITS, "energy", case_sensitive=False)


def parse_speed(value: object) -> float:
    return _parse(value, SPEED_UNITS, "speed", case_sensitive=False)


def parse_angle(value: object) -> float:
    """Degrees from "1 deg", "0.02 rad" or a plain number of degrees."""
    return _parse(value, ANGLE_UNITS, "angle", case_sensitive=False)


Seconds = Annotated[float, BeforeValidator(parse_duration)]
Kilograms = Annotated[float, BeforeValidator(parse_mass)]
Metres = Annotated[float, BeforeValidator(parse_length)]
Watts = Annotated[float, BeforeValidator(parse_power)]
Joules = Annotated[float, BeforeValidator(parse_energy)]
MetresPerSecond = Annotated[float, BeforeValidator(parse_speed)]
Degrees = Annotated[float, BeforeValidator(parse_angle)]

J_PER_KWH = 3.6e6
