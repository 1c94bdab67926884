"""A study in a plant manager's words: scenarios, kits, KPIs and intervals said plainly.

"fleet.count=3, chargers.swap_station.count=1" reads "3 robots, 1 swap station"; a target
``throughput_per_shift_hour>=60`` reads "at least 60 door modules per shift hour"; an interval
reads "61 door modules per shift hour, 95% CI 60 to 62".
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from twin.study.plan import Target
from twin.study.stats import Interval

if TYPE_CHECKING:
    from twin.study.analysis import Results

RATES = {"throughput_per_shift_hour": "per shift hour", "throughput_per_hour": "per hour",
         "departures_per_hour": "per hour"}
KPI_NAMES = {  # name, unit after the number
    "oee": ("OEE", ""), "availability": ("availability", ""),
    "effectiveness": ("performance", ""), "quality_ratio": ("quality ratio", ""),
    "wip_mean": ("units in the line (mean)", ""), "mean_lead_time_s": ("lead time", " s"),
    "robot_utilisation": ("robot utilisation on shift", ""),
    "mean_charger_wait_s": ("wait at the charger", " s"), "kwh_per_unit": ("energy", " kWh a unit"),
    "cost_per_unit": ("cost", " USD a unit"), "cost_per_year": ("cost", " USD a year"),
    "payback_years": ("payback", " years"),
}
SHARES = {"oee", "availability", "effectiveness", "quality_ratio", "robot_utilisation"}


def plural(n: float, word: str) -> str:
    """``3 robots``, ``1 swap station``, ``2 batteries``."""
    many = n != 1
    if not many:
        return f"{n:g} {word}"
    if word.endswith("y") and not word.endswith(("ay", "ey", "oy")):
        return f"{n:g} {word[:-1]}ies"
    return f"{n:g} {word}{'' if word.endswith('s') else 's'}"


def spoken(name: str) -> str:
    """An id as words: ``swap_station`` -> ``swap station``."""
    return name.replace("_", " ").replace(".", " ").strip()


def units_word(res: Results, n: float = 2) -> str:
    """What the line makes: its one product's name ("door modules"), else "units"."""
    products = list((res.meta.get("line") or {}).get("products") or {})
    word = spoken(products[0]) if len(products) == 1 else "unit"
    return plural(n, word).split(" ", 1)[1]


def shifts_per_day(line: dict[str, Any]) -> int:
    """Shifts a working day (a 24/7 line: three 8-hour shifts)."""
    shifts = line.get("shifts", "24/7")
    if isinstance(shifts, str):
        return 3
    return max(1, len(shifts.get("shifts") or []))


def headline_kpi(res: Results) -> str:
    """The output KPI to lead with: per shift hour on a line with shifts, else per hour."""
    shifts = (res.meta.get("line") or {}).get("shifts", "24/7")
    return "throughput_per_hour" if isinstance(shifts, str) else "throughput_per_shift_hour"


def kpi_words(res: Results, kpi: str) -> str:
    """``door modules per shift hour``, ``OEE``, ``lead time (s)``."""
    if kpi in RATES:
        return f"{units_word(res)} {RATES[kpi]}"
    return KPI_NAMES.get(kpi, (spoken(kpi), ""))[0]


def _unit(kpi: str) -> str:
    return KPI_NAMES.get(kpi, ("", ""))[1]


def _digits(half: float, mean: float) -> int:
    """Decimals that show an interval without false precision."""
    ref = half if math.isfinite(half) and half > 0 else abs(mean) / 100 or 1.0
    return max(0, min(4, -math.floor(math.log10(ref))))


def number(value: float, decimals: int) -> str:
    return f"{value:,.{decimals}f}"


def interval_words(res: Results, kpi: str, ci: Interval) -> str:
    """``61 door modules per shift hour, 95% CI 60 to 62`` (or a single run's value)."""
    level = f"{res.plan.confidence:.0%}"
    if kpi in SHARES:
        value = f"{ci.mean:.0%}"
        band = (f", {level} CI {ci.low:.0%} to {ci.high:.0%}"
                if ci.n >= 2 and math.isfinite(ci.half) else "")
        return f"{kpi_words(res, kpi)} {value}{band}"
    d = _digits(ci.half, ci.mean)
    unit = _unit(kpi)
    band = (f", {level} CI {number(ci.low, d)} to {number(ci.high, d)}{unit}"
            if ci.n >= 2 and math.isfinite(ci.half) else " (one run: no interval)")
    if kpi in RATES:
        return f"{number(ci.mean, d)} {kpi_words(res, kpi)}{band}"
    return f"{kpi_words(res, kpi)} {number(ci.mean, d)}{unit}{band}"


def achieves(res: Results, scenario: int, kpi: str, ci: Interval) -> str:
    """``3 robots and 1 swap station make 61 door modules per shift hour, 95% CI 60 to 62``;
    on a line without robots ``with <settings>, the line makes ...``."""
    text = interval_words(res, kpi, ci)
    kit = kit_words(res, scenario)
    if _robots(res, scenario):
        return f"{kit} {'make' if kpi in RATES else 'reach'} {text}"
    verb = "makes" if kpi in RATES else "reaches"
    return f"with {kit}, the line {verb} {text}"


def target_words(res: Results, target: Target) -> str:
    """``at least 60 door modules per shift hour``."""
    op = {">=": "at least", ">": "more than", "<=": "at most", "<": "less than"}[target.op]
    if target.kpi in RATES:
        return f"{op} {target.value:g} {kpi_words(res, target.kpi)}"
    value = (f"{target.value:.0%}" if target.kpi in SHARES
             else f"{target.value:g}{_unit(target.kpi)}")
    return f"{kpi_words(res, target.kpi)} {op} {value}"


def override_words(path: str, value: Any) -> str:
    """One factor's setting in words: ``fleet.count=3`` -> ``3 robots``."""
    parts = path.split(".")
    if path == "fleet.count" and isinstance(value, int):
        return plural(value, "robot")
    if path == "fleet.robot":
        return f"robot model {value}"
    if len(parts) == 3 and isinstance(value, (int, float)) and not isinstance(value, bool):
        group, name, field = parts
        if group == "chargers" and field == "count":
            return plural(value, spoken(name))
        if group == "chargers" and field == "spares":
            return f"{plural(value, 'spare battery')} at the {spoken(name)}"
        if group == "stations" and field == "servers":
            return f"{plural(value, 'server')} at {spoken(name)}"
        if group == "stations" and field in ("input_buffer", "output_buffer"):
            side = "before" if field == "input_buffer" else "after"
            return f"{plural(value, 'place')} {side} {spoken(name)}"
    tail = " ".join(spoken(p) for p in parts[1:]) or spoken(path)
    return f"{tail} {value}"


def _overrides(res: Results, scenario: int) -> dict[str, Any]:
    row = res.scenarios.loc[res.scenarios.scenario == scenario, "overrides"]
    return dict(row.iloc[0]) if len(row) else {}


def _robots(res: Results, scenario: int) -> int:
    """The fleet size of a scenario (0 on a line without robots)."""
    fleet = (res.meta.get("line") or {}).get("fleet") or {}
    return int(_overrides(res, scenario).get("fleet.count", fleet.get("count", 0)) or 0)


def scenario_words(res: Results, scenario: int) -> str:
    """A scenario in plain words: its factor settings joined by commas."""
    overrides = _overrides(res, scenario)
    if not overrides:
        return "the line as described"
    return ", ".join(override_words(k, v) for k, v in overrides.items())


def kit_words(res: Results, scenario: int) -> str:
    """Robots and chargers of a scenario: ``3 robots and 1 swap station`` (what a plant buys),
    plus the other factors in words; the plain scenario words on a line without robots."""
    overrides = _overrides(res, scenario)
    line = res.meta.get("line") or {}
    robots = _robots(res, scenario)
    if not robots:
        return scenario_words(res, scenario)
    kit = [plural(robots, "robot")]
    for cid, charger in (line.get("chargers") or {}).items():
        count = overrides.get(f"chargers.{cid}.count", charger.get("count", 0))
        if count:
            kit.append(plural(count, spoken(cid)))
    said = {"fleet.count", *(f"chargers.{c}.count" for c in line.get("chargers") or {})}
    rest = [override_words(k, v) for k, v in overrides.items() if k not in said]
    text = " and ".join([", ".join(kit[:-1]), kit[-1]] if len(kit) > 1 else kit)
    return text + (f" ({', '.join(rest)})" if rest else "")
