"""The humanoid fleet: robots that walk, pick, carry, place and go to charge; the dispatcher.

A robot's battery drains by its power draws: motion energy comes from the motion model (the
surrogate or physics); standing still costs the standing and constant draws. After every trip
it checks its state of charge and goes to the nearest charger group below the threshold.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import simpy

from twin.config import DatasheetBattery
from twin.kpi import ROBOT_STATES
from twin.line.alarms import Alarm, BatteryAlarms
from twin.line.clock import StateClock
from twin.line.engine import PARKED, Proc, Step
from twin.line.transport import Trip
from twin.motion import MotionModel, MotionTask, Outcome, Timed
from twin.robot import RobotSpec

if TYPE_CHECKING:
    from twin.line.factory import Factory
    from twin.line.spots import WorkSpot

(CARRYING, WALKING_EMPTY, PICKING, PLACING, TO_CHARGER, WAITING_CHARGER, DOCKING, CHARGING,
 IDLE, DOWN, OFF_SHIFT, WAITING_SPOT, WAITING_TRAFFIC) = ROBOT_STATES
_STANDING = frozenset({IDLE, WAITING_CHARGER, DOWN, WAITING_SPOT, WAITING_TRAFFIC})
_OVERRIDDEN = frozenset({IDLE})
_BREAK = object()  # wake-up sentinel: a break started
_FELL = object()  # wake-up sentinel: its body fell while it had no task (physics)
WALK_ON_TRIES = 3  # times a robot that fell on a walk walks on after its recovery
ALARM_SLACK = 4.0  # an idle robot's battery alarm is set as if it drained 4x its standing draw
PLACE_TRIES = 3  # a place a body could not make (its work pose never cleared) is tried again
T = TypeVar("T")


class Robot:
    """A humanoid of the fleet: its battery, its state clock and its day (``run``); fields in
    slots (``twin.line``)."""

    __slots__ = ("factory", "env", "id", "zone", "spec", "motion", "rng", "plan", "timed",
                 "location", "heading", "capacity", "energy", "idle_power", "standby_power",
                 "latency", "datasheet", "clock", "ttf", "parked", "proc", "got", "low_at",
                 "alarm", "alarms", "alarm_at", "alarm_exact", "idle_since", "resume", "handed",
                 "walked", "used_j", "charges", "tasks", "distance", "falls", "failed_tasks",
                 "depleted", "failures", "runtime", "charge_time", "drain_w", "ttr", "ttf_left",
                 "down_until")

    def __init__(self, factory: Factory, rid: str, spec: RobotSpec, motion: MotionModel,
                 home: str, soc: float, zone: str | None = None) -> None:
        self.factory = factory
        self.env = factory.env
        self.id = rid
        self.zone = zone  # None: serves every leg
        self.spec = spec
        self.motion = motion
        self.rng: np.random.Generator = factory.streams.stream(f"robot:{rid}:motion")
        # the motion model's plan, for this robot alone where it can (``Surrogate.planner``)
        planner = getattr(motion, "planner", None)
        self.plan: Callable[[Robot, MotionTask], Outcome] | None = (
            planner(self) if planner is not None else getattr(motion, "plan", None))
        # its figures as a plain tuple, where the model can say them (``Surrogate.timer``): what
        # a trip's common path reads (``run``)
        timer = getattr(motion, "timer", None)
        self.timed: Callable[[MotionTask], Timed] | None = (
            timer(self) if timer is not None else None)
        self.location = home
        self.heading = factory.line.layout.locations[home].heading  # deg, where it faces
        self.capacity = spec.battery
        self.energy = soc * spec.battery  # J in the battery
        self.idle_power = spec.power.standing + spec.power.constant
        # read on every trip: kept as plain floats (a config model's attribute costs a
        # __getattr__ hook per read)
        self.standby_power = spec.power.standby
        self.latency = spec.decision_latency
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
        self.ttf: Callable[[], float] | None = None  # operating time to the next failure
        if failures is not None:
            frng = factory.streams.stream(f"robot:{rid}:failures")
            self.ttf = failures.ttf.sampler(frng)  # type: ignore[assignment]
            self.ttr = failures.ttr.sampler(frng)
            self.ttf_left = self.ttf()
        # idle: the robot's process, parked until ``woken`` with a trip, a break or an alarm
        self.parked = False
        self.proc: Proc | None = None  # (the robot's process, known once it runs)
        self.got: Any = None  # what it was woken with
        self.low_at: float | None = None  # idle: when standing drains the battery to the mark
        self.alarm: Alarm | None = None  # the battery alarm (see battery_alarm)
        self.alarms = factory.dispatcher.alarms
        self.alarm_at = math.inf
        self.alarm_exact = False  # set for this idle stretch's low_at itself
        self.idle_since = factory.env.now  # when it last joined the dispatcher's idle list
        self.resume: str | None = None  # the state a body stopped for traffic walks on in
        self.handed: WorkSpot | None = None  # a spot handed to its body, waiting for it to clear
        # a walk planned and booked when the robot decided on a trip (see set_off): the task,
        # its duration and energy, and the holds on its way
        self.walked: tuple[MotionTask, float, float, list[Any]] | None = None
        self.down_until: float | None = None  # its body fell without a task: down till then
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
        now = self.env._now
        clock = self.clock
        left = clock.state
        on = None  # on-shift seconds of an idle stretch: its draw and the clock's split
        if left in _STANDING:
            dt = now - clock.since
            if self.datasheet is not None:
                # a datasheet runtime is time away from the charger: queueing there is rest
                if left != WAITING_CHARGER:
                    self.draw(dt * self.drain_w)
            elif left == IDLE and not clock.always:
                on = clock.on_since(now)
                joules = on * self.idle_power + (dt - on) * self.standby_power
                self.energy -= joules  # (draw, written out: every trip from idle pays this)
                self.used_j += joules
            else:
                self.draw(dt * self.idle_power)
        clock.set(now, state, self.energy / self.capacity if clock.logging else None, logged,
                  where or self.location, on)

    def do(self, state: str, task: MotionTask, spot: WorkSpot | None = None
           ) -> Generator[Step, Any, Outcome]:
        """Carry out a primitive in ``state``: one timeout when the motion model plans at once
        (``plan``: the surrogate's ``execute`` is that plan and one timeout), else its
        ``execute``. A robot whose body fell while it had no task is down until the crew has
        stood it up first. A robot that falls working on ``spot`` gives it up before its
        recovery (the crew stands it up off the work poses), so the robot queued next takes
        it then, not when the fallen one is back on its feet."""
        if self.down_until is not None:
            yield from self.recover()
        self.set(state, where=task.target)
        plan = self.plan
        if plan is not None:
            outcome = plan(self, task)
            if outcome.duration > 0.0:
                yield outcome.duration  # a sleep (twin.line.engine)
        else:
            outcome = yield from self.motion.execute(self.env, self, task)
        self.pay(task, outcome)
        if outcome.fell and spot is not None:
            spot.leave()
        if outcome.fell or self.ttf is not None:
            yield from self.suffer(outcome)
        return outcome

    def pay(self, task: MotionTask, outcome: Outcome) -> None:
        """Pay for a primitive that ended and move the robot."""
        if self.datasheet is not None:
            self.draw(self.drain_w * outcome.duration)
        else:
            self.energy -= outcome.energy_j
            self.used_j += outcome.energy_j
        if task.kind == "walk":
            self.distance += task.distance
            self.location = task.target
            self.heading = task.heading_deg

    def suffer(self, outcome: Outcome) -> Generator[Step, Any, None]:
        """A fall, or a breakdown struck between primitives (they count operating time)."""
        if outcome.fell:
            self.falls += 1
            self.set(DOWN)
            yield self.env.timeout(self.spec.fall_recovery_time)
        if self.ttf is not None:
            self.ttf_left -= outcome.duration
            if self.ttf_left <= 0.0:
                self.failures += 1
                self.set(DOWN)
                yield self.env.timeout(self.ttr())
                self.ttf_left = self.ttf()

    def recover(self) -> Generator[Step, Any, None]:
        """Down until the crew has stood up the body that fell while it had no task."""
        until, self.down_until = self.down_until, None
        self.set(DOWN)
        yield self.env.timeout(max((until or 0.0) - self.env.now, 0.0))

    def set_off(self, target: str, delay: float) -> float:
        """Decide on a trip to ``target`` now: the walk there is planned and its way booked at
        once for a start ``delay`` s from now (the decision latency), so when the way is clear
        the decision and the walk are one wait, returned (nothing else can see the instant
        between them: the robot walks on in the state it decided in). With holds on the way,
        the robot wakes after the delay and walks them (``walk`` with ``booked``)."""
        f = self.factory
        timed = self.timed
        if target == self.location or timed is None:
            return delay
        hit = f.dispatcher.walks.get((self.location, target, 0.0, self.heading))
        pid, path, task, narrow = (hit if hit is not None else  # (walk_task's cache)
                                   f.dispatcher.walk_task(self.location, target, 0.0,
                                                          self.heading))
        duration, joules, _, _ = timed(task)
        traffic = f.traffic
        holds = (traffic.book(pid, path, self.env._now + delay, duration)
                 if narrow and traffic is not None else [])
        self.walked = (task, duration, joules, holds)
        if holds:
            return delay
        if f.log.enabled:  # the walk's rows, written at its start (the log stays in order)
            logged = self.env.timeout(delay)
            logged.callbacks.append(  # type: ignore[union-attr]
                lambda _: self.log_walk(WALKING_EMPTY, pid, task, duration))
        return delay + duration

    def log_walk(self, state: str, pid: int, task: MotionTask, duration: float) -> None:
        """The rows of a walk set off by ``set_off``: its travel and the state it walks in."""
        now = self.env._now
        log = self.factory.log
        log.add_travel(now, self.id, state, task.origin, task.target, pid, duration)
        clock = self.clock
        clock.where = task.target  # (the state is unchanged: logged, not flushed)
        log.add(now, self.id, "robot", clock.shown(now), -1, self.energy / self.capacity,
                task.target)

    def walk(self, state: str, target: str, payload: float, units: int = -1,
             booked: tuple[Outcome, list[Any]] | None = None
             ) -> Generator[Step, Any, None]:
        if target == self.location:
            return
        f = self.factory
        env = self.env
        origin = self.location
        pid, path, task, narrow = f.dispatcher.walk_task(origin, target, payload, self.heading)
        log = f.log
        traffic = f.traffic
        if booked is not None:  # planned and booked by set_off, with holds
            outcome, holds = booked
        elif traffic is None or self.plan is None:  # (a body keeps the rules as it walks)
            row = log.add_travel(env.now, self.id, state, origin, target, pid, float("nan"),
                                 units) if log.enabled else -1
            start = env.now
            outcome = yield from self.do(state, task)
            for _ in range(WALK_ON_TRIES):  # a body that fell on the way is stood up where it
                if not outcome.fell:  # fell and, recovered, walks on from there (else the
                    break  # line would think it arrived and its next task would start there)
                outcome = yield from self.do(state, task)
            if row >= 0:
                log.value[row] = env.now - start
            return
        else:
            outcome = self.plan(self, task)
            holds = traffic.book(pid, path, env._now, outcome.duration) if narrow else []
        if not holds:  # the way is clear: the common case
            if log.enabled:
                log.add_travel(env._now, self.id, state, origin, target, pid, outcome.duration,
                               units)
            clock = self.clock
            now = env._now
            if log.enabled or clock.state != state or clock.since != now:
                self.set(state, where=target)  # (else: already in it since now, nothing to log)
            yield max(now + outcome.duration - now, 0.0)  # a sleep (twin.line.engine)
            self.pay(task, outcome)
            if outcome.fell or self.ttf is not None:
                yield from self.suffer(outcome)
            return
        if holds[0].s == 0.0:
            first = holds.pop(0)
            self.set(WAITING_TRAFFIC, where=origin)
            yield env.timeout(first.wait)
        total = outcome.duration + sum(h.wait for h in holds) if holds else outcome.duration
        if log.enabled:
            log.add_travel(env.now, self.id, state, origin, target, pid, total, units)
        clock = self.clock
        if log.enabled or clock.state != state or clock.since != env.now:
            self.set(state, where=target)  # (else: already in it since now, nothing to log)
        moved = env.now
        for hold in holds:
            yield env.timeout(max(hold.start - env.now, 0.0))
            self.set(WAITING_TRAFFIC, where=target)
            yield env.timeout(hold.wait)
            self.set(state, where=target)
        yield env.timeout(max(moved + total - env.now, 0.0))
        self.pay(task, outcome)
        if outcome.fell or self.ttf is not None:
            yield from self.suffer(outcome)

    def stopped(self, why: str | None) -> None:
        """A body walking in physics stopped for ``why`` ("traffic", or "spot": a taken work
        pose) or, with None, moves on in the state it stopped in; "deadlock": it gave way
        after waiting too long (counted; its state is unchanged); "fell": its body fell while
        it had no task of the line (sent out of another's way), and is down from now for its
        recovery (woken if idle, else before its next primitive: ``recover``)."""
        traffic = self.factory.traffic
        if why == "fell":  # its body fell while it had no task (sent aside): down from now
            self.falls += 1
            self.down_until = self.env.now + self.spec.fall_recovery_time
            if self.parked:
                self.factory.dispatcher.withdraw(self)
                self.woken(_FELL, 0.0)
            return
        if why == "deadlock":
            if traffic is not None:
                traffic.deadlocks += 1
            return
        if self.handed is not None:  # the robot before has stepped off (or it moves aside)
            self.handed.stepping_off(False)
            self.handed = None
        where = self.clock.where  # where it walks to (or works): its rows name it, as the
        # surrogate's holds on the way do (not the location the walk set off from)
        if why is None:
            if self.resume is not None:
                self.set(self.resume, where=where)
                self.resume = None
            return
        if self.resume is None:
            self.resume = self.clock.state
        if why == "spot" and self.resume in (PICKING, PLACING):
            # handed the spot by the line, its body waits for the one before to step off the
            # pose: a hand-over, as the surrogate's (``queue_for``)
            self.handed = self.factory.spots.get(self.clock.where or "")
            if self.handed is not None:
                self.handed.stepping_off(True)
        self.set(WAITING_TRAFFIC if why == "traffic" else WAITING_SPOT, where=where)
        if traffic is not None and why == "traffic":
            traffic.holds += 1

    def queue_for(self, location: str, wake: simpy.Event, act: str = PICKING,
                  payload: float = 0.0) -> Generator[Step, Any, None]:
        """Wait at the holding point of ``location`` until a spot there is handed over and the
        robot before has stepped off it (``Factory.hand_over``: that one did the same act
        with a tote of ``payload``, so it leaves holding it after a pick and empty-handed
        after a place), then walk onto it (``Factory.step_in``): the spot is this robot's
        while it walks in, which counts as part of the ``act`` it walks in for (as the walk
        onto the pose does in physics)."""
        env = self.env
        arrived = env._now
        self.set(WAITING_SPOT, where=location)
        yield wake
        spot = self.factory.spots[location]
        clear = self.factory.hand_over(location, payload if act == PICKING else 0.0)
        if clear > 0.0:
            spot.stepping_off(True)
            yield clear
            spot.stepping_off(False)
        spot.waited(env._now - arrived)
        task = self.factory.step_in(location, payload if act == PLACING else 0.0)
        if task is not None:
            yield from self.do(act, task)

    # ------------------------------------------------------------------ the robot's day
    def run(self) -> Generator[Step, Any, None]:
        """The robot's day, one generator: charge when the battery says so, take the next trip
        (or stand idle until one is handed over) and carry it out: walk to the pick, pick,
        carry, place.

        A trip's common path (a clear way, a free spot, a motion model that plans at once and
        whose robots never fall: the surrogate's ``timer``, its plan as plain figures) is
        written out here instead of going through ``walk``, ``do``, ``set`` and ``pay``, whose
        calls were most of a large plant's run (about 230 Python calls a trip); it makes the
        same events, states and figures as they do, bit for bit
        (``benchmarks/same_results.py``). The rest goes through them: holds on the way, queues
        at spots, falls and failures, charging, and physics (no ``timer``).
        """
        f = self.factory
        env = f.env
        policy = f.fleet_spec.charging
        dispatcher = f.dispatcher
        traffic = f.traffic
        log = f.log
        logging = log.enabled
        clock = self.clock
        acc = clock.acc
        rid = self.id
        timed = self.timed
        walks = dispatcher.walks
        failing = self.ttf is not None
        datasheet = self.datasheet
        latency = self.latency
        in_breaks = policy.in_breaks
        mark = policy.go_charge_below * self.capacity  # J: go and charge below this
        self.proc = env.active_process  # type: ignore[assignment]  # this generator's
        while True:
            if self.energy <= 0.0:
                yield from self.flat_battery()
            if self.energy < mark + 1.0:
                yield from self.charge(policy.charge_to)
            elif (in_breaks and not f.calendar.is_on(env._now)
                  and self.soc < policy.charge_to and f.chargers):
                yield from self.charge(policy.charge_to)
            trip = dispatcher.robot_free(self)
            if trip is None:
                if clock.state in _STANDING:
                    self.set(IDLE)
                else:  # set, written out: a moving state is left, nothing to draw
                    now = env._now
                    dt = now - clock.since
                    if dt > 0.0:
                        acc[clock.state] += dt
                    clock.since = now
                    clock.state = IDLE
                    clock.where = where = self.location
                    if logging:
                        log.add(now, rid, "robot", clock.shown(now), -1,
                                self.energy / self.capacity, where)
                self.parked = True
                margin = self.energy - mark
                if margin > 0.0 and f.chargers:
                    # standing drains the battery to the mark at low_at: go and charge then
                    power = self.drain_w if datasheet is not None else self.idle_power
                    self.low_at = env._now + margin / power
                    if self.alarm_at > self.low_at:
                        self.arm(env._now + margin / (power * ALARM_SLACK), exact=False)
                    else:
                        self.alarm_exact = False  # armed for an earlier stretch: check then
                yield PARKED  # until woken (a trip, a break or the battery alarm)
                got, self.got = self.got, None
                self.low_at = None
                if not isinstance(got, Trip):
                    dispatcher.withdraw(self)
                    if got is _FELL:
                        yield from self.recover()
                    self.set(IDLE)  # settle the standing draw before checking the battery
                    continue
                trip = got  # dispatch decided on it and set off (its latency is over)
            else:  # decide now, set off when the latency is over
                self.set(WALKING_EMPTY)
                wait = self.set_off(trip.leg.src_loc, latency)
                if wait:
                    yield wait  # a sleep: the Engine's timeout without the event
            leg = trip.leg
            walked = self.walked
            if walked is not None:  # the walk set_off planned is over, or has holds to walk
                self.walked = None
                task, duration, joules, holds = walked
                if holds:
                    yield from self.walk(WALKING_EMPTY, task.target, 0.0,
                                         booked=(Outcome(duration, joules), holds))
                else:  # pay, written out
                    if datasheet is None:
                        self.energy -= joules
                        self.used_j += joules
                    else:
                        self.draw(self.drain_w * duration)
                    self.distance += task.distance
                    self.location = task.target
                    self.heading = task.heading_deg
                    if failing:
                        yield from self.suffer(Outcome(duration, joules))
            elif self.location != leg.src_loc:
                yield from self.walk(WALKING_EMPTY, leg.src_loc, 0.0)
            # ---- the pick
            units = trip.units
            payload, pick, place = leg.load(units)
            spot = leg.src_spot
            wake = spot.take(False)  # a free spot is taken at once
            if wake is not None:
                yield from self.queue_for(leg.src_loc, wake, PICKING, payload)
            fell = False
            if timed is None:
                outcome = yield from self.do(PICKING, pick, spot)
                ok, fell = outcome.ok, outcome.fell
            else:  # do, written out: set, plan, wait, pay
                where = pick.target
                if clock.state in _STANDING:
                    self.set(PICKING, where=where)
                else:  # set: a moving state is left, nothing to draw
                    now = env._now
                    dt = now - clock.since
                    if dt > 0.0:
                        acc[clock.state] += dt
                    clock.since = now
                    clock.state = PICKING
                    clock.where = where
                    if logging:
                        log.add(now, rid, "robot", PICKING, -1, self.energy / self.capacity,
                                where)
                duration, joules, ok, _ = timed(pick)
                if duration > 0.0:
                    yield duration
                if datasheet is None:
                    self.energy -= joules
                    self.used_j += joules
                else:
                    self.draw(self.drain_w * duration)
                if failing:
                    yield from self.suffer(Outcome(duration, joules))
            if not fell:  # (a robot that fell there gave the spot up as it fell: ``do``)
                spot.leave()
            if not ok:
                self.failed_tasks += 1
                log.add(env.now, rid, "robot", "task_failed", units, payload)
                leg.failed(trip)
                continue
            parts = leg.port.remove(leg.dst, units)
            # ---- the carry
            target = leg.dst_loc
            origin = self.location
            if timed is None or traffic is None or target == origin:
                yield from self.walk(CARRYING, target, payload, units)
            else:  # walk, written out
                heading = self.heading
                hit = walks.get((origin, target, payload, heading))
                pid, path, task, narrow = (hit if hit is not None else
                                           dispatcher.walk_task(origin, target, payload, heading))
                duration, joules, _, _ = timed(task)
                now = env._now
                stops = traffic.book(pid, path, now, duration) if narrow else None
                if stops:
                    yield from self.walk(CARRYING, target, payload, units,
                                         booked=(Outcome(duration, joules), stops))
                else:  # the way is clear
                    if logging:
                        log.add_travel(now, rid, CARRYING, origin, target, pid, duration, units)
                    if logging or clock.state != CARRYING or clock.since != now:
                        if clock.state in _STANDING:
                            self.set(CARRYING, where=target)
                        else:  # set, written out
                            dt = now - clock.since
                            if dt > 0.0:
                                acc[clock.state] += dt
                            clock.since = now
                            clock.state = CARRYING
                            clock.where = target
                            if logging:
                                log.add(now, rid, "robot", CARRYING, -1,
                                        self.energy / self.capacity, target)
                    yield max(now + duration - now, 0.0)
                    if datasheet is None:  # pay, written out
                        self.energy -= joules
                        self.used_j += joules
                    else:
                        self.draw(self.drain_w * duration)
                    self.distance += task.distance
                    self.location = target
                    self.heading = task.heading_deg
                    if failing:
                        yield from self.suffer(Outcome(duration, joules))
            # ---- the place
            spot = leg.dst_spot
            for attempt in range(PLACE_TRIES):
                wake = spot.take(True)
                if wake is not None:
                    yield from self.queue_for(leg.dst_loc, wake, PLACING, payload)
                if timed is None:
                    outcome = yield from self.do(PLACING, place, spot)
                    ok, fell = outcome.ok, outcome.fell
                else:  # do, written out (as for the pick)
                    where = place.target
                    if clock.state in _STANDING:
                        self.set(PLACING, where=where)
                    else:
                        now = env._now
                        dt = now - clock.since
                        if dt > 0.0:
                            acc[clock.state] += dt
                        clock.since = now
                        clock.state = PLACING
                        clock.where = where
                        if logging:
                            log.add(now, rid, "robot", PLACING, -1, self.energy / self.capacity,
                                    where)
                    duration, joules, ok, _ = timed(place)
                    fell = False
                    if duration > 0.0:
                        yield duration
                    if datasheet is None:
                        self.energy -= joules
                        self.used_j += joules
                    else:
                        self.draw(self.drain_w * duration)
                    if failing:
                        yield from self.suffer(Outcome(duration, joules))
                if not fell:
                    spot.leave()
                if ok or fell or attempt + 1 == PLACE_TRIES:
                    break
                # (a body that could not reach its work pose: the tote is still in its hands)
                self.failed_tasks += 1
                log.add(env.now, rid, "robot", "task_failed", units, payload)
            inbox = leg.inbox
            inbox.reserved -= units
            for part in parts:
                inbox.put(part)
            leg.succeeded()
            self.tasks += 1

    def arm(self, at: float, exact: bool) -> None:
        """Set the battery alarm for ``at`` (replacing any alarm set before: the fleet's
        ``BatteryAlarms`` drops that one unrung)."""
        self.alarm = self.alarms.set(self, at)
        self.alarm_at = at
        self.alarm_exact = exact

    def battery_alarm(self, alarm: Alarm) -> None:
        """The battery alarm went off. An idle robot whose standing drained it to the mark goes
        to charge (off the idle list, woken); one not there yet is called again when it is.

        One alarm serves many idle stretches: it is set early (as if the robot drained
        ``ALARM_SLACK`` times its standing draw from then on), so it stays early for the idle
        stretches after the robot's next trips, and only an idle robot ever sets it again.
        """
        if alarm is not self.alarm:
            return  # replaced by an earlier one
        self.alarm = None
        self.alarm_at = math.inf
        low_at = self.low_at
        if low_at is None or not self.parked:
            return  # working now: its next idle stretch sets a new alarm
        if self.alarm_exact or low_at <= self.env.now:
            self.factory.dispatcher.withdraw(self)
            self.woken(None, 0.0)
        else:
            self.arm(low_at, exact=True)

    def woken(self, why: Any, delay: float) -> None:
        """Wake the parked robot ``delay`` s from now with ``why``: a trip, ``_BREAK`` or None
        (its battery alarm). As an event it waited on, succeeded after ``delay``."""
        assert self.parked and self.proc is not None
        self.parked = False
        self.got = why
        self.env.wake(self.proc, delay)

    def dispatch(self, trip: Trip) -> None:
        """Hand this idle robot ``trip``: it decides now and wakes when its decision latency
        is over (one event; ``run`` then goes on with the walk, see ``set_off``)."""
        self.set(WALKING_EMPTY)
        delay = self.set_off(trip.leg.src_loc, self.latency)
        self.parked = False  # woken, written out
        self.got = trip
        self.env.wake(self.proc, delay)  # type: ignore[arg-type]

    def charge(self, target: float) -> Generator[Step, Any, None]:
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

    def flat_battery(self) -> Generator[Step, Any, None]:
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
        self.alarms = BatteryAlarms(factory.env, Robot.battery_alarm)  # every robot's
        self.idle: dict[str | None, list[Robot]] = {}
        # walks by (origin, target, payload, start heading): path id, path, task, narrow
        self.walks: dict[tuple[str, str, float, float],
                         tuple[int, np.ndarray, MotionTask, bool]] = {}

    def walk_task(self, origin: str, target: str, payload: float,
                  heading: float) -> tuple[int, np.ndarray, MotionTask, bool]:
        """The walk from ``origin`` to ``target``: its path id, path and motion task (kept:
        tasks are read, never changed, by motion models), and whether the path crosses
        narrow traffic cells (if not, booking it is a no-op: ``Traffic.book`` returns no
        holds for a route without cells, and reserves nothing)."""
        key = (origin, target, payload, heading)
        hit = self.walks.get(key)
        if hit is None:
            f = self.factory
            ways = f.walkways
            path = ways.path(origin, target)
            pid = ways.path_id(origin, target)
            route = f.traffic.route(pid, path) if f.traffic is not None else None
            narrow = route is not None and bool(route.cells)
            task = MotionTask("walk", origin, target, payload, distance=ways.dist(origin, target),
                              path=path, heading_deg=f.line.layout.locations[target].heading,
                              start_heading_deg=heading,
                              narrow_m=route.single_m if route is not None else 0.0,
                              narrow_speed=f.line.layout.traffic.narrow_speed)
            hit = self.walks[key] = (pid, path, task, narrow)
        return hit

    def submit(self, trip: Trip) -> None:
        """Hand ``trip`` to an idle robot that may serve it, or queue it. Trips are submitted
        on shift only (``HumanoidLeg.poke`` looks, and ``shift_started`` runs when one
        starts)."""
        f = self.factory
        zone = trip.leg.zone
        own = self.idle.get(zone)
        anyone = self.idle.get(None) if zone else None
        if not anyone and not self.nearest:  # the common case: a zone's own robots
            if own:
                own.pop(0).dispatch(trip)  # idle longest: at the head of the list
            else:
                self.pending.setdefault(zone, []).append(trip)
            return
        groups = [g for g in (own, anyone) if g]
        if groups:
            if self.nearest:
                d = f.walkways.dist
                src = trip.leg.src_loc
                group, robot = min(((g, r) for g in groups for r in g),
                                   key=lambda gr: d(gr[1].location, src))
            else:  # the robot idle longest: the earliest at the head of its list
                group = min(groups, key=lambda g: g[0].idle_since)
                robot = group[0]
            group.remove(robot)
            robot.dispatch(trip)
        else:
            self.pending.setdefault(zone, []).append(trip)

    def robot_free(self, robot: Robot) -> Trip | None:
        f = self.factory
        zone = robot.zone
        if zone is not None and not self.nearest:  # the common case: its zone's oldest trip
            queue = self.pending.get(zone)
            if queue and f.calendar.is_on(f.env._now):
                return queue.pop(0)
        else:
            if zone is not None:
                queues = [q for q in (self.pending.get(zone),) if q]
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
        robot.idle_since = f.env._now
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
                if robot.parked:
                    group.remove(robot)
                    robot.woken(_BREAK, 0.0)
