"""The humanoid fleet: robots that walk, pick, carry, place and go to charge; the dispatcher.

A robot's battery drains by its power draws: motion energy comes from the motion model (the
surrogate or physics); standing still costs the standing and constant draws. After every trip
it checks its state of charge and goes to the nearest charger group below the threshold.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import simpy

from twin.config import DatasheetBattery
from twin.kpi import ROBOT_STATES
from twin.line.clock import StateClock
from twin.line.transport import Trip
from twin.motion import MotionModel, MotionTask, Outcome
from twin.robot import RobotSpec

if TYPE_CHECKING:
    from twin.line.factory import Factory

(CARRYING, WALKING_EMPTY, PICKING, PLACING, TO_CHARGER, WAITING_CHARGER, DOCKING, CHARGING,
 IDLE, DOWN, OFF_SHIFT, WAITING_SPOT, WAITING_TRAFFIC) = ROBOT_STATES
_STANDING = frozenset({IDLE, WAITING_CHARGER, DOWN, WAITING_SPOT, WAITING_TRAFFIC})
_OVERRIDDEN = frozenset({IDLE})
_BREAK = object()  # wake-up sentinel: a break started
T = TypeVar("T")


class Robot:
    def __init__(self, factory: Factory, rid: str, spec: RobotSpec, motion: MotionModel,
                 home: str, soc: float, zone: str | None = None) -> None:
        self.factory = factory
        self.id = rid
        self.zone = zone  # None: serves every leg
        self.spec = spec
        self.motion = motion
        self.rng: np.random.Generator = factory.streams.stream(f"robot:{rid}:motion")
        self.location = home
        self.heading = factory.line.layout.locations[home].heading  # deg, where it faces
        self.capacity = spec.battery
        self.energy = soc * spec.battery  # J in the battery
        self.idle_power = spec.power.standing + spec.power.constant
        battery = factory.fleet_spec.battery
        self.datasheet = battery if isinstance(battery, DatasheetBattery) else None
        if self.datasheet is not None:
            brng = factory.streams.stream(f"robot:{rid}:battery")
            self.runtime = self.datasheet.runtime.sampler(brng)
            self.charge_time = self.datasheet.charge_time.sampler(brng)
            self.drain_w = spec.battery / max(self.runtime(), 1.0)
        self.clock = StateClock(ROBOT_STATES, IDLE, factory.env.now, factory.calendar,
                                _OVERRIDDEN, factory.log, rid, "robot", soc, home)
        failures = factory.fleet_spec.failures
        if failures is not None:
            frng = factory.streams.stream(f"robot:{rid}:failures")
            self.ttf = failures.ttf.sampler(frng)
            self.ttr = failures.ttr.sampler(frng)
            self.ttf_left = self.ttf()
        self.wakeup: simpy.Event | None = None
        self.idle_since = factory.env.now  # when it last joined the dispatcher's idle list
        self.reset_counts()

    def reset_counts(self) -> None:
        self.used_j = 0.0
        self.charges = 0
        self.tasks = 0
        self.distance = 0.0
        self.falls = 0
        self.failed_tasks = 0
        self.depleted = 0
        self.failures = 0

    @property
    def soc(self) -> float:
        return self.energy / self.capacity

    # ------------------------------------------------------------------ energy and state
    def draw(self, joules: float) -> None:
        self.energy -= joules
        self.used_j += joules

    def set(self, state: str, logged: bool = True, where: str | None = None) -> None:
        """Enter ``state`` at ``where`` (default: the robot's location), paying the standing
        draw of the state being left."""
        now = self.factory.env.now
        clock = self.clock
        if clock.state in _STANDING:
            dt = now - clock.since
            if self.datasheet is not None:
                # a datasheet runtime is time away from the charger: queueing there is rest
                if clock.state != WAITING_CHARGER:
                    self.draw(dt * self.drain_w)
            elif clock.state == IDLE and not clock.cal.always:
                on = clock.cal.on_time(clock.since, now)
                self.draw(on * self.idle_power + (dt - on) * self.spec.power.standby)
            else:
                self.draw(dt * self.idle_power)
        clock.set(now, state, self.soc, logged, where or self.location)

    def do(self, state: str, task: MotionTask) -> Generator[simpy.Event, Any, Outcome]:
        self.set(state, where=task.target)
        outcome = yield from self.motion.execute(self.factory.env, self, task)
        yield from self.settle(task, outcome)
        return outcome

    def settle(self, task: MotionTask, outcome: Outcome) -> Generator[simpy.Event, Any, None]:
        """Pay for a primitive that ended, move the robot, and suffer what it brought."""
        if self.datasheet is not None:
            self.draw(self.drain_w * outcome.duration)
        else:
            self.draw(outcome.energy_j)
        if task.kind == "walk":
            self.distance += task.distance
            self.location = task.target
            self.heading = task.heading_deg
        if outcome.fell:
            self.falls += 1
            self.set(DOWN)
            yield self.factory.env.timeout(self.spec.fall_recovery_time)
        if self.factory.fleet_spec.failures is not None:
            self.ttf_left -= outcome.duration
            if self.ttf_left <= 0:
                # breakdowns count operating time and strike between primitives
                self.failures += 1
                self.set(DOWN)
                yield self.factory.env.timeout(self.ttr())
                self.ttf_left = self.ttf()

    def walk(self, state: str, target: str, payload: float,
             units: int = -1) -> Generator[simpy.Event, Any, None]:
        f = self.factory
        ways = f.walkways
        if target == self.location:
            return
        origin = self.location
        path = ways.path(origin, target)
        pid = ways.path_id(origin, target)
        task = MotionTask("walk", origin, target, payload, distance=ways.dist(origin, target),
                          path=path, heading_deg=f.line.layout.locations[target].heading,
                          start_heading_deg=self.heading)
        env = f.env
        if f.traffic is None:
            row = f.log.add_travel(env.now, self.id, state, origin, target, pid, float("nan"),
                                   units)
            start = env.now
            yield from self.do(state, task)
            if row >= 0:
                f.log.value[row] = env.now - start
            return
        assert f.plan_walk is not None  # checked at construction: traffic needs plans
        outcome = f.plan_walk(self, task)
        holds = f.traffic.book(pid, path, env.now, outcome.duration)
        if holds and holds[0].s == 0.0:
            first = holds.pop(0)
            self.set(WAITING_TRAFFIC, where=origin)
            yield env.timeout(first.wait)
        total = outcome.duration + sum(h.wait for h in holds)
        f.log.add_travel(env.now, self.id, state, origin, target, pid, total, units)
        self.set(state, where=target)
        moved = env.now
        for hold in holds:
            yield env.timeout(max(hold.start - env.now, 0.0))
            self.set(WAITING_TRAFFIC, where=target)
            yield env.timeout(hold.wait)
            self.set(state, where=target)
        yield env.timeout(max(moved + total - env.now, 0.0))
        yield from self.settle(task, outcome)

    def enter(self, location: str, loaded: bool) -> Generator[simpy.Event, Any, None]:
        """Take a work spot at ``location``, queueing at its holding point if it is full."""
        f = self.factory
        spot = f.spots[location]
        wake = spot.take(loaded)
        if wake is not None:
            arrived = f.env.now
            self.set(WAITING_SPOT, where=location)
            yield wake
            spot.waited(f.env.now - arrived)

    # ------------------------------------------------------------------ the robot's day
    def run(self) -> Generator[simpy.Event, Any, None]:
        f = self.factory
        policy = f.fleet_spec.charging
        env = f.env
        while True:
            if self.energy <= 0:
                yield from self.flat_battery()
            if self.energy < policy.go_charge_below * self.capacity + 1.0:
                yield from self.charge(policy.charge_to)
            elif (not f.calendar.is_on(env.now) and policy.in_breaks
                  and self.soc < policy.charge_to and f.chargers):
                yield from self.charge(policy.charge_to)
            trip = f.dispatcher.robot_free(self)
            if trip is None:
                self.set(IDLE)
                self.wakeup = env.event()
                wait: simpy.Event = self.wakeup
                margin = self.energy - policy.go_charge_below * self.capacity
                if margin > 0 and f.chargers:
                    power = self.drain_w if self.datasheet is not None else self.idle_power
                    low = env.timeout(margin / power)
                    wait = env.any_of([self.wakeup, low])
                yield wait
                got = self.wakeup.value if self.wakeup.triggered else None
                self.wakeup = None
                if not isinstance(got, Trip):
                    f.dispatcher.withdraw(self)
                    self.set(IDLE)  # settle the standing draw before checking the battery
                    continue
                trip = got
            yield from self.carry_out(trip)

    def carry_out(self, trip: Trip) -> Generator[simpy.Event, Any, None]:
        f = self.factory
        env, leg = f.env, trip.leg
        self.set(WALKING_EMPTY)
        if self.spec.decision_latency:
            yield env.timeout(self.spec.decision_latency)
        yield from self.walk(WALKING_EMPTY, leg.src_loc, 0.0)
        payload = leg.payload(trip.units)
        yield from self.enter(leg.src_loc, False)
        outcome = yield from self.do(PICKING, MotionTask("pick", leg.src_loc, leg.src_loc,
                                                         payload))
        f.spots[leg.src_loc].leave()
        if not outcome.ok:
            self.failed_tasks += 1
            f.log.add(env.now, self.id, "robot", "task_failed", trip.units, payload)
            leg.failed(trip)
            return
        parts = leg.port.remove(leg.dst, trip.units)
        yield from self.walk(CARRYING, leg.dst_loc, payload, trip.units)
        yield from self.enter(leg.dst_loc, True)
        yield from self.do(PLACING, MotionTask("place", leg.dst_loc, leg.dst_loc, payload))
        f.spots[leg.dst_loc].leave()
        leg.inbox.reserved -= trip.units
        for part in parts:
            leg.inbox.put(part)
        leg.succeeded()
        self.tasks += 1

    def charge(self, target: float) -> Generator[simpy.Event, Any, None]:
        f = self.factory
        env = f.env
        group = f.nearest_charger(self.location)
        if group is None:
            return
        yield from self.walk(TO_CHARGER, group.location, 0.0)
        self.set(TO_CHARGER)
        request = group.points.request()
        arrived = env.now
        if not request.triggered:
            self.set(WAITING_CHARGER)
            group.queue_changed(+1)
            yield request
            group.queue_changed(-1)
        waited = env.now - arrived
        heading = f.line.layout.locations[group.location].heading
        yield from self.do(DOCKING, MotionTask("dock", group.location, group.location,
                                               heading_deg=heading))
        start = env.now
        spec = self.spec
        if group.spec.mode == "swap" and group.spares:
            ready = group.take_spare(env.now, max(self.soc, 0.0), self.capacity)
            if ready > env.now:
                # docked, but no charged spare yet: waiting for the charger all the same
                self.set(WAITING_CHARGER)
                group.queue_changed(+1)
                waited += ready - env.now
                yield env.timeout(ready - env.now)
                group.queue_changed(-1)
            self.set(CHARGING)
            yield env.timeout(group.swap_time())
            self.draw(self.idle_power * (env.now - start))
            self.energy = self.capacity
        else:
            self.set(CHARGING)
            if self.datasheet is not None:
                duration = self.charge_time() * max(target - max(self.soc, 0.0), 0.0)
            else:
                net = group.spec.power - spec.power.constant
                duration = group.plug_time(max(self.soc, 0.0), target, self.capacity, net)
            yield env.timeout(duration)
            self.energy = max(self.energy, target * self.capacity)
        if self.datasheet is not None:
            self.drain_w = spec.battery / max(self.runtime(), 1.0)
        group.charges += 1
        group.busy_time += env.now - start
        group.wait_sum += waited
        group.wait_max = max(group.wait_max, waited)
        self.charges += 1
        group.points.release(request)
        self.set(IDLE)

    def flat_battery(self) -> Generator[simpy.Event, Any, None]:
        """Ran flat on the floor: towed and recharged by hand."""
        self.depleted += 1
        self.set(DOWN)
        yield self.factory.env.timeout(self.factory.fleet_spec.depleted_recovery)
        self.energy = self.factory.fleet_spec.charging.charge_to * self.capacity
        self.set(IDLE)


class Dispatcher:
    """Matches transport trips with robots: nearest idle robot, or longest-waiting first.

    Trips wait in one queue per zone (None: legs in no zone) and idle robots in one list per
    zone (None: robots that serve every leg), so a match only looks at the robots and trips
    that may meet: the cost of a dispatch grows with a zone, not with the plant.
    """

    def __init__(self, factory: Factory, policy: str) -> None:
        self.factory = factory
        self.nearest = policy == "nearest_idle"
        self.pending: dict[str | None, list[Trip]] = {}
        self.idle: dict[str | None, list[Robot]] = {}

    def submit(self, trip: Trip) -> None:
        f = self.factory
        zone = trip.leg.zone
        groups = [g for g in (self.idle.get(zone), self.idle.get(None) if zone else None) if g]
        if groups and f.calendar.is_on(f.env.now):
            if self.nearest:
                d = f.walkways.dist
                src = trip.leg.src_loc
                group, robot = min(((g, r) for g in groups for r in g),
                                   key=lambda gr: d(gr[1].location, src))
            else:  # the robot idle longest: the earliest at the head of its list
                group = min(groups, key=lambda g: g[0].idle_since)
                robot = group[0]
            group.remove(robot)
            assert robot.wakeup is not None
            robot.wakeup.succeed(trip)
        else:
            self.pending.setdefault(zone, []).append(trip)

    def robot_free(self, robot: Robot) -> Trip | None:
        f = self.factory
        if robot.zone is not None:
            queues = [q for q in (self.pending.get(robot.zone),) if q]
        else:
            queues = [q for q in self.pending.values() if q]
        if queues and f.calendar.is_on(f.env.now):
            if self.nearest:
                d = f.walkways.dist
                here = robot.location
                queue, trip = min(((q, t) for q in queues for t in q),
                                  key=lambda qt: d(here, qt[1].leg.src_loc))
            else:  # the trip waiting longest
                queue = min(queues, key=lambda q: q[0].created)
                trip = queue[0]
            queue.remove(trip)
            return trip
        robot.idle_since = f.env.now
        self.idle.setdefault(robot.zone, []).append(robot)
        return None

    def withdraw(self, robot: Robot) -> None:
        group = self.idle.get(robot.zone)
        if group and robot in group:
            group.remove(robot)

    def shift_started(self) -> None:
        """Hand out trips that piled up off shift, oldest first."""
        waiting = sorted((t for q in self.pending.values() for t in q), key=lambda t: t.created)
        self.pending = {}
        for trip in waiting:
            self.submit(trip)

    def break_started(self) -> None:
        for group in self.idle.values():
            for robot in list(group):
                if robot.wakeup is not None and not robot.wakeup.triggered:
                    group.remove(robot)
                    robot.wakeup.succeed(_BREAK)
