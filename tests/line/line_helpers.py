"""Shared helpers for the line-model tests: fixture paths, replications, t confidence intervals,
closed forms used by more than one test."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
from scipy import stats

from twin.config import Line
from twin.kpi import KPIs
from twin.loader import load_line
from twin.sim import simulate

TESTS = Path(__file__).resolve().parents[1]
REPO = TESTS.parent
DATA = TESTS / "data"
BROKEN = DATA / "broken"


def data_line(name: str) -> Line:
    """A fixture line from tests/data by file stem."""
    return load_line(DATA / f"{name}.yaml")


def all_line_files() -> list[Path]:
    """Every valid line we know of: lines/**/*.yaml plus the fixtures in tests/data."""
    lines = sorted((REPO / "lines").rglob("*.yaml")) if (REPO / "lines").exists() else []
    return lines + sorted(DATA.glob("*.yaml"))


def replicate(line: Line, *, n: int, hours: float, warmup_hours: float,
              seed0: int = 1000) -> list[KPIs]:
    """KPIs of ``n`` independent replications (seeds seed0, seed0+1, ...)."""
    return [simulate(line, hours=hours, seed=seed0 + k, warmup_hours=warmup_hours,
                     series_bin_s=0).kpis for k in range(n)]


def metric(runs: list[KPIs], fn: Callable[[KPIs], float]) -> np.ndarray:
    return np.asarray([fn(k) for k in runs], dtype=float)


def t_interval(x: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Mean and half-width of the Student t confidence interval of the mean of ``x``."""
    n = len(x)
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * x.std(ddof=1) / np.sqrt(n))
    return float(x.mean()), half


def assert_in_ci(x: np.ndarray, expected: float, *, max_rel_half: float, what: str) -> None:
    """``expected`` lies in the 95% CI of ``x``, and the CI is tight enough to mean something."""
    mean, half = t_interval(x)
    assert abs(mean - expected) <= half, (
        f"{what}: closed form {expected:.4g} outside the 95% CI {mean:.4g} +- {half:.3g}"
    )
    assert half <= max_rel_half * abs(expected), (
        f"{what}: CI half-width {half:.3g} is too wide to test {expected:.4g}; run longer"
    )


def machine_repair(n: int, c: int, lam: float, mu: float) -> dict[str, float]:
    """M/M/c//N: n sources failing at rate lam each, c repairers at rate mu."""
    k = np.arange(n + 1)
    r = lam / mu
    falling = np.array([math.factorial(n) / math.factorial(n - j) for j in k], dtype=float)
    servers = np.array([math.factorial(j) if j <= c else math.factorial(c) * c ** (j - c)
                        for j in k], dtype=float)
    p = falling / servers * r**k
    p /= p.sum()
    big_l = float((k * p).sum())
    lq = float((np.maximum(k - c, 0) * p).sum())
    throughput = lam * (n - big_l)
    return {"L": big_l, "Lq": lq, "Wq": lq / throughput, "busy": (big_l - lq) / c,
            "throughput": throughput}
