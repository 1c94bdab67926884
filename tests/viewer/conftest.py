"""Fixtures: the demo cell, its synthetic event log and a run directory written from it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from twin.config import Line
from twin.floor import build_walkways
from viewer.synthetic import demo_line, demo_log


def write_run(root: Path, line: Line, log_table: object) -> Path:
    """A run directory in the layout ``twin run --out`` writes."""
    import pyarrow.parquet as pq

    from twin.events import SCHEMA

    root.mkdir(parents=True, exist_ok=True)
    (root / "line.json").write_text(json.dumps(line.model_dump(mode="json", by_alias=True)))
    (root / "walkways.json").write_text(json.dumps(build_walkways(line.layout).to_json()))
    (root / "run.json").write_text(json.dumps({"seed": 0, "hours": 1}))
    pq.write_table(log_table.cast(SCHEMA), root / "events.parquet")  # type: ignore[attr-defined]
    return root


@pytest.fixture(scope="session")
def line() -> Line:
    return demo_line(robots=6)


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory: pytest.TempPathFactory, line: Line) -> Path:
    log = demo_log(line, hours=0.5, seed=3)
    return write_run(tmp_path_factory.mktemp("run"), line, log.to_table())
