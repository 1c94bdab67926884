"""The event loop: SimPy's environment, run to a time by one tight loop.

``Engine.run(until=t)`` processes the same events in the same order as
``simpy.Environment.run`` (the stop is scheduled as SimPy schedules it: urgent, at ``t``), but
pops and fires them inline instead of through ``step()``, a method call and an exception frame
per event; everything else is SimPy's own.
"""

from __future__ import annotations

from heapq import heappop
from typing import Any

import simpy
from simpy.core import URGENT
from simpy.events import Event


class Engine(simpy.Environment):
    """A SimPy environment whose ``run`` to a time is a tight loop (same events, same order)."""

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
    event.env.schedule(event, delay=delay)
