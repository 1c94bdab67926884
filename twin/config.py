"""The line description: pydantic models of everything a planner writes in ``lines/*.yaml``.

One source of truth per parameter: defaults, JSON Schema, docs and CLI help derive from here.
This module imports no SimPy, PyBullet or PyVista.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)

from twin.distributions import Constant, Distribution, mean_at_least
from twin.robot import RobotSpec
from twin.units import Kilograms, Metres, MetresPerSecond, Seconds, Watts


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, allow_inf_nan=False)


# Bounds on sizes: each robot, server, spare and spot is a SimPy process or resource slot, and
# a run's memory and events grow with them. The maxima are far above any real line.
MAX_SERVERS = 100
MAX_ROBOTS = 1000
MAX_BUFFER = 100_000
MAX_FLOOR = 5000.0
MAX_WARMUP_S = 1000 * 3600.0
MAX_TRAFFIC_WORK = 1_000_000
"""Traffic cells times the width-measuring passes over them (twin.floor.lanes): about 3 s and
200 MB of set-up at the limit; a 300 x 300 m hall in 1 m cells is well inside."""


def traffic_work(layout: Layout) -> int:
    """Set-up work of a layout's traffic cells: cells x passes of the raster width measure."""
    cell = layout.traffic.cell
    cells = math.ceil(layout.floor.width / cell) * math.ceil(layout.floor.depth / cell)
    res = cell / 4  # raster pixels per cell side in twin.floor.lanes
    cap = 4 * max(2 * layout.clearance, res) + res  # four robots abreast count as open floor
    return cells * max(int(cap / 2 / res), 1)

Cycle = Annotated[Distribution, mean_at_least(
    1.0, "a processing time", "a humanoid's pick and place alone take seconds; model faster "
    "work as batches, or time never advances")]
Interarrival = Annotated[Distribution, mean_at_least(
    1.0, "an interarrival time", "model faster arrivals as batches, or time never advances")]
TimeToFailure = Annotated[Distribution, mean_at_least(
    60.0, "a time to failure", "failing more than once a minute is a speed loss, not a "
    "breakdown")]
SwapTime = Annotated[Distribution, mean_at_least(
    1.0, "a swap time", "an exchange takes seconds at least")]
BatteryTime = Annotated[Distribution, mean_at_least(
    60.0, "a battery runtime or charge time", "a robot must finish a trip between charges")]


def _point(value: object) -> object:
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return {"x": value[0], "y": value[1]}
    return value


LocationKind = Literal["rack", "station", "charger", "conveyor", "buffer", "dock", "point"]


HOLD_BACK = 1.5  # m behind a work spot the first robot queueing for it waits ...
HOLD_SIDE = 0.95  # ... and this far to its right, so the robot leaving passes it
SPOT_CLEAR = 0.95  # m: a work spot stays taken while a robot stands this close to it; the one
# handed the spot walks in once the one before has stepped this far off
NARROW_SPEED = 0.6  # m/s at most through a stretch one robot wide, by default (a hand's width
# from the walls on either side of the 1 m passage it was measured in: the arms' swing and the
# body's sway need the slower pace; ``layout.traffic.narrow_speed``) ...
NARROW_AHEAD = 1.5  # ... from this far before it


class Location(_Model):
    """A named point on the floor where a robot stands to pick, place or dock."""

    x: Metres
    y: Metres
    kind: LocationKind = "point"
    heading: float = Field(
        0.0, ge=-360, le=360, description="direction the robot faces there (deg, -360..360)"
    )
    spots: int = Field(
        1, ge=1, le=64, description="robots that can work here at once; others queue nearby "
        "(a charger's spots are its count)"
    )
    holding: tuple[Metres, Metres] | None = Field(
        None, description="where the queue for a full spot starts, and where a robot handed "
        "the spot walks in from; default: 1.5 m behind the spot and 0.95 m to its right"
    )

    def holding_point(self) -> tuple[float, float]:
        """Where the first robot queueing for a full spot here stands: ``holding``, else
        ``HOLD_BACK`` behind the spot and ``HOLD_SIDE`` to its right (the robot leaving passes
        it on its left)."""
        if self.holding is not None:
            return self.holding
        heading = math.radians(self.heading)
        c, s = math.cos(heading), math.sin(heading)
        return (self.x - c * HOLD_BACK + s * HOLD_SIDE, self.y - s * HOLD_BACK - c * HOLD_SIDE)


class Obstacle(_Model):
    """Floor robots cannot walk through: a wall, a machine body, a rack.

    Written either as an axis-aligned box (``x0, y0, x1, y1``) or as a polygon
    (``points: [[x, y], ...]``), not both.
    """

    name: str = ""
    x0: Metres | None = Field(None, description="box form: lower x")
    y0: Metres | None = Field(None, description="box form: lower y")
    x1: Metres | None = Field(None, description="box form: upper x")
    y1: Metres | None = Field(None, description="box form: upper y")
    points: list[tuple[Metres, Metres]] | None = Field(
        None, description="polygon form: corners [[x, y], ...] in order (at least 3)"
    )
    height: Metres = Field(2.5, gt=0, le=100, description="for the 3D scene only (m, <= 100)")
    kind: Literal["wall", "machine", "rack", "conveyor", "other"] = "wall"

    @model_validator(mode="after")
    def _one_form(self) -> Obstacle:
        box = (self.x0, self.y0, self.x1, self.y1)
        if self.points is not None:
            if any(v is not None for v in box):
                raise ValueError("an obstacle is either a box (x0, y0, x1, y1) or a polygon "
                                 "(points), not both")
            self._check_polygon()
            return self
        if any(v is None for v in box):
            raise ValueError("an obstacle needs a box (x0, y0, x1, y1: all four) or a polygon "
                             "(points: [[x, y], ...])")
        if self.x1 <= self.x0 or self.y1 <= self.y0:  # type: ignore[operator]
            raise ValueError("obstacle needs x0 < x1 and y0 < y1")
        return self

    def _check_polygon(self) -> None:
        """At least 3 distinct corners, some area, and no edge crossing another."""
        import shapely  # lazily: loading a line needs no geometry unless it has polygons

        pts = self.points or []
        if len(pts) > 1 and pts[0] == pts[-1]:
            pts = pts[:-1]
        if len(pts) < 3 or len(set(pts)) != len(pts):
            raise ValueError(f"an obstacle polygon needs at least 3 distinct corners, got "
                             f"{[list(p) for p in self.points or []]}")
        (ax, ay), (bx, by) = pts[0], pts[1]
        if all(abs((bx - ax) * (y - ay) - (by - ay) * (x - ax)) < 1e-12 for x, y in pts):
            raise ValueError("an obstacle polygon has no area: its corners lie on one line")
        poly = shapely.Polygon(pts)
        if not poly.is_valid:
            reason = shapely.is_valid_reason(poly).lower().replace("[", " at [")
            raise ValueError(f"an obstacle polygon must be simple, its edges not crossing "
                             f"each other ({reason})")

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """Its bounding box (x0, y0, x1, y1): the box itself for the box form."""
        if self.points is not None:
            xs = [p[0] for p in self.points]
            ys = [p[1] for p in self.points]
            return min(xs), min(ys), max(xs), max(ys)
        return self.x0, self.y0, self.x1, self.y1  # type: ignore[return-value]


class Aisle(_Model):
    """A marked aisle: its width sets how many robots pass abreast; it may be one-way."""

    name: str = ""
    start: tuple[Metres, Metres] = Field(alias="from", description="centreline start [x, y]")
    end: tuple[Metres, Metres] = Field(alias="to", description="centreline end [x, y]")
    width: Metres = Field(gt=0, description="marked width: robots abreast = width / robot width")
    one_way: bool = Field(False, description="robots walk it only from 'from' to 'to'")

    @model_validator(mode="after")
    def _length(self) -> Aisle:
        if self.start == self.end:
            raise ValueError("an aisle needs 'from' and 'to' at different points")
        return self


class PassingBay(_Model):
    """A widening in a narrow aisle where robots can stand aside to let others pass."""

    x: Metres
    y: Metres
    spots: int = Field(1, ge=1, le=8, description="robots that can stand aside here")


class Traffic(_Model):
    """Robots share the floor: they reserve the stretch ahead and wait when it is taken."""

    enabled: bool = Field(True, description="false: robots walk through each other (ghosts)")
    cell: Metres = Field(
        1.0, ge=0.25, le=5.0, description="length of the stretches robots reserve ahead"
    )
    gap: Metres = Field(
        0.5, ge=0, le=5.0, description="free distance a robot keeps to the one ahead"
    )
    narrow_speed: MetresPerSecond = Field(
        NARROW_SPEED, gt=0, le=5.0, description="the most robots walk through a stretch one "
        "robot wide and 1.5 m before it (measured for a 1 m passage; at or above a robot's pace "
        "it changes nothing)"
    )


class Floor(_Model):
    width: Metres = Field(
        gt=0, le=MAX_FLOOR, description="extent along x (at most 5 km: the walkway graph and "
        "traffic cells grow with the floor)"
    )
    depth: Metres = Field(gt=0, le=MAX_FLOOR, description="extent along y (at most 5 km)")


class Layout(_Model):
    """The floor plan: robots walk shortest paths between locations around obstacles."""

    floor: Floor
    clearance: Metres = Field(
        0.35, ge=0, le=2, description="distance a robot's centre keeps from obstacles (half "
        "width; at most 2 m)"
    )
    obstacles: list[Obstacle] = []
    locations: dict[str, Annotated[Location, BeforeValidator(_point)]]
    aisles: list[Aisle] = Field([], description="marked aisles: widths and one-way rules")
    passing_bays: list[PassingBay] = Field([], description="places to stand aside in aisles")
    traffic: Traffic = Traffic()


class Failures(_Model):
    """Breakdowns: time to failure counted on operating time, time to repair."""

    ttf: TimeToFailure = Field(
        description="operating time between failures (MTBF); averages at least 60 s"
    )
    ttr: Distribution = Field(description="time to repair (MTTR)")


def _process_kind(value: object) -> str:
    """One distribution (a scalar or a mapping with 'dist'), or a map product -> distribution."""
    if isinstance(value, dict) and "dist" not in value and "value" not in value:
        return "per_product"
    return "one"


ProcessTime = Annotated[
    Annotated[Cycle, Tag("one")] | Annotated[dict[str, Cycle], Tag("per_product")],
    Discriminator(_process_kind),
]


class Station(_Model):
    """A work station: servers in parallel, per-product times, setups, failures, scrap."""

    location: str | None = Field(None, description="where robots serve it; default: its id")
    servers: int = Field(
        1, ge=1, le=MAX_SERVERS, description="units worked at once (at most 100: each is a "
        "SimPy process; more is several stations)"
    )
    process: ProcessTime = Field(
        description="processing time, or a map product -> processing time; each averages at "
        "least 1 s (time must advance)"
    )
    ideal_cycle: Seconds | None = Field(
        None, gt=0, description="planned runtime per item (ISO 22400 PRI), at most the mean "
        "processing time; default: none, no speed loss (effectiveness 1)"
    )
    setup: Distribution | None = Field(None, description="changeover when the product changes")
    failures: Failures | None = None
    scrap: float = Field(0.0, ge=0, le=1, description="probability a processed unit is scrap")
    rework: float = Field(0.0, ge=0, le=1, description="probability it is processed again")
    input_buffer: int | None = Field(
        None, ge=0, le=MAX_BUFFER, description="waiting room before the station; null = "
        "unlimited (at most 100,000: larger is unlimited in practice, write null)"
    )
    output_buffer: int = Field(
        0, ge=0, le=MAX_BUFFER, description="finished units waiting for transport (0: hand "
        "over directly; at most 100,000)"
    )
    assemble: dict[str, Annotated[int, Field(le=1000)]] = Field(
        {}, description="components each unit made here consumes: product -> quantity; a "
        "component's routing ends here and a unit waits (starved) until every one is in stock "
        "(at most 1000 each)"
    )
    kit_buffer: int | None = Field(
        None, ge=1, le=MAX_BUFFER, description="room for each component waiting here; null = "
        "unlimited (at most 100,000)"
    )

    @model_validator(mode="after")
    def _quality(self) -> Station:
        if self.scrap + self.rework > 1:
            raise ValueError("scrap + rework probabilities must not exceed 1")
        if any(q < 1 for q in self.assemble.values()):
            raise ValueError("assemble quantities must be at least 1")
        return self


class Source(_Model):
    """Where units enter: a rack always stocked with material, or an arrival process."""

    location: str
    kind: Literal["rack", "arrivals"] = "rack"
    interarrival: Interarrival | None = Field(
        None, description="time between arrivals (kind: arrivals only); averages at least 1 s "
        "(time must advance)"
    )
    follows_shifts: bool = Field(False, description="arrivals pause off shift (kind: arrivals "
                                 "only)")

    @model_validator(mode="after")
    def _arrivals(self) -> Source:
        if self.kind == "arrivals" and self.interarrival is None:
            raise ValueError("an arrivals source needs 'interarrival'")
        if self.kind == "rack":  # always stocked: nothing arrives, so these would do nothing
            used = [f for f, v in (("interarrival", self.interarrival is not None),
                                   ("follows_shifts", self.follows_shifts)) if v]
            if used:
                raise ValueError(f"a rack source is always stocked and does not use "
                                 f"{' or '.join(repr(f) for f in used)}: set kind: arrivals "
                                 f"to have parts arrive, or remove it")
        return self


class Sink(_Model):
    """Where finished units leave the line (an outbound conveyor, a dock)."""

    location: str


class Product(_Model):
    share: float = Field(
        1.0, gt=0, le=1e6, description="share of the mix from its source (relative weight)"
    )
    routing: list[str] = Field(min_length=1, description="stations in order")
    source: str | None = Field(None, description="default: the only source")
    sink: str | None = Field(None, description="default: the only sink")


class Transport(_Model):
    """How units move between two points."""

    kind: Literal["instant", "conveyor", "humanoid"] = "humanoid"
    time: Distribution | None = Field(None, description="conveyor travel time")
    capacity: int | None = Field(
        None, ge=1, le=MAX_BUFFER, description="conveyor: units on it at once (at most 100,000)"
    )
    tote_units: int = Field(
        4, ge=1, le=1000, description="humanoid: units per tote (at most 1000: a tote is carried "
        "in two arms)"
    )
    tote_mass: Kilograms = Field(2.0, ge=0, le=1000, description="humanoid: empty tote mass")
    unit_mass: Kilograms = Field(2.0, ge=0, le=1000, description="humanoid: mass of one unit")
    min_load: int | None = Field(
        None, ge=1, le=1000, description="humanoid: units needed before a trip; default "
        "tote_units"
    )

    @model_validator(mode="after")
    def _conveyor(self) -> Transport:
        if self.kind == "conveyor" and self.time is None:
            raise ValueError("a conveyor needs 'time'")
        if self.min_load is not None and self.min_load > self.tote_units:
            raise ValueError("min_load must not exceed tote_units")
        return self

    @property
    def load(self) -> int:
        return self.min_load or self.tote_units

    def payload(self, units: int) -> float:
        return self.tote_mass + self.unit_mass * units


class Leg(Transport):
    src: str = Field(alias="from", description="source, station or sink id")
    dst: str = Field(alias="to")


class TransportPlan(_Model):
    """The default transport, and legs that differ from it."""

    default: Transport = Field(Transport(), description="for every leg not listed in legs")
    legs: list[Leg] = Field([], description="per pair of nodes: from, to and the transport")


class DatasheetBattery(_Model):
    """For a planner who only has the vendor's figures."""

    model: Literal["datasheet"]
    runtime: BatteryTime = Field(
        description="working time on a full battery; averages at least 60 s"
    )
    charge_time: BatteryTime = Field(
        description="plug charge from empty to full; averages at least 60 s"
    )


class EnergyBattery(_Model):
    """Drained by the robot model's power draws in each state."""

    model: Literal["energy"] = "energy"


class ChargePolicy(_Model):
    go_charge_below: float = Field(0.25, gt=0, lt=1, description="state of charge threshold")
    charge_to: float = Field(0.95, gt=0, le=1, description="target state of charge (plug)")
    in_breaks: bool = Field(True, description="charge opportunistically off shift")
    initial_soc: float = Field(0.9, gt=0, le=1)

    @model_validator(mode="after")
    def _band(self) -> ChargePolicy:
        if self.charge_to <= self.go_charge_below:
            raise ValueError("charge_to must be above go_charge_below")
        return self


class Zone(_Model):
    """A group of robots that serves only the legs starting (or else ending) at its nodes."""

    nodes: list[str] = Field(min_length=1, description="station, source or sink ids")
    robots: int = Field(
        ge=1, le=MAX_ROBOTS, description="robots of the fleet kept in this zone"
    )


class Fleet(_Model):
    robot: str | RobotSpec = Field("walker_s2", description="name under assets/robots/ or spec")
    count: int = Field(
        ge=0, le=MAX_ROBOTS, description="humanoids in the fleet (at most 1000: each is a SimPy "
        "process with its own walk and battery state)"
    )
    home: str | None = Field(None, description="where idle robots start; default first charger")
    dispatch: Literal["nearest_idle", "longest_waiting"] = "nearest_idle"
    zones: dict[str, Zone] = Field(
        {}, description="zone -> nodes and robots; robots not in a zone serve every leg"
    )
    spot_policy: Literal["fifo", "carrying_first"] = Field(
        "fifo", description="who enters a full work spot first: arrival order, or loaded robots"
    )
    battery: EnergyBattery | DatasheetBattery = Field(EnergyBattery(), discriminator="model")
    charging: ChargePolicy = ChargePolicy()
    failures: Failures | None = Field(None, description="robot breakdowns on operating time")
    depleted_recovery: Seconds = Field(
        1800.0, ge=1, description="down time when a battery runs flat on the floor (at least "
        "1 s: the recovery must take time)"
    )


class Charger(_Model):
    """A group of charging points or battery-swap stations at one location."""

    location: str
    count: int = Field(
        1, ge=0, le=MAX_SERVERS, description="charge points or swap stations here (at most 100)"
    )
    mode: Literal["plug", "swap"] = "plug"
    power: Watts = Field(
        1500.0, gt=0, le=1e6, description="plug power, or spare recharge power (at most 1 MW)"
    )
    taper_above: float = Field(
        1.0, gt=0, le=1, description="plug: above this SOC power falls linearly to 10%"
    )
    swap_time: SwapTime = Field(
        Constant(value=180.0), description="swap: battery exchange (about 3 min; averages at "
        "least 1 s)"
    )
    spares: int = Field(
        2, ge=0, le=1000, description="swap: spare batteries per swap station (at most 1000)"
    )


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class Window(_Model):
    start: str = Field(description='"HH:MM"')
    end: str = Field(description='"HH:MM"; before start means past midnight')

    @model_validator(mode="after")
    def _clock(self) -> Window:
        for value in (self.start, self.end):
            parse_clock(value)
        return self


class Shifts(_Model):
    """A weekly calendar: daily shifts, breaks inside them, days off. t=0 is Monday 00:00."""

    shifts: list[Window] = Field(min_length=1)
    breaks: list[Window] = []
    days_off: list[Weekday] = []

    @model_validator(mode="after")
    def _works(self) -> Shifts:
        if working_minutes(self) == 0:
            raise ValueError("the calendar has no working time: its breaks and days off cover "
                             "every shift; shorten the breaks or work on some day")
        return self


_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def working_minutes(spec: Shifts) -> int:
    """On-shift minutes a week (the calendar's own minute resolution)."""
    import numpy as np

    on = np.zeros(7 * 24 * 60, dtype=bool)

    def mark(day: int, w: Window, value: bool) -> None:
        s, e = int(parse_clock(w.start) // 60), int(parse_clock(w.end) // 60)
        e += 24 * 60 if e <= s else 0
        on[np.arange(day * 1440 + s, day * 1440 + e) % on.size] = value

    for day in range(7):
        if _DAYS[day] not in spec.days_off:
            for w in spec.shifts:
                mark(day, w, True)
    for day in range(7):
        for w in spec.breaks:
            mark(day, w, False)
    return int(on.sum())


class Line(_Model):
    """A humanoid-served production line."""

    name: str = Field(description="short id, used in reports and run directories")
    description: str = Field("", description="one line on what the line is")
    layout: Layout = Field(description="floor, obstacles and named locations")
    products: dict[str, Product] = Field(min_length=1, description="product -> mix and routing")
    sources: dict[str, Source] = Field(min_length=1, description="where units enter")
    sinks: dict[str, Sink] = Field(min_length=1, description="where finished units leave")
    stations: dict[str, Station] = Field(min_length=1, description="station id -> station")
    transport: TransportPlan = Field(TransportPlan(), description="how units move between nodes")
    fleet: Fleet | None = Field(None, description="the humanoid robots, if any leg uses them")
    chargers: dict[str, Charger] = Field({}, description="charger group id -> charger group")
    shifts: Literal["24/7"] | Shifts = Field("24/7", description="working calendar")
    warmup: Seconds = Field(
        0.0, ge=0, le=MAX_WARMUP_S, description="default warm-up before statistics, in working "
        "(on-shift) time (at most "
        "1000 h: a line not settled by then will not settle)"
    )
    facts: dict[str, str] = Field(
        default_factory=dict, description="field -> id of the fact in seeds/ it comes from"
    )

    @field_validator("fleet")
    @classmethod
    def _traffic_size(cls, fleet: Fleet | None, info: ValidationInfo) -> Fleet | None:
        layout = info.data.get("layout")
        if fleet is None or fleet.count < 2 or layout is None or not layout.traffic.enabled:
            return fleet
        work = traffic_work(layout)
        if work > MAX_TRAFFIC_WORK:
            raise ValueError(
                f"{fleet.count} robots share a {layout.floor.width:g} x {layout.floor.depth:g} m "
                f"floor in {layout.traffic.cell:g} m traffic cells: {work:,} units of set-up "
                f"work, at most {MAX_TRAFFIC_WORK:,} (time and memory grow with it); use "
                "larger layout.traffic.cell, a smaller floor or layout.traffic.enabled: false")
        return fleet


def parse_clock(value: str) -> float:
    """Seconds after midnight from "HH:MM"."""
    try:
        hours, minutes = value.split(":")
        h, m = int(hours), int(minutes)
    except ValueError as exc:
        raise ValueError(f"time of day {value!r} must be written HH:MM") from exc
    if not (0 <= h <= 24 and 0 <= m < 60) or (h == 24 and m):
        raise ValueError(f"time of day {value!r} is out of range")
    return h * 3600.0 + m * 60.0


__all__ = [
    "Aisle", "Charger", "ChargePolicy", "DatasheetBattery", "EnergyBattery", "Failures", "Fleet",
    "Floor", "Layout", "Leg", "Line", "Location", "Obstacle", "PassingBay", "Product",
    "RobotSpec", "Shifts", "Sink", "Source", "Station", "Traffic", "Transport", "TransportPlan",
    "Window", "Zone",
]
