"""Every robot field counts: a --set of any robot field moves the KPIs the way the physics or
queueing says, or is refused with the field and the fix; calibrations are bound to content."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel
from typer.testing import CliRunner

import twin
from twin import figures
from twin.cli import app
from twin.kpi import KPIs
from twin.loader import ConfigError, load_line, load_robot
from twin.motion import Calibration
from twin.robot import ROBOTS_DIR, RobotSpec

HOURS = 8.0  # 6 h on shift (00:00-06:00), 2 h off: standby draws
ONE_ROBOT = """\
name: one_robot
description: one humanoid carries totes rack -> cell -> conveyor; the robot sets the pace
layout:
  floor: {width: 20 m, depth: 10 m}
  locations:
    rack: {x: 2, y: 5, kind: rack}
    cell: {x: 10, y: 5, kind: station}
    conveyor: {x: 18, y: 5, kind: conveyor}
    dock: {x: 10, y: 1, kind: charger}
products:
  part: {routing: [cell]}
sources:
  rack: {location: rack, kind: rack}
sinks:
  conveyor: {location: conveyor}
stations:
  cell: {process: 20 s, input_buffer: 4, output_buffer: 4}
transport:
  default: {kind: humanoid, tote_units: 2, unit_mass: 5 kg, tote_mass: 2 kg}
fleet:
  robot: ROBOT
  count: 1
  home: dock
chargers:
  dock: {location: dock, count: 1, mode: swap, swap_time: 3 min, spares: 2, power: 1.5 kW}
shifts:
  shifts: [{start: "00:00", end: "06:00"}]
warmup: 0 h
"""
TOTE_KG = 12.0


def _tph(k: KPIs) -> float:
    return k.line.throughput_per_shift_hour


def _energy(k: KPIs) -> float:
    return k.line.fleet_energy_kwh


def _charges(k: KPIs) -> float:
    return k.line.charges


def _docking(k: KPIs) -> float:
    return sum(r.docking for r in k.robots.values())


REFUSED = "refused"
SAME = "same"  # no KPI may move: the reason is in docs/robot-figures.md
DIFFERS = "differs"  # a spread: the means stay, the samples move
# field -> (value set, expected: REFUSED, SAME, DIFFERS, or (KPI, +1 up / -1 down))
CASES: list[tuple[str, Any, Any]] = [
    ("name", "walker_copy", DIFFERS),  # another robot, uncalibrated: its datasheet figures
    ("description", "another text", SAME),
    ("facts", {}, SAME),
    ("height", 1.5, REFUSED),  # the body: every length scales with it (twin/physics/body.py)
    ("fall_recovery_time", 900, SAME),  # surrogate robots do not fall; physics runs use it
    ("mass", 73.5, (_energy, +1)),  # +5%: joint work scaled with mass
    ("mass", 90, REFUSED),  # +29%: outside what the law covers
    ("urdf", "another.urdf", REFUSED),
    ("speed_empty", 1.0, (_tph, -1)),  # inside the fitted walks (0.8-1 x)
    ("speed_empty", 1.5, REFUSED),
    ("speed_loaded", 0.75, (_tph, -1)),
    ("max_payload", 20, REFUSED),
    ("battery", "1 kWh", (_charges, +1)),
    ("power.standing", 220, (_energy, +1)),
    ("power.walking", 600, REFUSED),  # the calibration measures it: say it under override
    ("power.per_kg_carried", 10, REFUSED),
    ("power.lifting", 300, REFUSED),
    ("power.standby", 140, (_energy, +1)),
    ("power.compute", 125, (_energy, +1)),
    ("power.radio", 108, (_energy, +1)),
    ("pick_time", 60, REFUSED),
    ("place_time", 60, REFUSED),
    ("dock_time", 60, REFUSED),
    ("decision_latency", 3, (_tph, -1)),
    ("act_cv", 0.5, REFUSED),
    ("walk_cv", 0.3, REFUSED),
    ("dock_tolerance.position", 0.02, REFUSED),
    ("dock_tolerance.heading", 3, REFUSED),
    ("drive_efficiency", 0.8, REFUSED),
    ("joint_torque_limit", 1.2, REFUSED),
    # the motors: copper loss goes with (torque / (Kt N))^2 R, which the fit keeps with joint work
    *[(f"motors.{group}.{name}", value, REFUSED) for group in ("leg", "arm", "waist")
      for name, value in (("torque_constant", 0.3), ("winding_resistance", 2.0),
                          ("gear_ratio", 50), ("driver_efficiency", 0.9),
                          ("winding_temperature", 40), ("no_load_current", 0.5),
                          ("no_load_current_per_rpm", 0.02),
                          # the arms' torque limit and squeeze (grip) come from the ratings
                          ("rated_torque", 60), ("peak_torque", 400))],
    ("calibration", "none", (_tph, +1)),  # the datasheet walks without the fitted overheads
    ("override.pick_time", 30, (_tph, -1)),
    ("override.place_time", 30, (_tph, -1)),
    ("override.dock_time", 120, (_docking, +1)),
    ("override.walk_cv", 0.3, DIFFERS),
    ("override.act_cv", 0.5, DIFFERS),
    ("override.power.walking", 800, (_energy, +1)),
    ("override.power.per_kg_carried", 30, (_energy, +1)),
    ("override.power.lifting", 600, (_energy, +1)),
]


def _leaves(model: type[BaseModel], prefix: str = "") -> set[str]:
    out = set()
    for name, info in model.model_fields.items():
        kind = info.annotation
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            out |= _leaves(kind, f"{prefix}{name}.")
        else:
            out.add(prefix + name)
    return out


@pytest.fixture(scope="module")
def one_robot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("figures") / "one_robot.yaml"
    path.write_text(ONE_ROBOT.replace("ROBOT", "walker_s2"), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def base(one_robot: Path) -> KPIs:
    return twin.simulate(load_line(one_robot), hours=HOURS, seed=1).kpis


def test_the_table_covers_every_robot_field() -> None:
    assert {field for field, _, _ in CASES} == _leaves(RobotSpec)


@pytest.mark.parametrize(("field", "value", "expected"), CASES,
                         ids=[f"{f}={v}" for f, v, _ in CASES])
def test_every_robot_field_counts(one_robot: Path, base: KPIs, field: str, value: Any,
                                  expected: Any) -> None:
    path = f"fleet.robot.{field}"
    if expected == REFUSED:
        with pytest.raises(ConfigError) as caught:
            load_line(one_robot, {path: value})
        message = str(caught.value)
        assert f"{one_robot}:" in message and f": {path}: " in message, message
        assert "twin calibrate" in message or "override" in message, message
        return
    k = twin.simulate(load_line(one_robot, {path: value}), hours=HOURS, seed=1).kpis
    if expected == SAME:
        assert k.model_dump() == base.model_dump()
    elif expected == DIFFERS:
        assert k.model_dump() != base.model_dump()
    else:
        kpi, sign = expected
        assert (kpi(k) - kpi(base)) * sign > 0, (kpi.__name__, kpi(base), kpi(k))


def test_a_longer_pick_costs_what_queueing_says(one_robot: Path) -> None:
    """The robot is the line's only server (a battery that never needs charging): each tote
    of 2 units takes two picks, so a pick of T s instead of the fitted t adds 2 (T - t) s to
    every 2-unit cycle and the rate falls to 2 / (cycle + 2 (T - t)); never above it (a
    slower robot may also find the cell's output not ready and walk empty more: with the
    fitted pick at 11.5 s, 13 s was within 0.6% of the law, 15 s 2.9% under, 30 s 5% under;
    with the 19:31 fit, 12.5 s at this tote with a 2.0 s spread, 13 s is 2.1% under)."""
    endless = {"fleet.robot.battery": "1000 kWh"}
    line = load_line(one_robot, endless)
    fitted = figures.resolve(line.fleet.robot).calibration.pick  # type: ignore[union-attr, arg-type]
    t = fitted.duration_s[0] + fitted.duration_s[1] * TOTE_KG
    base = twin.simulate(line, hours=HOURS, seed=1).kpis
    assert base.line.robot_utilisation > 0.97
    cycle = 2 * 3600 / _tph(base)
    rates = []
    for slow in (13.0, 30.0):
        k = twin.simulate(load_line(one_robot, {**endless, "fleet.robot.override.pick_time":
                                                slow}), hours=HOURS, seed=1).kpis
        law = 2 * 3600 / (cycle + 2 * (slow - t))
        assert _tph(k) <= law * 1.01
        rates.append((_tph(k), law))
    assert rates[0][0] == pytest.approx(rates[0][1], rel=0.03)
    assert rates[1][0] < rates[0][0]


@pytest.fixture()
def robot_file(tmp_path: Path) -> Any:
    def write(**fields: Any) -> Path:
        doc = yaml.safe_load((ROBOTS_DIR / "walker_s2.yaml").read_text(encoding="utf-8"))
        doc.update(fields)
        path = tmp_path / f"robot_{len(list(tmp_path.glob('robot_*')))}.yaml"
        path.write_text(yaml.safe_dump(doc), encoding="utf-8")
        line = tmp_path / f"line_{path.stem}.yaml"
        line.write_text(ONE_ROBOT.replace("ROBOT", path.name), encoding="utf-8")
        return line
    return write


def test_a_robot_yaml_with_another_mass_is_scaled_by_the_law_or_refused(
        robot_file: Any) -> None:
    shipped = figures.resolve(load_robot("walker_s2"))
    heavier = load_line(robot_file(mass=75)).fleet.robot  # type: ignore[union-attr]
    assert isinstance(heavier, RobotSpec)
    scaled = figures.resolve(heavier)
    assert scaled.file == shipped.file and not scaled.refusals and scaled.scaled
    k = 75 / 70
    # what the physics meter drew every second whatever the joints did: compute and radio, and
    # the standing draw for a calibration fitted by the meter before the motor constants
    fitted = shipped.calibration.provenance.get("robot_fields", {})
    hold = fitted.get("power.standing", 0.0) + heavier.power.constant
    for a, b in ((shipped.calibration.pick, scaled.calibration.pick),
                 (shipped.calibration.dock, scaled.calibration.dock)):
        assert b.duration_s == a.duration_s  # the same gait
        motor = a.energy_j[0] - hold * a.duration_s[0]
        assert b.energy_j[0] - hold * b.duration_s[0] == pytest.approx(k * motor)
    (p0, p1, p2), (q0, q1, q2) = shipped.calibration.walk.power_w, scaled.calibration.walk.power_w
    assert (q0 - hold, q1, q2) == pytest.approx((k * (p0 - hold), k * p1, p2))
    with pytest.raises(ConfigError, match=r"fleet\.robot\.mass: 100 kg differs from the 70 kg"):
        load_line(robot_file(mass=100))


def _calibration_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bound: bool) -> Path:
    shipped = json.loads(figures.calibration_path("walker_s2").read_text(encoding="utf-8"))
    for key in ("robot_digest", "robot_fields", "robot_datasheet"):
        shipped["provenance"].pop(key, None)
    if bound:
        shipped["provenance"].update(figures.binding(load_robot("walker_s2")))
    folder = tmp_path / "calibration"
    folder.mkdir()
    (folder / "walker_s2.json").write_text(json.dumps(shipped), encoding="utf-8")
    monkeypatch.setattr("twin.motion.CALIBRATION_DIR", folder)
    monkeypatch.setattr("twin.figures.CALIBRATION_DIR", folder)
    return folder / "walker_s2.json"


def test_a_calibration_without_digest_loads_as_fitted_for_the_shipped_robot(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _calibration_dir(tmp_path, monkeypatch, bound=False)
    spec = load_robot("walker_s2")
    found = figures.resolve(spec)
    assert found.file == path and found.fitted_digest is None and not found.refusals
    assert "unbound" in found.bound and "assets/robots/walker_s2.yaml" in found.bound
    assert found.calibration == Calibration.model_validate_json(path.read_text())
    assert "unbound" in figures.summary(spec, found)


def test_a_bound_calibration_holds_for_its_body_only(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _calibration_dir(tmp_path, monkeypatch, bound=True)
    spec = load_robot("walker_s2")
    found = figures.resolve(spec)
    assert found.fitted_digest == figures.robot_digest(spec) and not found.refusals
    copy = spec.model_copy(update={"name": "my_walker"})
    assert figures.resolve(copy).file is None  # another robot: its datasheet
    assert figures.resolve(copy).sources["pick time"].startswith("datasheet")
    heavier = spec.model_copy(update={"mass": 75.0})  # the same name, another body
    assert figures.resolve(heavier).fitted_digest != figures.robot_digest(heavier)
    assert figures.resolve(heavier).scaled
    slower = spec.model_copy(update={"pick_time": 12.0})
    (refusal,) = figures.resolve(slower).refusals
    assert refusal.field == "pick_time" and "override.pick_time" in refusal.message
    doc = json.loads(path.read_text())
    doc["provenance"]["robot_fields"]["urdf_sha256"] = "0" * 16  # fitted on another URDF
    path.write_text(json.dumps(doc), encoding="utf-8")
    (refusal,) = figures.resolve(spec).refusals
    assert refusal.field == "urdf" and "has changed" in refusal.message


def test_twin_check_says_where_each_figure_comes_from(tmp_path: Path) -> None:
    doc = yaml.safe_load(ONE_ROBOT.replace("ROBOT", "walker_s2"))
    robot = yaml.safe_load((ROBOTS_DIR / "walker_s2.yaml").read_text(encoding="utf-8"))
    doc["fleet"]["robot"] = {**robot, "override": {"pick_time": "20 s"}}
    line = tmp_path / "one_robot.yaml"
    line.write_text(yaml.safe_dump(doc), encoding="utf-8")
    result = CliRunner().invoke(app, ["check", str(line)])
    assert result.exit_code == 0, result.stdout + result.stderr
    rows = {r.split("│")[1].strip(): r for r in result.stdout.splitlines() if r.count("│") > 3}
    assert "override" in rows["pick time"] and "20 s" in rows["pick time"]
    assert "calibration" in rows["place time"]
    assert "datasheet" in rows["walk speed"]
    assert "assets/calibration/walker_s2.json" in result.stdout


def test_an_override_states_only_its_own_figure() -> None:
    spec = load_robot("walker_s2")
    fitted = figures.resolve(spec).calibration
    lifting = spec.model_copy(update={"override": spec.override.model_copy(update={
        "power": spec.override.power.model_copy(update={"lifting": 600.0})})})
    found = figures.resolve(lifting)
    assert found.calibration.pick.duration_s == fitted.pick.duration_s  # times as fitted
    hold = spec.power.standing + spec.power.constant
    assert found.calibration.pick.energy_j[0] == pytest.approx(
        (hold + 600.0) * fitted.pick.duration_s[0])
    assert found.calibration.walk == fitted.walk and found.calibration.dock == fitted.dock
    assert found.sources["pick/place power"] == "override"
    assert found.sources["pick time"] == "calibration"


@pytest.mark.parametrize(("field", "value", "says"), [
    ("override.pick_time", -5, "greater than or equal to 0"),
    ("override.pik_time", 5, "unknown field 'pik_time'"),
    ("override.power.walking", "fast", "power"),
])
def test_an_override_is_validated_like_every_field(one_robot: Path, field: str, value: Any,
                                                   says: str) -> None:
    with pytest.raises(ConfigError, match=rf"{one_robot}:\d+: fleet\.robot\.{field}: .*{says}"):
        load_line(one_robot, {f"fleet.robot.{field}": value})


@pytest.mark.parametrize(("slope", "says"), [(-0.067, "(-0.067 s/kg)"), (0.029, "(+0.029 s/kg)")])
def test_twin_check_signs_a_fitted_slope(slope: float, says: str) -> None:
    """A fit whose pick shortens with load prints its slope with one sign, not '+-'."""
    spec = load_robot("walker_s2")
    found = figures.resolve(spec)
    cal = found.calibration
    pick = cal.pick.model_copy(update={"duration_s": (12.0, slope)})
    found.calibration = cal.model_copy(update={"pick": pick})
    rows = {row[0]: row[1] for row in figures.table(spec, found)}
    assert rows["pick time"] == f"12 s {says}"
