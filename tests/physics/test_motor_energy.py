"""Energy from the motors: copper loss from the motor constants at the windings' temperature,
the gears' no-load drag from the datasheet's no-load current, standing paid by holding torques,
and a cost of transport between a human's and the hydraulic Atlas's: a plausibility band, wider
than the measured humanoid range (DURUS 1.4-1.61 to Atlas about 5), which the twin's 0.94 at
0.9 m/s lies below (docs/energy.md, "Beside published figures")."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from twin.motion import GRAVITY
from twin.physics import primitives as prim
from twin.physics.energy import HELD_SPEED, EnergyMeter, motor_group, urdf_joint_names
from twin.robot import Motor, RobotSpec

HUMAN, ATLAS = 0.2, 5.0
"""Published cost of transport (energy / (weight x distance)) of walking: a human (Collins et al.
2005, Science 307:1082) and the hydraulic Atlas and PETMAN (about 5, Adv. Mech. Eng. 2015,
doi:10.1177/1687814015583041); ASIMO 3.2, DURUS 1.4-1.61 and ATRIAS 1.3 lie between, the best
bipeds (Cornell Ranger 0.19-0.28) at its low end. A plausibility band, not the humanoid range:
the lowest measured humanoid is DURUS."""
SPEED = 0.9  # m/s, the walk measured


NO_DRAG = {"no_load_current": 0.0, "no_load_current_per_rpm": 0.0}

CHA_32A_100 = {"torque_constant": 0.55, "gear_ratio": 100.0, "winding_resistance": 1.5 * 3.7,
               "no_load_current": 0.20, "no_load_current_per_rpm": 7e-3,
               "winding_temperature": 80.0, "driver_efficiency": 0.95}
"""Harmonic Drive CHA-32A at ratio 100, engineering data 1018854 table 38.1: k_TM 0.55 N m/A rms,
R 3.7 ohm line to line at 20 degC (copper loss 3 I^2 R_LL / 2), I_NLS 0.20 A rms, K_INL
7e-3 A rms per output rpm at 80 degC; the windings at 80 degC too."""
TEN_RPM = 10.0 * 2.0 * math.pi / 60.0  # rad/s
HOT = 1.0 + 0.00393 * (80.0 - 20.0)
"""Copper's resistance at 80 degC over 20 degC: the annealed-copper coefficient, 0.393 %/K."""


def _meter(spec: RobotSpec, gear: float | None = None, **leg: float) -> EnergyMeter:
    motors = spec.motors.model_copy(update={"leg": spec.motors.leg.model_copy(update=leg)})
    update: dict[str, Any] = {"motors": motors}
    if gear is not None:
        update["drive_efficiency"] = gear
    names = ["left_knee"]
    return EnergyMeter.for_robot(spec.model_copy(update=update), np.ones(1), names)


def test_a_held_torque_costs_i_squared_r_through_the_driver(spec: RobotSpec) -> None:
    """55 N m held still on a drive of 0.55 N m/A through 100:1 of torque efficiency eta takes
    1 / eta A (the datasheet's stall current is torque over the torque constant at the output,
    which holds the gear's losses): R / eta^2 watts of copper, over the driver's efficiency;
    nothing mechanical, no drag at rest."""
    m = spec.motors.leg
    eta = spec.drive_efficiency
    meter = _meter(spec, torque_constant=0.55, gear_ratio=100.0)
    battery, copper = meter.joint_power(np.array([55.0]), np.zeros(1))
    assert copper[0] == pytest.approx(m.resistance / eta**2)
    assert battery[0] == pytest.approx(m.resistance / eta**2 / m.driver_efficiency)


def test_the_gears_drag_at_a_steady_speed_is_the_datasheets_no_load_current(
        spec: RobotSpec) -> None:
    """A CHA-32A-100 joint turning at 10 rpm: the motor draws I_NLS + K_INL n = 0.20 + 0.07 A
    to turn the gear; at no load that is a drag of 0.55 x 100 x 0.27 = 14.85 N m at the joint,
    15.55 W at 10 rpm, and 0.27^2 x 5.55 x 1.236 ohm = 0.500 W of copper at 80 degC. With 55 N m
    driving on top (the gear's load efficiency 1 here) the current is 1 + 0.27 A; braking
    55 N m, 1 - 0.27 A (the drag helps), and the joint returns more than it costs."""
    meter = _meter(spec, gear=1.0, **CHA_32A_100)
    idle, idle_cu = meter.joint_power(np.zeros(1), np.array([TEN_RPM]))
    assert idle_cu[0] == pytest.approx(0.27**2 * 5.55 * HOT, rel=1e-9)
    assert idle_cu[0] == pytest.approx(0.5000, abs=1e-4)
    assert idle[0] == pytest.approx((55.0 * 0.27 * TEN_RPM + 0.27**2 * 5.55 * HOT) / 0.95)
    assert idle[0] == pytest.approx((15.55 + 0.500) / 0.95, abs=0.01)
    back, _ = meter.joint_power(np.zeros(1), np.array([-TEN_RPM]))  # either way round
    assert back[0] == pytest.approx(idle[0])
    drive, drive_cu = meter.joint_power(np.array([55.0]), np.array([TEN_RPM]))
    assert drive_cu[0] == pytest.approx(1.27**2 * 5.55 * HOT)
    assert drive[0] == pytest.approx(((55.0 + 14.85) * TEN_RPM + drive_cu[0]) / 0.95)
    _, brake_cu = meter.joint_power(np.array([-55.0]), np.array([TEN_RPM]))
    assert brake_cu[0] == pytest.approx(0.73**2 * 5.55 * HOT)
    brake, _ = meter.joint_power(np.array([-55.0]), np.array([TEN_RPM]))
    assert brake[0] == 0.0  # 42 W returned against 3.7 W of copper: burnt, not recovered


def test_the_drag_grows_with_speed_as_the_running_current_constant_says(
        spec: RobotSpec) -> None:
    """Shaft power at no load is Kt N (I_NLS + K_INL n) omega: at 30 rpm 0.20 + 0.21 A."""
    meter = _meter(spec, gear=1.0, **{**CHA_32A_100, "winding_temperature": 20.0})
    speed = 3.0 * TEN_RPM
    battery, copper = meter.joint_power(np.zeros(1), np.array([speed]))
    assert copper[0] == pytest.approx(0.41**2 * 5.55)
    assert battery[0] * 0.95 - copper[0] == pytest.approx(55.0 * 0.41 * speed)


def test_a_held_joint_has_no_drag_and_a_slow_one_a_share(spec: RobotSpec) -> None:
    """At rest static friction holds without current; below HELD_SPEED (0.01 rad/s) the drag
    is a share in proportion to the speed, so a held joint's jitter in the solver (about
    2e-5 rad/s) does not flip the full drag's sign every step."""
    meter = _meter(spec, gear=1.0, **CHA_32A_100)
    torque = np.array([30.0])
    held, held_cu = meter.joint_power(torque, np.zeros(1))
    _, jitter_cu = meter.joint_power(torque, np.array([-2e-5]))
    assert jitter_cu[0] == pytest.approx(held_cu[0], rel=0.01)
    _, half_cu = meter.joint_power(torque, np.array([HELD_SPEED / 2]))
    drag = 55.0 * (0.20 + 7e-3 * HELD_SPEED / 2 * 60.0 / (2.0 * math.pi))
    assert half_cu[0] == pytest.approx(((30.0 + drag / 2) / 55.0) ** 2 * 5.55 * HOT)


@pytest.mark.parametrize("celsius", [-20.0, 20.0, 80.0, 150.0])
def test_copper_loss_goes_with_the_windings_temperature(spec: RobotSpec,
                                                        celsius: float) -> None:
    """R(T) = R(20 degC) (1 + 0.00393 (T - 20)): copper's coefficient."""
    torque, still = np.array([80.0]), np.zeros(1)
    _, cold = _meter(spec, winding_temperature=20.0).joint_power(torque, still)
    _, warm = _meter(spec, winding_temperature=celsius).joint_power(torque, still)
    assert warm[0] == pytest.approx(cold[0] * (1.0 + 0.00393 * (celsius - 20.0)))


@pytest.mark.parametrize(("name", "value"), [
    ("winding_temperature", 60.0), ("no_load_current", 0.5), ("no_load_current_per_rpm", 0.02)])
def test_every_loss_field_changes_the_energy(spec: RobotSpec, name: str, value: float) -> None:
    """A joint driving 40 N m at 2 rad/s: each new motor field changes what it draws."""
    torque, speed = np.array([40.0]), np.array([2.0])
    base, _ = _meter(spec).joint_power(torque, speed)
    changed, _ = _meter(spec, **{name: value}).joint_power(torque, speed)
    assert changed[0] != pytest.approx(base[0], rel=1e-6)


@pytest.mark.parametrize(("name", "value"), [
    ("winding_temperature", 250.0), ("winding_temperature", -60.0),
    ("no_load_current", -0.1), ("no_load_current_per_rpm", float("nan"))])
def test_a_loss_field_out_of_its_range_is_refused(name: str, value: float) -> None:
    with pytest.raises(ValidationError, match=name):
        Motor(torque_constant=0.55, winding_resistance=5.55, gear_ratio=100.0,
              driver_efficiency=0.95, rated_torque=154.0, peak_torque=333.0, **{name: value})


@pytest.mark.parametrize("factor", [0.5, 2.0, 3.0])
def test_copper_loss_goes_with_one_over_kt_squared_and_with_r(spec: RobotSpec,
                                                              factor: float) -> None:
    torque, still = np.array([80.0]), np.zeros(1)
    _, base = _meter(spec).joint_power(torque, still)
    _, weak = _meter(spec, torque_constant=spec.motors.leg.torque_constant / factor
                     ).joint_power(torque, still)
    _, hot = _meter(spec, winding_resistance=spec.motors.leg.winding_resistance * factor
                    ).joint_power(torque, still)
    _, geared = _meter(spec, gear_ratio=spec.motors.leg.gear_ratio * factor
                       ).joint_power(torque, still)
    assert weak[0] == pytest.approx(base[0] * factor**2)
    assert hot[0] == pytest.approx(base[0] * factor)
    assert geared[0] == pytest.approx(base[0] / factor**2)


def test_driving_pays_the_gear_and_braking_is_not_recovered(spec: RobotSpec) -> None:
    meter = _meter(spec, **NO_DRAG)
    torque = np.array([20.0])
    _, copper = meter.joint_power(torque, np.zeros(1))
    eta_d, eta_g = spec.motors.leg.driver_efficiency, spec.drive_efficiency
    drive, _ = meter.joint_power(torque, np.array([2.0]))  # 40 W into the joint
    assert drive[0] == pytest.approx((40.0 / eta_g + copper[0]) / eta_d)
    brake, _ = meter.joint_power(torque, np.array([-2.0]))  # the joint returns 40 W
    assert brake[0] == 0.0  # more than the copper loss comes back: burnt, not recovered
    slow, _ = meter.joint_power(torque, np.array([-1e-3]))  # a little: copper still paid
    assert 0.0 < slow[0] < copper[0] / eta_d


def test_each_joint_is_driven_by_its_groups_motor(spec: RobotSpec) -> None:
    names = urdf_joint_names(spec)
    groups = {motor_group(n) for n in names}
    assert groups == {"leg", "arm", "waist"}
    meter = EnergyMeter.for_robot(spec, np.ones(len(names)))  # names read from the URDF
    for name, kt_n in zip(names, meter.torque_per_amp, strict=True):
        motor = getattr(spec.motors, motor_group(name))
        assert kt_n == motor.torque_constant * motor.gear_ratio
    assert motor_group("left_knee") == "leg" and motor_group("right_elbow") == "arm"
    with pytest.raises(ValueError, match="no motor group"):
        motor_group("tail")


@pytest.fixture(scope="module")
def measured(spec: RobotSpec, trial: Any) -> dict[str, float]:
    """A robot standing 2 s (after 1 s to settle), then walking 10 m at 0.9 m/s, empty."""
    world, robot, carry = trial.setup(spec, 0.0)
    try:
        world.run(robot, prim.hold(world, robot, 1.0))
        e0, t0, c0 = robot.meter.energy_j, robot.meter.time_s, robot.meter.copper_j
        world.run(robot, prim.hold(world, robot, 2.0))
        seconds = robot.meter.time_s - t0
        standing = (robot.meter.energy_j - e0) / seconds
        copper = (robot.meter.copper_j - c0) / seconds
        walked = trial.walk(world, robot, SPEED, carry)
    finally:
        world.close()
    assert walked.ok, walked.note
    return {"standing": standing, "copper": copper, "speed": walked.speed,
            "cot": walked.energy_per_m / (spec.mass * GRAVITY)}


@pytest.mark.slow
def test_standing_is_paid_by_the_holding_torques(measured: dict[str, float],
                                                 spec: RobotSpec) -> None:
    """More than the electronics (the joints hold the body up), less than walking's datasheet
    power."""
    p = spec.power
    assert measured["copper"] > 1.0
    assert p.constant + measured["copper"] <= measured["standing"]
    assert measured["standing"] < p.standing + p.walking + p.constant


@pytest.mark.slow
def test_cost_of_transport_at_0_9_m_s_is_in_the_published_humanoid_range(
        measured: dict[str, float]) -> None:
    assert measured["speed"] == pytest.approx(SPEED, rel=0.10)
    assert HUMAN <= measured["cot"] <= ATLAS
