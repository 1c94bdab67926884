"""A work station: parallel servers sharing one inbox, with setups, breakdowns, scrap, rework.

Breakdowns count time to failure on processing time only (operation-dependent failures): a
failure interrupts the unit in process, which resumes after repair. Setup, processing and
repair advance on shift time: they pause off shift.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import simpy

from twin.config import Station as StationSpec
from twin.distributions import Constant
from twin.kpi import STATION_STATES
from twin.line.buffers import Inbox, KitStock, Outbox
from twin.line.clock import StateClock
from twin.line.engine import Step

if TYPE_CHECKING:
    from twin.line.factory import Factory

PROCESSING, SETUP, STARVED, BLOCKED, DOWN, OFF_SHIFT = STATION_STATES
_OVERRIDDEN = frozenset(STATION_STATES)


class Station:
    __slots__ = ("factory", "id", "spec", "location", "inbox", "outbox", "needs", "kits",
                 "_waiting_for_kits", "process", "pri", "setup", "quality", "ports", "servers",
                 "produced", "good", "scrapped", "reworked", "failures", "ideal_time",
                 "good_ideal_time", "ttf", "ttr")

    def __init__(self, factory: Factory, sid: str, spec: StationSpec) -> None:
        self.factory = factory
        self.id = sid
        self.spec = spec
        self.location = spec.location or sid
        env, rs = factory.env, factory.streams
        self.inbox = Inbox(env, f"{sid}.in", spec.input_buffer, factory.log)
        self.outbox = Outbox(env, f"{sid}.out", spec.output_buffer, factory.log)
        products = factory.product_names
        # assembly: one stock per component; servers wait for a complete set
        self.needs = {products.index(p): q for p, q in spec.assemble.items()}
        self.kits = {k: KitStock(env, f"{sid}.{products[k]}", spec.kit_buffer, factory.log,
                                 self._kit_arrived) for k in self.needs}
        self._waiting_for_kits: list[simpy.Event] = []
        dists = spec.process if isinstance(spec.process, dict) else dict.fromkeys(
            products, spec.process)
        rng = rs.stream(f"station:{sid}:process")
        shared = {}
        self.process: list[Any] = []
        self.pri: list[float] = []
        for name in products:
            dist = dists.get(name) or Constant(value=0.0)
            if id(dist) not in shared:
                shared[id(dist)] = dist.sampler(rng)
            self.process.append(shared[id(dist)])
            self.pri.append(spec.ideal_cycle if spec.ideal_cycle is not None else dist.mean)
        self.setup = spec.setup.sampler(rs.stream(f"station:{sid}:setup")) if spec.setup else None
        failures = spec.failures
        if failures is not None:
            frng = rs.stream(f"station:{sid}:failures")
            self.ttf: Any = failures.ttf.sampler(frng)
            self.ttr: Any = failures.ttr.sampler(frng)
        else:
            self.ttf = self.ttr = None
        self.quality = (rs.stream(f"station:{sid}:quality")
                        if spec.scrap > 0 or spec.rework > 0 else None)
        self.ports: dict[str, Inbox | None] = {}  # next node -> inbox (instant) or None (outbox)
        self.reset_counts()
        self.servers = [Server(self, k) for k in range(spec.servers)]

    def _kit_arrived(self) -> None:
        waiting, self._waiting_for_kits = self._waiting_for_kits, []
        for ev in waiting:
            ev.succeed()

    def kits_complete(self) -> bool:
        return all(len(self.kits[k].items) >= q for k, q in self.needs.items())

    def wait_for_kits(self) -> simpy.Event:
        ev = self.factory.env.event()
        self._waiting_for_kits.append(ev)
        return ev

    def take_kits(self) -> list[int]:
        return [self.kits[k].take() for k, q in self.needs.items() for _ in range(q)]

    def reset_counts(self) -> None:
        self.produced = 0
        self.good = 0
        self.scrapped = 0
        self.reworked = 0
        self.failures = 0
        self.ideal_time = 0.0  # sum of PRI over produced units
        self.good_ideal_time = 0.0

    def start(self) -> None:
        for server in self.servers:
            self.factory.env.process(server.run())


class Server:
    __slots__ = ("station", "clock", "last_product", "ttf_left")

    def __init__(self, station: Station, index: int) -> None:
        self.station = station
        f = station.factory
        self.clock = StateClock(STATION_STATES, STARVED, f.env.now, f.calendar, _OVERRIDDEN,
                                f.log, station.id, "station", float(index))
        self.last_product = -1
        self.ttf_left = station.ttf() if station.ttf is not None else 0.0

    def run(self) -> Generator[Step, Any, None]:
        st = self.station
        f = st.factory
        env, cal, clock, inbox = f.env, f.calendar, self.clock, st.inbox
        always = cal.always
        product_of, step_of, routes = f.part_product, f.part_step, f.routes
        spec = st.spec
        scrap_p, rework_p = spec.scrap, spec.scrap + spec.rework
        # fixed once the station is built: read once (the counters stay on the station)
        needs, setup, process, pri = st.needs, st.setup, st.process, st.pri
        ttf, quality, ports, out = st.ttf, st.quality, st.ports, st.outbox
        shift_from, shift_to = cal.on_stretch(env._now)  # processing inside it takes p
        while True:
            if inbox.items:
                part = inbox.take()
            else:
                clock.set(env._now, STARVED)
                part = yield inbox.get()
            prod = product_of[part]
            if needs:
                while not st.kits_complete():
                    clock.set(env._now, STARVED)  # a missing component starves assembly
                    yield st.wait_for_kits()
                for component in st.take_kits():
                    f.consume(component, st.id)
            if setup is not None and self.last_product not in (-1, prod):
                clock.set(env._now, SETUP)
                d = setup()
                now = env._now
                yield d if always else cal.advance(now, d) - now
            self.last_product = prod
            while True:
                p = process[prod]()
                if clock.state is not PROCESSING:
                    clock.set(env._now, PROCESSING)
                if ttf is not None:
                    while self.ttf_left < p:
                        run = self.ttf_left
                        now = env._now
                        yield run if always else cal.advance(now, run) - now
                        p -= run
                        clock.set(env._now, DOWN)
                        st.failures += 1
                        r = st.ttr()
                        now = env._now
                        yield r if always else cal.advance(now, r) - now
                        clock.set(env._now, PROCESSING)
                        self.ttf_left = ttf()
                    self.ttf_left -= p
                now = env._now
                if always or shift_from <= now and now + p < shift_to:  # inside one stretch
                    yield p
                else:  # it may run into a break or shift end: paused there
                    shift_from, shift_to = cal.on_stretch(now)
                    yield p if now + p < shift_to else cal.advance(now, p) - now
                st.produced += 1
                st.ideal_time += pri[prod]
                if quality is None:
                    break
                u = quality.random()
                if u < scrap_p:
                    st.scrapped += 1
                    f.scrap(part, st.id)
                    part = -1
                    break
                if u < rework_p:
                    st.reworked += 1
                    f.log_part(part, "rework", st.id)
                    continue
                break
            if part < 0:
                continue
            st.good += 1
            st.good_ideal_time += pri[prod]
            step_of[part] += 1
            nxt = routes[prod][step_of[part]]
            dest = ports[nxt]
            if dest is not None:
                while dest.free() <= 0:
                    clock.set(env._now, BLOCKED)
                    yield dest.wait_space()
                dest.put(part)
            else:
                while out.count >= out.capacity:  # out.full()
                    clock.set(env._now, BLOCKED)
                    yield out.wait_space()
                out.add(nxt, part)
