"""If ``twin check`` accepts a line, a run of it ends soon, with results or one line of error.

Hypothesis mutates copies of every shipped line with edge values (0, -0.0, 1e-9, 1e9, inf,
NaN, huge counts, the largest allowed sizes) and runs what the loader accepts for a short
horizon under a per-example timeout. A CI-sized batch runs always; the soak is marked slow.
"""

from __future__ import annotations

import contextlib
import math
import re
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import twin
from twin.loader import ConfigError, load_line

ROOT = Path(__file__).resolve().parent.parent
LINES = sorted((ROOT / "lines").glob("*.yaml")) + sorted((ROOT / "lines/teaching").glob("*.yaml"))
HEAVY = {"car_plant.yaml"}  # a 100-robot hall: its walkways alone take a few seconds
LIGHT = [p for p in LINES if p.name not in HEAVY]

NUMBERS: list[Any] = [
    0, -0.0, 1e-9, -1, 0.5, 1, 2, 1e9, 10**9, 2**64, 10**400 // 10**380,
    math.inf, -math.inf, math.nan, 100, 1000, 5000, 100_000,
]
STRINGS: list[Any] = ["0 s", "1e-9 s", "1e400 s", "-0.0 min", "1e9 h", "inf", "nan", ".inf",
                      "00:00", "24:00", "23:59", "1 s", "1 ms"]
DISTRIBUTIONS: list[Any] = [
    {"dist": "exponential", "mean": 1e-9}, {"dist": "constant", "value": 0},
    {"dist": "uniform", "low": 0, "high": 0}, {"dist": "lognormal", "mean": 1, "cv": 1e9},
    {"dist": "gamma", "mean": 1, "cv": 1e-300}, {"dist": "weibull", "shape": 1e-9, "scale": 1},
    {"dist": "empirical", "values": [0, 0, 1e9], "weights": [1e308, 1e308, 1]},
    {"dist": "normal", "mean": 0, "sd": 1e-300},
]
_CLOCK = re.compile(r"^\d\d:\d\d$")


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Every leaf and every mapping of a YAML document, with its path."""
    if isinstance(node, dict):
        yield prefix, node
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, (*prefix, i))
    else:
        yield prefix, node


def _replacements(value: Any) -> list[Any]:
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, (int, float)):
        return NUMBERS
    if isinstance(value, str):
        return STRINGS if (_CLOCK.match(value) or value[:1].isdigit()) else []
    if isinstance(value, dict) and ("dist" in value or "value" in value):
        return DISTRIBUTIONS + NUMBERS
    return []


DOCS = {p: yaml.safe_load(p.read_text(encoding="utf-8")) for p in LINES}
TARGETS = {p: [(path, _replacements(v)) for path, v in _paths(DOCS[p]) if path
               and _replacements(v)] for p in LINES}


@st.composite
def mutants(draw: st.DrawFn, lines: list[Path]) -> tuple[Path, dict[str, Any], float]:
    """A shipped line with one to three values replaced by edge values, and a short horizon."""
    import copy

    path = draw(st.sampled_from(lines))
    doc = copy.deepcopy(DOCS[path])
    for _ in range(draw(st.integers(1, 3))):
        where, options = draw(st.sampled_from(TARGETS[path]))
        node = doc
        for part in where[:-1]:
            node = node[part] if isinstance(node, (dict, list)) else None
        if isinstance(node, (dict, list)):  # not inside a value an earlier mutation replaced
            node[where[-1]] = draw(st.sampled_from(options))
    hours = draw(st.sampled_from([0.05, 0.25, 1.0]))
    return path, doc, hours


class _Timeout(Exception):
    pass


@contextlib.contextmanager
def _deadline(seconds: float, error: type[BaseException] = _Timeout) -> Iterator[None]:
    """Raise ``error`` in the main thread once ``seconds`` of wall time have passed."""

    def ring(signum: int, frame: Any) -> None:
        raise error(f"over {seconds:g} s")

    old = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _check_then_run(path: Path, doc: dict[str, Any], hours: float, budget: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / path.name
        file.write_text(yaml.safe_dump(doc), encoding="utf-8")
        with _deadline(budget):
            try:
                line = load_line(file)
            except ConfigError as exc:
                assert "\n" not in str(exc).strip(), str(exc)
                return
            try:
                result = twin.simulate(line, hours=hours, seed=1)
            except ConfigError as exc:  # found only with the walkways built: still one line
                assert "\n" not in str(exc).strip(), str(exc)
                return
    kpis = result.kpis.line
    assert kpis.horizon_s == pytest.approx(hours * 3600)
    assert kpis.good_units >= 0


@pytest.mark.timeout(120)
@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutants(LIGHT))
def test_an_accepted_line_runs_to_its_end(case: tuple[Path, dict[str, Any], float]) -> None:
    path, doc, hours = case
    _check_then_run(path, doc, hours, budget=20.0)


@pytest.mark.slow
@pytest.mark.timeout(3600)
@settings(max_examples=250, deadline=None,  # CI-sized soak; benchmarks run the 10,000
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutants(LINES))
def test_an_accepted_line_runs_to_its_end_soak(case: tuple[Path, dict[str, Any], float]) -> None:
    path, doc, hours = case
    _check_then_run(path, doc, hours, budget=60.0)
