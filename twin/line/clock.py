"""State clocks: how long each station server and robot spent in each state.

Every entity is in exactly one state at every instant, so its state times add up to the
horizon. Off-shift time is split out with the calendar: for stations every state turns into
``off_shift`` off shift; for robots only ``idle`` does (a robot charging in a break is charging).
"""

from __future__ import annotations

from twin.events import EventLog
from twin.line.calendar import Calendar


class StateClock:
    __slots__ = ("acc", "state", "since", "cal", "always", "overridden", "log", "logging",
                 "entity", "kind", "tag", "where", "_cum_at", "_cum", "_on_from", "_on_to")

    def __init__(self, states: tuple[str, ...], initial: str, now: float, cal: Calendar,
                 overridden: frozenset[str], log: EventLog, entity: str, kind: str,
                 tag: float = float("nan"), where: str | None = None) -> None:
        self.acc = dict.fromkeys(states, 0.0)
        self.state = initial
        self.since = now
        self.cal = cal
        self.always = cal.always
        self.overridden = overridden
        self.log = log
        self.logging = log.enabled
        self.entity = entity
        self.kind = kind
        self.tag = tag  # logged in `value` (server index for stations)
        self.where = where  # logged in `target`: the location a robot works or waits at
        # on-shift seconds before _cum_at (the calendar's cumulative), kept from the last look
        self._cum_at = float("nan")
        self._cum = 0.0
        self._on_from = self._on_to = 0.0  # the calendar's on-shift stretch last looked at
        if log.enabled:
            log.add(now, entity, kind, self.shown(now), -1, tag, where)

    def shown(self, now: float) -> str:
        """The state as the log and viewer see it now (off_shift where the calendar says)."""
        if self.always or self.state not in self.overridden or self.cal.is_on(now):
            return self.state
        return "off_shift"

    def on_since(self, now: float) -> float:
        """On-shift seconds from ``since`` to ``now`` (a shift calendar's ``on_time``): all of
        it when both are in one on-shift stretch, else with the calendar looked up once per
        end (each flush's end is the next one's start)."""
        since = self.since
        if self._on_from <= since and now <= self._on_to:
            return now - since
        cal = self.cal
        self._on_from, self._on_to = cal.on_stretch(now)
        if self._on_from <= since:
            return now - since
        start = cal.cumulative(self.since) if self._cum_at != self.since else self._cum
        if self._cum_at != now:
            self._cum = cal.cumulative(now)
            self._cum_at = now
        return self._cum - start

    def _flush(self, now: float, on: float | None = None) -> None:
        """Count the time since ``since`` to the state (``on``: ``on_since(now)``, if the
        caller has it already)."""
        dt = now - self.since
        if dt > 0.0:
            state = self.state
            if self.always or state not in self.overridden:
                self.acc[state] += dt
            else:
                if on is None:
                    on = self.on_since(now)
                acc = self.acc
                acc[state] += on
                acc["off_shift"] += dt - on
        self.since = now

    def set(self, now: float, state: str, value: float | None = None,
            logged: bool = True, where: str | None = None, on: float | None = None) -> None:
        self._flush(now, on)
        self.state = state
        if where is not None:
            self.where = where
        if logged and self.logging:
            self.log.add(now, self.entity, self.kind, self.shown(now), -1,
                         self.tag if value is None else value, self.where)

    def relog(self, now: float, value: float | None = None) -> None:
        """Log the shown state again (at a shift boundary)."""
        if self.logging and self.state in self.overridden:
            self.log.add(now, self.entity, self.kind, self.shown(now), -1,
                         self.tag if value is None else value, self.where)

    def reset(self, now: float) -> None:
        self._flush(now)
        for key in self.acc:
            self.acc[key] = 0.0

    def totals(self, now: float) -> dict[str, float]:
        self._flush(now)
        return dict(self.acc)
