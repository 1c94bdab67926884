"""twin fit: maximum-likelihood fits recover the parameters of samples drawn with twin's own
samplers, the true family ranks first, censoring is handled (exponential MLE = failures / total
time; Weibull shape within 10%), a station log yields each station's distributions."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from pydantic import TypeAdapter
from scipy import stats
from typer.testing import CliRunner

from twin import fit, stationlog
from twin.cli import app
from twin.distributions import Distribution, Exponential, LogNormal, Weibull

runner = CliRunner()
DIST = TypeAdapter(Distribution)


def lognormal_sample(n: int = 500, seed: int = 1) -> np.ndarray:
    return LogNormal(dist="lognormal", mean=55, cv=0.2).draw(np.random.default_rng(seed), n)


def test_lognormal_ranks_first_and_recovers_mean_and_cv() -> None:
    x = lognormal_sample()
    fits, skipped = fit.fit_all(fit.Sample.of(x), bootstrap=39, seed=1)
    assert not skipped
    best = fits[0]
    # gamma with cv 0.2 is the only family close to a lognormal with cv 0.2 at n = 500
    assert best.family == "lognormal" or (best.family == "gamma" and not best.rejected)
    ln = next(f for f in fits if f.family == "lognormal")
    assert not ln.rejected
    # the MLE's standard errors: mean ~ mean * cv / sqrt(n), cv ~ cv * sqrt(1 + 2 cv^2) /
    # sqrt(2n) roughly; 3 standard errors, and the judged 3%
    n = x.size
    assert abs(ln.mean - 55) < 3 * 55 * 0.2 / math.sqrt(n)
    assert abs(ln.mean - 55) / 55 < 0.03
    assert abs(ln.cv - 0.2) < 3 * 0.2 * math.sqrt(1.08) / math.sqrt(2 * n)
    # families whose shape is wrong are rejected by the bootstrap test
    for f in fits:
        if f.family in ("exponential", "uniform", "triangular", "weibull"):
            assert f.rejected, f.family


def test_true_family_ranks_first_on_large_samples() -> None:
    rng = np.random.default_rng(3)
    truth = {
        "exponential": Exponential(dist="exponential", mean=600).draw(rng, 2000),
        "weibull": Weibull(dist="weibull", shape=3.0, scale=100).draw(rng, 2000),
        "lognormal": LogNormal(dist="lognormal", mean=30, cv=0.8).draw(rng, 2000),
    }
    for family, x in truth.items():
        fits, _ = fit.fit_all(fit.Sample.of(x), bootstrap=0)  # ranked by AIC alone
        assert fits[0].family == family, (family, [(f.family, f.aic) for f in fits])


@pytest.mark.filterwarnings("ignore::FutureWarning")  # scipy 1.17 asks for a p-value method
def test_anderson_darling_matches_scipy() -> None:
    """A^2 of a normal fitted with scipy's estimates equals scipy.stats.anderson's statistic."""
    x = np.random.default_rng(5).normal(100, 10, 300)
    m, sd = x.mean(), x.std(ddof=1)
    ours = fit.anderson_darling(np.sort(x), stats.norm(m, sd).cdf)
    assert ours == pytest.approx(stats.anderson(x, "norm").statistic, rel=1e-9)


def test_bootstrap_p_value_accounts_for_fitted_parameters() -> None:
    """The table value of A^2 for fully specified models (5%: 2.49) is far too lenient for
    fitted ones (5% for a fitted exponential: about 1.32, Stephens 1974); the bootstrap finds
    the fitted null: a statistic of 1.6 is rejected although it passes the fixed-model test."""
    x = Exponential(dist="exponential", mean=60).draw(np.random.default_rng(1), 200)
    s = fit.Sample.of(x)
    p = fit.mle("exponential", s)
    rng = np.random.default_rng(2)
    assert fit.p_value("exponential", p, s, 1.6, rng, 199) < 0.05
    assert fit.p_value("exponential", p, s, 1.0, rng, 199) > 0.05


def test_censored_exponential_mle_is_failures_over_total_time() -> None:
    rng = np.random.default_rng(11)
    t = rng.exponential(3600, 400)
    c = rng.uniform(0, 5000, 400)
    obs, cen = np.minimum(t, c), t > c
    s = fit.Sample.of(obs, cen)
    p = fit.mle("exponential", s)
    assert p["mean"] == pytest.approx(obs.sum() / (~cen).sum(), rel=1e-12)
    # the general censored likelihood optimiser lands on the same closed form
    assert fit._censored_mle("exponential", s, {"mean": 1000.0})["mean"] == pytest.approx(
        p["mean"], rel=1e-4)
    # ignoring the censoring would bias the mean down by far more than its standard error
    naive = obs[~cen].mean()
    assert p["mean"] - naive > 3 * p["mean"] / math.sqrt((~cen).sum())
    assert abs(p["mean"] - 3600) < 3 * 3600 / math.sqrt((~cen).sum())


def test_censored_weibull_shape_within_ten_percent() -> None:
    rng = np.random.default_rng(4)
    w = Weibull(dist="weibull", shape=1.8, scale=5 * 3600).draw(rng, 1000)
    c = rng.uniform(0, 10 * 3600, 1000)
    s = fit.Sample.of(np.minimum(w, c), w > c)
    assert 0.3 < 1 - s.event.mean() < 0.6  # a real share of the data is censored
    p = fit.mle("weibull", s)
    assert abs(p["shape"] / 1.8 - 1) < 0.10
    assert abs(p["scale"] / (5 * 3600) - 1) < 0.10
    # the profile equation's root maximises the likelihood the general optimiser sees
    other = fit._censored_mle("weibull", s, {"shape": 1.0, "scale": 3600.0})
    assert other["shape"] == pytest.approx(p["shape"], rel=1e-3)
    fits, _ = fit.fit_all(s, bootstrap=0)
    assert {f.family for f in fits} == set(fit.CENSORED_FAMILIES)
    assert fits[0].family == "weibull"


def test_kaplan_meier_textbook_example() -> None:
    """Times 3, 4+, 5, 6, 6+, 8: S = 5/6 after 3, x 3/4 after 5, x 2/3 after 6, 0 after 8."""
    s = fit.Sample(np.array([3.0, 4, 5, 6, 6, 8]), np.array([1, 0, 1, 1, 0, 1], dtype=bool))
    t, surv = fit.kaplan_meier(s)
    assert t.tolist() == [3, 5, 6, 8]
    assert surv == pytest.approx([5 / 6, 5 / 6 * 3 / 4, 5 / 6 * 3 / 4 * 2 / 3, 0.0])
    emp = DIST.validate_python(fit.empirical(s))
    assert emp.mean == pytest.approx(3 * (1 / 6) + 5 * (5 / 24) + 6 * (5 / 24) + 8 * (5 / 12))


def test_empirical_is_a_twin_distribution_with_the_sample_mean() -> None:
    x = np.round(lognormal_sample(60), 1)
    emp = DIST.validate_python(fit.empirical(fit.Sample.of(x)))
    assert emp.mean == pytest.approx(x.mean(), rel=1e-3)
    big = DIST.validate_python(fit.empirical(fit.Sample.of(lognormal_sample(5000))))
    assert len(big.values) == fit.EMPIRICAL_POINTS
    assert big.mean == pytest.approx(55, rel=0.02)


def test_cli_prints_yaml_to_paste_and_writes_the_plot(tmp_path: Path) -> None:
    csv = tmp_path / "cycles.csv"
    pd.DataFrame({"unit": range(500), "cycle_min": lognormal_sample() / 60}).to_csv(csv)
    plot = tmp_path / "fit.svg"
    r = runner.invoke(app, ["fit", str(csv), "--column", "cycle_min", "--unit", "min",
                            "--bootstrap", "19", "--plot", str(plot)])
    assert r.exit_code == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    pasted = lines[lines.index("# paste (best fit):") + 1]
    d = DIST.validate_python(yaml.safe_load(pasted))
    assert d.dist in ("lognormal", "gamma")
    assert d.mean == pytest.approx(55, rel=0.03)  # the minutes came back as seconds
    text = plot.read_text()
    assert text.startswith("<svg") and text.count("<polyline") >= 4 and "Q-Q plot" in text


def test_cli_refuses_bad_data_in_one_line(tmp_path: Path) -> None:
    csv = tmp_path / "bad.csv"
    csv.write_text("t,running\n10,0\n12,0\nabc,0\n")
    r = runner.invoke(app, ["fit", str(csv), "--column", "t"])
    assert r.exit_code == 2 and "row 4, column t" in r.stderr
    csv.write_text("t,running\n10,0\n12,maybe\n")
    r = runner.invoke(app, ["fit", str(csv), "--column", "t", "--censored", "running"])
    assert r.exit_code == 2 and "row 3, column running" in r.stderr
    r = runner.invoke(app, ["fit", str(csv), "--column", "x"])
    assert r.exit_code == 2 and "--column x: no such column" in r.stderr
    csv.write_text("t\n10\n12\n")
    r = runner.invoke(app, ["fit", str(csv)])
    assert r.exit_code == 2 and "at least 5 uncensored" in r.stderr


# --- a station log ---------------------------------------------------------------------------

PROCESS = LogNormal(dist="lognormal", mean=55, cv=0.2)
TTF = Exponential(dist="exponential", mean=1800)
TTR = LogNormal(dist="lognormal", mean=600, cv=0.5)


def station_log(units: int, seed: int) -> tuple[pd.DataFrame, float]:
    """One station run with twin's samplers: units arrive after idle gaps, a failure counts
    operating time and interrupts the unit, which resumes after repair. Returns the log and
    the true operating time."""
    rng = np.random.default_rng(seed)
    proc, ttf, ttr = PROCESS.sampler(rng), TTF.sampler(rng), TTR.sampler(rng)
    rows: list[tuple[str, str, float]] = []
    t, left, operating = 0.0, ttf(), 0.0
    for _ in range(units):
        t += rng.exponential(20)  # starved between units: wall time is not operating time
        rows.append(("press", "start", t))
        p = proc()
        operating += p
        while left < p:
            t += left
            p -= left
            rows.append(("press", "down", t))
            t += ttr()
            rows.append(("press", "up", t))
            left = ttf()
        left -= p
        t += p
        rows.append(("press", "end", t))
    rows.append(("press", "start", t + 5))  # the log ends while a unit is in process
    t0 = pd.Timestamp("2026-03-02 06:00:00")
    df = pd.DataFrame(rows, columns=["station", "event", "time"])
    df["time"] = [str(t0 + pd.Timedelta(seconds=s)) for s in df["time"]]
    return df, operating


def test_station_log_yields_process_failures_and_repairs(tmp_path: Path) -> None:
    df, operating = station_log(1500, seed=9)
    path = tmp_path / "log.csv"
    df.to_csv(path, index=False)
    s = stationlog.samples(stationlog.read_log(path), path)["press"]
    n_fail = len([x for x, c in zip(s.ttf, s.ttf_censored, strict=True) if not c])
    assert n_fail == (df["event"] == "down").sum() > 30
    # conservation: the times to failure (with the censored tail) add up to the operating time,
    # and a unit's processing time excludes its repairs (timestamps keep microseconds)
    assert sum(s.ttf) == pytest.approx(operating, abs=1e-3 * len(s.ttf) + 1e-6 * operating)
    assert sum(s.process) == pytest.approx(operating, rel=1e-6)
    ttf = fit.mle("exponential", fit.Sample.of(s.ttf, s.ttf_censored))["mean"]
    assert abs(ttf - 1800) < 3 * 1800 / math.sqrt(n_fail)
    runner_result = runner.invoke(app, ["fit", "--station-log", str(path), "--bootstrap", "5",
                                        "--plot", str(tmp_path / "plots")])
    assert runner_result.exit_code == 0, runner_result.stderr
    out = runner_result.stdout
    block = out[out.index("stations:"):]
    doc = yaml.safe_load(block)["stations"]["press"]
    assert DIST.validate_python(doc["process"]).mean == pytest.approx(55, rel=0.02)
    assert DIST.validate_python(doc["failures"]["ttr"]).mean == pytest.approx(
        600, rel=3 * 0.5 / math.sqrt(n_fail))
    assert sorted(p.name for p in (tmp_path / "plots").iterdir()) == [
        "press_process.svg", "press_ttf.svg", "press_ttr.svg"]


def test_station_log_errors_name_the_row(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("station,event,time\npress,start,0\npress,up,5\n")
    r = runner.invoke(app, ["fit", "--station-log", str(path)])
    assert r.exit_code == 2 and "row 3 (station press): 'up' without a 'down'" in r.stderr
    path.write_text("station,event,time\npress,begin,0\n")
    r = runner.invoke(app, ["fit", "--station-log", str(path)])
    assert r.exit_code == 2 and "row 2: event 'begin'" in r.stderr
    path.write_text("station,when\npress,0\n")
    r = runner.invoke(app, ["fit", "--station-log", str(path)])
    assert r.exit_code == 2 and "missing column(s) event, time" in r.stderr


def test_equal_times_are_a_constant(tmp_path: Path) -> None:
    csv = tmp_path / "takt.csv"
    csv.write_text("t\n" + "42\n" * 12)
    r = runner.invoke(app, ["fit", str(csv)])
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    pasted = lines[lines.index("# paste (all times equal: a constant):") + 1]
    assert DIST.validate_python(yaml.safe_load(pasted)).mean == 42


def test_station_log_by_hand(tmp_path: Path) -> None:
    """Two units side by side, a repair while both are in: worked out by hand."""
    path = tmp_path / "log.csv"
    path.write_text("station,event,time,unit\n"
                    "A,start,0,u1\nA,start,10,u2\nA,end,50,u1\nA,down,60,\nA,up,80,\n"
                    "A,end,100,u2\nA,start,120,u3\n")
    s = stationlog.samples(stationlog.read_log(path), path)["A"]
    assert s.process == [50, 100 - 10 - 20]  # u2 waited out the 20 s repair
    assert (s.ttr, s.ttr_censored) == ([20], [False])
    # operating time: 0-100 minus the repair; 60 s up to the failure, then 20 s still running
    assert (s.ttf, s.ttf_censored) == ([60, 20], [False, True])
