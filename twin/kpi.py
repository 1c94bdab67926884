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
    "docking", "charging", "idle", "down", "off_shift",
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


class KPIs(_K):
    """Everything a run reports: ``line``, per ``stations``, ``robots`` and ``chargers``."""

    line: LineKPIs
    stations: dict[str, StationKPIs]
    robots: dict[str, RobotKPIs]
    chargers: dict[str, ChargerKPIs]
