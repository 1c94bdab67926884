"""What each station did up to any time, read from a run's event log: processing seconds
and units produced (ISO 22400's APT and PQ), as the HUD's KPIs need them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from twin.config import Line

if TYPE_CHECKING:
    from viewer.replay import Step


class StationTally:
    """Per station: processing seconds and units produced up to any time, from the log."""

    HOLDING = ("processing", "setup", "down")  # a server in these states has a unit on it

    def __init__(self, servers: dict[str, list[Step]], levels: dict[str, Step],
                 parts: pd.DataFrame, line: Line) -> None:
        self._busy: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}
        self._steps = servers
        for sid, steps in servers.items():
            rows = []
            for st in steps:
                on = st.state == "processing"
                cum = np.concatenate([[0.0], np.cumsum(np.diff(st.t) * on[:-1])])
                rows.append((st.t, on, cum))
            self._busy[sid] = rows
        # a server off shift keeps what it was doing (a unit on it stays there): its state
        # under the off-shift rows is the last other one
        self._real = {sid: [pd.Series(st.state).replace("off_shift", None).ffill()
                            .fillna("starved").to_numpy(dtype=object) for st in steps]
                      for sid, steps in servers.items()}
        self._taken: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for sid in servers:
            inbox = levels.get(f"{sid}.in")
            if inbox is None:
                self._taken[sid] = (np.zeros(0), np.zeros(0))
                continue
            drops = np.maximum(-np.diff(inbox.value, prepend=0.0), 0.0)
            self._taken[sid] = (inbox.t, np.cumsum(drops))
        # a unit handed straight to a waiting server leaves no buffer row: the server's move
        # from starved to work (setup or processing; off-shift rows skipped) marks it, unless
        # at an assembly station the wait began as a unit was taken from the buffer (it then
        # waits for its kits with the unit already counted)
        self._handed: dict[str, list[np.ndarray]] = {}
        for sid, steps in servers.items():
            times, taken = self._taken[sid]
            took = set(times[np.diff(taken, prepend=0.0) > 0].tolist()) \
                if line.stations[sid].assemble else set()
            self._handed[sid] = []
            for st in steps:
                handed, before, since = [], "starved", -1.0  # every server starts waiting
                for when, state in zip(st.t, st.state, strict=True):
                    if state == "off_shift":
                        continue
                    if before == "starved" and state in ("processing", "setup"):
                        if since not in took:
                            handed.append(when)
                    elif before != "starved" and state == "starved":
                        since = float(when)
                    before = str(state)
                self._handed[sid].append(np.asarray(handed, dtype=float))
        rework = parts[parts["state"] == "rework"]
        self._rework = {sid: np.sort(rework[rework["entity"] == sid]["t"].to_numpy(dtype=float))
                        for sid in servers}

    def processing(self, sid: str, t: float) -> float:
        """Server-seconds spent processing at station sid in [0, t]."""
        total = 0.0
        for times, on, cum in self._busy[sid]:
            j = int(np.searchsorted(times, t, side="right")) - 1
            if j >= 0:
                total += float(cum[j] + (t - times[j]) * on[j])
        return total

    def produced(self, sid: str, t: float) -> float:
        """Units finished at station sid by t (reworks count again, as ISO 22400's PQ)."""
        times, taken = self._taken[sid]
        j = int(np.searchsorted(times, t, side="right")) - 1
        started = float(taken[j]) if j >= 0 else 0.0
        reworks = float(np.searchsorted(self._rework[sid], t, side="right"))
        handed = sum(int(np.searchsorted(h, t, side="right")) for h in self._handed[sid])
        holding = 0
        for st, real in zip(self._steps[sid], self._real[sid], strict=True):
            k = st.index(t)
            holding += int(k >= 0 and real[k] in self.HOLDING)
        return started + handed + reworks - holding
