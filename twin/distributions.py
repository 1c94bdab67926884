"""Random durations: the distributions a planner can write, and fast samplers for them.

Every distribution is a small pydantic model tagged by ``dist``; a bare number or duration
string ("45 s") means a constant. ``sampler(rng)`` returns a zero-argument callable that draws
from the given ``numpy.random.Generator`` in batches, so the hot loop pays one list pop per
draw instead of one NumPy call.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from twin.units import Seconds, parse_duration

Sampler = Callable[[], float]
BATCH = 512
MAX_CV = 10.0
CV_WHY = ("coefficient of variation, at most 10: beyond it one draw in millions outweighs the "
          "rest of a run and replications never agree")


class _Dist(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @property
    def mean(self) -> float:  # pragma: no cover - overridden
        raise NotImplementedError

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def sampler(self, rng: np.random.Generator) -> Sampler:
        """A callable drawing one value at a time, refilled in batches from ``rng``."""
        buffer = array("d")  # 8 bytes a value, not a float object each: the 500-robot hall
        draw = self.draw  # holds some 160,000 buffered draws (5.5 MB as float objects)

        def sample() -> float:
            if not buffer:
                buffer.frombytes(np.ascontiguousarray(draw(rng, BATCH)[::-1], float).tobytes())
            return buffer.pop()

        return sample


class Constant(_Dist):
    dist: Literal["constant"] = "constant"
    value: Seconds = Field(ge=0)

    @property
    def mean(self) -> float:
        return self.value

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.full(n, self.value)

    def sampler(self, rng: np.random.Generator) -> Sampler:
        value = self.value
        return lambda: value


class Exponential(_Dist):
    dist: Literal["exponential"]
    mean_: Seconds = Field(alias="mean", gt=0)

    @property
    def mean(self) -> float:
        return self.mean_

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.exponential(self.mean_, n)


class Uniform(_Dist):
    dist: Literal["uniform"]
    low: Seconds = Field(ge=0)
    high: Seconds = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.high < self.low:
            raise ValueError("uniform needs low <= high")
        return self

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, n)


class Triangular(_Dist):
    dist: Literal["triangular"]
    low: Seconds = Field(ge=0)
    mode: Seconds = Field(ge=0)
    high: Seconds = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not (self.low <= self.mode <= self.high) or self.low == self.high:
            raise ValueError("triangular needs low <= mode <= high and low < high")
        return self

    @property
    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.triangular(self.low, self.mode, self.high, n)


class Normal(_Dist):
    """Normal truncated at zero (negative draws are redrawn)."""

    dist: Literal["normal"]
    mean_: Seconds = Field(alias="mean", ge=0)
    sd: Seconds = Field(ge=0)

    @property
    def mean(self) -> float:
        if self.sd == 0:
            return self.mean_
        a = self.mean_ / self.sd
        phi = math.exp(-a * a / 2) / math.sqrt(2 * math.pi)
        return self.mean_ + self.sd * phi / (0.5 * (1 + math.erf(a / math.sqrt(2))))

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        out = rng.normal(self.mean_, self.sd, n)
        bad = out < 0
        while bad.any():
            out[bad] = rng.normal(self.mean_, self.sd, int(bad.sum()))
            bad = out < 0
        return out


class LogNormal(_Dist):
    """Lognormal given by its own mean and coefficient of variation (not the log's)."""

    dist: Literal["lognormal"]
    mean_: Seconds = Field(alias="mean", gt=0)
    cv: float = Field(ge=0, le=MAX_CV, description=CV_WHY)

    @property
    def mean(self) -> float:
        return self.mean_

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        sigma2 = math.log1p(self.cv**2)
        mu = math.log(self.mean_) - sigma2 / 2
        return rng.lognormal(mu, math.sqrt(sigma2), n)


class Gamma(_Dist):
    """Gamma given by mean and coefficient of variation (shape = 1/cv^2)."""

    dist: Literal["gamma"]
    mean_: Seconds = Field(alias="mean", gt=0)
    cv: float = Field(
        ge=1e-3, le=MAX_CV, description="at least 0.001 (shape 1/cv^2 stays a float; use a "
        "constant for no spread); " + CV_WHY
    )

    @property
    def mean(self) -> float:
        return self.mean_

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        shape = 1.0 / self.cv**2
        return rng.gamma(shape, self.mean_ / shape, n)


class Weibull(_Dist):
    dist: Literal["weibull"]
    shape: float = Field(
        ge=0.1, le=100, description="0.1 to 100: below 0.1 the mean is over a million scales "
        "(one draw dominates a run); above 100 it is a constant"
    )
    scale: Seconds = Field(gt=0)

    @property
    def mean(self) -> float:
        return self.scale * math.gamma(1 + 1 / self.shape)

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.scale * rng.weibull(self.shape, n)


class Empirical(_Dist):
    """Observed values, drawn with replacement (optionally weighted)."""

    dist: Literal["empirical"]
    values: list[Seconds] = Field(min_length=1)
    weights: list[float] | None = None

    @model_validator(mode="after")
    def _check(self) -> Empirical:
        if any(v < 0 for v in self.values):
            raise ValueError("empirical values must be >= 0")
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                raise ValueError("empirical weights must have one entry per value")
            total = sum(self.weights)
            if any(w < 0 for w in self.weights) or not 0 < total < math.inf:
                raise ValueError("empirical weights must be >= 0, not all zero, and sum to a "
                                 "finite number")
        return self

    @property
    def _p(self) -> np.ndarray | None:
        if self.weights is None:
            return None
        w = np.asarray(self.weights, dtype=float)
        return w / w.sum()

    @property
    def mean(self) -> float:
        p = self._p
        values = np.asarray(self.values)
        return float(values.mean() if p is None else values @ p)

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.choice(np.asarray(self.values, dtype=float), size=n, p=self._p)


DIST_NAMES = (
    "constant", "exponential", "uniform", "triangular", "normal", "lognormal", "gamma",
    "weibull", "empirical",
)


def _shorthand(value: Any) -> Any:
    """Let a bare number or duration string stand for a constant."""
    if isinstance(value, (int, float, str)) and not isinstance(value, bool):
        return {"dist": "constant", "value": parse_duration(value)}
    if isinstance(value, dict) and "dist" not in value:
        if set(value) == {"value"}:
            return {"dist": "constant", **value}
        raise ValueError(
            "a distribution needs a 'dist' key, one of: " + ", ".join(DIST_NAMES)
        )
    if isinstance(value, dict) and value.get("dist") not in DIST_NAMES:
        raise ValueError(
            f"unknown distribution {value.get('dist')!r}; use one of: " + ", ".join(DIST_NAMES)
        )
    return value


Distribution = Annotated[
    Constant | Exponential | Uniform | Triangular | Normal | LogNormal | Gamma | Weibull
    | Empirical,
    Field(discriminator="dist"),
    BeforeValidator(_shorthand),
]


def mean_at_least(seconds: float, what: str, why: str) -> AfterValidator:
    """A check that a distribution's mean is at least ``seconds``: times that must advance the
    clock (a cycle, an interarrival) cannot be zero, or a run never leaves its first instant."""

    def check(dist: _Dist) -> _Dist:
        if not dist.mean >= seconds:
            raise ValueError(f"{what} must average at least {seconds:g} s ({why}); this "
                             f"{dist.dist} averages {dist.mean:.3g} s")  # type: ignore[attr-defined]
        return dist

    return AfterValidator(check)
