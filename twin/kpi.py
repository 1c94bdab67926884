"""KPIs with ISO 22400-2 names and formulas, computed from the model's state-time accumulators.

Per station (work unit): PBT (planned busy time) = on-shift time x servers; APT (actual
production time) = processing time; PRI (planned runtime per item) = ideal cycle time;
PQ produced, GQ good, SQ scrap, RQ rework.
availability = APT / PBT, effectiveness = PRI x PQ / APT, quality_ratio = GQ / PQ,
oee = availability x effectiveness x quality_ratio.

For the line, availability and effectiveness are those of the bottleneck (the station with the
highest share of processing time) and the quality ratio is good units out over units produced
(good out + scrapped anywhere). Losses split the horizon so they add up to it exactly:
planned_downtime + breakdowns + setup + starved + blocked + speed + scrap + valuable.
"""

from __future__ import annotations

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
    utilisation: float  # robot-time working on the spots / (spots x horizon)
    mean_queue: float  # robots waiting for a spot, time-averaged
    max_queue: int
    mean_wait_s: float  # per visit, waiting included only for those that waited


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
    deadlocks: int  # cyclic waits found and resolved (0 by construction: see docs/traffic.md)
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
    mean_lead_time_s: float
    wip_mean: float
    wip_end: int
    started_units: int
    consumed_units: int
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
