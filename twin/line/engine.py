"""The event loop: SimPy's environment, run to a time by one tight loop.

``Engine.run(until=t)`` processes the same events in the same order as
``simpy.Environment.run`` (the stop is scheduled as SimPy schedules it: urgent, at ``t``), but
pops and fires them inline instead of through ``step()``, a method call and an exception frame
per event. A process (``Proc``, SimPy's ``Process``) is resumed inline too: the loop sends the
event's value into its generator and hooks it to the event it yields, as SimPy's
``Process._resume`` does, without the call (most events resume a process). Everything else is
SimPy's own.
"""

from __future__ import annotations

from heapq import heappop, heappush
from types import MethodType
from typing import Any

import simpy
from simpy.core import NORMAL, URGENT
from simpy.events import AllOf, AnyOf, Event, Initialize, Process, Timeout, _describe_frame


class Wait(Timeout):
    """SimPy's ``Timeout``, made without a Python ``__init__`` (``object``'s, in C): the
    Engine sets its fields and schedules it as ``Timeout.__init__`` does."""

    __init__ = object.__init__  # type: ignore[assignment]


class Proc(Process):
    """SimPy's ``Process``, its own callback: ``__call__`` is SimPy's ``_resume`` and the events
    it waits on hold the process itself, so ``Engine.run`` knows one by its type and resumes it
    inline. (An interrupt removes ``process._resume`` from its target's callbacks: that is
    the process, as it was put there.)"""

    __call__ = Process._resume

    def __init__(self, env: simpy.Environment, generator: Any) -> None:
        if not hasattr(generator, "throw"):
            raise ValueError(f"{generator} is not a generator.")
        self.env = env
        self.callbacks = []
        self._generator = generator
        self._resume = self  # type: ignore[method-assign,assignment]
        self._target = Initialize(env, self)


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


class Engine(simpy.Environment):
    """A SimPy environment whose ``run`` to a time is a tight loop (same events, same order)."""

    def __init__(self, initial_time: float = 0) -> None:
        super().__init__(initial_time)
        # SimPy binds these to the instance only for its own class, not for subclasses
        self.process = MethodType(Proc, self)  # type: ignore[method-assign]
        self.event = MethodType(Event, self)  # type: ignore[method-assign]
        self.all_of = MethodType(AllOf, self)  # type: ignore[method-assign]
        self.any_of = MethodType(AnyOf, self)  # type: ignore[method-assign]

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
            if len(callbacks) == 1 and event._ok:  # type: ignore[arg-type]
                callback = callbacks[0]  # type: ignore[index]
                if type(callback) is not Proc:
                    callback(event)
                    continue
                # Process._resume, inline: send the value, wait on the event yielded
                self._active_proc = callback
                try:
                    target = callback._generator.send(event._value)
                except BaseException as ended:
                    _ended(callback, ended)
                    continue
                try:
                    waiting = target.callbacks
                except AttributeError:
                    _not_an_event(callback, target)
                    raise
                if waiting is not None:
                    waiting.append(callback)
                    callback._target = target
                    self._active_proc = None
                else:
                    callback(target)  # already processed: SimPy goes on with its value
                continue
            for callback in callbacks:  # type: ignore[union-attr]
                callback(event)  # (a Proc: SimPy's own _resume)
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
