"""A plant's station log (one row per start, end, down, up of a station) turned into the
samples twin fits: processing times, times to failure on operating time, times to repair.

The log is a CSV with columns ``station``, ``event`` (start, end, down, up) and ``time``
(seconds, or timestamps such as ``2026-03-02 06:14:05``), and optionally ``unit`` to pair a
start with its end when a station works several units at once (otherwise each end closes the
oldest open start). Times to failure count operating time, the time a station works a unit
outside repairs, as twin does; the stretch after a station's last repair, to the end of the
log, is a right-censored time to failure, and a repair still open at the end a right-censored
repair time. A unit's processing time excludes the repairs that interrupted it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

EVENTS = ("start", "end", "down", "up")


class LogError(ValueError):
    """A station log that cannot be read; the message names file, row and fix."""


@dataclass
class StationSamples:
    """What a station's log says about it (times in seconds)."""

    process: list[float] = field(default_factory=list)
    ttf: list[float] = field(default_factory=list)
    ttf_censored: list[bool] = field(default_factory=list)
    ttr: list[float] = field(default_factory=list)
    ttr_censored: list[bool] = field(default_factory=list)


def read_log(path: Path) -> pd.DataFrame:
    """The log as columns station, event, time (s from the first row), unit; checked."""
    try:
        df = pd.read_csv(path, dtype={"station": str, "event": str, "unit": str})
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise LogError(f"{path}: cannot read the station log as CSV ({exc})") from exc
    df.columns = [str(c).strip().lower() for c in df.columns]
    missing = [c for c in ("station", "event", "time") if c not in df.columns]
    if missing:
        raise LogError(f"{path}: missing column(s) {', '.join(missing)}; a station log has "
                       "columns station, event (start, end, down, up), time [, unit]")
    df["event"] = df["event"].astype(str).str.strip().str.lower()
    bad = ~df["event"].isin(EVENTS)
    if bad.any():
        row = int(np.argmax(bad.to_numpy()))
        raise LogError(f"{path}: row {row + 2}: event {df['event'].iloc[row]!r} is not one of "
                       f"{', '.join(EVENTS)}")
    df["time"] = _seconds(df["time"], path)
    df["station"] = df["station"].astype(str).str.strip()
    if "unit" not in df.columns:
        df["unit"] = None
    return df.sort_values("time", kind="stable").reset_index(drop=True)


def _seconds(col: pd.Series, path: Path) -> pd.Series:
    numeric = pd.to_numeric(col, errors="coerce")
    if numeric.notna().all():
        if not np.isfinite(numeric.to_numpy()).all():
            raise LogError(f"{path}: column time: every time must be finite")
        return numeric.astype(float)
    stamps = pd.to_datetime(col, errors="coerce")
    if stamps.isna().any():
        row = int(np.argmax(stamps.isna().to_numpy()))
        raise LogError(f"{path}: row {row + 2}: time {col.iloc[row]!r} is neither seconds nor a "
                       "timestamp such as 2026-03-02 06:14:05")
    return (stamps - stamps.min()).dt.total_seconds()


def samples(df: pd.DataFrame, path: Path | str = "log") -> dict[str, StationSamples]:
    """Each station's processing, failure and repair samples."""
    log_end = float(df["time"].max())
    out = {}
    for sid, rows in df.groupby("station", sort=False):
        out[str(sid)] = _station(str(sid), rows, log_end, path)
    return out


def _station(sid: str, rows: pd.DataFrame, log_end: float, path: Path | str) -> StationSamples:
    s = StationSamples()
    downs: list[tuple[float, float]] = []
    units: list[tuple[float, float]] = []
    open_starts: dict[object, list[float]] = {}
    down_at: float | None = None
    for row, ev, t, unit in zip(rows.index, rows["event"], rows["time"], rows["unit"],
                                strict=True):
        key = None if unit is None or (isinstance(unit, float) and np.isnan(unit)) else unit
        where = f"{path}: row {int(row) + 2} (station {sid})"
        if ev == "start":
            open_starts.setdefault(key, []).append(float(t))
        elif ev == "end":
            starts = open_starts.get(key)
            if not starts:
                raise LogError(f"{where}: 'end' without an open 'start'"
                               + (f" of unit {key}" if key is not None else ""))
            units.append((starts.pop(0), float(t)))
        elif ev == "down":
            if down_at is not None:
                raise LogError(f"{where}: 'down' while already down since t={down_at:g} s")
            down_at = float(t)
        else:
            if down_at is None:
                raise LogError(f"{where}: 'up' without a 'down' before it")
            downs.append((down_at, float(t)))
            down_at = None
    for a, b in downs:
        s.ttr.append(b - a)
        s.ttr_censored.append(False)
    if down_at is not None:
        s.ttr.append(log_end - down_at)
        s.ttr_censored.append(True)
        downs.append((down_at, log_end))
    down_arr = np.array(downs, dtype=float).reshape(-1, 2)
    for a, b in units:
        s.process.append(b - a - _overlap(a, b, down_arr))
    operating = _operating(units, down_arr)
    first = float(rows["time"].min())
    since = first
    for a, b in downs[: len(s.ttr) - (1 if down_at is not None else 0)]:
        s.ttf.append(operating(a) - operating(since))
        s.ttf_censored.append(False)
        since = b
    if down_at is not None:
        s.ttf.append(operating(down_at) - operating(since))
        s.ttf_censored.append(False)
    else:
        tail = operating(log_end) - operating(since)
        if tail > 0:
            s.ttf.append(tail)
            s.ttf_censored.append(True)
    return s


def _overlap(a: float, b: float, intervals: np.ndarray) -> float:
    if intervals.size == 0:
        return 0.0
    lo = np.maximum(intervals[:, 0], a)
    hi = np.minimum(intervals[:, 1], b)
    return float(np.clip(hi - lo, 0, None).sum())


def _operating(units: list[tuple[float, float]], downs: np.ndarray) -> Callable[[float], float]:
    """Operating time accrued by t: time with a unit in process, outside repairs."""
    merged: list[list[float]] = []
    for a, b in sorted(units):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    starts = np.array([m[0] for m in merged])
    ends = np.array([m[1] for m in merged])
    lengths = np.array([b - a - _overlap(a, b, downs) for a, b in merged])
    before = np.concatenate([[0.0], np.cumsum(lengths)])

    def upto(t: float) -> float:
        done = int(np.searchsorted(ends, t, side="right"))  # intervals ended by t
        total = float(before[done])
        if done < starts.size and starts[done] < t:
            total += t - starts[done] - _overlap(float(starts[done]), t, downs)
        return total

    return upto
