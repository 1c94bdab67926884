"""Work spots: the places robots stand to pick, place or dock, each holding a few robots.

A location has ``spots`` (default 1). A robot that arrives at a full location queues at its
holding point (``waiting_spot``) and enters first come first served, or loaded robots first
(``fleet.spot_policy: carrying_first``). It holds the spot only while it works there: it
steps off when the pick or place is done, so a robot never holds one spot while waiting for
another, and spots alone cannot deadlock. Charger docks are spots too: their queue is the
charger's (``waiting_charger``), with as many spots as the charger has points.
"""

from __future__ import annotations

import bisect
from typing import TYPE_CHECKING

import simpy

if TYPE_CHECKING:
    from twin.line.factory import Factory


class WorkSpot:
    """The spots of one location and the queue before them, with time-weighted statistics.

    A free spot is taken at once, without a SimPy event; a robot that finds them all taken
    waits on an event that the robot leaving a spot hands it (the spot passes directly).
    """

    __slots__ = ("factory", "env", "name", "spots", "queue", "_arrivals", "_busy", "_clearing",
                 "since", "busy_area", "queue_area", "clearing_area", "clearing_since",
                 "queue_max", "visits", "waits", "wait_sum")

    def __init__(self, factory: Factory, name: str, spots: int) -> None:
        self.factory = factory
        self.env = factory.env
        self.name = name
        self.spots = spots
        self.queue: list[tuple[int, int, simpy.Event]] = []  # (priority, arrival no., wake)
        self._arrivals = 0
        self._busy = 0
        self._clearing = 0  # robots handed a spot, waiting for the one before to step off it
        self.reset_counts()

    def reset_counts(self) -> None:
        self.since = self.factory.env.now
        self.busy_area = 0.0
        self.queue_area = 0.0
        self.clearing_area = 0.0  # integrated apart (``stepping_off``): off the hot path
        self.clearing_since = self.factory.env.now
        self.queue_max = len(self.queue)
        self.visits = 0
        self.waits = 0
        self.wait_sum = 0.0

    def _advance(self) -> None:
        now = self.factory.env.now
        dt = now - self.since
        if dt:
            self.busy_area += self._busy * dt
            self.queue_area += len(self.queue) * dt
            self.since = now

    def take(self, loaded: bool) -> simpy.Event | None:
        """Take a spot now (None), or join the queue: the event fires when a spot is handed
        over. Loaded robots go first under ``spot_policy: carrying_first``."""
        now = self.env._now  # _advance, inline: this runs at every pick and place
        dt = now - self.since
        if dt:
            self.busy_area += self._busy * dt
            if self.queue:  # (an empty queue adds 0)
                self.queue_area += len(self.queue) * dt
            self.since = now
        self.visits += 1
        if self._busy < self.spots and not self.queue:
            self._busy += 1
            return None
        policy = self.factory.fleet_spec.spot_policy
        priority = 0 if (policy == "fifo" or loaded) else 1
        wake = self.factory.env.event()
        self._arrivals += 1
        bisect.insort(self.queue, (priority, self._arrivals, wake), key=lambda q: q[:2])
        self.queue_max = max(self.queue_max, len(self.queue))
        return wake

    def waited(self, seconds: float) -> None:
        if seconds > 0:
            self.waits += 1
            self.wait_sum += seconds

    def leave(self) -> None:
        """Step off a spot: the first robot in the queue takes it over."""
        now = self.env._now  # _advance, inline
        dt = now - self.since
        if dt:
            self.busy_area += self._busy * dt
            if self.queue:  # (an empty queue adds 0)
                self.queue_area += len(self.queue) * dt
            self.since = now
        if self.queue:
            _, _, wake = self.queue.pop(0)
            wake.succeed()
        else:
            self._busy -= 1

    def stepping_off(self, waiting: bool) -> None:
        """A robot handed a spot starts (``waiting``) or ends its wait for the robot before
        to step off it: the spot is busy all the while, with nobody working on it."""
        self._clear_to(self.env._now)
        self._clearing += 1 if waiting else -1

    def _clear_to(self, now: float) -> None:
        self.clearing_area += self._clearing * (now - self.clearing_since)
        self.clearing_since = now

    def totals(self) -> tuple[float, float, float]:
        """Busy, queue and hand-over robot-seconds since the last reset (busy includes the
        hand-overs: a spot is taken while the robot before steps off it)."""
        self._advance()
        self._clear_to(self.env.now)
        return self.busy_area, self.queue_area, self.clearing_area
