"""The closed-form IK puts ankles and grips where PyBullet's forward kinematics finds them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pybullet as pb
import pytest

from twin.physics.kinematics import FOREARM, HIP_Y, HIP_Z, SHOULDER, WAIST_Z, arm_fk, arm_ik, leg_ik

URDF = Path(__file__).resolve().parents[2] / "assets" / "robots" / "humanoid.urdf"


@pytest.fixture
def body():  # type: ignore[no-untyped-def]
    client = pb.connect(pb.DIRECT)
    b = pb.loadURDF(str(URDF), [0, 0, 1], useFixedBase=True, physicsClientId=client)
    names = {pb.getJointInfo(b, i, physicsClientId=client)[1].decode(): i
             for i in range(pb.getNumJoints(b, physicsClientId=client))}
    yield client, b, names
    pb.disconnect(client)


def test_leg_ik_reaches_targets(body, rng) -> None:  # type: ignore[no-untyped-def]
    client, b, names = body
    joints = ["hip_yaw", "hip_roll", "hip_pitch", "knee", "ankle_pitch", "ankle_roll"]
    for _ in range(20):
        x, y, z = rng.uniform(-0.25, 0.25), rng.uniform(-0.08, 0.08), rng.uniform(-0.76, -0.6)
        yaw = rng.uniform(-0.4, 0.4)
        for name, q in zip(joints, leg_ik(x, y, z, yaw), strict=True):
            pb.resetJointState(b, names[f"left_{name}"], q, physicsClientId=client)
        ankle = pb.getLinkState(b, names["left_ankle_pitch"], physicsClientId=client)[4]
        foot = pb.getLinkState(b, names["left_ankle_roll"], physicsClientId=client)[5]
        want = np.array([x, y + HIP_Y, 1 + HIP_Z + z])
        assert np.allclose(ankle, want, atol=1e-4)
        roll, pitch, foot_yaw = pb.getEulerFromQuaternion(foot)
        assert abs(roll) < 1e-4 and abs(pitch) < 1e-4 and abs(foot_yaw - yaw) < 1e-4


def test_arm_ik_reaches_targets(body, rng) -> None:  # type: ignore[no-untyped-def]
    client, b, names = body
    for _ in range(20):
        p = np.array([rng.uniform(0.15, 0.45), rng.uniform(-0.1, 0.1), rng.uniform(-0.35, 0.0)])
        for name, q in zip(["shoulder_pitch", "shoulder_roll", "elbow"], arm_ik(*p),
                           strict=True):
            pb.resetJointState(b, names[f"left_{name}"], q, physicsClientId=client)
        state = pb.getLinkState(b, names["left_elbow"], physicsClientId=client)
        grip = pb.multiplyTransforms(state[4], state[5], (0, 0, -FOREARM), (0, 0, 0, 1))[0]
        shoulder = np.array([SHOULDER[0], SHOULDER[1], 1 + WAIST_Z + SHOULDER[2]])
        assert np.allclose(np.array(grip) - shoulder, p, atol=1e-4)


def test_arm_fk_puts_the_grip_where_pybullet_does(body, rng) -> None:  # type: ignore[no-untyped-def]
    """``arm_fk`` (where the hands hang before they let go: ``Humanoid.hang_point``) against
    PyBullet's forward kinematics of the URDF, over the arm's working range."""
    client, b, names = body
    shoulder = np.array([SHOULDER[0], SHOULDER[1], 1 + WAIST_Z + SHOULDER[2]])
    for _ in range(20):
        q = (rng.uniform(-1.5, 1.0), rng.uniform(-0.3, 0.8), rng.uniform(-2.4, -0.05))
        for name, angle in zip(["shoulder_pitch", "shoulder_roll", "elbow"], q, strict=True):
            pb.resetJointState(b, names[f"left_{name}"], angle, physicsClientId=client)
        state = pb.getLinkState(b, names["left_elbow"], physicsClientId=client)
        grip = pb.multiplyTransforms(state[4], state[5], (0, 0, -FOREARM), (0, 0, 0, 1))[0]
        assert np.allclose(arm_fk(*q), np.array(grip) - shoulder, atol=1e-4)
