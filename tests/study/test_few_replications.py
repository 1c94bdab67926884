"""A study with one replication per scenario says plainly that it has no interval."""

from __future__ import annotations

from pathlib import Path

from study_standin import SIMULATOR, mm1_line

from twin.study.analysis import load, recommendation, warnings
from twin.study.executors import InlineExecutor
from twin.study.plan import StudyPlan
from twin.study.report import render
from twin.study.runner import run_study
from twin.study.store import Store


def _study(tmp_path: Path, replications: int, target: str | None,
           ) -> tuple[str, list[str], str]:
    plan = StudyPlan(factors={"sources.inbound.interarrival.mean": [50, 60]},
                     replications=replications, hours=50, warmup=0, target=target,
                     traces=False, simulator=SIMULATOR)
    with Store(tmp_path / f"s{replications}{target is None}.duckdb") as store:
        run_study(mm1_line(), plan, store, InlineExecutor())
        res = load(store)
    return recommendation(res)[1], warnings(res), render(res)


def test_one_replication_warns_in_one_line_and_recommends_nothing(tmp_path: Path) -> None:
    for target in (None, "throughput_per_hour>=50"):
        words, said, html = _study(tmp_path, 1, target)
        assert "inf" not in words and "nan" not in words, words
        (warning,) = said
        assert warning.startswith("only 1 replication") and "run 2 or more" in warning
        assert "\n" not in warning
        assert not words.startswith("Recommended")
        assert "± inf" not in html and "one run" in html
        assert f"Warning: {warning}." in html


def test_two_replications_give_an_interval_and_no_warning(tmp_path: Path) -> None:
    words, said, html = _study(tmp_path, 2, None)
    assert not said and "Warning" not in html and "95% CI" in words
