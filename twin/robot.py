"""A humanoid robot model as described in ``assets/robots/<name>.yaml``.

The robot YAML is the one source of truth for what a robot is: its body, its speeds, its
payload, its battery and its power draws. Lines refer to a robot by name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from twin.units import Degrees, Joules, Kilograms, Metres, MetresPerSecond, Seconds, Watts

ROBOTS_DIR = Path(__file__).resolve().parent.parent / "assets" / "robots"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class PowerDraws(_Model):
    """Electrical power drawn from the battery, by activity (W)."""

    standing: Watts = Field(120.0, ge=0, description="balancing and holding posture, idle")
    walking: Watts = Field(380.0, ge=0, description="extra over standing while walking empty")
    per_kg_carried: Watts = Field(4.0, ge=0, description="extra per kg of payload while walking")
    lifting: Watts = Field(150.0, ge=0, description="extra over standing while picking/placing")
    standby: Watts = Field(
        40.0, ge=0, description="idle off shift: seated or docked, electronics on (all draws)"
    )
    compute: Watts = Field(25.0, ge=0, description="on-board AI computer (15-30 W typical)")
    radio: Watts = Field(8.0, ge=0, description="cellular module (5-10 W)")

    @property
    def constant(self) -> float:
        """Draws that run whatever the robot does: compute and radio."""
        return self.compute + self.radio


class DockTolerance(_Model):
    position: Metres = Field(0.005, gt=0, description="final position error allowed")
    heading: Degrees = Field(1.0, gt=0, description="final heading error allowed (deg)")


COPPER_PER_K = 0.00393
"""Copper's resistance rises this share per kelvin above 20 degC: the temperature coefficient of
the International Annealed Copper Standard at 20 degC, 3930 ppm/degC (J. H. Dellinger, "The
temperature coefficient of resistance of copper", Bulletin of the Bureau of Standards 7(1),
1911; as tabled in Hioki's IM3533/RM3545 manuals, "Conductive properties of metals")."""
RESISTANCE_AT_C = 20.0
"""degC at which ``Motor.winding_resistance`` is stated (motor datasheets give R at 20 degC:
Harmonic Drive CHA "Resistance (L-L, 20 degC)")."""


class Motor(_Model):
    """The drive of one joint group: motor, gear and driver (read by the physics' energy meter).

    Copper loss is ``I^2 R`` with ``I`` the motor's torque over ``torque_constant *
    gear_ratio`` and ``R`` the windings' resistance at ``winding_temperature``; the gear's
    no-load drag (``no_load_current``, ``no_load_current_per_rpm``) is torque the motor gives
    against the joint's motion (twin/physics/energy.py)."""

    torque_constant: float = Field(
        gt=0, allow_inf_nan=False, description="motor torque per ampere (N m/A) at the motor "
        "shaft, per A rms of phase current for a three-phase motor")
    winding_resistance: float = Field(
        gt=0, allow_inf_nan=False, description="resistance the copper loss sees at "
        f"{RESISTANCE_AT_C:g} degC (ohm): I^2 R; for a star-wound three-phase motor, 1.5 x its "
        "line-to-line resistance")
    winding_temperature: float = Field(
        RESISTANCE_AT_C, ge=-50, le=200, allow_inf_nan=False, description="degC the windings "
        f"run at: the copper loss sees winding_resistance x (1 + {COPPER_PER_K:g} "
        f"(T - {RESISTANCE_AT_C:g})), copper's temperature coefficient (twin.robot.COPPER_PER_K;"
        " -50 to 200 degC, where that line holds)")
    no_load_current: float = Field(
        0.0, ge=0, allow_inf_nan=False, description="A rms the motor draws to turn the unloaded "
        "gear (datasheet I_NLS): a drag torque torque_constant x gear_ratio x this against the "
        "joint's motion, while it moves")
    no_load_current_per_rpm: float = Field(
        0.0, ge=0, allow_inf_nan=False, description="A rms more per rpm of the joint (the "
        "gear's output; datasheet K_INL, at the actuator's running temperature): the drag that "
        "grows with speed")
    gear_ratio: float = Field(gt=0, allow_inf_nan=False,
                              description="motor turns per joint turn")
    driver_efficiency: float = Field(
        gt=0, le=1, allow_inf_nan=False, description="motor driver (inverter): motor power "
        "over battery power")
    rated_torque: float = Field(
        gt=0, allow_inf_nan=False, description="torque the drive holds without end (N m at "
        "the joint, after the gear): the actuator's continuous stall torque; the hands' squeeze "
        "on a tote is held at the arms' rated torque for the whole carry (docs/grip.md)")
    peak_torque: float = Field(
        gt=0, allow_inf_nan=False, description="most torque the drive gives for a moment (N m "
        "at the joint, after the gear), at least rated_torque; the arms' is the physics' torque "
        "limit of the shoulders (elbow and wrist keep the URDF's proportions to it)")

    @property
    def resistance(self) -> float:
        """Ohm the copper loss sees at ``winding_temperature``."""
        return self.winding_resistance * (
            1.0 + COPPER_PER_K * (self.winding_temperature - RESISTANCE_AT_C))

    @model_validator(mode="after")
    def _peak(self) -> Motor:
        if self.peak_torque < self.rated_torque:
            raise field_error(
                "peak_torque", self.peak_torque,
                f"{self.peak_torque:g} N m is below rated_torque {self.rated_torque:g} N m; a "
                "drive's peak is at least what it holds without end: raise it")
        return self


def field_error(field: str, value: object, message: str) -> ValidationError:
    """A validation error on ``field`` of the model being validated (a check across fields
    that still names the field to fix)."""
    return ValidationError.from_exception_data("robot", [InitErrorDetails(
        type=PydanticCustomError("value_error", message), loc=(field,), input=value)])


WARM_C = 80.0
"""degC of a warm actuator: the higher of the two temperatures the CHA data give the no-load
running current at (30 and 80 degC), taken for the windings too."""
LEG_MOTOR = Motor(torque_constant=0.55, winding_resistance=5.55, gear_ratio=100.0,
                  driver_efficiency=0.95, rated_torque=154.0, peak_torque=333.0,
                  winding_temperature=WARM_C, no_load_current=0.20,
                  no_load_current_per_rpm=7e-3)
"""Harmonic Drive CHA-32A at ratio 100 (engineering data 1018854, table 38.1: 333 N m maximum
output torque, 154 N m continuous stall torque, 0.55 N m/A rms at the motor, 3.7 ohm line to
line at 20 degC, no-load current 0.20 A rms, no-load running current constant 7e-3 A rms/rpm
at 80 degC, 21e-3 at 30 degC); the driver as a typical inverter."""
ARM_MOTOR = Motor(torque_constant=0.36, winding_resistance=8.85, gear_ratio=100.0,
                  driver_efficiency=0.95, rated_torque=49.0, peak_torque=82.0,
                  winding_temperature=WARM_C, no_load_current=0.14,
                  no_load_current_per_rpm=3e-3)
"""Harmonic Drive CHA-20A at ratio 100 (table 34.1: 82 N m maximum output torque, 49 N m
continuous stall torque, 0.36 N m/A rms, 5.9 ohm line to line at 20 degC, no-load current
0.14 A rms, 3e-3 A rms/rpm at 80 degC, 8e-3 at 30 degC)."""


class Motors(_Model):
    """Joint drives by group: legs (hip, knee, ankle), arms (shoulder, elbow, wrist), waist."""

    leg: Motor = Field(LEG_MOTOR, description="hip, knee and ankle drives")
    arm: Motor = Field(ARM_MOTOR, description="shoulder, elbow and wrist drives")
    waist: Motor = Field(LEG_MOTOR, description="waist drive")


class OverridePower(_Model):
    """Power figures a planner states over the calibration's (W); null: not overridden."""

    walking: Watts | None = Field(
        None, ge=0, description="extra over standing while walking empty; replaces the fitted "
        "walking power (and its speed term)")
    per_kg_carried: Watts | None = Field(
        None, ge=0, description="extra per kg of payload while walking")
    lifting: Watts | None = Field(
        None, ge=0, description="extra over standing while picking/placing")


class Override(_Model):
    """Figures that win over the calibration and over the datasheet fields of the same name.

    A planner's explicit statement; `twin check` shows each as 'override'."""

    pick_time: Seconds | None = Field(None, ge=0, description="mean pick time, any payload")
    place_time: Seconds | None = Field(None, ge=0, description="mean place time, any payload")
    dock_time: Seconds | None = Field(None, ge=0, description="mean dock time")
    walk_cv: float | None = Field(
        None, ge=0, le=3, allow_inf_nan=False, description="spread of walking times and energies")
    act_cv: float | None = Field(
        None, ge=0, le=3, allow_inf_nan=False,
        description="spread of pick, place and dock times")
    power: OverridePower = Field(OverridePower(), description="walking, per kg and lifting power")


class RobotSpec(_Model):
    """A humanoid worker: body, gait, payload, battery and power draws."""

    name: str = Field(
        pattern=r"^[^/\\\x00-\x1f.:][^/\\\x00-\x1f:]{0,63}$", description="short id, also the "
        "file name of its calibration: up to 64 characters, no slash, colon, or leading dot"
    )
    description: str = ""
    height: Metres = Field(1.7, gt=0, description="standing height: the physics body is the "
                           "reference humanoid (1.76 m) scaled to it, and its arms must reach "
                           "the 0.80 m work surfaces (twin/physics/body.py)")
    mass: Kilograms = Field(70.0, gt=0)
    urdf: str | None = Field(None, description="URDF for physics, relative to assets/robots/")
    speed_empty: MetresPerSecond = Field(1.2, gt=0, description="walking speed without load")
    speed_loaded: MetresPerSecond = Field(0.9, gt=0, description="walking speed at max payload")
    max_payload: Kilograms = Field(
        15.0, gt=0, description="two-arm carrying rating; at most what the arm motors can lift "
        "(refused above it: docs/grip.md)")
    battery: Joules = Field(2.0 * 3.6e6, gt=0, description='battery energy, e.g. "2 kWh"')
    power: PowerDraws = PowerDraws()
    pick_time: Seconds = Field(8.0, ge=0, description="approach, bend, grasp, lift")
    place_time: Seconds = Field(7.0, ge=0, description="turn, set down precisely, release")
    dock_time: Seconds = Field(20.0, ge=0, description="fine approach to the dock pose")
    decision_latency: Seconds = Field(0.2, ge=0, description="perceive-decide-act per task")
    act_cv: float = Field(
        0.0, ge=0, le=3, allow_inf_nan=False,
        description="spread (coefficient of variation) of pick, place and dock "
        "times in the uncalibrated surrogate; 1 makes them exponential"
    )
    walk_cv: float = Field(
        0.05, ge=0, le=3, allow_inf_nan=False, description="spread (coefficient of variation) "
        "of walking times (surrogate); at most 3"
    )
    dock_tolerance: DockTolerance = DockTolerance()
    drive_efficiency: float = Field(
        0.95, gt=0, le=1, description="gears under load: joint torque over the motor's torque "
        "x gear ratio while the motor drives or holds (the inverse while the joint drives it); "
        "the gears' no-load drag and the copper loss and drivers are under motors (physics)")
    motors: Motors = Field(Motors(), description="motor constants by joint group (physics' "
                           "energy: copper loss and drivers)")
    joint_torque_limit: float = Field(
        1.0, gt=0, description="scale on the URDF joint torque limits (physics)"
    )
    fall_recovery_time: Seconds = Field(300.0, ge=0, description="down time after a fall")
    facts: dict[str, str] = Field(
        default_factory=dict, description="field -> id of the fact in seeds/ it comes from"
    )
    calibration: Literal["auto", "none"] = Field(
        "auto", description="auto: the physics calibration of this robot's name "
        "(assets/calibration/), checked against the body it was fitted on; none: the "
        "datasheet figures above")
    override: Override = Field(
        Override(), description="figures that win over the calibration (see docs/robot-figures.md)")

    @model_validator(mode="after")
    def _speeds(self) -> RobotSpec:
        if self.speed_loaded > self.speed_empty:
            raise ValueError("speed_loaded must not exceed speed_empty")
        return self

    @model_validator(mode="after")
    def _reach(self) -> RobotSpec:
        from twin.physics.body import STAND_HEIGHT, Body, shortest_reaching, tallest_reaching

        body = Body.of(self.height)
        if not body.reaches(STAND_HEIGHT):
            low, high = body.work_heights()
            reach = (f"reach work surfaces {low:.2f}-{high:.2f} m high" if high > low
                     else "reach no tote on any surface")
            raise field_error(
                "height", self.height,
                f"{self.height:g} m: the body is the reference humanoid scaled to this height, "
                f"and its arms {reach} from a work pose, not the line's {STAND_HEIGHT:.2f} m "
                f"(twin/physics/body.py); give a height from {shortest_reaching():.2f} to "
                f"{tallest_reaching():.2f} m")
        return self

    @model_validator(mode="after")
    def _payload(self) -> RobotSpec:
        from twin.physics.grip import liftable

        lift = liftable(self)
        if self.max_payload > lift.kg + 1e-9:
            raise field_error(
                "max_payload", self.max_payload,
                f"{self.max_payload:g} kg is more than the {lift.kg:.1f} kg the arm motors can "
                f"lift (limited by {lift.why()}); lower it, or give the arms stronger motors "
                "(motors.arm.rated_torque, motors.arm.peak_torque) and `twin calibrate` the robot")
        return self

    def speed(self, payload_kg: float) -> float:
        """Nominal walking speed with ``payload_kg`` in the hands (linear in payload)."""
        share = min(max(payload_kg / self.max_payload, 0.0), 1.0)
        return self.speed_empty - (self.speed_empty - self.speed_loaded) * share

    def walking_power(self, payload_kg: float) -> float:
        """Total electrical power while walking with ``payload_kg`` (W)."""
        p = self.power
        return p.standing + p.walking + p.per_kg_carried * payload_kg + p.constant


def robot_path(name_or_path: str, base: Path | None = None) -> Path:
    """Resolve a robot reference: a name under ``assets/robots/`` or a YAML path."""
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml"):
        if not candidate.is_absolute() and base is not None:
            candidate = base / candidate
        return candidate
    return ROBOTS_DIR / f"{name_or_path}.yaml"
