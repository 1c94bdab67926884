"""The classroom tour runs, prints its figures and writes what it points to."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest

from twin.demo import LESSONS, demo, headline, run_lesson


def test_every_teaching_line_has_a_lesson() -> None:
    teaching = Path(__file__).resolve().parents[2] / "lines" / "teaching"
    assert {lesson.file for lesson in LESSONS} == {p.name for p in teaching.glob("*.yaml")}


def test_one_lesson_sets_twin_beside_theory() -> None:
    rows = run_lesson(LESSONS[2])  # breakdowns: cheap
    by_name = {r["figure"]: r for r in rows}
    row = by_name["availability"]
    assert row["theory"] == pytest.approx(120 / 140)
    assert abs(row["twin"] - row["theory"]) < 0.03


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_demo_tour(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = demo(tmp_path)
    printed = capsys.readouterr().out
    for lesson in LESSONS:
        assert lesson.file in printed and lesson.notice[:40] in printed
        assert (tmp_path / Path(lesson.file).stem / "kpis.json").exists()
    with (tmp_path / "teaching_summary.csv").open(encoding="utf-8") as fh:
        assert len(list(csv.DictReader(fh))) == len(rows)
    for r in rows:
        if not math.isnan(r["theory"]) and r["figure"] != "throughput per hour":
            assert r["twin"] == pytest.approx(r["theory"], rel=0.1, abs=0.02), r


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_headline_answers_the_fleet_question(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    rows = headline(tmp_path, counts=(1, 3), reps=1, hours=24)
    assert rows[0]["doors_per_on_shift_hour"] < rows[1]["doors_per_on_shift_hour"]
    printed = capsys.readouterr().out
    assert "Answer:" in printed and "fleet_sweep.csv" in printed
    assert (tmp_path / "fleet_sweep.csv").exists()
    assert (tmp_path / "run" / "kpis.json").exists()
