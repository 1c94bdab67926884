"""KPIs with ISO 22400-2 names and formulas: the one place every KPI is defined.

The model keeps state-time clocks and counters; ``twin.line.measure`` reads them at the end of a
run and calls the formulas below; the CLI, the study report, the viewer's HUD and the demo read
the results (or call these formulas) and never compute a KPI their own way. The meaning of every
line KPI is in ``LINE_KPI_TABLE`` (rendered in docs/kpi.md).

Per station (work unit): PBT (planned busy time) = on-shift time x servers; APT (actual
production time) = processing time; PRI (planned runtime per item) = the stated ideal cycle
time (none stated: the measured processing time per unit, see ``ideal_time_s``);
PQ produced, GQ good, SQ scrap, RQ rework.
availability = APT / PBT, effectiveness = PRI x PQ / APT, quality_ratio = GQ / PQ,
oee = availability x effectiveness x quality_ratio.

For the line, availability and effectiveness are those of the bottleneck (the station with the
highest share of processing time) and the quality ratio is good units out over units produced
(good out + scrapped anywhere). Losses split the horizon so they add up to it exactly:
planned_downtime + breakdowns + setup + starved + blocked + speed + scrap + valuable.

The bottleneck is the ISO one, a station. What limits a line worked by robots is often not a
station but a work spot, a charger group or the fleet itself: the line's ``constraint`` is the
resource of any of these kinds busy the largest share of its own planned time (``constraint()``).

The measured window starts when the warm-up ends (the warm-up is working time: 1 h of warm-up
on a line whose shift starts at 06:00 ends at 07:00) and lasts ``horizon_s`` of clock time.
Lead time is censored at the window: every unit in the line during the window counts the time
it spent inside the window, finished or not, so Little's law holds exactly on the KPIs:
``wip_mean = departures_per_hour / 3600 x mean_lead_time_s``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict

STATION_STATES = ("processing", "setup", "starved", "blocked", "down", "off_shift")
ROBOT_STATES = (
    "carrying", "walking_empty", "picking", "placing", "to_charger", "waiting_charger",
    "docking", "charging", "idle", "down", "off_shift", "waiting_spot", "waiting_traffic",
)
LOSSES = (
    "planned_downtime", "breakdowns", "setup", "starved", "blocked", "speed", "scrap", "valuable",
)


class _K(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StationKPIs(_K):
    servers: int
    processing: float
    setup: float
    starved: float
    blocked: float
    down: float
    off_shift: float
    availability: float
    effectiveness: float
    quality_ratio: float
    oee: float
    produced_units: int
    good_units: int
    scrap_units: int
    rework_units: int
    failures: int
    mtbf_s: float
    mttr_s: float
    losses_s: dict[str, float]


class RobotKPIs(_K):
    carrying: float
    walking_empty: float
    picking: float
    placing: float
    to_charger: float
    waiting_charger: float
    docking: float
    charging: float
    idle: float
    down: float
    off_shift: float
    waiting_spot: float
    waiting_traffic: float
    energy_kwh: float
    kwh_per_unit: float
    charges: int
    tasks: int
    distance_m: float
    falls: int
    failed_tasks: int
    depleted: int
    failures: int


class ChargerKPIs(_K):
    """A charger group over the calendar window: robots charge on shift and off it (breaks,
    nights), so its planned time is the whole window."""

    points: int
    charges: int
    mean_wait_s: float
    max_wait_s: float
    mean_queue: float
    max_queue: int
    utilisation: float


class SpotKPIs(_K):
    """A place where robots work: its spots, how busy they were, the queue before them."""

    spots: int
    visits: int
    utilisation: float  # robot-time working on the spots / (spots x planned, on-shift, time)
    mean_queue: float  # robots waiting for a spot, averaged over planned (on-shift) time
    max_queue: int
    mean_wait_s: float  # per visit, waiting included only for those that waited
    hand_over_s: float = 0.0  # robot-seconds robots handed a spot waited for the one before to
    # step off it (``waiting_spot``; part of the busy time in ``utilisation``)


class AisleKPIs(_K):
    """A stretch of walkway: a marked aisle, or a traffic cell where robots were held."""

    x: float
    y: float
    lanes: int  # robots abreast
    passages_per_hour: float
    blocked_s: float  # robot-seconds spent waiting to enter or inside it


class TrafficKPIs(_K):
    """Robots sharing the floor: how much of their time the traffic rules cost."""

    enabled: bool
    holds: int  # walks that had to wait at least once
    deadlocks: int  # waits that never ended, resolved by giving way: 0 by construction in the
    # line model's bookings; physics bodies that waited past primitives.GIVE_UP (docs/traffic.md)
    aisles: dict[str, AisleKPIs]


class LineKPIs(_K):
    horizon_s: float
    warmup_s: float
    throughput_per_hour: float
    shift_hours: float
    throughput_per_shift_hour: float
    produced_units: int
    good_units: int
    scrap_units: int
    rework_units: int
    availability: float
    effectiveness: float
    quality_ratio: float
    oee: float
    bottleneck: str
    constraint: str = ""  # what limits the line, of every kind of resource (``constraint``)
    constraint_kind: str = ""  # station, spot, charger or fleet
    constraint_utilisation: float = float("nan")
    mean_lead_time_s: float
    wip_mean: float
    wip_end: int
    started_units: int
    consumed_units: int
    departed_units: int = 0  # good + scrap + consumed: every unit that left in the window
    departures_per_hour: float = float("nan")
    wip_start: int = 0
    mean_finished_lead_time_s: float = float("nan")  # good units only, creation to exit
    window_start_s: float = 0.0  # clock time the measured window starts (warm-up end)
    losses_s: dict[str, float]
    fleet_energy_kwh: float
    kwh_per_unit: float
    charges: int
    mean_charger_wait_s: float
    robot_utilisation: float
    waiting_spot_share: float = float("nan")  # fleet time queued for a full work spot
    waiting_traffic_share: float = float("nan")  # fleet time held by aisle traffic


class KPIs(_K):
    """Everything a run reports: ``line``, per ``stations``, ``robots`` and ``chargers``."""

    line: LineKPIs
    stations: dict[str, StationKPIs]
    robots: dict[str, RobotKPIs]
    chargers: dict[str, ChargerKPIs]
    spots: dict[str, SpotKPIs] = {}
    traffic: TrafficKPIs | None = None


NAN = float("nan")
WORKING_STATES = ("carrying", "walking_empty", "picking", "placing")

# Every line KPI: unit and exact meaning (docs/kpi.md renders this table; a test keeps them equal).
LINE_KPI_TABLE: dict[str, tuple[str, str]] = {
    "horizon_s": ("s", "length of the measured window in clock time (nights and weekends "
                  "included)"),
    "warmup_s": ("s", "warm-up before the window, in working (on-shift) time"),
    "window_start_s": ("s", "clock time the window starts: where the warm-up's working time "
                       "ends (t = 0 is Monday 00:00)"),
    "shift_hours": ("h", "working (on-shift) time inside the window: the planned time"),
    "throughput_per_hour": ("units/h", "good units out / window hours (calendar)"),
    "throughput_per_shift_hour": ("units/h", "good units out / shift_hours; NaN (with a "
                                  "warning) when the window holds no working time"),
    "produced_units": ("units", "good units out + units scrapped anywhere"),
    "good_units": ("units", "units that reached a sink in the window"),
    "scrap_units": ("units", "units scrapped at a station in the window"),
    "rework_units": ("units", "reworks (a unit reworked twice counts twice)"),
    "consumed_units": ("units", "components built into another unit at an assembly station"),
    "departed_units": ("units", "every unit that left the line in the window: good + scrap + "
                       "consumed (the lambda of Little's law)"),
    "departures_per_hour": ("units/h", "departed_units / window hours"),
    "started_units": ("units", "units that entered the line in the window"),
    "wip_start": ("units", "units inside the line when the window starts"),
    "wip_end": ("units", "units inside the line when the window ends; wip_end = wip_start + "
                "started_units - departed_units"),
    "wip_mean": ("units", "time-average of units inside the line over the window (L)"),
    "mean_lead_time_s": ("s", "time units spent inside the line during the window, every unit "
                         "counted (departed, or still inside at the end: its age within the "
                         "window), / departed_units (W); so wip_mean = departures_per_hour / "
                         "3600 x mean_lead_time_s exactly"),
    "mean_finished_lead_time_s": ("s", "creation to exit of the good units that left in the "
                                  "window; biased low when units are parked at the window end"),
    "availability": ("share", "the bottleneck's APT / PBT (planned busy time: on-shift)"),
    "effectiveness": ("share", "the bottleneck's ideal cycle x produced / APT"),
    "quality_ratio": ("share", "good_units / produced_units"),
    "oee": ("share", "availability x effectiveness x quality_ratio"),
    "bottleneck": ("station", "the station with the highest share of time processing"),
    "constraint": ("resource", "what limits the line, of every kind of resource: the one with "
                   "the highest constraint_utilisation among the bottleneck station, each work "
                   "spot location, each charger group and the fleet ('fleet'); ties: that order, "
                   "then the later name"),
    "constraint_kind": ("kind", "station, spot, charger or fleet"),
    "constraint_utilisation": ("share", "the constraint's busy share of its planned time: a "
                               "station's APT / PBT (its availability), a spot location's "
                               "utilisation (robot-time on its spots / (spots x shift_hours)), "
                               "a charger group's utilisation (over the calendar window: robots "
                               "charge off shift too), the fleet's robot_utilisation"),
    "losses_s": ("s", "the bottleneck's time split into planned downtime, breakdowns, setup, "
                 "starved, blocked, speed, scrap and valuable time (adds up to the window)"),
    "fleet_energy_kwh": ("kWh", "energy the robots drew in the window"),
    "kwh_per_unit": ("kWh/unit", "fleet_energy_kwh / good_units"),
    "charges": ("count", "charges and battery swaps begun in the window"),
    "mean_charger_wait_s": ("s", "queueing time per charge, before docking"),
    "robot_utilisation": ("share", "robot-time walking, carrying, picking and placing / "
                          "(robots x shift_hours): utilisation over planned time (robots "
                          "with no trips and a datasheet battery, whose work the model leaves "
                          "out, work whenever they are idle away from the charger)"),
    "waiting_spot_share": ("share", "fleet time queued for a full work spot / (robots x "
                           "window)"),
    "waiting_traffic_share": ("share", "fleet time held by aisle traffic / (robots x window)"),
}


def ratio(a: float, b: float) -> float:
    """a / b, NaN when there is nothing to divide by."""
    return a / b if b > 0 else NAN


def per_hour(count: float, seconds: float) -> float:
    """A count over a time in seconds as a rate per hour."""
    return ratio(count, seconds / 3600.0)


def availability(apt_s: float, pbt_s: float) -> float:
    """ISO 22400 availability: actual production time over planned busy time."""
    return ratio(apt_s, pbt_s)


def effectiveness(ideal_s: float, apt_s: float) -> float:
    """ISO 22400 effectiveness: planned runtime per item x produced, over APT."""
    return ratio(ideal_s, apt_s)


def ideal_time_s(stated_s: float, apt_s: float, produced: float, stated: bool) -> float:
    """PRI x PQ. With a stated ideal cycle, its sum over the units produced (``stated_s``);
    without one, the measured processing time (APT): the mean of the process distribution is
    not an ideal time (a window of samples faster than their mean would give an
    effectiveness, and an OEE, above 1), so a station with no stated ideal shows no speed
    loss and an effectiveness of exactly 1."""
    if stated or produced == 0:
        return stated_s
    return apt_s


def quality_ratio(good: float, produced: float) -> float:
    """ISO 22400 quality ratio: good quantity over produced quantity."""
    return ratio(good, produced)


def oee(a: float, e: float, q: float) -> float:
    """OEE = availability x effectiveness x quality ratio (NaN if any is undefined)."""
    value = a * e * q
    return value if math.isfinite(value) else NAN


def bottleneck(processing: Mapping[str, float]) -> str:
    """The bottleneck: the station with the highest share of time processing (ties: the
    later name, as the line KPIs have always chosen)."""
    return max(processing, key=lambda s: (processing[s], s))


# the kinds of resource a constraint can be, in the order ties go, with their names in words
CONSTRAINT_KINDS = {"station": "station", "spot": "work spot", "charger": "charger group",
                    "fleet": "fleet"}
FLEET = "fleet"  # the constraint's name when the robots themselves limit the line


def constraint(busy: Mapping[tuple[str, str], float]) -> tuple[str, str, float]:
    """What limits the line: of ``(kind, name) -> utilisation`` (each over its own planned
    time), the highest; undefined (NaN) ones left out. Ties: the earlier kind in
    ``CONSTRAINT_KINDS``, then the later name (as ``bottleneck``). With none defined, the
    first station given, at NaN. Returns (name, kind, utilisation)."""
    defined = {key: u for key, u in busy.items() if math.isfinite(u)}
    if not defined:
        kind, name = next(key for key in busy if key[0] == "station")
        return name, kind, NAN
    rank = {k: len(CONSTRAINT_KINDS) - i for i, k in enumerate(CONSTRAINT_KINDS)}
    kind, name = max(defined, key=lambda key: (defined[key], rank[key[0]], key[1]))
    return name, kind, defined[(kind, name)]


def lead_time_s(stay_s: float, departed: float) -> float:
    """Little's-law lead time: unit-seconds inside the line over the window / departures."""
    return ratio(stay_s, departed)


def utilisation(busy_s: float, robots: int, planned_s: float) -> float:
    """Busy robot-time over the robots' planned (on-shift) time."""
    return ratio(busy_s, robots * planned_s)


def robot_busy_share(shares: Mapping[str, float], works_when_idle: bool = False) -> float:
    """A robot's share of time at work: walking, carrying, picking, placing; for a robot whose
    work is left out of the model (no trips to make, a datasheet battery: it works whenever
    it is away from the charger, see lines/teaching/charger_queue.yaml) its idle time too."""
    busy = sum(shares[s] for s in WORKING_STATES)
    return busy + shares["idle"] if works_when_idle else busy


def littles_law_gap(line: LineKPIs) -> float:
    """Relative gap |L - lambda W| / L of Little's law on a run's KPIs (0 when exact)."""
    lam_w = line.departures_per_hour / 3600.0 * line.mean_lead_time_s
    if line.wip_mean == 0 and line.departed_units == 0:
        return 0.0
    return abs(line.wip_mean - lam_w) / line.wip_mean if line.wip_mean > 0 else math.inf


def warnings(kpis: KPIs) -> list[str]:
    """One-line warnings a reader of these KPIs must see."""
    line = kpis.line
    out = []
    if line.shift_hours <= 0:
        h = line.window_start_s / 3600.0
        out.append(f"the measured window ({h:g} h to {h + line.horizon_s / 3600:g} h from "
                   "Monday 00:00) holds no working time: per-shift-hour KPIs are undefined; "
                   "lengthen --hours or move the warm-up")
    return out


def kpi_table_markdown() -> str:
    """The line KPI table as markdown (docs/kpi.md holds it)."""
    rows = ["| KPI | unit | meaning |", "|---|---|---|"]
    rows += [f"| `{k}` | {unit} | {text} |" for k, (unit, text) in LINE_KPI_TABLE.items()]
    return "\n".join(rows) + "\n"
