"""The report of a tote_line fleet study speaks a plant manager's language.

The first paragraph names the recommended robots and chargers, the target KPI in words and its
confidence interval, all recomputed here from the stored runs; scenarios read in words, not
config paths; count axes have whole-number ticks; costs state today's robot price with its
source; the file is under 1 MB and renders in headless Chromium.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
from pathlib import Path

import duckdb
import numpy as np
import pytest
from scipy import stats

from twin.loader import load_line
from twin.study.executors import InlineExecutor
from twin.study.plan import StudyPlan
from twin.study.report import write_report
from twin.study.runner import run_study
from twin.study.store import Store

ROOT = Path(__file__).resolve().parents[2]
TARGET = 55.0


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("plain")
    line = load_line(ROOT / "lines" / "tote_line.yaml")
    plan = StudyPlan(factors={"fleet.count": [3, 4], "chargers.swap_station.count": [1, 2]},
                     replications=2, hours=16, target=f"throughput_per_shift_hour>={TARGET}")
    with Store(root / "study.duckdb") as store:
        run_study(line, plan, store, InlineExecutor())
    return root / "study.duckdb", write_report(root / "study.duckdb", root / "report.html")


def _answer(html: str) -> str:
    found = re.search(r"<p class='answer[^']*'>(.*?)</p>", html, re.S)
    assert found, "no answer paragraph"
    first_p = re.search(r"<p[ >]", html)
    assert first_p and first_p.start() == found.start(), "the answer is not the first paragraph"
    return found.group(1)


def _cheapest_that_meets(store: Path) -> tuple[dict[str, int], float, float, float]:
    """Recomputed from the store: the fewest robots, then chargers, whose 95% lower bound meets
    the target (robots cost far more than chargers), with its mean and interval."""
    con = duckdb.connect(str(store), read_only=True)
    rows = con.execute(
        "SELECT s.overrides, l.throughput_per_shift_hour FROM line_kpis l "
        "JOIN plan_runs p USING (key) JOIN scenarios s USING (scenario) "
        "WHERE p.role = 'main'").fetchall()
    con.close()
    import json

    by: dict[str, list[float]] = {}
    for overrides, value in rows:
        by.setdefault(overrides, []).append(value)
    options = []
    for overrides, values in by.items():
        x = np.asarray(values)
        half = stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x))
        o = json.loads(overrides)
        if x.mean() - half >= TARGET:
            options.append(((o["fleet.count"], o["chargers.swap_station.count"]),
                            x.mean(), x.mean() - half, x.mean() + half))
    assert options, "no scenario meets the target: the fixture study is too short"
    (robots, chargers), mean, low, high = min(options)
    return {"robots": robots, "chargers": chargers}, mean, low, high


def test_first_paragraph_names_the_kit_the_target_and_its_interval(
        study: tuple[Path, Path]) -> None:
    store, report = study
    answer = _answer(report.read_text(encoding="utf-8"))
    kit, mean, low, high = _cheapest_that_meets(store)
    swap = "swap station" if kit["chargers"] == 1 else "swap stations"
    assert answer.startswith(f"Recommended: {kit['robots']} robots and {kit['chargers']} {swap} "
                             "make "), answer
    assert "door modules per shift hour" in answer  # the target KPI in the product's words
    assert f"at least {TARGET:g} door modules per shift hour" in answer
    num = r"(\d[\d,]*(?:\.\d+)?)"
    numbers = re.search(rf"make {num} door modules per shift hour, 95% CI {num} to {num}",
                        answer)
    assert numbers, answer
    said = [float(v.replace(",", "")) for v in numbers.groups()]
    for text, got, want in zip(numbers.groups(), said, (mean, low, high), strict=True):
        shown = len(text.split(".")[1]) if "." in text else 0  # decimals the report shows
        assert got == pytest.approx(want, abs=0.5 * 10.0 ** -shown + 1e-9), (said, want)
    assert "fleet.count" not in answer and "chargers." not in answer


def test_scenarios_axes_and_costs_in_plain_words(study: tuple[Path, Path]) -> None:
    _, report = study
    html = report.read_text(encoding="utf-8")
    assert len(html.encode()) < 1_000_000
    assert "fleet.count=" not in html and "chargers.swap_station.count=" not in html
    for words in ("3 robots and 1 swap station", "4 robots and 2 swap stations"):
        assert words in html
    # the output chart's x axis (robots) has whole-number ticks only
    chart = re.search(r"<figure><svg[^>]*><title>Door modules per shift hour.*?</svg>", html)
    assert chart
    x_ticks = re.findall(r'<text class="xt"[^>]*>([^<]+)</text>', chart.group(0))
    assert x_ticks and all(re.fullmatch(r"\d+", t) for t in x_ticks), x_ticks
    # today's robot price with its source, not the future target price
    assert "USD 30,000 each" in html and "humanoid_cost_today" in html
    assert "what breaks first" in html and "sets the pace" in html


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium not installed "
                    "(make system-deps)")
def test_report_renders_in_headless_chromium(study: tuple[Path, Path], tmp_path: Path) -> None:
    _, report = study
    run = subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-sync", "--enable-logging=stderr",
         f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", report.as_uri()],
        capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    assert not [line for line in run.stderr.splitlines()
                if "Uncaught" in line or ("CONSOLE" in line and "ERROR" in line)]
    assert "Recommended: " in run.stdout
    assert run.stdout.count('<svg class="chart"') >= 6  # every chart is in the rendered DOM
