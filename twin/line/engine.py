"""The event loop: SimPy's environment, run to a time by one tight loop.

``Engine.run(until=t)`` processes the same events in the same order as
``simpy.Environment.run`` (the stop is scheduled as SimPy schedules it: urgent, at ``t``), but
pops and fires them inline instead of through ``step()``, a method call and an exception frame
per event; everything else is SimPy's own.
"""

from __future__ import annotations

from heapq import heappop, heappush
from types import MethodType
from typing import Any

import simpy
from simpy.core import NORMAL, URGENT
from simpy.events import AllOf, AnyOf, Event, Process, Timeout


class Engine(simpy.Environment):
    """A SimPy environment whose ``run`` to a time is a tight loop (same events, same order)."""

    def __init__(self, initial_time: float = 0) -> None:
        super().__init__(initial_time)
        # SimPy binds these to the instance only for its own class, not for subclasses
        self.process = MethodType(Process, self)  # type: ignore[method-assign]
        self.event = MethodType(Event, self)  # type: ignore[method-assign]
        self.all_of = MethodType(AllOf, self)  # type: ignore[method-assign]
        self.any_of = MethodType(AnyOf, self)  # type: ignore[method-assign]

    def timeout(self, delay: float = 0, value: Any = None) -> Timeout:
        """``Timeout(self, delay, value)`` built inline: the same event, time and id."""
        if delay < 0:
            raise ValueError(f"Negative delay {delay}")
        event = object.__new__(Timeout)
        event.env = self
        event.callbacks = []
        event._value = value
        event._delay = delay
        event._ok = True
        heappush(self._queue, (self._now + delay, NORMAL, next(self._eid), event))
        return event

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
        queue = self._queue
        while True:
            self._now, _, _, event = heappop(queue)
            if event is stop:
                return None
            callbacks, event.callbacks = event.callbacks, None  # type: ignore[assignment]
            for callback in callbacks:  # type: ignore[union-attr]
                callback(event)
            if not event._ok and not hasattr(event, "_defused"):
                # a failed event no process handled: crash as SimPy does
                exc = type(event._value)(*event._value.args)
                exc.__cause__ = event._value
                raise exc


def succeed_after(event: Event, value: Any, delay: float) -> None:
    """Trigger ``event`` with ``value`` ``delay`` seconds from now (``succeed`` with a delay,
    as a Timeout is scheduled): a waiting process resumes once, then, not twice."""
    event._ok = True
    event._value = value
    env = event.env  # env.schedule(event, NORMAL, delay), written out
    heappush(env._queue, (env._now + delay, NORMAL, next(env._eid), event))


def timer_at(env: simpy.Environment, when: float, callback: Any) -> Timeout:
    """A timeout firing at ``when`` exactly (not ``now + (when - now)``, which may round),
    with ``callback`` called on it."""
    event = object.__new__(Timeout)
    event.env = env
    event.callbacks = [callback]
    event._value = None
    event._delay = when - env._now
    event._ok = True
    heappush(env._queue, (when, NORMAL, next(env._eid), event))  # type: ignore[attr-defined]
    return event
