"""Balance and walking from joint torques alone: the LIPM preview pattern (pure numpy) and the
``Humanoid`` in PyBullet with no external force or torque on any link."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pybullet as pb
import pytest

from twin.motion import GRAVITY, wrap_angle
from twin.physics.humanoid import Humanoid
from twin.physics.preview import PreviewGains, PreviewState
from twin.physics.walking import FOOT_CENTRE, GaitParameters, Pose, WalkingPattern
from twin.physics.world import World
from twin.robot import ROBOTS_DIR, RobotSpec

DT = 1.0 / 120.0


# --- the pattern generator (no physics) ------------------------------------------------
def test_preview_brings_the_pendulum_to_rest_over_a_new_zmp() -> None:
    gains = PreviewGains.design(0.88, DT)
    state = PreviewState.at_rest(np.zeros(2))
    ref = np.tile([0.2, -0.1], (gains.samples + 1, 1))
    for _ in range(round(3.0 / DT)):
        state.step(gains, ref)
    assert state.x[0] == pytest.approx([0.2, -0.1], abs=1e-3)
    assert np.abs(state.x[1]).max() < 1e-3
    assert state.zmp(gains) == pytest.approx([0.2, -0.1], abs=1e-3)


def test_preview_plan_at_rest_stays_at_rest_wherever_it_stands() -> None:
    """A pendulum at rest over a constant reference stays there, 40 m from the origin as at
    it: the servo works about the reference now. (Taken about the origin, the finite
    preview's residual gain pushed a plan at rest by its distance from it: 7,000 m/s^3 at
    36 m, and robots standing still there fell within 2 s, 3 December.)"""
    gains = PreviewGains.design(0.88, DT)
    for at in ([0.0, 0.0], [30.0, 20.0], [-40.0, 5.0]):
        state = PreviewState.at_rest(np.array(at))
        ref = np.tile(at, (gains.samples + 1, 1))
        for _ in range(round(1.0 / DT)):
            state.step(gains, ref)
        assert state.x[0] == pytest.approx(at, abs=1e-9), at
        assert np.abs(state.x[1:]).max() < 1e-9, at


def test_preview_zmp_obeys_the_pendulum_equation() -> None:
    """The planned ZMP is c - zc/g c'' (LIPM), and tracks an alternating support."""
    zc = 0.88
    gains = PreviewGains.design(zc, DT)
    state = PreviewState.at_rest(np.zeros(2))
    n = round(6.0 / DT) + gains.samples + 1
    t = np.arange(n) * DT
    ref = np.zeros((n, 2))
    ref[:, 1] = np.where(t > 1.0, 0.08 * np.sign(np.sin(math.pi * (t - 1.0) / 0.5)), 0.0)
    errors = []
    for k in range(round(6.0 / DT)):
        state.step(gains, ref[k:k + gains.samples + 1])
        c, acc = state.x[0], state.x[2]
        assert state.zmp(gains) == pytest.approx(c - zc / GRAVITY * acc)
        if t[k] > 2.0:
            errors.append(abs(state.zmp(gains)[1] - ref[k + 1, 1]))
    # away from the switches the ZMP sits on the foot
    assert np.median(errors) < 0.01


def _pattern(params: GaitParameters | None = None) -> WalkingPattern:
    return WalkingPattern(Pose(0.0, 0.09, 0.0), Pose(0.0, -0.09, 0.0), 0.88, DT, params)


def test_pattern_walks_at_the_commanded_speed_and_stops() -> None:
    # without the swing-leg term the pendulum's own ZMP must stay on the stance sole
    walk = _pattern(GaitParameters(swing_zmp=0.0))
    xs = []
    for _ in range(round(10.0 / DT)):
        walk.command(0.8, 0.0, 0.0)
        walk.update()
        xs.append(walk.com.x[0, 0])
        s = walk.step
        if s is not None and 0.2 <= (s.t - s.double) / s.single <= 0.9:
            stance = walk.feet[walk.stance() or "left"]
            # once the weight is across, the planned ZMP stays on the stance sole
            # (0.24 x 0.11 m, ankle 0.09 m from the heel)
            zmp = walk.com.zmp(walk.gains)
            ahead, side = stance.local(*zmp)
            assert -0.09 <= ahead <= 0.15 and abs(side) <= 0.055
    speed = (xs[-1] - xs[-round(4.0 / DT)]) / 4.0
    assert speed == pytest.approx(0.8, rel=0.02)
    for _ in range(round(3.0 / DT)):
        walk.command(0.0, 0.0, 0.0, stepping=False)
        walk.update()
    assert walk.step is None and walk.settled()
    left, right = walk.feet["left"], walk.feet["right"]
    assert math.hypot(left.x - right.x, left.y - right.y) == pytest.approx(0.18, abs=0.03)


def test_pattern_turns_in_place() -> None:
    walk = _pattern()
    for _ in range(round(4.0 / DT)):
        walk.command(0.0, 0.0, 0.4)
        walk.update()
    for _ in range(round(3.0 / DT)):
        walk.command(0.0, 0.0, 0.0, stepping=False)
        walk.update()
    assert walk.settled()
    # turning at the commanded rate once the weight is on the first stance foot
    assert walk.pelvis_yaw() == pytest.approx(0.4 * (4.0 - walk.params.start_time), abs=0.15)
    centre = walk.com.x[0]
    assert float(np.hypot(*centre)) < 0.1 + FOOT_CENTRE


@pytest.mark.parametrize("twist", [(0.5, 0.0, 0.0), (1.2, 0.0, 0.0), (0.3, 0.1, 0.3),
                                   (0.0, 0.0, 0.5), (-0.2, -0.1, 0.0)])
def test_preview_sums_in_closed_form_are_the_reference_sampled(twist) -> None:  # type: ignore[no-untyped-def]
    """The preview reads the ZMP reference only as its value now and its weighted sum ahead
    (``gd @ reference[1:]``); the pattern computes both from the knots and swings in closed
    form (``_preview_sums``). Over setting off, walking, turning, side steps and stopping they
    equal the sample-by-sample reference's (``_reference``) to rounding: the weights add to
    about -3.8e4, so a sum near 1e4 agrees to 1e-6 or better, the value now to 1e-12."""
    walk = _pattern()
    gains = walk.gains
    scale = float(np.abs(gains.gd).sum())
    for k in range(round(6.0 / DT)):
        walk.command(*(twist if k < round(4.0 / DT) else (0.0, 0.0, 0.0)))
        ref = walk._reference()
        now_x, now_y, ahead_x, ahead_y = walk._preview_sums()
        assert (now_x, now_y) == pytest.approx(tuple(ref[0]), abs=1e-12)
        sampled = gains.gd @ ref[1:gains.samples + 1]
        assert abs(ahead_x - sampled[0]) < 1e-11 * scale * max(1.0, float(np.abs(ref).max()))
        assert abs(ahead_y - sampled[1]) < 1e-11 * scale * max(1.0, float(np.abs(ref).max()))
        walk.update()
    assert walk.steps > 4  # it walked: the swings' shifts were in the sums


# --- the body in PyBullet --------------------------------------------------------------
@pytest.fixture
def no_external_push(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if anything applies an external force or torque to a body."""
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("external force or torque applied")
    monkeypatch.setattr(pb, "applyExternalForce", forbidden)
    monkeypatch.setattr(pb, "applyExternalTorque", forbidden)


@pytest.fixture
def body(spec: RobotSpec, no_external_push: None) -> Iterator[Callable[..., tuple]]:
    worlds: list[World] = []

    def make(x: float = 0.0, y: float = 0.0, heading: float = 0.0
             ) -> tuple[World, Humanoid]:
        world = World()
        worlds.append(world)
        robot = Humanoid(world.client, spec, Path(ROBOTS_DIR) / "humanoid.urdf",
                                 x, y, heading, "r", world.settings.control_period)
        return world, robot

    yield make
    for world in worlds:
        world.close()


def _tick(world: World, robot: Humanoid) -> None:
    robot.control(world.settings.control_period)
    world.step((robot,))


def _walk(world: World, robot: Humanoid, speed: float, metres: float,
          heading: float) -> float:
    """Walk along ``heading`` at ``speed`` (held on the measured pace, as ``prim.walk``
    does); returns the speed over ``metres`` after the first metre, nan on a fall."""
    dt = world.settings.control_period
    x0, y0, _ = robot.pose()
    t, integral, marks = 0.0, 0.0, []
    while len(marks) < 2 and t < 3.0 * metres / speed + 5.0:
        x, y, yaw = robot.pose()
        done = math.hypot(x - x0, y - y0)
        if (not marks and done >= 1.0) or (marks and done >= 1.0 + metres):
            marks.append(t)
        v_ref = min(speed, speed * t)
        lin, _ = pb.getBaseVelocity(robot.body, physicsClientId=world.client)
        pace = lin[0] * math.cos(yaw) + lin[1] * math.sin(yaw)
        if v_ref >= 0.95 * speed:
            integral = float(np.clip(integral + (v_ref - pace) * dt, -0.3, 0.6))
        turn = float(np.clip(1.5 * wrap_angle(heading - yaw), -0.5, 0.5))
        robot.gait.command(v_ref + 0.6 * integral, 0.0, turn)
        _tick(world, robot)
        t += dt
        if robot.fallen:
            return math.nan
    return metres / (marks[1] - marks[0]) if len(marks) == 2 else math.nan


def _stop(world: World, robot: Humanoid, limit: float = 6.0) -> float:
    """Stop and stand until settled (plan and body at rest); returns the time it took."""
    t = 0.0
    while not robot.settled() and t < limit:
        robot.gait.command(0.0, 0.0, 0.0, stepping=False)
        _tick(world, robot)
        t += world.settings.control_period
    return t


@pytest.mark.slow
def test_stands_on_its_own(body) -> None:  # type: ignore[no-untyped-def]
    world, robot = body()
    for _ in range(round(3.0 / world.settings.control_period)):
        robot.gait.command(0.0, 0.0, 0.0, stepping=False)
        _tick(world, robot)
    pos, _ = robot.pelvis()
    assert not robot.fallen
    assert pos[2] == pytest.approx(robot.pelvis_height, abs=0.01)
    cop = robot.cop()
    assert cop is not None and abs(cop[1]) < 0.09  # between the feet
    assert max(abs(v) for v in robot.tilt) < 0.02


@pytest.mark.slow
@pytest.mark.parametrize(("command", "seed"), [(0.5, 0), (0.5, 1), (0.9, 2), (1.2, 3)])
def test_walks_ten_metres_at_the_commanded_speed(body, command: float, seed: int) -> None:  # type: ignore[no-untyped-def]
    """A few seeds here; ``benchmarks/physics_bench.py`` runs 20 per speed."""
    rng = np.random.default_rng(seed)
    heading = rng.uniform(-math.pi, math.pi)
    world, robot = body(*rng.uniform(-0.02, 0.02, 2), heading)
    speed = _walk(world, robot, command, 10.0, heading)
    assert not robot.fallen
    assert speed == pytest.approx(command, rel=0.10)
    assert _stop(world, robot) < 6.0
    assert not robot.fallen


@pytest.mark.slow
def test_turns_in_place_and_stops(body) -> None:  # type: ignore[no-untyped-def]
    world, robot = body()
    goal = 0.5 * math.pi
    for _ in range(round(8.0 / world.settings.control_period)):
        err = wrap_angle(goal - robot.pose()[2])
        if abs(err) < 0.05:
            break
        robot.gait.command(0.0, 0.0, float(np.clip(1.0 * err, -0.5, 0.5)))
        _tick(world, robot)
    assert _stop(world, robot) < 6.0
    x, y, yaw = robot.pose()
    assert not robot.fallen
    assert abs(wrap_angle(goal - yaw)) < 0.15
    assert math.hypot(x, y) < 0.2


@pytest.mark.parametrize("at", [(12.0, 7.0), (30.0, 20.0)])
def test_stands_still_far_from_the_origin_at_every_heading(spec: RobotSpec,
                                                           at: tuple[float, float]) -> None:
    """A robot stands 3 s on its own wherever it stands and whichever way it faces: at
    passage_four's (12, 7) it fell facing 135-165 and 30-45 degrees, at (30, 20) facing any
    way, before the preview worked about the reference now (3 December)."""
    fell = []
    for heading in range(-180, 180, 45):
        world = World()
        try:
            robot = world.add_humanoid(spec, *at, math.radians(heading))
            for _ in range(round(3.0 / world.settings.control_period)):
                robot.gait.command(0.0, 0.0, 0.0, stepping=False)
                robot.control(world.settings.control_period)
                world.step((robot,))
                if robot.fallen:
                    fell.append(heading)
                    break
        finally:
            world.close()
    assert not fell, fell


def test_external_loads_are_measured_while_watched() -> None:
    """The watch that calibration uses to prove no link was pushed does see a push."""
    from twin.physics.loads import ExternalLoads

    client = pb.connect(pb.DIRECT)
    try:
        box = pb.createMultiBody(1.0, pb.createCollisionShape(pb.GEOM_BOX, halfExtents=[0.1] * 3,
                                                              physicsClientId=client),
                                 physicsClientId=client)
        with ExternalLoads.watch() as quiet:
            pb.stepSimulation(physicsClientId=client)
        with ExternalLoads.watch() as pushed:
            pb.applyExternalForce(box, -1, [3.0, 4.0, 0.0], [0, 0, 0], pb.WORLD_FRAME,
                                  physicsClientId=client)
            pb.applyExternalTorque(box, -1, [0.0, 0.0, 2.0], pb.WORLD_FRAME,
                                   physicsClientId=client)
            pb.stepSimulation(physicsClientId=client)
        assert (quiet.calls, quiet.force, quiet.torque) == (0, 0.0, 0.0)
        assert pushed.calls == 2
        assert pushed.force == pytest.approx(5.0) and pushed.torque == pytest.approx(2.0)
        # the hooks are gone once the watch closes
        assert getattr(pb.applyExternalForce, "__module__", None) != "twin.physics.loads"
    finally:
        pb.disconnect(client)


@pytest.mark.slow
def test_carries_the_rated_payload_ten_metres(spec: RobotSpec, no_external_push: None) -> None:
    """A tote of ``max_payload`` kg in both hands, at the loaded speed: no fall, no drop."""
    from twin.physics.trials import walk_trial

    failed, speed = walk_trial(spec, spec.speed_loaded, seed=4, payload=spec.max_payload)
    assert not failed
    assert speed == pytest.approx(spec.speed_loaded, rel=0.10)


def test_walks_straight_facing_the_minus_x_axis(spec: RobotSpec) -> None:
    """Headings either side of +-pi: the feet's yaws wrap while the pelvis's does not (a leg
    target of 2 pi off once threw the robot over)."""
    from twin.physics.trials import walk_trial

    failed, speed = walk_trial(spec, 0.9, seed=0, metres=4.0, heading=math.pi)
    assert not failed
    assert speed == pytest.approx(0.9, rel=0.1)
