"""The report: one small offline HTML file (inline SVG, no scripts), user text escaped, renders
in headless Chromium cleanly."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from study_standin import mm1_line

from twin.study.executors import InlineExecutor
from twin.study.plan import StudyPlan
from twin.study.report import write_report
from twin.study.runner import run_study
from twin.study.store import Store

EVIL = "</script><script>alert('x')</script><img src=x onerror=alert(1)>"
FIGURES = 4  # output, cost, losses, stations (no robots, no traces of robots)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("report")
    line = mm1_line(name=f"mm1 {EVIL}")
    plan = StudyPlan(factors={"sources.inbound.interarrival.mean": [40, 50, 60],
                              "description": ["plain", EVIL]},
                     replications=3, hours=6, warmup=0.5, target="throughput_per_hour>=65")
    with Store(root / "study.duckdb") as store:
        run_study(line, plan, store, InlineExecutor())
    return write_report(root / "study.duckdb", root / "report.html")


def test_report_is_self_contained_and_escaped(report: Path) -> None:
    text = report.read_text()
    assert EVIL not in text and "<script>alert" not in text and "onerror=alert(1)>" not in text
    assert not re.findall(r"<script[^>]*>", text)  # no scripts at all, nothing injected
    assert text.count('<svg class="chart"') == FIGURES
    assert len(text.encode()) < 1_000_000
    assert "<img" not in text
    assert "&lt;/script&gt;" in text  # shown, escaped
    assert not re.search(r"<script[^>]+src=", text)  # nothing fetched: works offline
    answer = re.search(r"<p class='answer[^']*'>(.*?)</p>", text)
    assert answer and answer.group(1).startswith("Recommended: ")


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _browse(page: Path, tmp: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    browser = _chromium()
    assert browser
    args = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", f"--user-data-dir={tmp / 'profile'}", "--enable-logging=stderr",
            "--v=0", "--window-size=1200,4200", "--virtual-time-budget=8000", *extra,
            page.as_uri()]
    return subprocess.run(args, capture_output=True, text=True, timeout=120)


def _console_errors(log: str) -> list[str]:
    return [line for line in log.splitlines()
            if "Uncaught" in line or ("CONSOLE" in line and "ERROR" in line)]


@pytest.mark.slow
@pytest.mark.skipif(_chromium() is None, reason="chromium not installed (make system-deps)")
def test_report_renders_in_chromium_without_console_errors(report: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.html"
    broken.write_text("<html><body><script>throw new Error('boom')</script></body></html>")
    assert _console_errors(_browse(broken, tmp_path, "--dump-dom").stderr)  # the check works
    shot = report.with_suffix(".png")
    run = _browse(report, tmp_path, f"--screenshot={shot}")
    assert not _console_errors(run.stderr), _console_errors(run.stderr)
    assert shot.exists() and shot.stat().st_size > 50_000
    dom = _browse(report, tmp_path, "--dump-dom")
    assert not _console_errors(dom.stderr)
    assert dom.stdout.count('class="chart"') >= FIGURES  # every figure is in the page
