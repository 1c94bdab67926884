"""Chargers: plug points that charge a docked robot, or swap stations with spare batteries.

Each group is a SimPy resource with one slot per point. A swap station keeps spare batteries
that recharge in the background at the group's power; a robot that finds no charged spare
waits for the first one to be ready.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import simpy

from twin.config import Charger as ChargerSpec

if TYPE_CHECKING:
    from twin.line.factory import Factory


class ChargerGroup:
    def __init__(self, factory: Factory, cid: str, spec: ChargerSpec) -> None:
        self.factory = factory
        self.id = cid
        self.spec = spec
        self.location = spec.location
        self.points = simpy.Resource(factory.env, capacity=max(spec.count, 1))
        self.swap_time = spec.swap_time.sampler(factory.streams.stream(f"charger:{cid}:swap"))
        # one ready-time per spare battery (all charged at the start)
        self.spares = [0.0] * (spec.spares * spec.count)
        self._queue = 0  # robots waiting now (kept through the warm-up reset)
        self.reset_counts()

    def reset_counts(self) -> None:
        now = self.factory.env.now
        self.charges = 0
        self.wait_sum = 0.0
        self.wait_max = 0.0
        self.busy_time = 0.0
        self.queue_area = 0.0
        self.queue_max = 0
        self._queue_since = now

    def queue_changed(self, delta: int) -> None:
        now = self.factory.env.now
        self.queue_area += self._queue * (now - self._queue_since)
        self._queue_since = now
        self._queue += delta
        self.queue_max = max(self.queue_max, self._queue)
        self.factory.log.add(now, self.id, "charger", "queue", -1, float(self._queue))

    def queue_area_until(self, now: float) -> float:
        return self.queue_area + self._queue * (now - self._queue_since)

    def plug_time(self, soc: float, target: float, capacity_j: float, net_w: float) -> float:
        """Seconds to charge from ``soc`` to ``target`` with a linear taper above taper_above."""
        if target <= soc:
            return 0.0
        a = self.spec.taper_above
        flat = max(0.0, min(target, a) - soc)
        t = flat * capacity_j / net_w
        lo = max(soc, a)
        if target > lo and a < 1.0:
            k = 0.9 / (1.0 - a)
            tail = math.log(1 - k * (lo - a)) - math.log(1 - k * (target - a))
            t += capacity_j / net_w * tail / k
        return t

    def take_spare(self, now: float, soc_returned: float, capacity_j: float) -> float:
        """Exchange a battery: returns when the taken spare is (or was) ready."""
        i = min(range(len(self.spares)), key=self.spares.__getitem__)
        ready = self.spares[i]
        start = max(now, ready)
        self.spares[i] = start + (1.0 - soc_returned) * capacity_j / self.spec.power
        return ready
