"""The grasp by friction (twin.physics.grip): the squeeze the arm motors hold bounds what the
hands transmit, so a tote over what the motors allow slips out, stronger arm motors in the
robot's YAML lift it, and slick hands drop the rated tote. Fast checks of the formula against
the URDF's geometry and of the payload refusal come first."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pybullet as pb
import pytest
import yaml
from pydantic import ValidationError

from twin.loader import load_robot
from twin.motion import GRAVITY
from twin.physics import primitives as prim
from twin.physics.carry import DROP_GAP, Carry
from twin.physics.grip import CARRY, FRICTION, liftable, roll_lever, squeeze, squeeze_power
from twin.physics.humanoid import Humanoid
from twin.physics.kinematics import SHOULDER, arm_ik
from twin.physics.trials import FLOOR_FRICTION, URDF, WalkRecord, hold_tote, tick, walk_record
from twin.physics.world import STAND_AHEAD, World
from twin.robot import ROBOTS_DIR, Motor, RobotSpec

ROBOT_YAML = ROBOTS_DIR / "walker_s2.yaml"
OVER = 1.2  # the tote over the rated payload that must not be carried
STRONGER = 1.3  # arm motors this much stronger (rated and peak torque) carry it


def _yaml_with_arms(tmp: Path, factor: float) -> Path:
    """walker_s2's YAML with arm motors ``factor`` times as strong (rated and peak torque)."""
    doc = yaml.safe_load(ROBOT_YAML.read_text(encoding="utf-8"))
    arm = doc["motors"]["arm"]
    arm["rated_torque"] *= factor
    arm["peak_torque"] *= factor
    doc["urdf"] = str(ROBOTS_DIR / doc["urdf"])  # the copy lives elsewhere
    path = tmp / "walker_strong_arms.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


# --- the formula against the body ---------------------------------------------------------


def test_roll_lever_is_the_moment_arm_of_a_sideways_push_in_the_urdf() -> None:
    """Pose the URDF's arm at the top of a lift (arm_ik) and take the moment of a unit sideways
    force at the hand's grip point about the shoulder-roll joint's axis: that is the lever."""
    client = pb.connect(pb.DIRECT)
    try:
        body = pb.loadURDF(str(ROBOTS_DIR / "humanoid.urdf"), useFixedBase=True,
                           physicsClientId=client)
        joint = {pb.getJointInfo(body, i, physicsClientId=client)[1].decode(): i
                 for i in range(pb.getNumJoints(body, physicsClientId=client))}
        reach = CARRY[0] - SHOULDER[0]
        for name, q in zip(("shoulder_pitch", "shoulder_roll", "elbow"),
                           arm_ik(reach, 0.0, 0.0), strict=True):
            pb.resetJointState(body, joint[f"left_{name}"], q, physicsClientId=client)
        roll = pb.getLinkState(body, joint["left_shoulder_roll"], physicsClientId=client)
        info = pb.getJointInfo(body, joint["left_shoulder_roll"], physicsClientId=client)
        axis = np.array(pb.getMatrixFromQuaternion(roll[5])).reshape(3, 3) @ np.array(info[13])
        pivot = np.array(roll[4])  # the joint sits at its child link's frame origin
        grip = np.array(pb.getLinkState(body, joint["left_wrist"], physicsClientId=client)[4])
        assert grip[0] - pivot[0] == pytest.approx(reach, abs=1e-6)  # the pose is CARRY's
        assert grip[2] - pivot[2] == pytest.approx(0.0, abs=1e-6)
        moment = float(np.cross(grip - pivot, [0.0, 1.0, 0.0]) @ axis)
        assert abs(moment) == pytest.approx(roll_lever(), rel=1e-6)
    finally:
        pb.disconnect(client)


def test_squeeze_and_its_cost_by_hand(spec: RobotSpec) -> None:
    """CHA-20A at 100:1: 49 N m continuous stall over a 0.294 m lever; I = 49 / 36 A."""
    arm = spec.motors.arm
    assert squeeze(arm) == pytest.approx(49.0 / roll_lever())
    current = 49.0 / (0.36 * 100.0)
    assert squeeze_power(arm) == pytest.approx(current**2 * 8.85 / 0.95)
    lift = liftable(spec)
    assert lift.grip_kg == pytest.approx(2 * FRICTION * squeeze(arm) / GRAVITY)
    # the rated payload is within what the motors lift, a tote 20% over it is not
    assert spec.max_payload <= lift.kg < OVER * spec.max_payload


def test_peak_alone_does_not_tighten_the_grip(spec: RobotSpec) -> None:
    """The squeeze is held for the whole carry: it rests on rated torque, not on peak."""
    arm = spec.motors.arm
    peaky = arm.model_copy(update={"peak_torque": STRONGER * arm.peak_torque})
    stronger = arm.model_copy(update={"rated_torque": STRONGER * arm.rated_torque,
                                      "peak_torque": STRONGER * arm.peak_torque})
    motors = spec.motors
    lift = liftable(spec.model_copy(update={"motors": motors.model_copy(update={"arm": peaky})}))
    assert lift.kg == pytest.approx(liftable(spec).kg)
    lift = liftable(spec.model_copy(update={"motors": motors.model_copy(
        update={"arm": stronger})}))
    assert lift.kg == pytest.approx(STRONGER * liftable(spec).kg)
    assert lift.kg > OVER * spec.max_payload


@pytest.mark.parametrize(("rated", "peak", "word"), [
    (49.0, 40.0, "below rated_torque"), (0.0, 82.0, "greater than 0"),
    (49.0, math.inf, "finite")])
def test_motor_ratings_are_checked(rated: float, peak: float, word: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Motor(torque_constant=0.36, winding_resistance=8.85, gear_ratio=100.0,
              driver_efficiency=0.95, rated_torque=rated, peak_torque=peak)
    assert word in str(caught.value)


def test_a_payload_the_arms_cannot_lift_is_refused(tmp_path: Path) -> None:
    """Refused naming the field, with the figure the motors allow; stronger arms accept it."""
    doc: dict[str, Any] = yaml.safe_load(ROBOT_YAML.read_text(encoding="utf-8"))
    doc["max_payload"] = OVER * 15.0
    with pytest.raises(ValidationError) as caught:
        RobotSpec.model_validate(doc)
    (err,) = caught.value.errors()
    assert err["loc"] == ("max_payload",)
    assert f"the {liftable(RobotSpec(name='x')).kg:.1f} kg the arm motors can lift" in err["msg"]
    assert "twin calibrate" in err["msg"]
    strong = yaml.safe_load(_yaml_with_arms(tmp_path, STRONGER).read_text(encoding="utf-8"))
    strong["max_payload"] = OVER * 15.0
    assert RobotSpec.model_validate(strong).max_payload == OVER * 15.0


# --- physics ------------------------------------------------------------------------------


def _walk_on(world: World, robot: Humanoid, carry: Carry, metres: float, yaw: float,
             slick_after: float | None = None) -> tuple[prim.Result, float]:
    """Walk ``metres`` towards heading ``yaw`` holding ``carry``; past ``slick_after`` m the
    hands turn slick (friction 0.1). Returns the walk's result and the largest
    hand-to-handle gap while the tote was held."""
    x0, y0, _ = robot.pose()
    path = [[x0, y0], [x0 + metres * math.cos(yaw), y0 + metres * math.sin(yaw)]]
    walk = prim.walk(world, robot, path, robot.spec.speed(carry.tote.mass), carry=carry)
    gap = 0.0

    def tracked() -> Any:
        nonlocal gap
        while True:
            try:
                next(walk)
            except StopIteration as stop:
                return stop.value
            if not carry.lost:
                gap = max(gap, carry.gap())
            x, y, _ = robot.pose()
            far = slick_after is not None and math.hypot(x - x0, y - y0) >= slick_after
            if far and carry.friction > 0.1:
                carry.slick(0.1)
            yield

    return world.run(robot, tracked()), gap


@pytest.mark.slow
def test_a_tote_20_percent_over_the_rating_slips_out_of_the_hands(spec: RobotSpec) -> None:
    world = World()
    try:
        robot = world.add_humanoid(spec, 0.0, 0.0, 0.0)
        world.add_stand("rack", 0.0, 0.0, 0.0)
        tote = world.add_tote(OVER * spec.max_payload, STAND_AHEAD, 0.0)
        result, carry = world.run(robot, prim.pick(world, robot, tote))
        assert carry is None and not result.ok, result.note
        assert "cannot lift" in result.note
        # the hands rose without it: the grip slipped, the arms did not sag
        assert result.metrics["rise"] < 0.05 and result.metrics["hand_gap"] > DROP_GAP
        assert result.metrics["sag"] < prim.MAX_SAG
    finally:
        world.close()


@pytest.mark.slow
def test_stronger_arm_motors_lift_and_carry_it(tmp_path: Path, trial: Any) -> None:
    strong = load_robot(str(_yaml_with_arms(tmp_path, STRONGER)))
    world, robot, carry = trial.setup(strong, OVER * 15.0)
    try:
        assert carry is not None
        walked, gap = _walk_on(world, robot, carry, 2.0, robot.pose()[2] + math.pi)
        assert walked.ok, walked.note
        assert not carry.lost and gap <= DROP_GAP and robot.falls == 0
    finally:
        world.close()


@pytest.mark.slow
def test_the_rated_tote_is_carried_and_slick_hands_drop_it(spec: RobotSpec, trial: Any) -> None:
    world, robot, carry = trial.setup(spec, spec.max_payload)
    try:
        assert carry is not None
        electronics = spec.power.constant
        # the squeeze is paid once, through the roll drives' torque (not as a constant draw):
        # the drive on the longer lever holds its rated torque, the other a shorter lever's
        # share, give or take what the arm's weight and motion put on the roll axis
        assert robot.meter.constant_w == pytest.approx(electronics)
        tick(world, robot)
        rows = [carry.rows[s] for s in ("left", "right")]
        reported = np.array([pb.getJointState(robot.body, robot.order[r],
                                              physicsClientId=world.client)[3] for r in rows])
        assert robot.meter.held is not None
        metered = np.abs(reported + robot.meter.held[rows])
        levers = carry.levers()
        held = carry.squeeze() * np.array([levers["left"], levers["right"]])
        assert max(held) == pytest.approx(spec.motors.arm.rated_torque)
        assert metered == pytest.approx(held, abs=0.15 * spec.motors.arm.rated_torque)
        away = robot.pose()[2] + math.pi  # from the rack
        walked, gap = _walk_on(world, robot, carry, 2.0, away)
        assert walked.ok, walked.note
        assert not carry.lost and gap <= DROP_GAP and robot.falls == 0
        # friction 0.1: the hands hold 2 x 0.1 x squeeze = 3.4 kg of the 15 kg
        assert 2 * 0.1 * squeeze(spec.motors.arm) / GRAVITY < spec.max_payload / 4
        walked, _ = _walk_on(world, robot, carry, 1.5, away, slick_after=0.3)
        assert not walked.ok and "dropped" in walked.note
        assert carry.lost
        assert robot.meter.held is None  # hands open: no squeeze
    finally:
        world.close()


@pytest.mark.slow
def test_the_squeeze_follows_the_arms_pose(spec: RobotSpec) -> None:
    """Drawn in to walk, each hand is nearer its shoulder-roll axis than at the top of a lift
    and the same rated torque squeezes harder. The lever measured on the body (roll axis and
    grip point from PyBullet) is the arm's in closed form, |z cos q + x sin q| with the grip at
    (x, z) from the shoulder in the torso frame and q the shoulder pitch, and at the walking
    carry point it is what arm_ik puts there. Reaching out and down the levers grow past the
    top of a lift's, and the squeeze is that one's (what ``liftable`` counts)."""
    world = World()
    try:
        robot = Humanoid(world.client, spec, URDF, 0.0, 0.0, 0.0, "r",
                         world.settings.control_period)
        carry = hold_tote(world, robot, 2.0)  # light: the pose is the point
        levers = carry.levers()
        inv = pb.invertTransform(*robot.link_frame("waist_pitch"))
        for side in ("left", "right"):
            local, _ = pb.multiplyTransforms(*inv, robot.grip_point(side).tolist(), (0, 0, 0, 1))
            x, z = local[0] - SHOULDER[0], local[2] - SHOULDER[2]
            q = pb.getJointState(robot.body, robot.joint[f"{side}_shoulder_pitch"],
                                 physicsClientId=world.client)[0]
            assert levers[side] == pytest.approx(abs(z * math.cos(q) + x * math.sin(q)),
                                                 abs=1e-3)
            # the carry point hold_tote holds: 0.34 m ahead, 1.30 m up; shoulder 1.32 m up
            q_ik = arm_ik(0.34 - SHOULDER[0], 0.0, -0.02)[0]
            assert levers[side] == pytest.approx(abs(-0.02 * math.cos(q_ik)
                                                     + 0.34 * math.sin(q_ik)), abs=0.01)
        lever = max(levers.values())
        assert lever < 0.7 * roll_lever()
        assert carry.squeeze() == pytest.approx(spec.motors.arm.rated_torque / lever)
        half = 0.5 * float(robot.to_body(robot.grip_point("left"))[1]
                           - robot.to_body(robot.grip_point("right"))[1])
        for _ in range(120):  # out and down, as towards a surface
            robot.grips = {"left": np.array([0.42, half, 1.12]),
                           "right": np.array([0.42, -half, 1.12])}
            robot.gait.command(0.0, 0.0, 0.0, stepping=False)
            tick(world, robot)
        assert min(carry.levers().values()) > roll_lever()
        assert carry.squeeze() == pytest.approx(squeeze(spec.motors.arm))
        assert not carry.dropped()
    finally:
        world.close()


@pytest.mark.slow
def test_the_rated_tote_keeps_its_hold_at_the_top_speed(spec: RobotSpec) -> None:
    """10 m at 1.2 m/s (the walking criterion's top speed, above speed_loaded) holding the
    rated tote: no fall, no drop, the pace held, and the hands stay within a third of the drop
    gap of their handles (with the top of a lift's squeeze in the carry pose this seed's hands
    strayed 3.4 cm: walk_seeds.py)."""
    record: WalkRecord = walk_record(spec, 1.2, seed=4, payload=spec.max_payload,
                                     floor=FLOOR_FRICTION)
    assert not record.fell and not record.dropped
    assert record.speed == pytest.approx(1.2, rel=0.10)
    assert record.gap < DROP_GAP / 3
