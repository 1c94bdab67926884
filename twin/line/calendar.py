"""Shift calendars: when the line works. Planned downtime is not an availability loss.

A calendar is a weekly pattern of on-shift intervals (t = 0 is Monday 00:00). Work that needs
``d`` seconds of shift time finishes at ``advance(t, d)``; state times are split into on- and
off-shift parts with ``on_time(t0, t1)``. Both are O(log n) via cumulative sums.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right

import numpy as np

from twin.config import Shifts, parse_clock

WEEK = 7 * 86400.0
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class AlwaysOn:
    """The 24/7 calendar: every instant is on shift."""

    always = True

    def is_on(self, t: float) -> bool:
        return True

    def cumulative(self, t: float) -> float:
        return t

    def on_time(self, t0: float, t1: float) -> float:
        return t1 - t0

    def advance(self, t: float, d: float) -> float:
        return t + d

    def next_change(self, t: float) -> float:
        return math.inf

    def on_stretch(self, t: float) -> tuple[float, float]:
        return -math.inf, math.inf


class ShiftCalendar:
    """A weekly calendar built from shifts, breaks and days off (minute resolution)."""

    always = False

    def __init__(self, spec: Shifts) -> None:
        minutes = 7 * 24 * 60
        on = np.zeros(minutes, dtype=bool)
        off_days = {DAYS.index(d) for d in spec.days_off}
        for day in range(7):
            if day in off_days:
                continue
            for w in spec.shifts:
                _mark(on, day, w.start, w.end, True)
        for day in range(7):
            for w in spec.breaks:
                _mark(on, day, w.start, w.end, False)
        if not on.any():
            raise ValueError("the shift calendar has no working time")
        if on.all():
            self.starts = [0.0]
            self.ends = [WEEK]
        else:
            edges = np.flatnonzero(np.diff(np.concatenate([[0], on.astype(int), [0]])))
            self.starts = [float(s) * 60 for s in edges[0::2]]
            self.ends = [float(e) * 60 for e in edges[1::2]]
        lengths = [e - s for s, e in zip(self.starts, self.ends, strict=True)]
        self.cum = np.concatenate([[0.0], np.cumsum(lengths)]).tolist()  # on-time before i
        self.cum_end = self.cum[1:]
        self.per_week = self.cum[-1]
        # the stretch [lo, hi) of one week, on or off shift, that the last is_on fell in
        self._lo, self._hi, self._on = 0.0, 0.0, False
        # cumulative's stretch [_c_lo, _c_hi) between two shift starts, its week and index
        self._c_lo, self._c_hi, self._c_week, self._c_k, self._c_i = 0.0, 0.0, 0.0, 0.0, -1

    def is_on(self, t: float) -> bool:
        if self._lo <= t < self._hi:
            return self._on
        r = t % WEEK
        i = bisect_right(self.starts, r) - 1
        on = i >= 0 and r < self.ends[i]
        week = t - r  # whole weeks: every edge is a whole minute, so these sums are exact
        if on:
            lo, hi = self.starts[i], self.ends[i]
        else:
            lo = self.ends[i] if i >= 0 else 0.0
            hi = self.starts[i + 1] if i + 1 < len(self.starts) else WEEK
        self._lo, self._hi, self._on = week + lo, week + hi, on
        return on

    def on_stretch(self, t: float) -> tuple[float, float]:
        """The on-shift stretch ``[start, end)`` that ``t`` falls in, or ``(t, t)`` off shift.
        Work that starts and ends inside one stretch takes its own length of time, and time
        spent inside one is all on shift, with no lookups (the callers keep the stretch)."""
        if self.is_on(t):
            return self._lo, self._hi
        return t, t

    def cumulative(self, t: float) -> float:
        """On-shift seconds in [0, t)."""
        if self._c_lo <= t < self._c_hi:  # in the stretch of the last call: same sums
            r = t - self._c_week  # exact: t and whole weeks differ by under a week
            k, i = self._c_k, self._c_i
        else:
            k, r = divmod(t, WEEK)
            i = bisect_right(self.starts, r) - 1
            week = t - r
            lo = self.starts[i] if i >= 0 else 0.0
            hi = self.starts[i + 1] if i + 1 < len(self.starts) else WEEK
            self._c_lo, self._c_hi, self._c_week = week + lo, week + hi, week
            self._c_k, self._c_i = k, i
        inside = 0.0 if i < 0 else self.cum[i] + min(r - self.starts[i], self.ends[i]
                                                      - self.starts[i])
        return k * self.per_week + inside

    def on_time(self, t0: float, t1: float) -> float:
        return self.cumulative(t1) - self.cumulative(t0)

    def advance(self, t: float, d: float) -> float:
        """The earliest time by which ``d`` seconds of shift time have passed after ``t``."""
        if d <= 0:
            return t
        y = self.cumulative(t) + d
        k = math.ceil(y / self.per_week) - 1
        r = y - k * self.per_week
        i = bisect_left(self.cum_end, r - 1e-9)
        i = min(i, len(self.starts) - 1)
        return k * WEEK + self.starts[i] + (r - self.cum[i])

    def next_change(self, t: float) -> float:
        """The next shift start or end strictly after ``t``."""
        k, r = divmod(t, WEEK)
        for edge in sorted(self.starts + self.ends):
            if edge > r + 1e-9 and edge < WEEK:
                return k * WEEK + edge
        return (k + 1) * WEEK + min(self.starts)


def _mark(on: np.ndarray, day: int, start: str, end: str, value: bool) -> None:
    s = int(parse_clock(start) // 60)
    e = int(parse_clock(end) // 60)
    if e <= s:
        e += 24 * 60
    first = day * 24 * 60
    idx = np.arange(first + s, first + e) % on.size
    on[idx] = value


Calendar = AlwaysOn | ShiftCalendar


def make_calendar(spec: str | Shifts) -> Calendar:
    return AlwaysOn() if isinstance(spec, str) else ShiftCalendar(spec)
