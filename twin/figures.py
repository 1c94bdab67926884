"""Where each robot figure comes from: the datasheet (robot YAML), the physics calibration it is
bound to by content, or an explicit override.

A calibration (``assets/calibration/*.json``) records the robot fields the physics read when it
was fitted (``provenance.robot_fields``) and their digest (``provenance.robot_digest``). At
load, a robot whose fields differ from those is scaled where a physical law covers the change,
or refused with the field, the reason and the fix; datasheet figures the calibration replaces
(pick time, walking power, ...) may not differ silently either: a planner states them under
``override:``. The table of every field is in docs/robot-figures.md.

A calibration written before digests existed is "unbound": it counts as fitted for the
shipped robot file of its name (``assets/robots/<name>.yaml``).
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from twin.motion import CALIBRATION_DIR, ActFit, Calibration, calibration_path
from twin.physics.body import REFERENCE_HEIGHT
from twin.robot import ROBOTS_DIR, Motor, Motors, RobotSpec

MOTOR_FIELDS = tuple(f"motors.{group}.{name}" for group in Motors.model_fields
                     for name in Motor.model_fields)
"""The motor constants the physics' energy meter reads (twin/physics/energy.py)."""

PHYSICS_FIELDS = (
    "mass", "speed_empty", "speed_loaded", "max_payload", "joint_torque_limit",
    "drive_efficiency", "power.compute", "power.radio", "dock_tolerance.position",
    "dock_tolerance.heading", "urdf", "urdf_sha256", *MOTOR_FIELDS,
)
"""What twin.physics reads of a robot: the content a calibration is bound to. A calibration
fitted before the meter read motor constants holds ``power.standing`` (that meter added it to
every second) and no ``motors.*``: it is taken as fitted on the default motors (``_bind``)."""

REPLACED_FIELDS = (
    "pick_time", "place_time", "dock_time", "power.walking", "power.per_kg_carried",
    "power.lifting", "walk_cv", "act_cv",
)
"""Datasheet figures a calibration replaces with measured ones (physics never reads them)."""

MASS_BAND = 0.10
"""Body mass may differ this much (relative) from the fitted one and be scaled: beyond it the
fitted gait may no longer fit within the same joint torque limits."""

DEFAULT_SPEED_FACTORS = (0.8, 1.0)  # twin.calibrate.CalibrationGrid's, for files without a grid


class CalibrationMismatch(ValueError):
    """A robot differs from what its calibration was fitted on, with no law to scale it."""


@dataclass(frozen=True)
class Refusal:
    field: str  # path inside the robot, e.g. "mass" or "power.walking"
    message: str


@dataclass
class RobotFigures:
    """The calibration a run uses for one robot, and where each of its figures comes from."""

    calibration: Calibration
    file: Path | None  # the calibration file, None: datasheet figures
    digest: str  # this robot's physics content
    fitted_digest: str | None  # what the calibration was fitted on; None: unbound or no file
    sources: dict[str, str] = field(default_factory=dict)  # figure -> datasheet/calibration/...
    scaled: list[str] = field(default_factory=list)  # the laws applied, in words
    refusals: list[Refusal] = field(default_factory=list)
    bound: str = ""  # how the calibration is bound: "fitted on <digest>" or "unbound: ..."


def _get(spec: RobotSpec, dotted: str) -> Any:
    node: Any = spec
    for part in dotted.split("."):
        node = getattr(node, part)
    return node


@functools.cache
def _file_sha(path: Path, mtime_ns: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def urdf_sha(spec: RobotSpec) -> str:
    """Digest of the URDF the physics would load for this robot ("missing" if absent)."""
    path = ROBOTS_DIR / (spec.urdf or "humanoid.urdf")
    try:
        return _file_sha(path, path.stat().st_mtime_ns)
    except OSError:
        return "missing"


def physics_fields(spec: RobotSpec) -> dict[str, Any]:
    """The robot's fields the physics reads, flat (dotted paths), with its URDF's digest. The
    height (the body's scale, twin/physics/body.py) only when it is not the reference's: a body
    at the reference height digests as before the body followed its height."""
    out = {name: _get(spec, name) for name in PHYSICS_FIELDS if name != "urdf_sha256"}
    out["urdf"] = spec.urdf or "humanoid.urdf"
    out["urdf_sha256"] = urdf_sha(spec)
    if spec.height != REFERENCE_HEIGHT:
        out["height"] = spec.height
    return out


def digest(fields: dict[str, Any]) -> str:
    """A short digest of physics fields (order-free, numbers as JSON writes them)."""
    text = json.dumps({k: fields[k] for k in sorted(fields)}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def robot_digest(spec: RobotSpec) -> str:
    return digest(physics_fields(spec))


def binding(spec: RobotSpec) -> dict[str, Any]:
    """What ``twin calibrate`` writes into a calibration's provenance to bind it to a body."""
    fields = physics_fields(spec)
    return {"robot_digest": digest(fields), "robot_fields": fields,
            "robot_datasheet": {name: _get(spec, name) for name in REPLACED_FIELDS}}


# --------------------------------------------------------------------------- finding the file


@functools.cache
def _read_calibration(path: Path, mtime_ns: int) -> Calibration:
    return Calibration.model_validate(json.loads(path.read_text(encoding="utf-8")))


def _calibration(path: Path) -> Calibration:
    return _read_calibration(path, path.stat().st_mtime_ns)


def find_calibration(spec: RobotSpec) -> Path | None:
    """The calibration file of this robot's name, if any. It is looked up by name but holds
    only for the body it was fitted on (``resolve`` compares them); a robot of another name,
    even with the same fields (an inline teaching robot keeps RobotSpec's defaults), runs on
    its own datasheet."""
    path = calibration_path(spec.name)
    return path if path.exists() else None


@functools.cache
def _shipped(name: str, mtime_ns: int) -> RobotSpec | None:
    from twin.loader import ConfigError, load_robot

    try:
        return load_robot(name)
    except ConfigError:
        return None


def fitted_on(cal: Calibration) -> tuple[dict[str, Any], dict[str, Any], str | None, str]:
    """The physics fields and replaced datasheet figures a calibration was fitted beside, its
    digest (None: unbound) and a phrase saying which."""
    prov = cal.provenance
    if "robot_fields" in prov:
        return (dict(prov["robot_fields"]), dict(prov.get("robot_datasheet", {})),
                prov.get("robot_digest"), f"fitted on {prov.get('robot_digest')}")
    path = ROBOTS_DIR / f"{cal.robot}.yaml"
    shipped = _shipped(cal.robot, path.stat().st_mtime_ns) if path.exists() else None
    if shipped is None:
        return {}, {}, None, "unbound, and no shipped robot file to read"
    fields = physics_fields(shipped)
    fields.pop("urdf_sha256")  # an unbound file does not say which URDF it saw
    return (fields, {name: _get(shipped, name) for name in REPLACED_FIELDS}, None,
            f"unbound, no digest: taken as fitted for the shipped "
            f"{path.relative_to(ROBOTS_DIR.parent.parent)}")


# --------------------------------------------------------------------------- resolving


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    return bool(a == b)


_UNITS = {"mass": "kg", "height": "m", "speed_empty": "m/s", "speed_loaded": "m/s",
          "max_payload": "kg",
          "dock_tolerance.position": "m", "dock_tolerance.heading": "deg", "pick_time": "s",
          "place_time": "s", "dock_time": "s", "power.walking": "W", "power.lifting": "W",
          "power.per_kg_carried": "W/kg", "power.standing": "W", "power.compute": "W",
          "power.radio": "W",
          **{f"motors.{g}.torque_constant": "N m/A" for g in Motors.model_fields},
          **{f"motors.{g}.winding_resistance": "ohm" for g in Motors.model_fields}}


def _fmt(value: Any, name: str = "") -> str:
    text = f"{value:g}" if isinstance(value, float) else str(value)
    unit = _UNITS.get(name)
    return f"{text} {unit}" if unit else text


def shown(path: Path | None) -> str:
    """A calibration file as a planner reads it: relative to the repository when inside it."""
    if path is None:
        return "-"
    try:
        return str(path.relative_to(CALIBRATION_DIR.parent.parent))
    except ValueError:
        return str(path)


def resolve(spec: RobotSpec) -> RobotFigures:
    """The calibration this robot runs with: fitted (scaled where a law covers the change) or
    datasheet, overrides applied last; refusals say what cannot be honoured and why."""
    mine = robot_digest(spec)
    path = None if spec.calibration == "none" else find_calibration(spec)
    if path is None:
        cal = Calibration.nominal(spec)
        figures = RobotFigures(cal, None, mine, None)
        why = "datasheet" if spec.calibration == "none" else "datasheet (no calibration)"
        figures.sources = dict.fromkeys(FIGURES, why)
    else:
        try:
            cal = _calibration(path)
        except (OSError, ValueError) as exc:
            first = str(exc).splitlines()[0]
            figures = RobotFigures(Calibration.nominal(spec), path, mine, None)
            figures.refusals.append(Refusal("calibration", f"{path}: not a calibration "
                                            f"({first}); run `twin calibrate` again or set "
                                            "calibration: none"))
            return figures
        fields, datasheet, fitted, phrase = fitted_on(cal)
        figures = RobotFigures(cal, path, mine, fitted)
        figures.sources = dict.fromkeys(FIGURES, "calibration")
        figures.bound = phrase
        _bind(spec, figures, fields, datasheet, cal)
    _override(spec, figures)
    return figures


FIGURES = ("walk speed", "walk power", "power per kg carried", "pick time", "place time",
           "dock time", "pick/place power", "spread")
"""The figures ``twin check`` lists with their source (the rest are always datasheet)."""


def _refuse(spec: RobotSpec, figures: RobotFigures, name: str, was: Any, why: str) -> None:
    figures.refusals.append(Refusal(name, (
        f"{_fmt(_get(spec, name), name)} differs from the {_fmt(was, name)} that "
        f"{shown(figures.file)} was fitted on, and {why}; calibrate a robot YAML with this "
        "figure (`twin calibrate ROBOT.yaml`), or set fleet.robot.calibration: none to use "
        "the datasheet figures")))


def _bind(spec: RobotSpec, figures: RobotFigures, fields: dict[str, Any],
          datasheet: dict[str, Any], cal: Calibration) -> None:
    """Compare the robot with what ``cal`` was fitted on: scale, or refuse."""
    now = {"height": REFERENCE_HEIGHT, **physics_fields(spec)}
    if fields:  # a calibration from before the motor constants: fitted on their defaults
        defaults = physics_fields(RobotSpec(name=spec.name))
        fields = {**{k: defaults[k] for k in MOTOR_FIELDS}, **fields}
        fields.setdefault("height", REFERENCE_HEIGHT)  # and on the reference body
    changed = {k for k, v in fields.items() if k in now and not _same(now[k], v)}
    for name in ("joint_torque_limit", "max_payload", "drive_efficiency",
                 "dock_tolerance.position", "dock_tolerance.heading", "urdf", "height",
                 *MOTOR_FIELDS):
        if name in changed:
            _refuse(spec, figures, name, fields[name],
                    _NO_LAW["motors" if name.startswith("motors.") else name])
    if "urdf_sha256" in changed and "urdf" not in changed:
        figures.refusals.append(Refusal("urdf", (
            f"{now['urdf']} has changed since {shown(figures.file)} was fitted (digest "
            f"{now['urdf_sha256']}, fitted on {fields['urdf_sha256']}); run `twin calibrate` "
            "on this robot's YAML, or set fleet.robot.calibration: none")))
    k = spec.mass / fields["mass"] if "mass" in fields else 1.0
    if "mass" in changed and abs(k - 1.0) > MASS_BAND + 1e-12:
        _refuse(spec, figures, "mass", fields["mass"],
                f"is more than {MASS_BAND:.0%} off it: the fitted gait may not fit within the "
                "same joint torques")
    factors = cal.provenance.get("grid", {}).get("speed_factors", DEFAULT_SPEED_FACTORS)
    low, high = min(factors), max(factors)
    for name in ("speed_empty", "speed_loaded"):
        if name in changed:
            share = now[name] / fields[name]
            if not low - 1e-9 <= share <= high + 1e-9:
                _refuse(spec, figures, name, fields[name],
                        f"is outside the {low:g}-{high:g} x of it that the calibration walked "
                        "at")
            else:
                figures.scaled.append(f"{name} {_fmt(now[name])} m/s: within the walks fitted "
                                      f"({low:g}-{high:g} x {_fmt(fields[name])} m/s)")
    for name in REPLACED_FIELDS:
        if name in datasheet and not _same(_get(spec, name), datasheet[name]) and not _overridden(
                spec, name):
            figures.refusals.append(Refusal(name, (
                f"{_fmt(_get(spec, name), name)} differs from the {_fmt(datasheet[name], name)} "
                f"{shown(figures.file)} was made beside, and the calibration measures this "
                f"figure itself, so the field would do nothing: state it as fleet.robot."
                f"override.{name}, or set fleet.robot.calibration: none to use the datasheet "
                "figures")))
    if figures.refusals:
        return
    standing = spec.power.standing - fields.get("power.standing", spec.power.standing)
    hold = fields.get("power.standing", 0.0) + (
        cal.constant_w if cal.constant_w is not None else spec.power.constant)
    if "mass" in changed or standing:
        figures.calibration = _scaled(cal, k, hold, standing)
    if "mass" in changed:
        figures.scaled.append(f"mass {_fmt(spec.mass)} kg: joint work x {k:.3f} (same gait, "
                              "every link scaled; constant draws unchanged)")
        for name in ("walk power", "pick/place power"):
            figures.sources[name] += f", x {k:.3f} (mass)"
    if standing:
        figures.scaled.append(f"power.standing {_fmt(spec.power.standing)} W: "
                              f"{standing:+g} W over every task's duration")
    for name in ("power.compute", "power.radio"):
        if name in changed:
            figures.scaled.append(f"{name} {_fmt(now[name])} W: a constant draw, added over "
                                  "every task's duration")


_NO_LAW = {
    "joint_torque_limit": "no law carries the fit over (copper loss and torque saturation "
                          "change with it)",
    "max_payload": "the loaded walks were commanded from it (speed_loaded at max_payload), "
                   "with no law",
    "drive_efficiency": "the fit does not keep joint work apart from copper loss to rescale "
                        "them",
    "dock_tolerance.position": "docking time depends on it with no law",
    "dock_tolerance.heading": "docking time depends on it with no law",
    "urdf": "the body itself differs",
    "height": "the body itself differs (every length scales with it, the gait's timing with "
              "its square root: twin/physics/body.py)",
    "motors": "no law carries the fit over (copper loss goes with (torque / (Kt N))^2 R, and "
              "the fit keeps it together with joint work; the arms' torque limits and squeeze "
              "come from the ratings)",
}


def _overridden(spec: RobotSpec, name: str) -> bool:
    node: Any = spec.override
    for part in name.split("."):
        node = getattr(node, part)
    return node is not None


def _act(fit: ActFit, hold: float, k: float, standing: float) -> ActFit:
    motor = fit.energy_j[0] - hold * fit.duration_s[0]
    return fit.model_copy(update={"energy_j": (
        (hold + standing) * fit.duration_s[0] + k * motor,
        fit.energy_j[1] + standing * fit.duration_s[1])})


def _scaled(cal: Calibration, k: float, hold: float, standing: float) -> Calibration:
    """Joint work x ``k`` (body mass ratio: the same gait, every link scaled, needs k times the
    torques), the physics' constant draw ``hold`` unchanged, plus ``standing`` W on every
    second of every task."""
    p0, p1, p2 = cal.walk.power_w
    update: dict[str, Any] = {"power_w": (hold + standing + k * (p0 - hold), k * p1, p2)}
    if cal.walk.manoeuvre_w is not None:
        a, b = cal.walk.manoeuvre_w
        update["manoeuvre_w"] = (hold + standing + k * (a - hold), b)
    walk = cal.walk.model_copy(update=update)
    return cal.model_copy(update={
        "walk": walk, "pick": _act(cal.pick, hold, k, standing),
        "place": _act(cal.place, hold, k, standing), "dock": _act(cal.dock, hold, k, standing)})


def _timed(fit: ActFit, seconds: float | None, power: float | None) -> ActFit:
    """An act lasting ``seconds`` (any payload; None: as fitted) at ``power`` W (None: at its
    fitted power); its per-kg energy and relative spread kept."""
    base = fit.duration_s[0]
    per_s = power if power is not None else (fit.energy_j[0] / base if base > 0 else 0.0)
    if seconds is None:
        return fit.model_copy(update={"energy_j": (per_s * base, fit.energy_j[1])})
    cv = fit.duration_sd / base if base > 0 else 0.0
    return fit.model_copy(update={"duration_s": (seconds, 0.0), "duration_sd": cv * seconds,
                                  "energy_j": (per_s * seconds, fit.energy_j[1])})


def _override(spec: RobotSpec, figures: RobotFigures) -> None:
    o, cal = spec.override, figures.calibration
    constant = cal.constant_w if cal.constant_w is not None else spec.power.constant
    hold = spec.power.standing + constant
    lifting = None if o.power.lifting is None else hold + o.power.lifting
    update: dict[str, Any] = {}
    for kind, seconds, figure in (("pick", o.pick_time, "pick time"),
                                  ("place", o.place_time, "place time")):
        fit = getattr(cal, kind)
        if seconds is not None or lifting is not None:
            update[kind] = _timed(fit, seconds, lifting)
        if seconds is not None:
            figures.sources[figure] = "override"
    if lifting is not None:
        figures.sources["pick/place power"] = "override"
    if o.dock_time is not None:
        update["dock"] = _timed(cal.dock, o.dock_time, None)
        figures.sources["dock time"] = "override"
    walk: dict[str, Any] = {}
    p0, p1, p2 = cal.walk.power_w
    manoeuvre = cal.walk.manoeuvre_w
    if o.power.walking is not None:  # the datasheet's power over the whole walk, as nominal
        p0, p1, manoeuvre = hold + o.power.walking, 0.0, None
        figures.sources["walk power"] = "override"
    if o.power.per_kg_carried is not None:
        p2 = o.power.per_kg_carried
        if manoeuvre is not None:
            manoeuvre = (manoeuvre[0], p2)
        figures.sources["power per kg carried"] = "override"
    if (p0, p1, p2) != cal.walk.power_w or manoeuvre != cal.walk.manoeuvre_w:
        walk["power_w"] = (p0, p1, p2)
        walk["manoeuvre_w"] = manoeuvre
    if o.walk_cv is not None:
        walk.update(duration_cv=o.walk_cv, energy_cv=o.walk_cv)
        figures.sources["spread"] = "override"
    if walk:
        update["walk"] = cal.walk.model_copy(update=walk)
    if o.act_cv is not None:
        for kind in ("pick", "place", "dock"):
            fit = update.get(kind, getattr(cal, kind))
            update[kind] = fit.model_copy(update={"duration_sd": o.act_cv * fit.duration_s[0]})
        figures.sources["spread"] = "override"
    if update:
        figures.calibration = cal.model_copy(update=update)


def calibration_for(spec: RobotSpec) -> Calibration:
    """The calibration a run of this robot uses; ``CalibrationMismatch`` if it cannot be
    honoured (``twin.checks`` reports the same at load, with the line's file and YAML line)."""
    figures = resolve(spec)
    if figures.refusals:
        first = figures.refusals[0]
        raise CalibrationMismatch(f"fleet.robot.{first.field}: {first.message}")
    return figures.calibration


# --------------------------------------------------------------------------- for `twin check`


def table(spec: RobotSpec, figures: RobotFigures) -> list[tuple[str, str, str, str]]:
    """Rows (figure, value used, the datasheet's, source) for the figures a calibration or an
    override may set; payload-dependent figures at 0 kg."""
    cal, p = figures.calibration, spec.power
    extra = 0.0 if cal.constant_w is None else p.constant - cal.constant_w
    w = cal.walk
    ratio = w.ratio(0.0)
    v = spec.speed_empty * ratio
    src = figures.sources

    def act(fit: ActFit) -> str:
        # signed: a fitted act may take less time with more load (-0.067 s/kg, not +-0.067)
        slope = f" ({fit.duration_s[1]:+.2g} s/kg)" if fit.duration_s[1] else ""
        return f"{fit.duration_s[0]:.3g} s{slope}"

    def power(fit: ActFit) -> str:
        base = fit.duration_s[0]
        return f"{fit.energy_j[0] / base + extra:.0f} W" if base > 0 else "-"

    speed_src = ("datasheet" if figures.file is None
                 else "datasheet, x the achieved share (calibration)")
    return [
        ("walk speed", f"{spec.speed_empty:g} / {spec.speed_loaded:g} m/s"
         + ("" if figures.file is None else f" x {ratio:.2f}"),
         f"{spec.speed_empty:g} / {spec.speed_loaded:g} m/s", speed_src),
        ("walk power, empty", f"{w.power(v, 0.0) + extra:.0f} W at {v:.2g} m/s"
         + ("" if w.manoeuvre_w is None
            else f", {w.manoeuvre(v, 0.0) + extra:.0f} W setting off and turning"),
         f"{p.standing + p.walking + p.constant:.0f} W", src["walk power"]),
        ("power per kg carried", f"{w.power_w[2]:.3g} W/kg", f"{p.per_kg_carried:g} W/kg",
         src["power per kg carried"]),
        ("pick time", act(cal.pick), f"{spec.pick_time:g} s", src["pick time"]),
        ("place time", act(cal.place), f"{spec.place_time:g} s", src["place time"]),
        ("dock time", act(cal.dock), f"{spec.dock_time:g} s", src["dock time"]),
        ("pick / place power", f"{power(cal.pick)} / {power(cal.place)}",
         f"{p.standing + p.lifting + p.constant:.0f} W", src["pick/place power"]),
        ("spread: walk, pick cv", f"{w.duration_cv:.2g}, "
         f"{cal.pick.duration_sd / cal.pick.duration_s[0] if cal.pick.duration_s[0] else 0:.2g}",
         f"{spec.walk_cv:g}, {spec.act_cv:g}", src["spread"]),
    ]


def summary(spec: RobotSpec, figures: RobotFigures) -> str:
    """One line: the robot, its content digest and the calibration it is bound to."""
    head = f"robot {spec.name} (body digest {figures.digest})"
    if figures.file is None:
        why = "calibration: none" if spec.calibration == "none" else "no calibration found"
        return f"{head}: datasheet figures ({why}; `twin calibrate ROBOT.yaml` fits one)"
    return f"{head}: calibration {shown(figures.file)} ({figures.bound})"


ALWAYS_DATASHEET = ("battery", "power.standing", "power.standby", "power.compute",
                    "power.radio", "decision_latency", "fall_recovery_time")
"""Figures the line model reads from the robot YAML whatever the calibration (docs table)."""
