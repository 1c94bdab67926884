"""Fit the surrogate motion model from physics: run the primitives over a grid of distance x
payload x speed (with a few seeds), least-squares fit the ``Calibration`` forms, keep the
residual spread, and write ``assets/calibration/<robot>.json`` with provenance.

PyBullet is imported lazily, inside ``calibrate``: importing this module costs nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import yaml

from twin.figures import binding
from twin.motion import ActFit, Calibration, WalkFit, calibration_path, wrap_angle
from twin.robot import RobotSpec

if TYPE_CHECKING:
    from twin.config import Layout

ACT_FLOOR = 12.0  # m, the square floor of the pick-and-place runs
SETTLE = 1.0  # s a pick-and-place run's robot stands before it steps back and walks


@dataclass(frozen=True)
class CalibrationGrid:
    """The runs: walks over distance x payload x speed factor; acts over payload."""

    distances: tuple[float, ...] = (3.0, 6.0, 10.0)
    payloads: tuple[float, ...] = (0.0, 7.5, 15.0)
    speed_factors: tuple[float, ...] = (0.8, 1.0)
    dock_runs: int = 4

    @classmethod
    def for_robot(cls, spec: RobotSpec) -> CalibrationGrid:
        """The default grid with the payloads of ``spec``: empty, half and its rated payload
        (walker_s2's 15 kg: 0, 7.5, 15)."""
        return cls(payloads=(0.0, spec.max_payload / 2, spec.max_payload))

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form for the provenance."""
        return {"distances": list(self.distances), "payloads": list(self.payloads),
                "speed_factors": list(self.speed_factors), "dock_runs": self.dock_runs}


@dataclass
class Runs:
    """Raw measurements, one row per run."""

    walk: list[dict[str, float]] = field(default_factory=list)
    pick: list[dict[str, float]] = field(default_factory=list)
    place: list[dict[str, float]] = field(default_factory=list)
    dock: list[dict[str, float]] = field(default_factory=list)
    bend: list[float] = field(default_factory=list)  # s a right-angle bend added to a walk
    lead_in_falls: int = 0  # walks up to a pick that fell (the pick then not measured)
    # walks with the tote to the place that failed (fell, or lost the tote): the place then
    # not measured; one row each, what the walk said and how long it ran
    loaded_lead_in: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly rows for the calibration's provenance (the robot card scatters
        them): figures to 6 significant digits, a NaN (no cruise measured) as null."""
        def figure(x: Any) -> Any:
            if not isinstance(x, (int, float)):
                return x
            return float(f"{x:.6g}") if math.isfinite(x) else None

        return {**{kind: [{k: figure(v) for k, v in row.items()}
                          for row in getattr(self, kind)]
                   for kind in ("walk", "pick", "place", "dock")},
                "bend": [figure(x) for x in self.bend], "lead_in_falls": self.lead_in_falls,
                "loaded_lead_in_falls": [{k: figure(v) for k, v in row.items()}
                                         for row in self.loaded_lead_in]}

    @classmethod
    def from_dict(cls, rows: dict[str, Any]) -> Runs:
        """The runs ``as_dict`` wrote (a null figure back to NaN)."""
        def figure(x: Any) -> Any:
            return math.nan if x is None else x

        return cls(**{kind: [{k: figure(v) for k, v in row.items()} for row in rows[kind]]
                      for kind in ("walk", "pick", "place", "dock")},
                   bend=[figure(x) for x in rows.get("bend", [])],
                   lead_in_falls=int(rows.get("lead_in_falls", 0)),
                   loaded_lead_in=list(rows.get("loaded_lead_in_falls", [])))


def _stability(*results: Any) -> dict[str, float]:
    """The smallest capture-point margin over a run's primitives, when the physics measured
    one (the robot card draws it; ``twin.card.MARGIN``)."""
    from twin.card import MARGIN

    found = [float(m) for r in results if (m := getattr(r, "metrics", {}).get(MARGIN))
             is not None]
    return {MARGIN: min(found)} if found else {}


def load_robot(path: str | Path) -> RobotSpec:
    """Read a robot YAML into a ``RobotSpec``."""
    return RobotSpec.model_validate(yaml.safe_load(Path(path).read_text()))


def _walk_run(spec: RobotSpec, distance: float, payload: float, factor: float,
              rng: np.random.Generator, runs: Runs) -> None:
    from twin.physics import primitives as prim
    from twin.physics.trials import each_tick
    from twin.physics.world import World

    world = World()
    try:
        robot = world.add_humanoid(spec, 0.0, 0.0, 0.0)
        carry = None
        if payload > 0:
            ahead = robot.body_size.stand_ahead  # as far as its arms reach
            world.add_stand("rack", 0.0, 0.0, 0.0, ahead)
            tote = world.add_tote(payload, ahead, 0.0)
            result, carry = world.run(robot, prim.pick(world, robot, tote))
            if carry is None:
                runs.walk.append({"distance": distance, "payload": payload, "ok": 0.0})
                return
        e0, t0 = robot.meter.energy_j, world.time
        backed = None
        if carry is None:  # as the line model's walks do: step back from the post
            backed = world.run(robot, prim.back_off(world, robot, 0.3))
        direction = rng.uniform(0.5 * math.pi, 1.5 * math.pi)
        face = direction + rng.uniform(-0.5 * math.pi, 0.5 * math.pi)
        x0, y0, _ = robot.pose()
        ux, uy = math.cos(direction), math.sin(direction)
        path = np.array([[x0, y0], [x0 + distance * ux, y0 + distance * uy]])
        speed = spec.speed(payload) * factor
        marks: list[float] = []

        def mark() -> None:
            x, y, _ = robot.pose()
            done = (x - x0) * ux + (y - y0) * uy
            for k, share in enumerate((0.25, 0.85)):
                if len(marks) == k and done >= share * distance:
                    marks.append(world.time)

        result = world.run(robot, each_tick(
            prim.walk(world, robot, path, speed, face=face, carry=carry), mark))
        cruise = (0.6 * distance / (marks[1] - marks[0])) if len(marks) == 2 else float("nan")
        # turns on the spot, measured as the surrogate sees them (twin.motion.walk_turns)
        turn = abs(wrap_angle(direction)) + abs(wrap_angle(face - direction))
        runs.walk.append({
            "distance": distance, "payload": payload, "factor": factor, "speed": speed,
            "duration": world.time - t0, "energy": robot.meter.energy_j - e0,
            "cruise": cruise, "ok": float(result.ok), "turn": turn,
            **_stability(backed, result),
        })
    finally:
        world.close()


def _bend_run(spec: RobotSpec, rng: np.random.Generator, runs: Runs) -> None:
    """The same 6 m walked straight and with one right-angle bend halfway, from standing,
    facing along the way out: what the bend adds (a stop, a quarter turn, a start)."""
    from twin.physics import primitives as prim
    from twin.physics.world import World

    heading = float(rng.uniform(-math.pi, math.pi))
    c, s = math.cos(heading), math.sin(heading)
    times = []
    for path in ([[0.0, 0.0], [6.0, 0.0]], [[0.0, 0.0], [3.0, 0.0], [3.0, 3.0]]):
        pts = np.array([[c * x - s * y, s * x + c * y] for x, y in path])
        world = World()
        try:
            robot = world.add_humanoid(spec, 0.0, 0.0, heading)
            result = world.run(robot, prim.walk(world, robot, pts, spec.speed(0.0)))
            if not result.ok:
                return
            times.append(result.duration)
        finally:
            world.close()
    runs.bend.append(times[1] - times[0])


def _act_layout(rng: np.random.Generator) -> Layout:
    """A rack and a station as a line lays them out: the rack faces west; the station stands
    3-5 m from it, east-ish, facing the way a robot arrives or a quarter turn off it (the
    turns of 0 and 90 degrees a line's walks end with)."""
    from twin.config import Layout

    away = float(rng.uniform(-0.5 * math.pi, 0.5 * math.pi))
    reach = float(rng.uniform(3.0, 5.0))
    heading = away + float(rng.choice([-0.5, 0.0, 0.5])) * math.pi
    rack = (ACT_FLOOR / 2 - reach / 2, ACT_FLOOR / 2)
    station = (rack[0] + reach * math.cos(away), rack[1] + reach * math.sin(away))
    return Layout.model_validate({
        "floor": {"width": ACT_FLOOR, "depth": ACT_FLOOR},
        "locations": {
            "rack": {"x": rack[0], "y": rack[1], "kind": "rack", "heading": 180.0},
            "station": {"x": station[0], "y": station[1], "kind": "station",
                        "heading": math.degrees(wrap_angle(heading))}}})


def _act_runs(spec: RobotSpec, payload: float, rng: np.random.Generator,
              runs: Runs) -> str | None:
    """Pick at a rack and place at a station as the line does: both are locations of a small
    layout with the solid work stands a line's world has (``World.from_layout``: a stand at
    each work pose), and each act starts where a walk to it ended, off the pose by what the
    walk left, and includes the fine approach (as the line's picking and placing states do).
    The robot starts on the station's pose, as if it had just placed there, steps back and
    walks to the rack; then, holding the tote, it walks to the station.

    A walk that fails (to the rack, or with the tote to the station) is counted apart as a
    lead-in fall, not as the act's failure, and the act after it is not measured: returns
    what failed, or None."""
    from twin.physics import primitives as prim
    from twin.physics.body import Body
    from twin.physics.motion import APPROACH_TOLERANCE, BACK_OFF
    from twin.physics.world import World

    layout = _act_layout(rng)
    ahead = Body.of(spec.height).stand_ahead  # the stands as far ahead as its arms reach
    world = World.from_layout(layout, stand_ahead=ahead)
    try:
        rack, station = world.stands["rack"], world.stands["station"]
        robot = world.add_humanoid(spec, station.x, station.y, station.heading)
        # standing settled, as after a place (stepping back at once from a fresh load falls
        # now and then: at (0, 9.15) facing -11 degrees, not at (0, 6))
        world.run(robot, prim.hold(world, robot, SETTLE))
        world.run(robot, prim.back_off(world, robot, BACK_OFF))
        there = world.run(robot, prim.walk(world, robot, [[rack.x, rack.y]], spec.speed(0.0),
                                           face=rack.heading))
        if not there.ok:  # a walk's fall, not the act's: counted apart, the act not measured
            runs.lead_in_falls += 1
            return f"the walk to the rack failed ({there.note or 'fell'}): pick not measured"
        tote = world.add_tote(payload, rack.x + ahead * math.cos(rack.heading),
                              rack.y + ahead * math.sin(rack.heading), rack.heading)
        t0, e0 = world.time, robot.meter.energy_j
        approach = world.run(robot, prim.align(world, robot, rack.x, rack.y, rack.heading,
                                               *APPROACH_TOLERANCE))
        result, carry = world.run(robot, prim.pick(world, robot, tote))
        runs.pick.append({"payload": payload, "duration": world.time - t0,
                          "energy": robot.meter.energy_j - e0,
                          "ok": float(result.ok and approach.ok and carry is not None),
                          **_stability(approach, result)})
        if carry is None:
            return None
        # a held tote rides above the rack: it turns clear of it, no back-off
        t0 = world.time
        carried = world.run(robot, prim.walk(world, robot, [[station.x, station.y]],
                                             spec.speed(payload), face=station.heading,
                                             carry=carry))
        if not carried.ok:  # the loaded walk's fall or drop, not the place's
            note = carried.note or ("fell while walking" if carried.fell else "failed")
            runs.loaded_lead_in.append({"payload": payload, "walked_s": world.time - t0,
                                        "note": note})
            return f"the loaded walk to the station failed ({note}): place not measured"
        t0, e0 = world.time, robot.meter.energy_j
        approach = world.run(robot, prim.align(world, robot, station.x, station.y,
                                               station.heading, *APPROACH_TOLERANCE))
        placed = world.run(robot, prim.place(world, robot, carry))
        runs.place.append({"payload": payload, "duration": world.time - t0,
                           "energy": robot.meter.energy_j - e0,
                           "ok": float(placed.ok and approach.ok), **_stability(approach, placed)})
        return None
    finally:
        world.close()


def _dock_run(spec: RobotSpec, rng: np.random.Generator, runs: Runs) -> None:
    from twin.physics import primitives as prim
    from twin.physics.world import World

    world = World()
    try:
        world.add_dock("charger", 0.0, 0.0, 0.0)
        x, y = rng.uniform(-0.12, 0.05), rng.uniform(-0.08, 0.08)
        robot = world.add_humanoid(spec, x, y, rng.uniform(-0.15, 0.15))
        t0, e0 = world.time, robot.meter.energy_j
        result = world.run(robot, prim.dock(world, robot, 0.0, 0.0, 0.0))
        runs.dock.append({"payload": 0.0, "duration": world.time - t0,
                          "energy": robot.meter.energy_j - e0, "ok": float(result.ok),
                          "retries": float(result.retries), **result.metrics})
    finally:
        world.close()


def _linear(x: np.ndarray, y: np.ndarray) -> tuple[tuple[float, float], float]:
    """Least squares y = a + b x; returns (a, b) and the residual standard deviation."""
    if len(set(x.tolist())) < 2:
        return (float(y.mean()), 0.0), float(y.std(ddof=1)) if len(y) > 1 else 0.0
    design = np.column_stack([np.ones_like(x), x])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    resid = y - design @ coef
    dof = max(len(y) - 2, 1)
    return (float(coef[0]), float(coef[1])), float(math.sqrt((resid**2).sum() / dof))


def _act_fit(rows: list[dict[str, float]], total: int) -> tuple[ActFit, dict[str, float]]:
    good = [r for r in rows if r["ok"]]
    if not good:
        raise RuntimeError("no successful runs to fit")
    m = np.array([r["payload"] for r in good])
    dur, dur_sd = _linear(m, np.array([r["duration"] for r in good]))
    en, en_sd = _linear(m, np.array([r["energy"] for r in good]))
    success = len(good) / max(total, 1)
    fit = ActFit(duration_s=dur, energy_j=en, duration_sd=dur_sd, energy_sd=en_sd,
                 success=min(max(success, 0.0), 1.0))
    return fit, {"runs": float(total), "duration_rmse_s": dur_sd, "energy_rmse_j": en_sd}


def fit(spec: RobotSpec, runs: Runs) -> tuple[Calibration, dict[str, Any]]:
    """Least-squares fits of the surrogate forms to the measured runs."""
    walks = [r for r in runs.walk if r["ok"] and math.isfinite(r.get("cruise", math.nan))]
    if len(walks) < 5:
        raise RuntimeError("too few successful walks to fit")
    nominal = [r for r in walks if abs(r["factor"] - 1.0) < 1e-9] or walks
    m_nom = np.array([r["payload"] for r in nominal])
    ratio = np.array([r["cruise"] / r["speed"] for r in nominal])
    speed_ratio, ratio_sd = _linear(m_nom, ratio)
    m = np.array([r["payload"] for r in walks])
    d = np.array([r["distance"] for r in walks])
    dur = np.array([r["duration"] for r in walks])
    energy = np.array([r["energy"] for r in walks])
    speed_nom = np.array([spec.speed(r["payload"]) * r["factor"] for r in walks])
    achieved = speed_nom * np.maximum(speed_ratio[0] + speed_ratio[1] * m, 0.05)
    turn = np.array([r.get("turn", 0.0) for r in walks])
    extra = dur - d / achieved  # time not spent cruising: set off, turn, stop, face
    (overhead, per_rad), *_ = np.linalg.lstsq(np.column_stack([np.ones_like(turn), turn]),
                                              extra, rcond=None)
    if per_rad < 0:  # no measurable turning cost: a constant overhead
        overhead, per_rad = float(np.mean(extra)), 0.0
    overhead, per_rad = max(float(overhead), 0.0), float(per_rad)
    dur_pred = overhead + per_rad * turn + d / achieved
    duration_cv = float(np.std(dur / dur_pred - 1.0, ddof=1))
    # energy: the cruising power over the time cruising, the manoeuvre power over the rest
    # (setting off, stopping, turning: a mean power over whole walks would put the standing
    # robot's draw on every metre and the metres' on every turn)
    cruising = d / achieved
    design = np.column_stack([cruising, d, m * cruising, extra, m * extra])
    coef, *_ = np.linalg.lstsq(design, energy, rcond=None)
    energy_cv = float(np.std(energy / (design @ coef) - 1.0, ddof=1))
    # a bend: what it adds to the same distance walked straight, beyond its quarter turn
    bend = (max(float(np.mean(runs.bend)) - per_rad * math.pi / 2, 0.0) if runs.bend
            else None)
    walk = WalkFit(speed_ratio=speed_ratio, overhead_s=overhead, turn_s_per_rad=per_rad,
                   bend_s=bend,
                   power_w=(float(coef[0]), float(coef[1]), float(coef[2])),
                   manoeuvre_w=(float(coef[3]), float(coef[4])),
                   duration_cv=max(duration_cv, 0.0), energy_cv=max(energy_cv, 0.0))
    pick, pick_err = _act_fit(runs.pick, len(runs.pick))
    place, place_err = _act_fit(runs.place, len(runs.place))
    dock, dock_err = _act_fit(runs.dock, len(runs.dock))
    cot = [r["energy"] / (spec.mass * 9.81 * r["distance"]) for r in walks]
    errors = {
        "walk": {"runs": len(runs.walk), "speed_ratio_rmse": ratio_sd,
                 "duration_cv": duration_cv, "energy_cv": energy_cv,
                 "cost_of_transport": [min(cot), max(cot)]},
        "pick": pick_err, "place": place_err, "dock": dock_err,
        "bend_added_s": list(runs.bend),
        # walks that failed on the way to an act (the act then not measured): to a pick, and
        # with the tote to a place
        "lead_in_falls": {"to_pick": runs.lead_in_falls,
                          "loaded_to_place": len(runs.loaded_lead_in)},
        "dock_position_error_m": max((r.get("position_error", 0.0) for r in runs.dock),
                                     default=0.0),
    }
    cal = Calibration(robot=spec.name, source="physics", walk=walk, pick=pick, place=place,
                      dock=dock, constant_w=spec.power.constant)
    return cal, errors


def calibrate(robot_yaml: str | Path, out_path: str | Path | None = None,
              grid: CalibrationGrid | None = None, seeds: Sequence[int] = (0, 1),
              progress: Callable[[str], None] | None = None) -> Calibration:
    """Run the physics primitives over ``grid`` for each seed, fit, write the calibration JSON
    (its per-run rows under ``provenance.runs``) and the robot card beside it.

    Writes ``out_path`` (default ``assets/calibration/<robot>.json``), then
    ``robot_card_<robot>.png`` and ``.html`` in the same directory (``twin.cardplot``), and
    returns the calibration parsed.
    """
    import pybullet  # noqa: F401  (fail early, with a clear ImportError, if physics is missing)

    from twin.physics.loads import ExternalLoads
    from twin.physics.settings import PhysicsSettings

    spec = load_robot(robot_yaml)
    grid = grid or CalibrationGrid.for_robot(spec)
    say = progress or (lambda _msg: None)
    runs = Runs()
    start = time.perf_counter()
    with ExternalLoads.watch() as loads:
        for seed in seeds:
            rng = np.random.default_rng([seed, 17])
            for distance in grid.distances:
                for payload in grid.payloads:
                    for factor in grid.speed_factors:
                        _walk_run(spec, distance, payload, factor, rng, runs)
                        say(f"walk seed={seed} d={distance:g} m={payload:g} f={factor:g}")
            for payload in grid.payloads:
                failed = _act_runs(spec, max(payload, 0.5), rng, runs)
                say(f"pick/place seed={seed} m={payload:g}" + (f": {failed}" if failed else ""))
            for _ in range(grid.dock_runs):
                _dock_run(spec, rng, runs)
            say(f"dock seed={seed}")
            _bend_run(spec, rng, runs)
            say(f"bend seed={seed}")
    cal, errors = fit(spec, runs)
    settings = PhysicsSettings()
    cal.provenance.update({
        "pybullet": metadata.version("pybullet"),
        "robot_yaml": str(robot_yaml),
        "grid": grid.as_dict(),
        "seeds": list(seeds),
        "settings": settings.model_dump(),
        "fit_error": errors,
        # the largest external push on any body during the runs (twin.physics.loads): 0,
        # the robot is moved by its joints, contacts and gravity alone
        "external_force_max_n": loads.force,
        "external_torque_max_nm": loads.torque,
        "wall_time_s": round(time.perf_counter() - start, 1),
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "method": "twin.calibrate: least squares over physics runs (twin.physics)",
        # the body it was fitted on: twin.figures binds the file to this content
        **binding(spec),
        "runs": runs.as_dict(),  # every run's measurements: the robot card scatters them
    })
    _write(spec, cal, Path(out_path) if out_path is not None else calibration_path(spec.name),
           say)
    return cal


def _write(spec: RobotSpec, cal: Calibration, out: Path, say: Callable[[str], None]) -> None:
    """The calibration JSON at ``out``, and the robot card beside it."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(cal.model_dump(mode="json"), indent=2) + "\n")
    from twin import cardplot
    from twin.figures import shown

    png, _ = cardplot.write(spec, cal, out.parent, source=shown(out))
    say(f"robot card -> {png}")


def refit(robot_yaml: str | Path, out_path: str | Path | None = None,
          progress: Callable[[str], None] | None = None) -> Calibration:
    """Fit this tree's surrogate forms again to the physics runs a calibration recorded (its
    ``provenance.runs``), without running physics, and write it back with its robot card: the
    provenance kept (the physics it came from), ``fit_error`` renewed, the refit dated.
    ``ValueError`` if the file holds no runs or was measured on another body."""
    spec = load_robot(robot_yaml)
    out = Path(out_path) if out_path is not None else calibration_path(spec.name)
    if not out.is_file():
        raise ValueError(f"{out}: no calibration to refit; calibrate the robot with physics "
                         f"first (twin calibrate {robot_yaml})")
    old = Calibration.model_validate(json.loads(out.read_text(encoding="utf-8")))
    rows = old.provenance.get("runs")
    if not rows:
        raise ValueError(f"{out}: no physics runs recorded (provenance.runs); calibrate the "
                         f"robot with physics instead (twin calibrate {robot_yaml})")
    bound = binding(spec)["robot_digest"]
    if old.provenance.get("robot_digest") != bound:
        raise ValueError(f"{out}: its runs were measured on another body than {robot_yaml} "
                         f"(robot_digest {old.provenance.get('robot_digest')} against {bound}); "
                         f"calibrate the robot with physics instead")
    cal, errors = fit(spec, Runs.from_dict(rows))
    cal.provenance.update({**old.provenance, "fit_error": errors, "refit": {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "method": "twin.calibrate.refit: the runs above, fitted again by this tree's forms"}})
    _write(spec, cal, out, progress or (lambda _msg: None))
    return cal


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m twin.calibrate ROBOT_YAML [OUT_JSON]``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        raise SystemExit("usage: python -m twin.calibrate ROBOT_YAML [OUT_JSON]")
    cal = calibrate(args[0], args[1] if len(args) > 1 else None, progress=print)
    print(json.dumps(cal.model_dump(mode="json"), indent=2))


if __name__ == "__main__":
    main()
