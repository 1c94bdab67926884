"""Where units wait: a station's inbox (FIFO, finite or not) and outboxes sorted by destination.

Both are lean SimPy objects: a unit handed to a waiting server skips the queue; waiting for
space is an event that is re-checked on wake-up (blocking after service).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from typing import Any

import simpy

from twin.events import EventLog


class Inbox:
    """A FIFO queue in front of a station (or the sink) with room for ``capacity`` units."""

    __slots__ = ("env", "name", "capacity", "items", "reserved", "getters", "space_waiters",
                 "watchers", "log")

    def __init__(self, env: simpy.Environment, name: str, capacity: int | None,
                 log: EventLog) -> None:
        self.env = env
        self.name = name
        self.capacity = math.inf if capacity is None else capacity
        self.items: deque[int] = deque()
        self.reserved = 0  # room promised to units already on their way
        self.getters: deque[simpy.Event] = deque()
        self.space_waiters: deque[simpy.Event] = deque()
        self.watchers: list[Callable[[], None]] = []  # legs that wait for room here
        self.log = log

    def free(self) -> float:
        """Room for one more unit now: a server waiting to take one counts as room."""
        return self.capacity + len(self.getters) - len(self.items) - self.reserved

    def put(self, part: int) -> None:
        if self.getters:
            self.getters.popleft().succeed(part)
            return
        self.items.append(part)
        if self.log.enabled:
            self.log.add(self.env.now, self.name, "buffer", "level", -1, len(self.items))

    def get(self) -> simpy.Event:
        ev = self.env.event()
        self.getters.append(ev)
        self.freed()  # a waiting server is room for whoever was blocked
        return ev

    def take(self) -> int:
        part = self.items.popleft()
        if self.log.enabled:
            self.log.add(self.env.now, self.name, "buffer", "level", -1, len(self.items))
        self.freed()
        return part

    def freed(self) -> None:
        if self.space_waiters:
            self.space_waiters.popleft().succeed()
        watchers = self.watchers
        for poke in watchers:
            poke()
        if len(watchers) > 1:  # round-robin: legs into one inbox take turns at freed room
            watchers.append(watchers.pop(0))

    def wait_space(self) -> simpy.Event:
        ev = self.env.event()
        self.space_waiters.append(ev)
        return ev


class KitStock(Inbox):
    """One component's stock at an assembly station; each put wakes the station's servers."""

    __slots__ = ("arrived",)

    def __init__(self, env: simpy.Environment, name: str, capacity: int | None,
                 log: EventLog, arrived: Callable[[], None]) -> None:
        super().__init__(env, name, capacity, log)
        self.arrived = arrived

    def put(self, part: int) -> None:
        self.items.append(part)
        if self.log.enabled:
            self.log.add(self.env.now, self.name, "buffer", "level", -1, len(self.items))
        self.arrived()


class Outbox:
    """Finished units waiting for transport, in lanes by destination, sharing one capacity."""

    __slots__ = ("env", "name", "capacity", "lanes", "claimed", "count", "space_waiters",
                 "watchers", "log")

    def __init__(self, env: simpy.Environment, name: str, capacity: float,
                 log: EventLog) -> None:
        self.env = env
        self.name = name
        self.capacity = capacity
        self.lanes: dict[str, deque[int]] = {}
        self.claimed: dict[str, int] = {}
        self.count = 0
        self.space_waiters: deque[simpy.Event] = deque()
        self.watchers: dict[str, Callable[[], None]] = {}
        self.log = log

    def lane(self, dst: str) -> deque[int]:
        if dst not in self.lanes:
            self.lanes[dst] = deque()
            self.claimed[dst] = 0
        return self.lanes[dst]

    def full(self) -> bool:
        return self.count >= self.capacity

    def available(self, dst: str) -> int:
        return len(self.lanes[dst]) - self.claimed[dst]

    def add(self, dst: str, part: int) -> None:
        lane = self.lanes.get(dst)
        (self.lane(dst) if lane is None else lane).append(part)
        self.count += 1
        if self.log.enabled:
            self.log.add(self.env._now, self.name, "buffer", "level", -1, self.count)
        poke = self.watchers.get(dst)
        if poke is not None:
            poke()

    def remove(self, dst: str, n: int) -> list[int]:
        lane = self.lanes[dst]
        parts = []
        for _ in range(n):  # (a loop, not a comprehension: that is a call in Python 3.11)
            parts.append(lane.popleft())
        self.count -= n
        if self.log.enabled:
            self.log.add(self.env.now, self.name, "buffer", "level", -1, self.count)
        waiters = self.space_waiters
        for _ in range(min(n, len(waiters))):  # room for n more
            waiters.popleft().succeed()
        return parts

    def wait_space(self) -> simpy.Event:
        ev = self.env.event()
        self.space_waiters.append(ev)
        return ev


class Wake:
    """A re-armable wake-up signal for a process that waits on several conditions."""

    __slots__ = ("env", "event")

    def __init__(self, env: simpy.Environment) -> None:
        self.env = env
        self.event: simpy.Event | None = None

    def wait(self) -> simpy.Event:
        self.event = self.env.event()
        return self.event

    def __call__(self, *_: Any) -> None:
        if self.event is not None and not self.event.triggered:
            self.event.succeed()
