"""Energy from the motors: copper loss from the motor constants, standing paid by holding
torques, and a cost of transport between a human's and the hydraulic Atlas's: a plausibility
band, wider than the measured humanoid range (DURUS 1.4-1.61 to Atlas about 5), which the
twin's 0.49 lies below (docs/energy.md, "Beside published figures")."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from twin.motion import GRAVITY
from twin.physics import primitives as prim
from twin.physics.energy import EnergyMeter, motor_group, urdf_joint_names
from twin.robot import RobotSpec

HUMAN, ATLAS = 0.2, 5.0
"""Published cost of transport (energy / (weight x distance)) of walking: a human (Collins et al.
2005, Science 307:1082) and the hydraulic Atlas and PETMAN (about 5, Adv. Mech. Eng. 2015,
doi:10.1177/1687814015583041); ASIMO 3.2, DURUS 1.4-1.61 and ATRIAS 1.3 lie between, the best
bipeds (Cornell Ranger 0.19-0.28) at its low end. A plausibility band, not the humanoid range:
the lowest measured humanoid is DURUS."""
SPEED = 0.9  # m/s, the walk measured


def _meter(spec: RobotSpec, **leg: float) -> EnergyMeter:
    motors = spec.motors.model_copy(update={"leg": spec.motors.leg.model_copy(update=leg)})
    names = ["left_knee"]
    return EnergyMeter.for_robot(spec.model_copy(update={"motors": motors}), np.ones(1), names)


def test_a_held_torque_costs_i_squared_r_through_the_driver(spec: RobotSpec) -> None:
    """55 N m held still on a drive of 0.55 N m/A through 100:1 takes 1 A: R watts of copper,
    over the driver's efficiency; nothing mechanical."""
    m = spec.motors.leg
    meter = _meter(spec, torque_constant=0.55, gear_ratio=100.0)
    battery, copper = meter.joint_power(np.array([55.0]), np.zeros(1))
    assert copper[0] == pytest.approx(m.winding_resistance)
    assert battery[0] == pytest.approx(m.winding_resistance / m.driver_efficiency)


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
    meter = _meter(spec)
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
