"""The fleet's battery alarms on one timer: a small heap of (when, order, robot) beside SimPy's.

Every robot keeps one battery alarm (``Robot.arm``, ``Robot.battery_alarm``). Set as a SimPy
timeout each, they were most of a large plant's event queue (about 640 of 1,360 events at 500
robots), and a replaced alarm stayed there until its time came. Here the alarms wait in their
own heap, and one timer on SimPy's queue is set for the earliest: the main queue holds one
entry for the whole fleet, and a replaced alarm is dropped when it reaches the top of the small
heap, without an event.

An alarm rings at the instant its own timeout would have fired (``now + max(at - now, 0)``,
computed when it is set) and alarms due at one instant ring in the order they were set, so the
robots go to charge exactly when they went before.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from heapq import heappop, heappush
from itertools import count
from typing import Any

from twin.line.engine import timer_at

Alarm = tuple[float, int, Any]  # (when it rings, order set, the robot)


class BatteryAlarms:
    """Alarms of many robots, rung by one timer (see the module doc).

    A robot's alarm is the ``Alarm`` returned by ``set``, kept in ``robot.alarm``; an entry
    that is no longer its robot's alarm is stale and is dropped unrung. When an alarm rings,
    ``ring(entry)`` is called with it (``Robot.battery_alarm``).
    """

    def __init__(self, env: Any, ring: Callable[[Any, Alarm], None]) -> None:
        self.env = env
        self.ring = ring  # ring(robot, entry)
        self.heap: list[Alarm] = []
        self.order = count()
        self.due = math.inf  # when the timer rings (-inf while ringing: no timer set meanwhile)
        self.timer: Any = None

    def set(self, robot: Any, at: float) -> Alarm:
        """An alarm for ``robot`` at ``at`` (its timeout's instant), to keep in ``robot.alarm``."""
        now = self.env._now
        when = now + max(at - now, 0.0)
        entry = (when, next(self.order), robot)
        heappush(self.heap, entry)
        if when < self.due:
            self.due = when
            self.timer = timer_at(self.env, when, self._rang)
        return entry

    def _rang(self, timer: Any) -> None:
        if timer is not self.timer:
            return  # replaced by an earlier one
        heap = self.heap
        now = self.env._now
        self.due = -math.inf
        while heap and heap[0][0] <= now:
            entry = heappop(heap)
            robot = entry[2]
            if robot.alarm is entry:
                self.ring(robot, entry)
        while heap and heap[0][2].alarm is not heap[0]:
            heappop(heap)  # stale: replaced
        if heap:
            self.due = heap[0][0]
            self.timer = timer_at(self.env, self.due, self._rang)
        else:
            self.due = math.inf
            self.timer = None
