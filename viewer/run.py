"""A finished run on disk: its line, walkable paths, event log and KPIs, checked on load."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from twin.config import Line

EVENT_COLUMNS = ("t", "entity", "kind", "state", "part", "value", "origin", "target", "path")


class RunError(ValueError):
    """A run directory the viewer cannot replay; the message is one readable line."""


@dataclass(frozen=True)
class Run:
    """Everything the viewer needs to draw a run: the line, its paths and its event log."""

    line: Line
    paths: dict[int, np.ndarray]
    events: pd.DataFrame
    kpis: dict[str, Any] | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    poses: pd.DataFrame | None = None


def paths_of(line: Line, path_ids: Iterable[int] | None = None) -> dict[int, np.ndarray]:
    """Walkable paths by id (default: every pair), computed from the layout as the model does."""
    from twin.floor import build_walkways

    return build_walkways(line.layout).path_table(path_ids)


def path_ids_of(events: pd.DataFrame) -> list[int]:
    """The path ids an event log's travel rows name."""
    return sorted({int(p) for p in events["path"].to_numpy() if int(p) >= 0})


def normalise_events(frame: pd.DataFrame, source: str = "event log") -> pd.DataFrame:
    """Plain columns (str, float, int) sorted stably by time; raises RunError if malformed."""
    missing = [c for c in EVENT_COLUMNS if c not in frame.columns]
    if missing:
        raise RunError(f"{source} is not a twin event log: missing columns {missing}")
    out = pd.DataFrame(
        {
            "t": frame["t"].to_numpy(dtype=float),
            "entity": frame["entity"].astype(str).to_numpy(dtype=object),
            "kind": frame["kind"].astype(str).to_numpy(dtype=object),
            "state": frame["state"].astype(str).to_numpy(dtype=object),
            "part": frame["part"].fillna(-1).to_numpy(dtype=np.int64),
            "value": frame["value"].to_numpy(dtype=float),
            "origin": frame["origin"].astype(object).where(frame["origin"].notna(), None),
            "target": frame["target"].astype(object).where(frame["target"].notna(), None),
            "path": frame["path"].fillna(-1).to_numpy(dtype=np.int64),
        }
    )
    if len(out) and not np.isfinite(out["t"].to_numpy()).all():
        raise RunError(f"{source} has non-finite times")
    return out.sort_values("t", kind="stable").reset_index(drop=True)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise RunError(f"{path}: cannot read JSON ({exc.__class__.__name__})") from exc


def _read_events(path: Path) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not path.is_file():
        raise RunError(f"{path}: event log not found (was the run written with events?)")
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        raise RunError(f"{path}: corrupt or unreadable Parquet event log ({exc})") from exc
    return normalise_events(table.to_pandas(), source=str(path))


def load_run(run_dir: str | Path) -> Run:
    """Read a run directory written by ``twin run --out`` or a study; fail with one line."""
    root = Path(run_dir)
    if not root.is_dir():
        raise RunError(f"{root}: run directory not found")
    line_file = root / "line.json"
    if not line_file.is_file():
        raise RunError(f"{line_file}: line description not found")
    try:
        line = Line.model_validate(_read_json(line_file))
    except ValueError as exc:
        if isinstance(exc, RunError):
            raise
        first = str(exc).splitlines()[0]
        raise RunError(f"{line_file}: not a valid line ({first})") from exc
    events = _read_events(root / "events.parquet")
    walk_file = root / "walkways.json"
    if walk_file.is_file():
        raw = _read_json(walk_file)
        paths = {int(k): np.asarray(v, dtype=float) for k, v in raw.get("paths", {}).items()}
    else:
        paths = paths_of(line, path_ids_of(events))
    kpis = _read_json(root / "kpis.json") if (root / "kpis.json").is_file() else None
    meta = _read_json(root / "run.json") if (root / "run.json").is_file() else {}
    return Run(line=line, paths=paths, events=events, kpis=kpis, meta=meta,
               poses=_read_poses(root / "poses.parquet"))


def _read_poses(path: Path) -> pd.DataFrame | None:
    """The physics pose table if the run has one; a broken one fails like the event log."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from twin.events import POSE_SCHEMA

    if not path.is_file():
        return None
    try:
        frame = pq.read_table(path).to_pandas()
    except (OSError, pa.ArrowException) as exc:
        raise RunError(f"{path}: corrupt or unreadable Parquet pose table ({exc})") from exc
    missing = [c for c in POSE_SCHEMA.names if c not in frame.columns]
    if missing:
        raise RunError(f"{path} is not a twin pose table: missing columns {missing}")
    return frame


def run_from_events(line: Line, events: pd.DataFrame) -> Run:
    """A run held in memory (live mode): same shape as one loaded from disk."""
    events = normalise_events(events)
    return Run(line=line, paths=paths_of(line, path_ids_of(events)), events=events)


def empty_events() -> pd.DataFrame:
    """An event log with no rows (a layout with nothing happening yet)."""
    return pd.DataFrame({c: [] for c in EVENT_COLUMNS})
