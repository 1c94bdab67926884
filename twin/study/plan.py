"""Study plans: factors, full-factorial scenarios, targets, the cost model and run specs.

A study is a line plus factors (any dotted field path of the line) and settings. Replication r
of every scenario runs with the seed derived from (study seed, r) only, so every scenario sees
the same random substreams (common random numbers).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from twin.config import Line

DEFAULT_SIMULATOR = "twin.sim:simulate"
TRACE_POINTS = 1500

_ALIASES = {"robots": "fleet", "robot": "fleet"}
_TARGET = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_.]*)\s*(>=|<=|>|<)\s*([-+0-9.eE]+)\s*$")
_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt,
}


class PlanError(ValueError):
    """A study plan a planner wrote is wrong; the message is one readable line."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CostModel(_Model):
    """Prices for cost per unit and payback against a human-staffed baseline (USD)."""

    robot_price: float = Field(default=30000.0, ge=0, description=(
        "per humanoid today (seeds/facts.csv humanoid_cost_today: 'several tens of thousands of "
        "USD'; the USD 10,000 of humanoid_target_price is a future target, not today's price)"))
    charger_price: float = Field(default=2000.0, ge=0, description="per charge or swap point")
    energy_price_kwh: float = Field(default=0.15, ge=0, description="electricity per kWh")
    labour_cost_per_year: float = Field(default=14295.0, ge=0,
                                        description="one worker (seeds/facts.csv mfg_wage_2021)")
    baseline_workers: float | None = Field(default=
        None, ge=0, description="humans staffing the baseline line; default: one per robot "
        "and shift (a robot on two shifts does two people's hours)"
    )
    amortisation_years: float = Field(default=5.0, gt=0, description="capital written off over")
    hours_per_year: float = Field(default=8760.0, gt=0, description=(
        "calendar hours a year the measured window stands for (8,760: the simulated weeks, "
        "nights and weekends included, repeated all year)"))


class Target(_Model):
    """A goal on a line KPI, e.g. ``throughput_per_hour>=120``."""

    kpi: str
    op: Literal[">=", ">", "<=", "<"]
    value: float

    @classmethod
    def parse(cls, text: str) -> Target:
        """Parse ``kpi>=value`` (also >, <=, <)."""
        match = _TARGET.match(text)
        if not match:
            raise PlanError(f"target {text!r} must look like throughput_per_hour>=120")
        kpi, op, value = match.groups()
        return cls(kpi=kpi.removeprefix("line."), op=op, value=float(value))  # type: ignore[arg-type]

    @property
    def lower_is_better(self) -> bool:
        return self.op in ("<=", "<")

    def met(self, value: float) -> bool:
        """Whether ``value`` satisfies the target."""
        return bool(_OPS[self.op](value, self.value))

    def __str__(self) -> str:
        return f"{self.kpi} {self.op} {self.value:g}"


class StudyPlan(_Model):
    """Everything a study needs besides the line itself; also the study YAML schema."""

    line: str | None = Field(default=None, description="line YAML path (study YAML only)")
    factors: dict[str, list[Any]] = Field(default_factory=dict, description="path -> values")
    replications: int = Field(default=5, ge=1)
    hours: float = Field(default=168.0, gt=0, description="simulated horizon per run (h)")
    warmup: float | Literal["auto"] | None = Field(default=
        None, description='hours, "auto" (MSER-5 pilot runs) or null (the line\'s own)'
    )
    seed: int = Field(default=0, ge=0)
    target: Target | None = None
    cost: CostModel | None = None
    confidence: float = Field(default=0.95, gt=0, lt=1)
    half_width: float | None = Field(default=None, gt=0, description="relative half-width goal")
    series_bin_s: float = Field(default=3600.0, gt=0)
    traces: bool = Field(default=True, description="one extra run with events for the report")
    keep_events: bool = Field(default=False, description="keep the trace run's event log")
    simulator: str = DEFAULT_SIMULATOR
    run_timeout: str | None = Field(default=None, description=(
        "wall-clock limit of one run, as --run-timeout: seconds, a duration (\"20 min\"), off, "
        "or auto (from the line's size and horizon); a run past it is recorded as failed. "
        "Not part of a run's key: a resumed study may change it"))

    @field_validator("run_timeout", mode="before")
    @classmethod
    def _run_timeout(cls, value: object) -> object:
        if isinstance(value, bool):  # YAML reads a bare off (or on) as a boolean
            value = "on" if value else "off"
        elif isinstance(value, (int, float)):
            value = repr(value)
        if isinstance(value, str):
            parse_run_timeout(value, option="")  # refused here; the error names the field
        return value

    @field_validator("target", mode="before")
    @classmethod
    def _target(cls, value: object) -> object:
        return Target.parse(value) if isinstance(value, str) else value

    @field_validator("factors", mode="before")
    @classmethod
    def _factors(cls, value: object) -> object:
        if isinstance(value, dict):
            return {k: parse_values(v) if isinstance(v, str) else v for k, v in value.items()}
        return value


@dataclass(frozen=True)
class Scenario:
    """One point of the grid: an id, a readable name and the line overrides."""

    id: int
    overrides: dict[str, Any]

    @property
    def name(self) -> str:
        if not self.overrides:
            return "base"
        return ", ".join(f"{k}={v}" for k, v in self.overrides.items())


@dataclass(frozen=True)
class RunSpec:
    """One simulation to run: everything a worker needs, and the content-hash key."""

    key: str
    scenario: int
    replication: int
    role: str
    line: Line
    overrides: dict[str, Any]
    seed: int
    hours: float
    warmup_hours: float | None
    series_bin_s: float
    events: bool
    keep_events: bool
    simulator: str
    code_version: str
    meta: dict[str, Any] = field(default_factory=dict, compare=False)


def parse_run_timeout(text: str | None, option: str = "--run-timeout") -> float | None:
    """A run's wall-clock budget as written: plain seconds or a duration ("20 min"), "auto"
    (None: derived from the line) or "off" (math.inf). ValueError names the fix."""
    from twin.units import parse_duration

    word = "auto" if text is None else text.strip().lower()
    if word == "auto":
        return None
    if word in ("off", "none"):
        return math.inf
    said = f"{option} {text!r}" if option else repr(text)  # a file's error names the field
    try:
        seconds = parse_duration(word)
    except ValueError:
        raise ValueError(f"{said}: give seconds (e.g. 600), a duration such as '20 min', auto "
                         "(from the line's size and horizon) or off") from None
    if not seconds > 0:
        raise ValueError(f"{said}: must be above 0 s (or off for no limit)")
    return seconds


def parse_values(text: str) -> list[Any]:
    """``4:12:2`` (inclusive range), ``1,2,3`` or one value; numbers where they parse."""
    text = text.strip()
    if ":" in text and "," not in text and _is_range(text):
        parts = [_scalar(p) for p in text.split(":")]
        start, stop = parts[0], parts[1]
        step = parts[2] if len(parts) == 3 else 1
        if not step or (stop - start) * step < 0:
            raise PlanError(f"range {text!r} never reaches its end")
        count = int(np.floor((stop - start) / step + 1e-9)) + 1
        values = [start + i * step for i in range(count)]
        if all(isinstance(p, int) for p in parts):
            return [int(v) for v in values]
        return [round(float(v), 12) for v in values]
    return [_scalar(p) for p in text.split(",") if p.strip()]


def _is_range(text: str) -> bool:
    parts = text.split(":")
    return len(parts) in (2, 3) and all(isinstance(_scalar(p), (int, float)) for p in parts)


def _scalar(text: str) -> Any:
    value = yaml.safe_load(text.strip())
    return text.strip() if isinstance(value, (dict, list)) or value is None else value


def parse_vary(items: Sequence[str]) -> dict[str, list[Any]]:
    """Parse ``--vary path=values`` options into factors."""
    factors: dict[str, list[Any]] = {}
    for item in items:
        path, sep, values = item.partition("=")
        if not sep or not path.strip() or not values.strip():
            raise PlanError(f"--vary {item!r} must look like fleet.count=4:12:2 or a=1,2,3")
        factors[path.strip()] = parse_values(values)
    return factors


def resolve_path(line: Line, path: str) -> str:
    """Map planner shorthands onto the line model: ``robots.*`` -> ``fleet.*``, and
    ``chargers.count`` -> ``chargers.<id>.count`` when the line has one charger group."""
    head, _, rest = path.partition(".")
    head = _ALIASES.get(head, head)
    if head in ("chargers", "stations", "sources", "sinks") and rest:
        groups = getattr(line, head)
        first = rest.partition(".")[0]
        if first not in groups and len(groups) == 1:
            only, model = next(iter(groups.items()))
            if first in type(model).model_fields:
                rest = f"{only}.{rest}"
    return f"{head}.{rest}" if rest else head


def scenarios(line: Line, factors: dict[str, list[Any]]) -> list[Scenario]:
    """The full-factorial grid over ``factors`` (path -> values)."""
    if not factors:
        return [Scenario(0, {})]
    paths = [resolve_path(line, p) for p in factors]
    if len(set(paths)) != len(paths):
        raise PlanError(f"two factors name the same field: {', '.join(factors)}")
    for path, values in zip(paths, factors.values(), strict=True):
        if not values:
            raise PlanError(f"factor {path} has no values")
        if len({canonical(v) for v in values}) != len(values):
            raise PlanError(f"factor {path} repeats a value: {values}")
    grid = itertools.product(*factors.values())
    return [Scenario(i, dict(zip(paths, combo, strict=True))) for i, combo in enumerate(grid)]


def replication_seed(study_seed: int, replication: int) -> int:
    """Seed of replication r: depends on (study seed, r) only, the same for every scenario."""
    state = np.random.SeedSequence([study_seed, replication]).generate_state(2, np.uint32)
    return ((int(state[0]) << 32) | int(state[1])) >> 1


def canonical(value: Any) -> str:
    """Stable JSON text for hashing."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def config_hash(line: Line) -> str:
    """Content hash of a line configuration."""
    text = canonical(line.model_dump(mode="json", by_alias=True))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def code_version(simulator: str = DEFAULT_SIMULATOR) -> str:
    """The package version plus a hash of the model's source (everything but the study)."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256(simulator.encode())
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith("study/") or rel == "cli.py":
            continue
        digest.update(rel.encode())
        digest.update(path.read_bytes())
    try:
        version = metadata.version("twin")
    except metadata.PackageNotFoundError:
        version = "0"
    return f"{version}+{digest.hexdigest()[:12]}"


def run_key(line_hash: str, overrides: dict[str, Any], seed: int, hours: float,
            warmup_hours: float | None, series_bin_s: float, events: bool, version: str) -> str:
    """Content hash that names a run: same inputs, same key, same results."""
    text = canonical([line_hash, overrides, seed, hours, warmup_hours, series_bin_s, events,
                      version])
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def run_specs(line: Line, plan: StudyPlan, grid: list[Scenario], warmup_hours: float | None,
              version: str, *, role: str = "main", replications: int | None = None,
              series_bin_s: float | None = None) -> list[RunSpec]:
    """Specs for every (scenario, replication), replication-major so early results span all
    scenarios."""
    line_hash = config_hash(line)
    bin_s = series_bin_s or plan.series_bin_s
    specs = []
    for r in range(replications or plan.replications):
        seed = replication_seed(plan.seed, r)
        for sc in grid:
            events = role == "trace"
            key = run_key(line_hash, sc.overrides, seed, plan.hours, warmup_hours, bin_s,
                          events, version)
            specs.append(RunSpec(
                key=key, scenario=sc.id, replication=r, role=role, line=line,
                overrides=sc.overrides, seed=seed, hours=plan.hours, warmup_hours=warmup_hours,
                series_bin_s=bin_s, events=events, keep_events=events and plan.keep_events,
                simulator=plan.simulator, code_version=version,
                meta={"config_hash": line_hash},
            ))
    return specs


def load_plan(path: Path) -> StudyPlan:
    """Read a study YAML (the same fields as the CLI options)."""
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise PlanError(f"{path}: {exc}".splitlines()[0]) from exc
    if not isinstance(data, dict):
        raise PlanError(f"{path}: a study YAML is a mapping of settings")
    if "line" in data and data["line"] is not None:
        data["line"] = str((path.parent / str(data["line"])).resolve())
    try:
        return StudyPlan.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        where = ".".join(str(part) for part in errors[0]["loc"])
        what = errors[0]["msg"].removeprefix("Value error, ")
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise PlanError(f"{path}: {where}: {what}{more}") from exc
