"""Shared helpers for the tests of the shipped lines: paths, replications, confidence intervals."""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

import twin

ROOT = Path(__file__).resolve().parents[2]
LINES = ROOT / "lines"
TEACHING = LINES / "teaching"
SEEDS = ROOT / "seeds"
ROBOTS = ROOT / "assets" / "robots"


def all_lines() -> list[Path]:
    """Every line file shipped under lines/, teaching lines included."""
    return sorted(LINES.rglob("*.yaml"))


def fact_ids() -> set[str]:
    """The ids of the facts in seeds/facts.csv."""
    with (SEEDS / "facts.csv").open(encoding="utf-8") as fh:
        return {row["id"] for row in csv.DictReader(fh)}


def replicate(path: Path, fn: Callable[[twin.RunResult], Sequence[float]], *, reps: int,
              hours: float, warmup_hours: float | None = None,
              overrides: dict[str, Any] | None = None) -> np.ndarray:
    """Run ``reps`` seeds of a line; one row of ``fn(result)`` figures per replication."""
    line = twin.load_line(path)
    rows = [fn(twin.simulate(line, hours=hours, seed=seed, warmup_hours=warmup_hours,
                             overrides=overrides)) for seed in range(reps)]
    return np.asarray(rows, dtype=float)


def ci95(samples: np.ndarray) -> tuple[float, float]:
    """Mean and half-width of the 95% t confidence interval of the replication means."""
    n = len(samples)
    half = stats.t.ppf(0.975, n - 1) * samples.std(ddof=1) / math.sqrt(n)
    return float(samples.mean()), float(half)


def assert_in_ci(samples: np.ndarray, expected: float, what: str) -> None:
    """The analytic value lies in the replications' 95% confidence interval."""
    mean, half = ci95(samples)
    assert abs(mean - expected) <= half, (
        f"{what}: twin {mean:.4g} +/- {half:.3g} (95% CI, {len(samples)} reps) "
        f"does not cover the analytic {expected:.4g}"
    )
