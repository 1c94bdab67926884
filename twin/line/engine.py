"""The event loop: SimPy's environment, run to a time by one tight loop.

``Engine.run(until=t)`` processes the same events in the same order as
``simpy.Environment.run`` (the stop is scheduled as SimPy schedules it: urgent, at ``t``), but
pops and fires them inline instead of through ``step()``, a method call and an exception frame
per event. A process (``Proc``, SimPy's ``Process``) is resumed inline too: the loop sends the
event's value into its generator and hooks it to the event it yields, as SimPy's
``Process._resume`` does, without the call (most events resume a process). Everything else is
SimPy's own.

A process may also sleep: ``yield seconds`` (a float, not negative) is ``yield
env.timeout(seconds)`` without the event. The process itself goes on the queue at the time the
timeout would have had, with the id it would have had (``now + seconds``, ``NORMAL``, the next
id; its priority is ``SLEEP``, ``NORMAL`` as a float, which sorts as ``NORMAL`` does and tells
the loop the entry is a sleep, not a process that ended), and is resumed with None, as by the
timeout: the same order, the same times, no event
object built, hooked and dropped (most of a plant's events are such waits). A sleeping process
cannot be interrupted (the line model interrupts none).

A process may also park: ``yield PARKED`` waits, with no event, until another calls
``env.wake(process, delay)``, which puts it on the queue as a sleep of ``delay`` s: where it
had waited on an event that is then succeeded after ``delay`` (``NORMAL``, the next id), the
same order and times (an idle robot waiting to be handed a trip: one event object fewer per
trip). What it is woken for is left where it reads it; a parked process cannot be
interrupted either.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Generator
from heapq import heappop, heappush
from types import MethodType
from typing import Any

import simpy
from simpy.core import NORMAL, URGENT, EmptySchedule, EventPriority, StopSimulation
from simpy.events import AllOf, AnyOf, Event, Initialize, Process, Timeout, _describe_frame


class Wait(Timeout):
    """SimPy's ``Timeout``, made without a Python ``__init__`` (``object``'s, in C): the
    Engine sets its fields and schedules it as ``Timeout.__init__`` does."""

    __init__ = object.__init__  # type: ignore[assignment]


SLEEP = float(NORMAL)  # a sleep's priority on the queue: known by identity (see the module doc)


class Proc(Process):
    """SimPy's ``Process``, its own callback: ``__call__`` is SimPy's ``_resume`` (with sleeps:
    see the module doc) and the events it waits on hold the process itself, so ``Engine.run``
    knows one by its type and resumes it inline. (An interrupt removes ``process._resume``
    from its target's callbacks: that is the process, as it was put there.)"""

    def __init__(self, env: simpy.Environment, generator: Any) -> None:
        if not hasattr(generator, "throw"):
            raise ValueError(f"{generator} is not a generator.")
        self.env = env
        self.callbacks = []
        self._generator = generator
        self._resume = self  # type: ignore[method-assign,assignment]
        self._target = Initialize(env, self)

    def __call__(self, event: Any) -> None:
        """Resume with ``event``'s value (or its failure) until the process waits on an event
        not yet processed, sleeps, or ends (SimPy's ``Process._resume``, with sleeps)."""
        env = self.env
        env._active_proc = self  # type: ignore[attr-defined]
        while True:
            try:
                if event._ok:
                    event = self._generator.send(event._value)
                else:  # the process handles the failed event, or fails itself
                    event._defused = True
                    event = self._generator.throw(_failure(event))
            except BaseException as ended:
                _ended(self, ended)
                return
            if _sleeps(self, event):
                return
            try:
                waiting = event.callbacks
            except AttributeError:
                _not_an_event(self, event)
                raise
            if waiting is not None:  # not yet processed: resume when it is
                waiting.append(self)
                break
        self._target = event
        env._active_proc = None  # type: ignore[attr-defined]


def _failure(event: Any) -> BaseException:
    """The exception a failed event raises where it is handled or crashes the run: a copy of
    its value caused by it (SimPy's way, so the traceback shows both)."""
    exc = type(event._value)(*event._value.args)
    exc.__cause__ = event._value
    return exc


class _Woken:
    """What a process whose sleep is over is resumed with, as by its timeout: None."""

    _ok = True
    _value = None


WOKEN = _Woken()


def _sleeps(proc: Proc, target: Any) -> bool:
    """If ``proc`` yielded a sleep (a number of seconds: a float, or an int), put it on the
    queue for then (see the module doc) and say so; a negative or NaN sleep is refused as SimPy
    refuses a negative timeout."""
    if not isinstance(target, (float, int)) or isinstance(target, bool):
        return False
    if not target >= 0.0:
        raise ValueError(f"Negative delay {target}")
    env: Any = proc.env
    heappush(env._queue, (env._now + target, SLEEP, next(env._eid), proc))
    env._active_proc = None
    return True


def _ended(proc: Proc, exc: BaseException) -> None:
    """The generator of ``proc`` returned or raised ``exc``: the process is triggered with its
    value or its failure (SimPy's ``Process._resume``, its two ``except`` branches)."""
    if isinstance(exc, StopIteration):
        proc._ok = True
        proc._value = exc.args[0] if len(exc.args) else None
    else:
        proc._ok = False
        exc.__traceback__ = exc.__traceback__.tb_next  # type: ignore[union-attr]
        proc._value = exc
    proc.env.schedule(proc)
    proc._target = None  # type: ignore[assignment]
    proc.env._active_proc = None  # type: ignore[attr-defined]


def _not_an_event(proc: Proc, value: Any) -> None:
    """A process yielded ``value``, not an event: SimPy's error for it."""
    if not hasattr(value, "callbacks"):
        descr = _describe_frame(proc._generator.gi_frame)  # type: ignore[attr-defined]
        raise RuntimeError(f'\n{descr}Invalid yield value "{value}"') from None


class _Parked:
    """What a parked process waits on (see the module doc): an event-like object whose
    callbacks keep nothing (a deque of length 0 drops what is appended, in C), so the loop
    hooks the process to it as to any event and nothing ever resumes it but ``wake``."""

    callbacks: deque[Any] = deque(maxlen=0)


PARKED = _Parked()

Step = Event | float | _Parked  # what a process yields: an event to wait on, seconds to
# sleep, or PARKED


class Engine(simpy.Environment):
    """A SimPy environment whose ``run`` to a time is a tight loop (same events, same order)."""

    def __init__(self, initial_time: float = 0) -> None:
        super().__init__(initial_time)
        # SimPy binds these to the instance only for its own class, not for subclasses
        self.process = MethodType(Proc, self)  # type: ignore[method-assign]
        self.event = MethodType(Event, self)  # type: ignore[method-assign]
        self.all_of = MethodType(AllOf, self)  # type: ignore[method-assign]
        self.any_of = MethodType(AnyOf, self)  # type: ignore[method-assign]

    def process(self, generator: Generator[Step, Any, Any]) -> Proc:  # type: ignore[override]
        """A process running ``generator`` (``__init__`` binds ``Proc`` itself in its place:
        this says what it takes, sleeps included)."""
        return Proc(self, generator)

    def timeout(self, delay: float = 0, value: Any = None) -> Wait:
        """``Timeout(self, delay, value)`` built inline: the same event, time and id."""
        if delay < 0.0:
            raise ValueError(f"Negative delay {delay}")
        event = Wait()
        event.env = self
        event.callbacks = []
        event._value = value
        event._delay = delay
        event._ok = True
        heappush(self._queue, (self._now + delay, NORMAL, next(self._eid), event))
        return event

    def wake(self, process: Proc, delay: float) -> None:
        """Resume the parked ``process`` ``delay`` s from now, with None: queued as a sleep,
        where an event it waited on would have been scheduled when succeeded after ``delay``
        (``NORMAL``, the next id), so at the same place in the order."""
        queue: list[Any] = self._queue  # sleeps share it with events (see the module doc)
        heappush(queue, (self._now + delay, SLEEP, next(self._eid), process))

    def step(self) -> None:
        """Process the next event (SimPy's ``step``), or resume the next process whose sleep is
        over (used by ``run`` to an event or to the end, and by callers that step)."""
        try:
            self._now, kind, _, event = heappop(self._queue)
        except IndexError:
            raise EmptySchedule from None
        if kind is SLEEP:
            event(WOKEN)  # type: ignore[operator]  # (a Proc)
            return
        callbacks, event.callbacks = event.callbacks, None  # type: ignore[assignment]
        try:
            for callback in callbacks:  # type: ignore[union-attr]
                callback(event)
        except StopSimulation:
            # SimPy's: the callbacks not yet called run when the simulation goes on
            event.callbacks = callbacks[callbacks.index(callback) + 1:]  # type: ignore[index]
            self.schedule(event, EventPriority(-1))
            raise
        if not event._ok and not hasattr(event, "_defused"):
            raise _failure(event)

    def run(self, until: Any = None) -> Any:
        if until is None or isinstance(until, Event):
            return super().run(until)
        at = until if isinstance(until, int) else float(until)
        if at <= self._now:
            raise ValueError(f"until ({at}) must be greater than the current simulation time")
        stop = Event(self)
        stop._ok = True
        stop._value = None
        self.schedule(stop, URGENT, at - self._now)
        queue: list[Any] = self._queue
        eid = self._eid
        callback: Any
        while True:
            self._now, kind, _, event = heappop(queue)
            if kind is SLEEP:  # a sleep is over: resume the process with None, as its timeout
                callback = event
                value = None
            else:
                if event is stop:
                    return None
                callbacks, event.callbacks = event.callbacks, None  # type: ignore[assignment]
                if len(callbacks) != 1 or not event._ok:  # type: ignore[arg-type]
                    for callback in callbacks:  # type: ignore[union-attr]
                        callback(event)  # (a Proc: its own resume)
                    if not event._ok and not hasattr(event, "_defused"):
                        raise _failure(event)  # no process handled it: SimPy's crash
                    continue
                callback = callbacks[0]  # type: ignore[index]
                if type(callback) is not Proc:
                    callback(event)
                    continue
                value = event._value
            # Process._resume, inline: send the value, sleep or wait on the event yielded
            self._active_proc = callback
            try:
                target = callback._generator.send(value)
            except BaseException as ended:
                _ended(callback, ended)
                continue
            if type(target) is float and target >= 0.0:  # a sleep (_sleeps, inline)
                heappush(queue, (self._now + target, SLEEP, next(eid), callback))
                self._active_proc = None
                continue
            try:
                waiting = target.callbacks
            except AttributeError:
                if _sleeps(callback, target):
                    continue
                _not_an_event(callback, target)
                raise
            if waiting is not None:
                waiting.append(callback)
                callback._target = target
                self._active_proc = None
            else:
                callback(target)  # already processed: SimPy goes on with its value



def timer_at(env: simpy.Environment, when: float, callback: Any) -> Wait:
    """A timeout firing at ``when`` exactly (not ``now + (when - now)``, which may round),
    with ``callback`` called on it."""
    event = Wait()
    event.env = env
    event.callbacks = [callback]
    event._value = None
    event._delay = when - env._now
    event._ok = True
    heappush(env._queue, (when, NORMAL, next(env._eid), event))  # type: ignore[attr-defined]
    return event
