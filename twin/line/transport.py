"""Sources, the sink, and the legs that move units between them and the stations.

A leg joins two nodes of a product's route. ``instant`` hands units over at once (the next
inbox must have room: blocking after service); ``conveyor`` carries units one by one with a
travel time and a capacity; ``humanoid`` gathers a tote's worth of units, reserves room at the
destination and asks the fleet for a trip.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import simpy

from twin.config import Sink as SinkSpec
from twin.config import Source as SourceSpec
from twin.config import Transport
from twin.line.buffers import Inbox, Outbox, Wake
from twin.motion import MotionTask

if TYPE_CHECKING:
    from twin.line.factory import Factory
    from twin.line.spots import WorkSpot


class Sink(Inbox):
    """The end of the line: every unit put here is finished."""

    __slots__ = ("factory", "location")

    def __init__(self, factory: Factory, name: str, spec: SinkSpec) -> None:
        super().__init__(factory.env, name, None, factory.log)
        self.factory = factory
        self.location = spec.location

    def put(self, part: int) -> None:
        self.factory.finish(part, self.name)


class Source:
    """Where units enter: an outbox of arrivals, or a rack that never runs dry."""

    __slots__ = ("factory", "name", "spec", "location", "rack", "outbox", "rng", "mix",
                 "all_products", "ports")

    def __init__(self, factory: Factory, name: str, spec: SourceSpec) -> None:
        self.factory = factory
        self.name = name
        self.spec = spec
        self.location = spec.location
        self.rack = spec.kind == "rack"  # (read per trip: a plain bool)
        self.outbox = Outbox(factory.env, f"{name}.out", math.inf, factory.log)
        self.rng = factory.streams.stream(f"source:{name}:mix")
        # products from this source grouped by first node, with their mix shares
        self.mix: dict[str, tuple[list[int], list[float]]] = {}
        self.all_products: tuple[list[int], list[float]] = ([], [])
        for k, pname in enumerate(factory.product_names):
            product = factory.line.products[pname]
            if factory.routes[k][0] != name:
                continue
            first = factory.routes[k][1]
            idx, shares = self.mix.setdefault(first, ([], []))
            idx.append(k)
            shares.append(product.share)
            self.all_products[0].append(k)
            self.all_products[1].append(product.share)
        self.ports: dict[str, Inbox | None] = {}

    def pick_product(self, group: tuple[list[int], list[float]]) -> int:
        idx, shares = group
        if len(idx) == 1:
            return idx[0]
        u = self.rng.random() * sum(shares)
        for k, s in zip(idx, shares, strict=True):
            u -= s
            if u < 0:
                return k
        return idx[-1]

    # the outbox interface used by legs
    def available(self, dst: str) -> float:
        if self.rack:
            return math.inf
        return self.outbox.available(dst)

    def claim(self, dst: str, n: int) -> None:
        if not self.rack:
            self.outbox.claimed[dst] += n

    def release(self, dst: str, n: int) -> None:
        if not self.rack:
            self.outbox.claimed[dst] -= n

    def remove(self, dst: str, n: int) -> list[int]:
        if self.rack:
            return [self.factory.new_part(self.pick_product(self.mix[dst]), self.name)
                    for _ in range(n)]
        self.outbox.claimed[dst] -= n
        return self.outbox.remove(dst, n)

    def watch(self, dst: str, poke: Any) -> None:
        self.outbox.lane(dst)
        self.outbox.watchers[dst] = poke

    def start(self) -> None:
        f = self.factory
        for dst in self.mix:
            self.outbox.lane(dst)
        if self.spec.kind == "arrivals":
            f.env.process(self.arrivals())
        for dst, port in self.ports.items():
            if port is not None:
                f.env.process(self.feed(dst, port))

    def arrivals(self) -> Generator[simpy.Event, Any, None]:
        f = self.factory
        env, cal = f.env, f.calendar
        assert self.spec.interarrival is not None
        draw = self.spec.interarrival.sampler(f.streams.stream(f"source:{self.name}:arrivals"))
        paused = self.spec.follows_shifts and not cal.always
        product_of, routes = f.part_product, f.routes
        while True:
            d = draw()
            yield env.timeout(cal.advance(env.now, d) - env.now if paused else d)
            part = f.new_part(self.pick_product(self.all_products), self.name)
            dst = routes[product_of[part]][1]
            port = self.ports[dst]
            if port is not None and not self.outbox.lanes[dst] and port.free() > 0:
                port.put(part)
            else:
                self.outbox.add(dst, part)

    def feed(self, dst: str, inbox: Inbox) -> Generator[simpy.Event, Any, None]:
        """Instant leg from a rack or arrivals queue: keep the next inbox topped up."""
        f = self.factory
        rack = self.spec.kind == "rack"
        wake = Wake(f.env)
        inbox.watchers.append(wake)
        if not rack:
            self.outbox.watchers[dst] = wake
        while True:
            while inbox.free() <= 0 or (not rack and not self.outbox.lanes[dst]):
                yield wake.wait()
            if rack:
                inbox.put(f.new_part(self.pick_product(self.mix[dst]), self.name))
            else:
                inbox.put(self.outbox.remove(dst, 1)[0])


class StationPort:
    """The outbox side of a station, seen by a leg."""

    __slots__ = ("outbox", "location", "available")

    def __init__(self, outbox: Outbox, location: str) -> None:
        self.outbox = outbox
        self.location = location
        self.available: Callable[[str], float] = outbox.available  # units ready for dst

    def claim(self, dst: str, n: int) -> None:
        self.outbox.claimed[dst] += n

    def release(self, dst: str, n: int) -> None:
        self.outbox.claimed[dst] -= n

    def remove(self, dst: str, n: int) -> list[int]:
        self.outbox.claimed[dst] -= n
        return self.outbox.remove(dst, n)

    def watch(self, dst: str, poke: Any) -> None:
        self.outbox.lane(dst)
        self.outbox.watchers[dst] = poke


@dataclass(slots=True)
class Trip:
    """A humanoid transport order: ``units`` from ``leg.src`` to ``leg.dst``."""

    leg: HumanoidLeg
    units: int
    created: float


class HumanoidLeg:
    __slots__ = ("factory", "src", "dst", "spec", "port", "inbox", "src_loc", "dst_loc",
                 "failed_in_a_row", "disabled", "zone", "src_spot", "dst_spot", "_payloads",
                 "_acts", "_loads", "need", "full")

    def __init__(self, factory: Factory, src: str, dst: str, spec: Transport,
                 port: Source | StationPort, inbox: Inbox, src_loc: str, dst_loc: str) -> None:
        self.factory = factory
        self.src, self.dst, self.spec = src, dst, spec
        self.port, self.inbox = port, inbox
        self.src_loc, self.dst_loc = src_loc, dst_loc
        self.failed_in_a_row = 0
        self.disabled = False
        self.zone: str | None = None  # robots of this zone (or of none) serve the leg
        self.src_spot: WorkSpot  # the work spots at both ends (set by the factory)
        self.dst_spot: WorkSpot
        self._payloads: dict[int, float] = {}
        self._acts: dict[tuple[str, float], MotionTask] = {}
        self._loads: dict[int, tuple[float, MotionTask, MotionTask]] = {}
        self.need, self.full = spec.load, spec.tote_units
        port.watch(dst, self.poke)
        inbox.watchers.append(self.poke)
        factory.shift_watchers.append(self.poke)

    def payload(self, units: int) -> float:
        kg = self._payloads.get(units)
        if kg is None:
            kg = self._payloads[units] = self.spec.payload(units)
        return kg

    def act(self, kind: Literal["pick", "place"], payload: float) -> MotionTask:
        """The pick at the start or the place at the end of this leg (kept: tasks are read,
        never changed, by motion models)."""
        task = self._acts.get((kind, payload))
        if task is None:
            loc = self.src_loc if kind == "pick" else self.dst_loc
            task = self._acts[(kind, payload)] = MotionTask(kind, loc, loc, payload)
        return task

    def load(self, units: int) -> tuple[float, MotionTask, MotionTask]:
        """A tote of ``units``: its payload (kg), the pick and the place (kept per size)."""
        hit = self._loads.get(units)
        if hit is None:
            kg = self.payload(units)
            hit = self._loads[units] = (kg, self.act("pick", kg), self.act("place", kg))
        return hit

    def run(self) -> Generator[simpy.Event, Any, None]:
        """Order the trips the line needs at the start; then every change pokes the leg."""
        self.poke()
        yield from ()

    def poke(self) -> None:
        """Something changed at either end (units ready, room freed, a shift began): order a
        trip for each tote's worth of units that is ready and has room at the destination.

        Called directly by the buffers, with no SimPy event: the trips go out at once.
        """
        # inbox.free(), inline: most pokes find no room for a tote and stop here
        inbox, need = self.inbox, self.need
        room = inbox.capacity + len(inbox.getters) - len(inbox.items) - inbox.reserved
        if room < need or self.disabled:
            return
        port, dst = self.port, self.dst
        while True:
            ready = port.available(dst)
            if ready < need:
                return
            n = min(self.full, ready, room)
            if n < need:
                return
            f = self.factory
            now = f.env._now
            if not f.calendar.is_on(now):
                return
            units = int(n)
            port.claim(dst, units)
            inbox.reserved += units
            f.dispatcher.submit(Trip(self, units, now))
            room = inbox.capacity + len(inbox.getters) - len(inbox.items) - inbox.reserved
            if room < need:
                return

    def failed(self, trip: Trip) -> None:
        """A trip could not be done: give the units and the room back; stop after 3 in a row."""
        self.port.release(self.dst, trip.units)
        self.inbox.reserved -= trip.units
        self.failed_in_a_row += 1
        if self.failed_in_a_row >= 3:
            self.disabled = True
            self.factory.log.add(self.factory.env.now, f"{self.src}->{self.dst}", "leg",
                                 "failed")
        self.poke()
        self.inbox.freed()

    def succeeded(self) -> None:
        self.failed_in_a_row = 0


class ConveyorLeg:
    __slots__ = ("factory", "src", "dst", "port", "inbox", "capacity", "on_belt", "time", "wake")

    def __init__(self, factory: Factory, src: str, dst: str, spec: Transport,
                 port: Source | StationPort, inbox: Inbox) -> None:
        self.factory = factory
        self.src, self.dst = src, dst
        self.port, self.inbox = port, inbox
        self.capacity = spec.capacity or math.inf
        self.on_belt = 0
        assert spec.time is not None
        self.time = spec.time.sampler(factory.streams.stream(f"conveyor:{src}->{dst}"))
        self.wake = Wake(factory.env)
        port.watch(dst, self.wake)
        inbox.watchers.append(self.wake)

    def run(self) -> Generator[simpy.Event, Any, None]:
        env = self.factory.env
        while True:
            if self.port.available(self.dst) <= 0 or self.on_belt >= self.capacity:
                yield self.wake.wait()
                continue
            self.port.claim(self.dst, 1)
            part = self.port.remove(self.dst, 1)[0]
            self.on_belt += 1
            env.process(self.carry(part))

    def carry(self, part: int) -> Generator[simpy.Event, Any, None]:
        env = self.factory.env
        yield env.timeout(self.time())
        while self.inbox.free() <= 0:
            yield self.inbox.wait_space()
        self.inbox.put(part)
        self.on_belt -= 1
        self.wake()
