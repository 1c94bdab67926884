"""The energy balance of walker_s2's body over a steady 0.9 m/s walk, physics step by physics
step (docs/energy.md, "Where the joints' braking comes from").

Every physics step changes the body's kinetic and potential energy by the work its joint motors
do (torque of the step times the joint's displacement in it), the URDF's joint damping, and the
floor's contact forces at their points' velocities; the solver may lose energy, never make it.
The meter (``EnergyMeter.add``) reads one torque and speed per control period, after the second
of its two physics steps: it sees the joints' work only if both steps do alike."""

from __future__ import annotations

from typing import Any

import numpy as np
import pybullet
import pytest

from twin.motion import GRAVITY
from twin.physics import primitives as prim
from twin.physics.world import World
from twin.robot import RobotSpec

pytestmark = pytest.mark.slow

SPEED = 0.9  # m/s
WINDOW = (1.5, 3.5)  # m of the pelvis's x: the steady stretch measured (walk to 4.5 m)


def _energy(client: int, body: int, mass: np.ndarray, inertia: np.ndarray,
            links: list[int]) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """Kinetic + potential energy of every link, the body's momentum, and each link's centre of
    mass, velocity and angular velocity (base first)."""
    pos, orn = pybullet.getBasePositionAndOrientation(body, physicsClientId=client)
    lin, ang = pybullet.getBaseVelocity(body, physicsClientId=client)
    rows = [(pos, orn, lin, ang)] + [
        (s[0], s[1], s[6], s[7]) for s in pybullet.getLinkStates(
            body, links, computeLinkVelocity=1, physicsClientId=client)]
    com = np.array([r[0] for r in rows])
    vel = np.array([r[2] for r in rows])
    omega = np.array([r[3] for r in rows])
    energy = float(mass @ com[:, 2]) * GRAVITY
    for k, row in enumerate(rows):
        turn = np.array(pybullet.getMatrixFromQuaternion(row[1])).reshape(3, 3)
        w = turn.T @ omega[k]  # in the link's inertia frame
        energy += 0.5 * mass[k] * vel[k] @ vel[k] + 0.5 * w @ (inertia[k] * w)
    return energy, mass @ vel, com, np.stack([vel, omega])


def _contacts(client: int, body: int, com: np.ndarray,
              motion: np.ndarray) -> tuple[float, np.ndarray]:
    """Power of the contact forces on ``body`` (normal and both friction directions, each at
    its point's velocity) and their sum."""
    power, total = 0.0, np.zeros(3)
    for cp in pybullet.getContactPoints(bodyA=body, physicsClientId=client):
        k = cp[3] + 1  # link index, base first
        point = np.array(cp[5])
        velocity = motion[0, k] + np.cross(motion[1, k], point - com[k])
        force = (cp[9] * np.array(cp[7]) + cp[10] * np.array(cp[11])
                 + cp[12] * np.array(cp[13]))
        power += force @ velocity
        total += force
    return power, total


@pytest.fixture(scope="module")
def walked(spec: RobotSpec) -> dict[str, Any]:
    """Per physics step over the window: energy, momentum, joint states, contact power and
    force; and the meter's own samples."""
    world = World()
    try:
        robot = world.add_humanoid(spec, 0.0, 0.0, 0.0)
        c, body = world.client, robot.body
        links = list(robot.order)
        mass = np.array([pybullet.getDynamicsInfo(body, i, physicsClientId=c)[0]
                         for i in [-1, *links]])
        inertia = np.array([pybullet.getDynamicsInfo(body, i, physicsClientId=c)[2]
                            for i in [-1, *links]])
        damping = np.array([pybullet.getJointInfo(body, i, physicsClientId=c)[6] for i in links])
        world.run(robot, prim.hold(world, robot, 1.0))
        rows: list[tuple[Any, ...]] = []
        samples: list[float] = []
        step = pybullet.stepSimulation
        add = robot.meter.add

        def stepped(*args: Any, **kwargs: Any) -> Any:
            out = step(*args, **kwargs)
            energy, momentum, com, motion = _energy(c, body, mass, inertia, links)
            states = pybullet.getJointStates(body, links, physicsClientId=c)
            power, force = _contacts(c, body, com, motion)
            x = pybullet.getBasePositionAndOrientation(body, physicsClientId=c)[0][0]
            rows.append((x, energy, momentum, np.array([s[0] for s in states]),
                         np.array([s[1] for s in states]), np.array([s[3] for s in states]),
                         power, force))
            return out

        def metered(torques: np.ndarray, speeds: np.ndarray, dt: float) -> float:
            x = pybullet.getBasePositionAndOrientation(body, physicsClientId=c)[0][0]
            if WINDOW[0] < x <= WINDOW[1]:
                samples.append(float(torques @ speeds) * dt)
            return add(torques, speeds, dt)

        robot.meter.add = metered  # type: ignore[method-assign]
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(pybullet, "stepSimulation", stepped)
            result = world.run(robot, prim.walk(world, robot, [[0.0, 0.0], [WINDOW[1] + 1.0, 0.0]],
                                                 SPEED))
        assert result.ok, result.note
    finally:
        world.close()
    x = np.array([r[0] for r in rows])
    inside = np.flatnonzero((x > WINDOW[0]) & (x <= WINDOW[1]))
    first, last = inside[0] - 1, inside[-1]  # the steps from the state at ``first`` to ``last``
    h = world.settings.timestep
    seconds = (last - first) * h
    q, v, tau = (np.array([r[k] for r in rows]) for k in (3, 4, 5))
    steps = slice(first + 1, last + 1)
    return {
        "seconds": seconds, "mass": mass.sum(), "h": h,
        "energy": (rows[last][1] - rows[first][1]) / seconds,
        "joints": float((tau[steps] * (q[steps] - q[first:last])).sum()) / seconds,
        "joints_abs": float(np.abs(tau[steps] * (q[steps] - q[first:last])).sum()) / seconds,
        "damping": -float((damping * v[steps] ** 2).sum()) * h / seconds,
        "contacts": sum(r[6] for r in rows[steps]) * h / seconds,
        "momentum_rate": (np.array([r[2] for r in rows[steps]])
                          - np.array([r[2] for r in rows[first:last]])) / h,
        "contact_force": np.array([r[7] for r in rows[steps]]),
        "meter": sum(samples) / seconds,
    }


def test_contact_forces_read_account_for_the_bodys_momentum(walked: dict[str, Any]) -> None:
    """Newton on the whole body, step by step: the change of its momentum is the contact forces
    read plus its weight (the joints' forces are internal), so the contact forces below are all
    of them, with the right signs."""
    weight = np.array([0.0, 0.0, -walked["mass"] * GRAVITY])
    outside = walked["contact_force"] + weight
    error = walked["momentum_rate"] - outside
    for axis in (0, 2):
        scale = np.sqrt(np.mean(outside[:, axis] ** 2))
        assert np.sqrt(np.mean(error[:, axis] ** 2)) < 0.1 * scale, axis


def test_the_floor_puts_no_energy_into_the_walk(walked: dict[str, Any]) -> None:
    """Soles that neither slip nor sink do no work: whatever the floor's contact forces do is
    small beside the joints' work (no energy from contact position correction)."""
    assert abs(walked["contacts"]) < 0.02 * walked["joints_abs"]


def test_the_solver_makes_no_energy(walked: dict[str, Any]) -> None:
    """d(kinetic + potential) over the steady stretch is at most the joints' work, the
    damping's and the floor's: what is left (the solver's own share) is a loss or nothing."""
    left = walked["energy"] - walked["joints"] - walked["damping"] - walked["contacts"]
    assert left < 0.01 * walked["joints_abs"]


def test_the_meter_sees_the_work_the_joints_do(walked: dict[str, Any]) -> None:
    """The meter's net joint power (its samples of torque x speed) is the joints' work per
    second, every physics step counted, to a tenth of the joint power flowing either way. (It
    failed while the joint targets changed once per control period and were held over its two
    physics steps: the position servos sped the joints up in the first and braked them in the
    second, and the meter read only the second; the drives now follow the targets a share a
    step, ``Humanoid.servo``.)"""
    assert abs(walked["meter"] - walked["joints"]) < 0.1 * walked["joints_abs"]
