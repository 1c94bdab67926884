"""The robot card: one page of a fitted robot that a planner holds against a vendor datasheet.

Achieved against commanded speed, energy per metre against payload, pick, place and dock times
with their spreads, stability margins, the figures' provenance, and the datasheet's own figures
(the robot YAML) beside the physics ones. ``twin calibrate`` writes it beside the calibration;
``twin card`` draws it again from an existing calibration. The numbers live here, the drawing
in ``twin.cardplot`` (matplotlib, imported only when a card is drawn).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from twin.motion import GRAVITY, ActFit, Calibration
from twin.robot import RobotSpec

KINDS = ("walk", "pick", "place", "dock")
MARGIN = "cp_margin_min_m"
"""The key of a run row's smallest capture-point margin (m) to the edge of the support."""
NO_RUNS = "per-run points: recalibrate to add them"
NOT_MEASURED = "not measured"


def card_stem(robot: str) -> str:
    """The file name of a robot's card, without suffix: the same in any directory."""
    return f"robot_card_{robot}"


def runs_of(cal: Calibration) -> dict[str, list[dict[str, Any]]]:
    """The per-run rows a calibration keeps (``provenance.runs``), by kind; empty when it has
    none (calibrations written before rows were kept)."""
    kept = cal.provenance.get("runs")
    if not isinstance(kept, dict):
        return {}
    return {kind: [r for r in kept.get(kind, []) if isinstance(r, dict)] for kind in KINDS}


def number(row: dict[str, Any], key: str) -> float:
    """A row's figure, NaN when absent or not a number (JSON null stands for NaN)."""
    value = row.get(key)
    return float(value) if isinstance(value, (int, float)) else math.nan


def achieved(spec: RobotSpec, cal: Calibration, payload: float, factor: float = 1.0) -> float:
    """Cruise speed reached when commanded ``factor`` x the datasheet speed at ``payload``."""
    return spec.speed(payload) * factor * cal.walk.ratio(payload)


def energy_per_metre(spec: RobotSpec, cal: Calibration, payload: float,
                     distance: float | None = None, turn: float = 0.0) -> float:
    """J per metre at the nominal command: cruising (``distance`` None) or over a straight walk
    of ``distance`` m from standing to standing (one start and stop) that turns ``turn`` rad
    on the spot at its ends."""
    v, w = achieved(spec, cal, payload), cal.walk
    cruising = w.power(v, payload) / v
    if distance is None:
        return cruising
    still = w.overhead_s + w.turn_s_per_rad * turn
    return cruising + w.manoeuvre(v, payload) * still / distance


def datasheet_energy_per_metre(spec: RobotSpec, payload: float) -> float:
    """J per metre the datasheet implies: its walking power at its own speed."""
    return spec.walking_power(payload) / spec.speed(payload)


def cost_of_transport(spec: RobotSpec, joules_per_metre: float) -> float:
    """Energy per metre over the robot's weight (dimensionless), as the calibration reports."""
    return joules_per_metre / (spec.mass * GRAVITY)


def margins(runs: dict[str, list[dict[str, Any]]]) -> dict[str, list[tuple[float, float]]]:
    """(payload kg, smallest capture-point margin m) of each run that measured one, by kind."""
    found: dict[str, list[tuple[float, float]]] = {}
    for kind in KINDS:
        points = [(number(r, "payload"), number(r, MARGIN)) for r in runs.get(kind, [])]
        points = [(m if math.isfinite(m) else 0.0, x) for m, x in points if math.isfinite(x)]
        if points:
            found[kind] = points
    return found


@dataclass(frozen=True)
class Row:
    """One line of the card's table: a figure, the datasheet's value, the physics' value."""

    figure: str
    datasheet: str
    physics: str


def _g(x: float, digits: int = 3) -> str:
    return f"{x:.{digits}g}" if math.isfinite(x) else "-"


def _pm(spread: float) -> str:
    return f" ± {_g(spread, 2)}" if math.isfinite(spread) else ""


def _ok_share(rows: list[dict[str, Any]]) -> str:
    done = [number(r, "ok") for r in rows]
    return f"{sum(1 for x in done if x > 0)} of {len(done)}"


def table(spec: RobotSpec, cal: Calibration) -> list[Row]:
    """The datasheet figures (robot YAML) beside what the physics measured."""
    p, w, top = spec.power, cal.walk, spec.max_payload
    nominal = Calibration.nominal(spec)
    errors = cal.provenance.get("fit_error", {})
    walk_err = errors.get("walk", {})
    runs = runs_of(cal)
    v0, v1 = achieved(spec, cal, 0.0), achieved(spec, cal, top)
    rmse = float(walk_err.get("speed_ratio_rmse", math.nan))
    e0, e1 = energy_per_metre(spec, cal, 0.0), energy_per_metre(spec, cal, top)
    d0, d1 = datasheet_energy_per_metre(spec, 0.0), datasheet_energy_per_metre(spec, top)
    rows = [
        Row("speed empty", f"{spec.speed_empty:g} m/s",
            f"{_g(v0)}{_pm(rmse * spec.speed_empty)} m/s achieved"),
        Row(f"speed at {top:g} kg", f"{spec.speed_loaded:g} m/s",
            f"{_g(v1)}{_pm(rmse * spec.speed_loaded)} m/s achieved"),
        Row("walking power, empty", f"{spec.walking_power(0.0):.0f} W at {spec.speed_empty:g} m/s",
            f"{cal.walk.power(v0, 0.0):.0f} W at {_g(v0)} m/s"),
        Row("walking power per kg carried", f"{p.per_kg_carried:g} W/kg",
            f"{_g(w.power_w[2])} W/kg at equal speed"),
        Row("power setting off, stopping, turning", "-",
            "the walking power" if w.manoeuvre_w is None
            else f"{w.manoeuvre(v0, 0.0):.0f} W + {w.manoeuvre_w[1]:.3g} W/kg"),
        Row("energy per metre, empty", f"{d0:.0f} J/m", f"{e0:.0f} J/m cruising"),
        Row(f"energy per metre, {top:g} kg", f"{d1:.0f} J/m", f"{e1:.0f} J/m cruising"),
        Row("cost of transport, empty, cruising", _g(cost_of_transport(spec, d0), 2),
            _g(cost_of_transport(spec, e0), 2)),
        Row("start and stop of a walk", "-", f"{w.overhead_s:.1f} s"),
        Row("turning on the spot", "-", f"{w.turn_s_per_rad:.2f} s/rad"),
        Row("a bend (stop, start)", "-",
            "a walk's start and stop" if w.bend_s is None else f"{w.bend_s:.1f} s"),
        Row("walking time spread (cv)", _g(spec.walk_cv, 2), _g(w.duration_cv, 2)),
    ]
    for kind, fit, sheet in (("pick", cal.pick, spec.pick_time),
                             ("place", cal.place, spec.place_time)):
        t0, j0 = fit.mean(0.0)
        t1, j1 = fit.mean(top)
        listed: ActFit = getattr(nominal, kind)
        sheet_j0, sheet_j1 = listed.mean(0.0)[1], listed.mean(top)[1]
        rows += [
            Row(f"{kind} time, 0 / {top:g} kg", f"{sheet:g} s",
                f"{t0:.1f} / {t1:.1f} s, sd {fit.duration_sd:.1f} s"),
            Row(f"{kind} energy, 0 / {top:g} kg", f"{sheet_j0:.0f} / {sheet_j1:.0f} J",
                f"{j0:.0f} / {j1:.0f} J, sd {fit.energy_sd:.0f} J"),
        ]
    t_dock, j_dock = cal.dock.mean(0.0)
    lift = p.standing + p.lifting + p.constant
    rows += [
        Row("dock time", f"{spec.dock_time:g} s",
            f"{t_dock:.1f} s, sd {cal.dock.duration_sd:.1f} s"),
        Row("dock energy", f"{nominal.dock.mean(0.0)[1]:.0f} J",
            f"{j_dock:.0f} J, sd {cal.dock.energy_sd:.0f} J"),
        Row("power while picking, empty",
            f"{lift:.0f} W ({p.standing:g} + {p.lifting:g} + {p.constant:g})",
            f"{cal.pick.mean(0.0)[1] / max(cal.pick.mean(0.0)[0], 1e-9):.0f} W"),
        Row("pick / place / dock time cv", _g(spec.act_cv, 2),
            " / ".join(_g(f.duration_sd / max(f.mean(0.0)[0], 1e-9), 2)
                       for f in (cal.pick, cal.place, cal.dock))),
        Row("success pick / place / dock", "-",
            " / ".join(f"{f.success:.0%}" for f in (cal.pick, cal.place, cal.dock))),
        Row("walks completed", "-", _ok_share(runs["walk"]) if runs else "not recorded"),
        Row("dock accuracy", f"{spec.dock_tolerance.position * 1000:g} mm, "
            f"{spec.dock_tolerance.heading:g} deg",
            _dock_error(errors, runs)),
        Row("stability margin (capture point), smallest", "-", _margin_text(runs)),
        Row("standing", f"{p.standing:g} W", "not measured alone"),
        Row("standby (off shift)", f"{p.standby:g} W", "not calibrated"),
        Row("compute + radio", f"{p.compute:g} + {p.radio:g} W",
            "-" if cal.constant_w is None else f"{cal.constant_w:g} W, in fitted energies"),
    ]
    return rows


def _dock_error(errors: dict[str, Any], runs: dict[str, list[dict[str, Any]]]) -> str:
    pos = errors.get("dock_position_error_m")
    text = f"worst {float(pos) * 1000:.1f} mm" if isinstance(pos, (int, float)) else "-"
    heads = [abs(number(r, "heading_error")) for r in runs.get("dock", [])]
    heads = [h for h in heads if math.isfinite(h)]
    if heads:
        text += f", {math.degrees(max(heads)):.2f} deg"
    return text


def _margin_text(runs: dict[str, list[dict[str, Any]]]) -> str:
    found = margins(runs)
    if not found:
        return NOT_MEASURED
    # by kind: walking, the capture point runs ahead of the stance foot (the next foothold
    # catches it), so a walk's margin is below 0 by about its speed over omega
    worst = ", ".join(f"{kind} {1000 * min(x for _, x in points):.0f}"
                      for kind, points in found.items())
    return f"{worst} mm"


def provenance(spec: RobotSpec, cal: Calibration, source: str = "") -> list[str]:
    """Where the physics figures come from, in lines a planner reads."""
    from twin.figures import robot_digest

    prov = cal.provenance
    grid = prov.get("grid", {})
    settings = prov.get("settings", {})
    counts = {kind: prov.get("fit_error", {}).get(kind, {}).get("runs") for kind in KINDS}
    runs = runs_of(cal)
    lines = [
        f"calibration: {source or cal.robot} ({cal.source}), fitted {prov.get('date', '?')} "
        f"in {prov.get('wall_time_s', '?')} s",
        f"pybullet {prov.get('pybullet', '?')}; timestep {_ms(settings.get('timestep'))} ms, "
        f"control period {_ms(settings.get('control_period'))} ms, "
        f"{settings.get('solver_iterations', '?')} solver iterations",
        "grid: walks " + " x ".join(
            f"{', '.join(f'{x:g}' for x in grid.get(k, [])) or '?'} {unit}"
            for k, unit in (("distances", "m"), ("payloads", "kg"), ("speed_factors", "x speed")))
        + f"; {grid.get('dock_runs', '?')} docks a seed",
        f"seeds: {', '.join(str(s) for s in prov.get('seeds', [])) or '?'}; runs: "
        + ", ".join(f"{k} {int(v) if isinstance(v, (int, float)) else '?'}"
                    for k, v in counts.items()),
        f"external force max {_num(prov.get('external_force_max_n'))} N, torque max "
        f"{_num(prov.get('external_torque_max_nm'))} N m (joints, contacts and gravity alone)",
        f"fit error: walk time cv {_pct(prov, 'duration_cv')}, energy cv "
        f"{_pct(prov, 'energy_cv')}, speed ratio rmse "
        f"{_num(prov.get('fit_error', {}).get('walk', {}).get('speed_ratio_rmse'), 2)}",
    ]
    fitted, mine = prov.get("robot_digest"), robot_digest(spec)
    if fitted is None:
        lines.append(f"body: unbound (no digest); this YAML is {mine}")
    elif fitted == mine:
        lines.append(f"body: fitted on {fitted}, this robot YAML's")
    else:
        lines.append(f"body: fitted on {fitted}; this YAML is {mine}: its datasheet column "
                     "may not be what was calibrated")
    lines.append("per-run points: kept" if runs else NO_RUNS)
    return lines


def _ms(seconds: Any) -> str:
    return f"{1000 * float(seconds):.2f}" if isinstance(seconds, (int, float)) else "?"


def _num(value: Any, digits: int = 3) -> str:
    return _g(float(value), digits) if isinstance(value, (int, float)) else "?"


def _pct(prov: dict[str, Any], key: str) -> str:
    value = prov.get("fit_error", {}).get("walk", {}).get(key)
    return f"{100 * float(value):.1f}%" if isinstance(value, (int, float)) else "?"


def read(path: Path, spec: RobotSpec) -> Calibration:
    """The physics calibration of ``spec`` at ``path``; a ``ValueError`` saying what is wrong
    and what to do otherwise."""
    if not path.is_file():
        raise ValueError(f"{path}: no calibration of {spec.name} there; run `twin calibrate "
                         "ROBOT_YAML` first, or give one with --calibration FILE")
    try:
        cal = Calibration.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        first = " ".join(str(exc).split())[:200]
        raise ValueError(f"{path}: not a calibration ({first}); run `twin calibrate` again "
                         "or give another with --calibration") from None
    if cal.robot != spec.name:
        raise ValueError(f"{path}: a calibration of robot {cal.robot!r}, not of {spec.name!r}; "
                         f"give {spec.name}'s with --calibration")
    if cal.source != "physics":
        raise ValueError(f"{path}: source {cal.source!r} holds datasheet figures, not physics "
                         "ones; run `twin calibrate` to make a card")
    return cal


def card(
    robot: Annotated[str, typer.Argument(
        help="robot YAML, or a name under assets/robots/ (e.g. walker_s2)")],
    calibration: Annotated[Path | None, typer.Option(
        help="calibration JSON (default: assets/calibration/<robot>.json)")] = None,
    out_dir: Annotated[Path, typer.Option(
        "--out", help="directory for robot_card_<robot>.png and .html")] = Path("."),
    html: Annotated[bool, typer.Option(help="also the HTML page embedding the card")] = True,
) -> None:
    """Draw the robot card (PNG and HTML) from an existing calibration, without recalibrating."""
    from twin.cli import fail, out
    from twin.loader import ConfigError, load_robot
    from twin.motion import calibration_path
    from twin.robot import robot_path

    where = robot_path(robot)
    if not where.is_file():
        fail(f"{robot}: no robot YAML at {where}; give a name under assets/robots/ or a path "
             "to a robot YAML")
    try:
        spec = load_robot(robot)
    except ConfigError as exc:
        fail(str(exc))
        return
    path = calibration or calibration_path(spec.name)
    try:
        cal = read(path, spec)
    except ValueError as exc:
        fail(str(exc))
        return
    if out_dir.exists() and not out_dir.is_dir():
        fail(f"--out {out_dir}: a file, not a directory; give a directory for the card")
    from twin import cardplot
    from twin.figures import shown

    try:
        written = cardplot.write(spec, cal, out_dir, source=shown(path), html=html)
    except OSError as exc:
        fail(f"--out {out_dir}: cannot write the card there ({exc.strerror or exc})")
        return
    out.print(f"robot card of {spec.name} -> "
              + ", ".join(str(p) for p in written if p is not None), highlight=False)
