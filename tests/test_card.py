"""The robot card: its figures against hand-worked answers, the runs a calibration keeps drawn
point for point, what it says when something was not measured, the ``twin card`` command and
its refusals, and the README's card drawn from the shipped calibration."""

from __future__ import annotations

import base64
import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from twin import calibrate as calibration
from twin import card
from twin.calibrate import CalibrationGrid, Runs, load_robot
from twin.motion import ActFit, Calibration, WalkFit, calibration_path
from twin.robot import RobotSpec

ROOT = Path(__file__).resolve().parents[1]
ROBOT_YAML = ROOT / "assets" / "robots" / "walker_s2.yaml"
RATIO = (0.9, 0.002)  # the fake physics: achieved / commanded = 0.9 + 0.002 kg
POWER = (150.0, 80.0, 4.0)  # W cruising = 150 + 80 v + 4 kg
STILL = (120.0, 3.0)  # W setting off, stopping and turning = 120 + 3 kg
GRID = CalibrationGrid(distances=(3.0, 10.0), payloads=(0.0, 15.0), speed_factors=(0.8, 1.0),
                       dock_runs=2)


def _fake_walk(spec: RobotSpec, distance: float, payload: float, factor: float,
               rng: np.random.Generator, runs: Runs) -> None:
    if payload > 0 and factor < 1 and distance < 5:  # a pick that dropped: no walk measured
        runs.walk.append({"distance": distance, "payload": payload, "ok": 0.0})
        return
    speed = spec.speed(payload) * factor
    cruise = speed * (RATIO[0] + RATIO[1] * payload) * (1 + rng.normal(0, 0.002))
    turn = float(rng.uniform(0, math.pi))
    still = 3.0 + 2.0 * turn
    power = POWER[0] + POWER[1] * cruise + POWER[2] * payload
    energy = power * distance / cruise + (STILL[0] + STILL[1] * payload) * still
    runs.walk.append({"distance": distance, "payload": payload, "factor": factor,
                      "speed": speed, "duration": still + distance / cruise, "energy": energy,
                      "cruise": cruise, "ok": 1.0, "turn": turn,
                      card.MARGIN: 0.06 - 0.002 * payload})


def _fake_acts(spec: RobotSpec, payload: float, rng: np.random.Generator, runs: Runs) -> None:
    for kind, base in (("pick", 10.0), ("place", 9.0)):
        duration = base + 0.1 * payload + float(rng.normal(0, 0.5))
        getattr(runs, kind).append({"payload": payload, "duration": duration,
                                    "energy": 180.0 * duration, "ok": 1.0})


def _fake_dock(spec: RobotSpec, rng: np.random.Generator, runs: Runs) -> None:
    duration = 6.0 + float(rng.normal(0, 0.5))
    runs.dock.append({"payload": 0.0, "duration": duration, "energy": 170.0 * duration,
                      "ok": 1.0, "retries": 0.0, "position_error": 0.002,
                      "heading_error": 0.01})


def _drawing(mp: pytest.MonkeyPatch) -> list[Any]:
    """The figures the card writer draws, kept as it draws them (to read what they show)."""
    from twin import cardplot

    drawn: list[Any] = []
    draw = cardplot.draw

    def keep(*args: Any, **kwargs: Any) -> Any:
        drawn.append(draw(*args, **kwargs))
        return drawn[-1]

    mp.setattr(cardplot, "draw", keep)
    return drawn


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Calibration, Any]:
    """``twin.calibrate.calibrate`` end to end over fake physics rows of known laws: the fit,
    the JSON with its runs, and the card it asks for beside it (drawn, not rasterised: the
    writing itself is tested through ``twin card``; pybullet is imported, never run)."""
    from twin import cardplot

    pytest.importorskip("pybullet")
    out = tmp_path_factory.mktemp("calibration") / "walker_s2.json"
    asked: list[tuple[Any, ...]] = []

    def write(spec: RobotSpec, cal: Calibration, out_dir: Path, source: str = "") -> Any:
        asked.append((cal, Path(out_dir), cardplot.draw(spec, cal, source)))
        return out_dir / "card.png", None

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(calibration, "_walk_run", _fake_walk)
        mp.setattr(calibration, "_act_runs", _fake_acts)
        mp.setattr(calibration, "_dock_run", _fake_dock)
        mp.setattr(calibration, "_bend_run", lambda spec, rng, runs: runs.bend.append(6.0))
        mp.setattr(cardplot, "write", write)
        cal = calibration.calibrate(ROBOT_YAML, out, grid=GRID, seeds=(0, 1))
    ((written, where, fig),) = asked
    assert written is cal and where == out.parent  # the card of this fit, beside its file
    return out, cal, fig


def test_calibrate_keeps_every_run_and_draws_the_card_beside_it(
        fitted: tuple[Path, Calibration, Any]) -> None:
    out, cal, _ = fitted
    kept = json.loads(out.read_text())["provenance"]["runs"]
    walks = 2 * 2 * 2 * 2  # seeds x distances x payloads x speed factors
    assert [len(kept[k]) for k in ("walk", "pick", "place", "dock", "bend")] == [
        walks, 2 * 2, 2 * 2, 2 * 2, 2]
    dropped = [r for r in kept["walk"] if not r["ok"]]
    assert len(dropped) == 2 and all("cruise" not in r for r in dropped)
    # the fit recovers the laws the rows were made with, and the card reads them back
    assert cal.walk.speed_ratio[0] == pytest.approx(RATIO[0], rel=0.01)
    spec = load_robot(ROBOT_YAML)
    assert card.achieved(spec, cal, 0.0) == pytest.approx(1.2 * RATIO[0], rel=0.01)
    v = 1.2 * RATIO[0]
    assert card.energy_per_metre(spec, cal, 0.0) == pytest.approx(
        (POWER[0] + POWER[1] * v) / v, rel=0.02)
    # a 10 m walk from standing turning 1 rad: the metres cruising, 3 s + 2 s/rad at rest
    assert card.energy_per_metre(spec, cal, 0.0, 10.0, 1.0) == pytest.approx(
        (POWER[0] + POWER[1] * v) / v + STILL[0] * 5.0 / 10.0, rel=0.02)


def test_refit_fits_the_recorded_runs_again_without_physics(
        fitted: tuple[Path, Calibration, Any], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from twin import cardplot

    source, cal, _ = fitted
    out = tmp_path / "walker_s2.json"
    out.write_text(source.read_text())
    monkeypatch.setattr(cardplot, "write", lambda *a, **k: (tmp_path / "card.png", None))
    again = calibration.refit(ROBOT_YAML, out)
    # the same rows (kept to 6 digits) give the same fit; the provenance is the physics'
    assert again.walk.power_w == pytest.approx(cal.walk.power_w, rel=1e-4)
    assert again.walk.manoeuvre_w == pytest.approx(STILL, rel=1e-3)
    assert again.pick.duration_s == pytest.approx(cal.pick.duration_s, rel=1e-4)
    written = json.loads(out.read_text())["provenance"]
    assert written["runs"] == json.loads(source.read_text())["provenance"]["runs"]
    assert written["date"] == cal.provenance["date"] and "refit" in written
    # runs measured on one body are not fitted to another
    with pytest.raises(ValueError, match="another body"):
        calibration.refit(ROOT / "assets" / "robots" / "compact.yaml", out)


def test_a_run_keeps_the_smallest_margin_of_its_primitives() -> None:
    from types import SimpleNamespace

    approach = SimpleNamespace(metrics={card.MARGIN: 0.05})
    pick = SimpleNamespace(metrics={card.MARGIN: 0.03, "sag": 0.01})
    assert calibration._stability(approach, None, pick) == {card.MARGIN: 0.03}
    assert calibration._stability(SimpleNamespace(metrics={"sag": 0.01}), None) == {}


def _run_points(fig: Any) -> list[tuple[str, list[tuple[float, float]]]]:
    """Every point drawn as a run, by panel title."""
    found = []
    for ax in fig.axes:
        points = [(float(x), float(y)) for line in ax.get_lines() if line.get_gid() == "runs"
                  for x, y in zip(line.get_xdata(), line.get_ydata(), strict=True)]
        if points:
            found.append((ax.get_title(), sorted(points)))
    return found


def _same(drawn: list[tuple[float, float]], rows: list[tuple[float, float]]) -> None:
    np.testing.assert_allclose(np.array(drawn), np.array(sorted(rows)), rtol=1e-12)


def test_each_kept_run_is_one_point_where_its_figures_say(
        fitted: tuple[Path, Calibration, Any]) -> None:
    _, cal, fig = fitted
    spec = load_robot(ROBOT_YAML)
    runs = card.runs_of(cal)
    walks = [r for r in runs["walk"] if r["ok"]]
    drawn = dict(_run_points(fig))
    _same(drawn["Achieved against commanded speed"],
          [(r["speed"], r["cruise"]) for r in walks])
    _same(drawn["Energy per metre against payload (datasheet speed)"],
          [(r["payload"], r["energy"] / r["distance"]) for r in walks])
    _same(drawn["Pick, place and dock times (± 1 sd)"],
          [(r["payload"], r["duration"]) for k in ("pick", "place", "dock") for r in runs[k]])
    margins = [p for t, p in _run_points(fig) if t.startswith("Stability")][0]
    _same(margins, [(r["payload"], 1000 * r[card.MARGIN]) for r in walks])
    rows = {r.figure: r for r in card.table(spec, cal)}
    assert rows["stability margin (capture point), smallest"].physics == "walk 30 mm"
    assert rows["walks completed"].physics == "14 of 16"
    assert card.NO_RUNS not in card.provenance(spec, cal)


def _plain() -> Calibration:
    """A calibration of round numbers with no runs, as the shipped files before this card."""
    act = ActFit(duration_s=(10.0, 0.2), energy_j=(2000.0, 40.0), duration_sd=1.0,
                 energy_sd=100.0)
    return Calibration(
        robot="walker_s2", source="physics", constant_w=33.0, pick=act, place=act, dock=act,
        walk=WalkFit(speed_ratio=(0.9, 0.0), overhead_s=4.0, power_w=(100.0, 50.0, 2.0)),
        provenance={"date": "2026-01-01T00:00:00+00:00"})


def test_figures_against_hand_worked_answers() -> None:
    spec, cal = load_robot(ROBOT_YAML), _plain()
    v = 1.2 * 0.9  # commanded the datasheet's 1.2 m/s, 0.9 of it achieved
    assert card.achieved(spec, cal, 0.0) == pytest.approx(v)
    assert card.achieved(spec, cal, 15.0) == pytest.approx(0.9 * 0.9)
    assert card.energy_per_metre(spec, cal, 0.0) == pytest.approx((100 + 50 * v) / v)
    assert card.energy_per_metre(spec, cal, 0.0, 10.0) == pytest.approx(
        (100 + 50 * v) * (4.0 + 10 / v) / 10)
    # the datasheet: standing 120 + walking 380 + 4 W/kg + compute 25 + radio 8, at its speed
    assert card.datasheet_energy_per_metre(spec, 15.0) == pytest.approx((533 + 60) / 0.9)
    assert cal.pick.mean(15.0) == pytest.approx((13.0, 2600.0))
    rows = {r.figure: r for r in card.table(spec, cal)}
    assert (rows["pick time, 0 / 15 kg"].datasheet, rows["pick time, 0 / 15 kg"].physics) == (
        "8 s", "10.0 / 13.0 s, sd 1.0 s")
    assert rows["dock time"].datasheet == "20 s"


def test_a_calibration_without_runs_or_margins_says_so() -> None:
    spec, cal = load_robot(ROBOT_YAML), _plain()
    rows = {r.figure: r for r in card.table(spec, cal)}
    assert rows["stability margin (capture point), smallest"].physics == card.NOT_MEASURED
    assert rows["walks completed"].physics == "not recorded"
    assert card.NO_RUNS in card.provenance(spec, cal)


def test_twin_card_draws_a_calibration_without_runs(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A calibration with no runs and no margins (as files written before rows were kept):
    the card draws the fitted curves alone and says so, with units on every axis."""
    from PIL import Image

    from twin import cardplot
    from twin.cli import app

    plain = tmp_path / "plain.json"
    plain.write_text(_plain().model_dump_json())
    drawn = _drawing(monkeypatch)
    result = CliRunner().invoke(app, ["card", str(ROBOT_YAML), "--calibration", str(plain),
                                      "--out", str(tmp_path / "card")])
    assert result.exit_code == 0, result.output
    png = tmp_path / "card" / "robot_card_walker_s2.png"
    with Image.open(png) as image:
        assert image.size == (1760, 1243)
        assert image.text[cardplot.STAMP] == cardplot.stamp(_plain())
    html = png.with_suffix(".html").read_text()
    embedded = html.split("base64,", 1)[1].split('"', 1)[0]
    assert base64.b64decode(embedded) == png.read_bytes()
    assert "<td>pick time, 0 / 15 kg</td><td>8 s</td>" in html
    (fig,) = drawn
    words = " ".join(t.get_text() for t in fig.findobj(match=lambda a: hasattr(a, "get_text")))
    assert card.NO_RUNS in words and card.NOT_MEASURED in words
    assert _run_points(fig) == []
    for ax in fig.axes:
        for label in (ax.get_xlabel(), ax.get_ylabel()):
            assert not label or label.endswith(")"), label  # a unit in brackets


def test_the_readme_card_is_of_the_shipped_calibration() -> None:
    from PIL import Image

    from twin import cardplot

    shipped = Calibration.model_validate_json(calibration_path("walker_s2").read_text())
    with Image.open(ROOT / "docs" / "robot_card_walker_s2.png") as image:
        assert image.text[cardplot.STAMP] == cardplot.stamp(shipped), (
            "docs/robot_card_walker_s2.png is of another calibration: make readme-card")


@pytest.mark.parametrize(("args", "says"), [
    (["no_such_robot"], "no robot YAML"),
    (["walker_s2", "--calibration", "nowhere.json"], "no calibration of walker_s2"),
    (["walker_s2", "--calibration", "{broken"], "not a calibration"),
    (["walker_s2", "--calibration", "other"], "a calibration of robot 'other'"),
    (["walker_s2", "--calibration", "nominal"], "holds datasheet figures"),
    (["walker_s2", "--out", "file"], "a file, not a directory"),
])
def test_twin_card_refuses_in_one_line(tmp_path: Path, args: list[str], says: str,
                                      capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from twin.cli import main

    spec = load_robot(ROBOT_YAML)
    files = {"{broken": "{", "other": _plain().model_copy(update={"robot": "other"}),
             "nominal": Calibration.nominal(spec), "file": ""}
    args = list(args)
    for k, arg in enumerate(args):
        if arg in files:
            path = tmp_path / "x.json"
            content = files[arg]
            path.write_text(content if isinstance(content, str) else content.model_dump_json())
            args[k] = str(path)
    monkeypatch.setattr(sys, "argv", ["twin", "card", *args])
    with pytest.raises(SystemExit) as stop:
        main()
    err = capsys.readouterr().err
    assert stop.value.code == 2 and len(err.strip().splitlines()) == 1, err
    assert says in err and "Traceback" not in err
