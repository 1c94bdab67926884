"""Work spots: the places robots stand to pick, place or dock, each holding a few robots.

A location has ``spots`` (default 1). A robot that arrives at a full location queues at its
holding point (``waiting_spot``) and enters first come first served, or loaded robots first
(``fleet.spot_policy: carrying_first``). It holds the spot only while it works there: it
steps off when the pick or place is done, so a robot never holds one spot while waiting for
another, and spots alone cannot deadlock. Charger docks are spots too: their queue is the
charger's (``waiting_charger``), with as many spots as the charger has points.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import simpy

if TYPE_CHECKING:
    from twin.line.factory import Factory


class WorkSpot:
    """The spots of one location: a priority resource with time-weighted statistics."""

    def __init__(self, factory: Factory, name: str, spots: int) -> None:
        self.factory = factory
        self.name = name
        self.spots = spots
        self.resource = simpy.PriorityResource(factory.env, capacity=spots)
        self._busy = 0
        self._queue = 0
        self.reset_counts()

    def reset_counts(self) -> None:
        self.since = self.factory.env.now
        self.busy_area = 0.0
        self.queue_area = 0.0
        self.queue_max = self._queue
        self.visits = 0
        self.waits = 0
        self.wait_sum = 0.0

    def _advance(self) -> None:
        now = self.factory.env.now
        dt = now - self.since
        self.busy_area += self._busy * dt
        self.queue_area += self._queue * dt
        self.since = now

    def request(self, loaded: bool) -> simpy.resources.resource.PriorityRequest:
        policy = self.factory.fleet_spec.spot_policy
        priority = 0 if (policy == "fifo" or loaded) else 1
        return self.resource.request(priority=priority)

    def queued(self, delta: int) -> None:
        self._advance()
        self._queue += delta
        self.queue_max = max(self.queue_max, self._queue)

    def entered(self, waited: float) -> None:
        self._advance()
        self._busy += 1
        self.visits += 1
        if waited > 0:
            self.waits += 1
            self.wait_sum += waited

    def left(self, request: simpy.resources.resource.PriorityRequest) -> None:
        self._advance()
        self._busy -= 1
        self.resource.release(request)

    def totals(self) -> tuple[float, float]:
        """Busy and queue robot-seconds since the last reset."""
        self._advance()
        return self.busy_area, self.queue_area
