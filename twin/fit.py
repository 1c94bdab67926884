"""Input distributions from observed times: maximum-likelihood fits of every family twin can
simulate, ranked by a goodness-of-fit test whose null distribution is bootstrapped from the
fitted model (so it accounts for the fitted parameters), and the YAML to paste.

Right-censored observations (a machine still running when the record ends) enter the
likelihood through the survival function; the empirical distribution is then the Kaplan-Meier
estimate. The test statistic is Anderson-Darling's A^2 for complete data and the Kolmogorov
distance between the Kaplan-Meier curve and the fitted CDF for censored data; bootstrap
samples of censored data are censored by draws from the censoring times' own Kaplan-Meier
(reverse) estimate.

Ranking: families the test rejects at 5% go last; within each group the lower AIC goes first
(the likelihood separates close non-nested families, such as gamma and lognormal, better than
a goodness-of-fit p-value does).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import optimize, special, stats

from twin.distributions import MAX_CV, Distribution

FAMILIES = ("exponential", "uniform", "triangular", "normal", "lognormal", "gamma", "weibull")
CENSORED_FAMILIES = ("exponential", "normal", "lognormal", "gamma", "weibull")
POSITIVE_ONLY = ("lognormal", "gamma", "weibull")
REJECT_BELOW = 0.05
EMPIRICAL_POINTS = 100
"""At most this many values in an empirical distribution: more are cut to quantiles."""
MIN_EVENTS = 5


class FitError(ValueError):
    """The data cannot be fitted (too few observations, negative times ...)."""


@dataclass(frozen=True)
class Sample:
    """Observed times (s); ``event`` is False where the time is right-censored."""

    times: np.ndarray
    event: np.ndarray

    @classmethod
    def of(cls, times: Any, censored: Any = None) -> Sample:
        t = np.asarray(times, dtype=float)
        ev = np.ones(t.size, bool) if censored is None else ~np.asarray(censored, dtype=bool)
        if t.size != ev.size:
            raise FitError("times and censoring flags differ in length")
        if not np.all(np.isfinite(t)) or np.any(t < 0):
            raise FitError("times must be finite and >= 0")
        if int(ev.sum()) < MIN_EVENTS:
            raise FitError(f"need at least {MIN_EVENTS} uncensored times, got {int(ev.sum())}")
        return cls(t, ev)

    @property
    def censored(self) -> bool:
        return not bool(self.event.all())

    @property
    def observed(self) -> np.ndarray:
        return self.times[self.event]


# --- the families: parameters (twin's YAML form) -> scipy distribution -----------------------

def frozen(family: str, p: dict[str, float]) -> Any:
    """The scipy.stats distribution of a family with twin's parameters."""
    if family == "exponential":
        return stats.expon(scale=p["mean"])
    if family == "uniform":
        return stats.uniform(loc=p["low"], scale=p["high"] - p["low"])
    if family == "triangular":
        width = p["high"] - p["low"]
        return stats.triang(c=(p["mode"] - p["low"]) / width, loc=p["low"], scale=width)
    if family == "normal":  # twin's normal is truncated at zero
        return stats.truncnorm(a=-p["mean"] / p["sd"], b=np.inf, loc=p["mean"], scale=p["sd"])
    if family == "lognormal":
        s2 = math.log1p(p["cv"] ** 2)
        return stats.lognorm(s=math.sqrt(s2), scale=p["mean"] * math.exp(-s2 / 2))
    if family == "gamma":
        shape = 1 / p["cv"] ** 2
        return stats.gamma(a=shape, scale=p["mean"] / shape)
    if family == "weibull":
        return stats.weibull_min(c=p["shape"], scale=p["scale"])
    raise KeyError(family)


def _lognormal(x: np.ndarray) -> dict[str, float]:
    logs = np.log(x)
    mu, s2 = float(logs.mean()), float(logs.var())
    return {"mean": math.exp(mu + s2 / 2), "cv": math.sqrt(math.expm1(s2))}


def _gamma(x: np.ndarray) -> dict[str, float]:
    # shape a solves log(a) - digamma(a) = log(mean) - mean(log x)
    s = math.log(float(x.mean())) - float(np.log(x).mean())
    if s <= 1e-12:
        return {"mean": float(x.mean()), "cv": 1e-3}
    lo, hi = 1e-6, 1e9
    a = optimize.brentq(lambda a: math.log(a) - special.digamma(a) - s, lo, hi)
    return {"mean": float(x.mean()), "cv": 1 / math.sqrt(a)}


def _weibull(s: Sample) -> dict[str, float]:
    """Weibull MLE with right censoring: the profile equation in the shape k."""
    t = s.times
    ev = s.event
    r = int(ev.sum())
    logt = np.log(t)
    mean_log_events = float(logt[ev].mean())
    scale_t = float(t.max())
    u = t / scale_t  # scaled to keep t**k finite
    logu = np.log(u)

    def g(k: float) -> float:
        w = u**k
        return float((w * logu).sum() / w.sum()) - 1 / k - (mean_log_events - math.log(scale_t))

    k = optimize.brentq(g, 0.02, 500)
    scale = scale_t * float((u**k).sum() / r) ** (1 / k)
    return {"shape": k, "scale": scale}


def _triangular(x: np.ndarray) -> dict[str, float]:
    """Endpoints just beyond the sample's; the mode maximises the likelihood over the sample's
    quantiles (prefix sums of the sorted logs make each candidate O(1))."""
    xs = np.sort(x)
    n = xs.size
    lo, hi = float(xs[0]), float(xs[-1])
    pad = (hi - lo) / max(n - 1, 1)
    low, high = max(lo - pad, 0.0), hi + pad
    w = high - low
    left = np.concatenate([[0.0], np.cumsum(np.log(np.maximum(xs - low, 1e-300)))])
    right = np.concatenate([np.cumsum(np.log(np.maximum(high - xs, 1e-300))[::-1])[::-1], [0.0]])
    cands = np.unique(np.quantile(xs, np.linspace(0, 1, min(n, 400))))
    k = np.searchsorted(xs, cands, side="left")  # points left of the mode
    c = cands - low
    with np.errstate(divide="ignore"):
        ll = (left[k] + k * np.log(2 / (w * np.maximum(c, 1e-300)))
              + right[k] + (n - k) * np.log(2 / (w * np.maximum(w - c, 1e-300))))
    return {"low": low, "mode": float(cands[int(np.argmax(ll))]), "high": high}


def _normal(x: np.ndarray) -> dict[str, float]:
    return {"mean": float(x.mean()), "sd": float(max(x.std(ddof=0), 1e-9 * x.mean() + 1e-12))}


_START: dict[str, Callable[[np.ndarray], dict[str, float]]] = {
    "exponential": lambda x: {"mean": float(x.mean())},
    "uniform": lambda x: {"low": float(x.min()), "high": float(x.max())},
    "triangular": _triangular,
    "normal": _normal,
    "lognormal": _lognormal,
    "gamma": _gamma,
}


_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def _log_densities(family: str, p: dict[str, float], t_ev: np.ndarray,
                   t_cen: np.ndarray) -> float:
    """Censored log-likelihood in plain NumPy (the optimiser calls it hundreds of times)."""
    if family == "lognormal":
        s2 = math.log1p(p["cv"] ** 2)
        sigma, mu = math.sqrt(s2), math.log(p["mean"]) - s2 / 2
        z = (np.log(t_ev) - mu) / sigma
        ll = float((-np.log(t_ev) - 0.5 * z * z).sum()) - t_ev.size * (math.log(sigma)
                                                                         + _HALF_LOG_2PI)
        return ll + float(special.log_ndtr(-(np.log(t_cen) - mu) / sigma).sum())
    if family == "gamma":
        a = 1 / p["cv"] ** 2
        theta = p["mean"] / a
        ll = float(((a - 1) * np.log(t_ev) - t_ev / theta).sum()) - t_ev.size * (
            special.gammaln(a) + a * math.log(theta))
        sf = special.gammaincc(a, t_cen / theta)
        return ll + float(np.log(np.maximum(sf, 1e-300)).sum())
    if family == "normal":
        m, sd = p["mean"], p["sd"]
        norm = float(special.log_ndtr(m / sd))
        z = (t_ev - m) / sd
        ll = float((-0.5 * z * z).sum()) - t_ev.size * (math.log(sd) + _HALF_LOG_2PI + norm)
        return ll + float((special.log_ndtr(-(t_cen - m) / sd) - norm).sum())
    rv = frozen(family, p)
    return float(rv.logpdf(t_ev).sum() + rv.logsf(t_cen).sum())


def _censored_mle(family: str, s: Sample, start: dict[str, float]) -> dict[str, float]:
    """Maximise the censored likelihood over log-parameters from a start."""
    names = list(start)
    x0 = np.log([start[k] for k in names])
    t_ev, t_cen = s.times[s.event], s.times[~s.event]

    def nll(theta: np.ndarray) -> float:
        p = dict(zip(names, np.exp(theta).tolist(), strict=True))
        if family in ("lognormal", "gamma") and not 1e-3 <= p["cv"] <= MAX_CV:
            return 1e300
        total = -_log_densities(family, p, t_ev, t_cen)
        return total if math.isfinite(total) else 1e300

    res = optimize.minimize(nll, x0, method="Nelder-Mead",
                            options={"xatol": 1e-6, "fatol": 1e-8, "maxiter": 2000})
    return dict(zip(names, np.exp(res.x).tolist(), strict=True))


def mle(family: str, s: Sample) -> dict[str, float]:
    """Maximum-likelihood parameters of ``family`` (twin's YAML form, seconds)."""
    if family == "weibull":
        return _weibull(s)
    if family == "exponential" and s.censored:
        return {"mean": float(s.times.sum() / s.event.sum())}  # total time / failures
    x = s.observed
    p = _START[family](x)
    if s.censored:
        return _censored_mle(family, s, p)
    if family == "normal" and p["mean"] < 4 * p["sd"]:  # truncation at 0 matters
        return _censored_mle(family, s, p)
    return p


def loglik(family: str, p: dict[str, float], s: Sample) -> float:
    return _log_densities(family, p, s.times[s.event], s.times[~s.event])


# --- the empirical distribution and the test statistics --------------------------------------

def kaplan_meier(s: Sample, flip: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Distinct event times and the survival just after each (``flip``: of the censoring)."""
    event = ~s.event if flip else s.event
    order = np.lexsort((~event, s.times))  # at ties, events before censorings
    t, ev = s.times[order], event[order]
    n = t.size
    at_risk = n - np.arange(n)
    uniq, first = np.unique(t, return_index=True)
    d = np.add.reduceat(ev.astype(float), first)
    r = at_risk[first]
    surv = np.cumprod(1 - d / r)
    keep = d > 0
    return uniq[keep], surv[keep]


def anderson_darling(sorted_x: np.ndarray, cdf: Callable[[np.ndarray], np.ndarray]) -> float:
    n = sorted_x.size
    u = np.clip(cdf(sorted_x), 1e-12, 1 - 1e-12)
    i = np.arange(1, n + 1)
    return float(-n - np.mean((2 * i - 1) * (np.log(u) + np.log1p(-u[::-1]))))


def km_distance(s: Sample, cdf: Callable[[np.ndarray], np.ndarray]) -> float:
    """Kolmogorov distance between the Kaplan-Meier CDF and a model CDF (at both sides of
    each jump)."""
    t, surv = kaplan_meier(s)
    f = cdf(t)
    after = 1 - surv
    before = np.concatenate([[0.0], after[:-1]])
    return float(max(np.abs(f - after).max(), np.abs(f - before).max()))


def cdf(family: str, p: dict[str, float]) -> Callable[[np.ndarray], np.ndarray]:
    """The family's CDF (the truncated normal's in plain NumPy: scipy's is slow)."""
    if family == "normal":
        m, sd = p["mean"], p["sd"]
        below = float(special.ndtr(-m / sd))
        return lambda x: (special.ndtr((np.asarray(x) - m) / sd) - below) / (1 - below)
    return frozen(family, p).cdf  # type: ignore[no-any-return]


def statistic(family: str, p: dict[str, float], s: Sample) -> float:
    f = cdf(family, p)
    if s.censored:
        return km_distance(s, f)
    return anderson_darling(np.sort(s.times), f)


def _censoring_sampler(s: Sample) -> Callable[[np.random.Generator], np.ndarray]:
    """Draws of censoring times from their reverse Kaplan-Meier estimate (inf = uncensored)."""
    t, surv = kaplan_meier(s, flip=True)
    cdf = 1 - surv
    n = s.times.size

    def draw(rng: np.random.Generator) -> np.ndarray:
        if t.size == 0:
            return np.full(n, np.inf)
        u = rng.random(n)
        idx = np.searchsorted(cdf, u, side="left")
        return np.where(idx < t.size, t[np.minimum(idx, t.size - 1)], np.inf)

    return draw


def p_value(family: str, p: dict[str, float], s: Sample, observed: float,
            rng: np.random.Generator, bootstrap: int) -> float:
    """Parametric bootstrap: refit to samples from the fitted model, recompute the statistic."""
    if bootstrap <= 0:
        return math.nan
    model = as_twin(family, p)  # drawn the way a run would draw it
    censor = _censoring_sampler(s) if s.censored else None
    n = s.times.size
    exceed = 0
    done = 0
    for _ in range(bootstrap):
        x = np.asarray(model.draw(rng, n), dtype=float)
        if censor is not None:
            c = censor(rng)
            sample = Sample(np.minimum(x, c), x <= c)
            if int(sample.event.sum()) < MIN_EVENTS:
                continue
        else:
            sample = Sample(x, np.ones(n, bool))
        try:
            q = mle(family, sample)
            stat = statistic(family, q, sample)
        except (ValueError, ZeroDivisionError, FloatingPointError):
            continue
        done += 1
        exceed += stat >= observed
    return (exceed + 1) / (done + 1)


# --- fitting all families and ranking them ---------------------------------------------------

@dataclass
class Fit:
    family: str
    params: dict[str, float]
    loglik: float
    statistic: float
    p_value: float
    aic: float = field(init=False)

    def __post_init__(self) -> None:
        self.aic = 2 * len(self.params) - 2 * self.loglik

    @property
    def rejected(self) -> bool:
        return self.p_value < REJECT_BELOW

    @property
    def mean(self) -> float:
        return float(frozen(self.family, self.params).mean())

    @property
    def cv(self) -> float:
        rv = frozen(self.family, self.params)
        return float(rv.std() / rv.mean())

    def cdf(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(frozen(self.family, self.params).cdf(x))

    def pdf(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(frozen(self.family, self.params).pdf(x))

    def ppf(self, q: np.ndarray) -> np.ndarray:
        return np.asarray(frozen(self.family, self.params).ppf(q))

    def yaml(self) -> str:
        return flow_yaml({"dist": self.family, **self.params})


def fit_all(s: Sample, families: tuple[str, ...] | None = None, bootstrap: int = 199,
            seed: int = 0) -> tuple[list[Fit], dict[str, str]]:
    """Fit each family, test it, rank; also returns families skipped and why."""
    rng = np.random.default_rng(seed)
    wanted = families or (CENSORED_FAMILIES if s.censored else FAMILIES)
    fits: list[Fit] = []
    skipped: dict[str, str] = {}
    if np.ptp(s.times) == 0:
        return [], dict.fromkeys(wanted, "all times are equal: it is a constant")
    for family in wanted:
        if s.censored and family not in CENSORED_FAMILIES:
            skipped[family] = "needs complete data (its support ends where censoring hides it)"
            continue
        if family in POSITIVE_ONLY and np.any(s.times <= 0):
            skipped[family] = "needs every time > 0"
            continue
        try:
            p = mle(family, s)
            as_twin(family, p)  # refused here if a line would refuse it
        except (ValueError, ZeroDivisionError, FloatingPointError, RuntimeError) as exc:
            skipped[family] = f"no fit ({str(exc).splitlines()[0]})"
            continue
        stat = statistic(family, p, s)
        fits.append(Fit(family, p, loglik(family, p, s), stat,
                        p_value(family, p, s, stat, rng, bootstrap)))
    fits.sort(key=lambda f: (f.rejected, f.aic))
    return fits, skipped


@functools.cache
def _adapter() -> Any:
    from pydantic import TypeAdapter

    return TypeAdapter(Distribution)


def as_twin(family: str, p: dict[str, float]) -> Any:
    """twin's own distribution model for these parameters (validates them)."""
    return _adapter().validate_python({"dist": family, **p})


def empirical(s: Sample, points: int = EMPIRICAL_POINTS) -> dict[str, Any]:
    """The empirical distribution (Kaplan-Meier when censored), at most ``points`` values.

    Censored data whose last time is censored leave mass beyond it; that mass is put on the
    last time (the estimate is then a lower bound of the tail)."""
    if s.censored:
        t, surv = kaplan_meier(s)
        w = -np.diff(np.concatenate([[1.0], surv]))
        w[-1] += surv[-1]
        t_all = max(float(s.times.max()), float(t[-1]))
        if surv[-1] > 0:
            t = np.append(t, t_all)
            w = np.append(w, surv[-1])
            w[-2] -= surv[-1]
    else:
        t, counts = np.unique(s.times, return_counts=True)
        w = counts.astype(float)
    w = w / w.sum()
    if t.size == 1:
        return {"dist": "constant", "value": _round(float(t[0]))}
    if t.size > points:
        cum = np.cumsum(w)
        q = (np.arange(points) + 0.5) / points
        idx = np.minimum(np.searchsorted(cum, q), t.size - 1)
        return {"dist": "empirical", "values": [_round(v) for v in t[idx]]}
    out: dict[str, Any] = {"dist": "empirical", "values": [_round(v) for v in t]}
    if not np.allclose(w, w[0]):
        out["weights"] = [round(float(v), 6) for v in w]
    return out


# --- YAML -------------------------------------------------------------------------------------

def _round(x: float, digits: int = 4) -> float:
    if x == 0 or not math.isfinite(x):
        return float(x)
    return float(f"{x:.{digits}g}")


def duration(seconds: float) -> str:
    """A duration the way a planner writes it, four significant figures."""
    if seconds >= 3 * 3600:
        return f"{_round(seconds / 3600):g} h"
    if seconds >= 600:
        return f"{_round(seconds / 60):g} min"
    return f"{_round(seconds):g} s"


_UNITLESS = ("cv", "shape", "weights")


def flow_yaml(d: dict[str, Any]) -> str:
    """One-line YAML mapping of a distribution, durations with units."""
    parts = []
    for k, v in d.items():
        if k == "dist":
            parts.append(f"dist: {v}")
        elif k == "values":
            parts.append("values: [" + ", ".join(f"{x:g}" for x in v) + "]")
        elif k == "weights":
            parts.append("weights: [" + ", ".join(f"{x:g}" for x in v) + "]")
        elif k == "value":
            parts.append(f"value: {duration(v)}")
        elif k in _UNITLESS:
            parts.append(f"{k}: {_round(v):g}")
        else:
            parts.append(f"{k}: {duration(v)}")
    return "{" + ", ".join(parts) + "}"
