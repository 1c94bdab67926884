"""The physics model's rule at the mouth of a one-robot stretch, without a world: a robot coming
the other way that waits at the far mouth goes before robots that would follow the one inside
(first come, first served, as the line model's bookings are), and nobody waits for a robot that
asked later."""

from __future__ import annotations

import math

import numpy as np
import pybullet as pb
import pytest

from twin.physics.traffic import (
    BODY,
    DETOUR,
    KEEP_OFF,
    OVERSHOOT,
    PASS_CLEAR,
    PASS_SPEED,
    ROUND,
    TOTE_REACH,
    WAIT_BACK,
    SharedFloor,
    Stretch,
)

EAST, WEST = (1.0, 0.0), (-1.0, 0.0)


class OneAbreast:
    """A lane grid whose every cell holds one robot abreast."""

    def capacity(self, k: int) -> int:
        return 1


def _stretch(heading: tuple[float, float]) -> Stretch:
    return Stretch(cells=[1, 2, 3], s_in=5.0, s_out=[6.0, 7.0, 8.0], heading=[heading] * 3)


def _floor() -> SharedFloor:
    return SharedFloor(-1, OneAbreast())  # type: ignore[arg-type]


def _holds(floor: SharedFloor, name: str, heading: tuple[float, float]) -> None:
    for cell in (1, 2, 3):
        floor.claims.setdefault(cell, {})[name] = heading


def test_a_robot_waiting_at_the_far_mouth_goes_before_followers() -> None:
    floor = _floor()
    _holds(floor, "inside", WEST)
    assert not floor._may_enter("east", _stretch(EAST), 10.0)  # oncoming inside: it waits
    assert floor.refused == "held by inside"  # (the reason its stop is logged with)
    # a robot going the way of the one inside may not follow it in: "east" asked first
    assert not floor._may_enter("follower", _stretch(WEST), 11.0)
    assert floor.refused == "east asked first"
    floor.claims.clear()  # the one inside walks out
    assert floor._may_enter("east", _stretch(EAST), 12.0)  # the first to ask goes in
    assert "east" not in floor.asking
    _holds(floor, "east", EAST)
    assert not floor._may_enter("follower", _stretch(WEST), 13.0)  # and then it waits for it


def test_robots_going_one_way_follow_each_other_in_when_nobody_waits() -> None:
    floor = _floor()
    _holds(floor, "inside", WEST)
    assert floor._may_enter("follower", _stretch(WEST), 10.0)
    assert not floor.asking


def test_a_later_asker_does_not_hold_up_an_earlier_one() -> None:
    floor = _floor()
    _holds(floor, "inside", WEST)
    assert not floor._may_enter("east", _stretch(EAST), 10.0)
    floor.claims.clear()
    floor.asking["late"] = (15.0, {1: WEST, 2: WEST, 3: WEST})  # asked after "east"
    assert floor._may_enter("east", _stretch(EAST), 16.0)


def test_a_finished_walk_withdraws_its_request() -> None:
    floor = _floor()
    _holds(floor, "inside", WEST)
    assert not floor._may_enter("east", _stretch(EAST), 10.0)
    floor.finish("east")  # it gave up, or its walk was cut short
    assert floor._may_enter("follower", _stretch(WEST), 11.0)


def test_stretches_too_close_to_wait_between_are_claimed_as_one() -> None:
    """A robot that leaves one narrow stretch and would be refused the next one where there is
    no room between them to wait clear of the first (``WAIT_BACK`` and its overshoot before the
    second's mouth, the gap and a body behind the first) claims both at once: else it stands
    in the mouth it left, in the way of the robot that holds the second."""
    floor = _floor()
    near = Stretch([4, 5], 10.0, [11.0, 12.0], [EAST] * 2)
    after = Stretch([6], 12.0 + floor.gap + BODY + WAIT_BACK + OVERSHOOT - 0.1, [15.0], [EAST])
    far = Stretch([7], 30.0, [31.0], [EAST])
    claim, count = floor._joined([near, after, far], 0)
    assert count == 2 and claim.cells == [4, 5, 6] and claim.s_out == [11.0, 12.0, 15.0]
    assert claim.s_in == near.s_in
    assert floor._joined([near, after, far], 1) == (after, 1)  # far is far enough
    floor.claims[6] = {"coming": WEST}  # the robot coming the other way holds the second
    assert not floor._may_enter("me", claim, 1.0)  # so it may not go into the first
    assert floor.refused == "held by coming"


def test_of_two_robots_stopped_head_on_for_each_other_one_gives_way() -> None:
    """Met head on, each stopped for the other (``facing``): the one walking empty yields to
    the one carrying; alike, the one whose name sorts after yields; never both, and nobody
    yields to a robot that is not stopped for it."""
    floor = _floor()
    floor.facing = {"a": "b"}
    assert not floor.face_off("a") and not floor.face_off("b")  # b is not stopped for a
    floor.facing = {"a": "b", "b": "a"}
    assert [floor.face_off(n) for n in "ab"] == [False, True]  # alike: b yields
    floor.loaded = {"b"}
    assert [floor.face_off(n) for n in "ab"] == [True, False]  # a walks empty: a yields
    floor.loaded = {"a", "b"}
    assert [floor.face_off(n) for n in "ab"] == [False, True]
    floor.facing = {"a": "b", "b": "c", "c": "b"}
    assert not floor.face_off("a")  # b faces c, not a
    floor.finish("b")  # a walk that ends stops facing anyone
    assert "b" not in floor.facing and not floor.face_off("c")


class _Named:
    def __init__(self, name: str) -> None:
        self.name = name


def _open_floor(where: dict[str, tuple[float, float]]) -> tuple[SharedFloor, int]:
    """A floor of robots standing at ``where`` (no scenery), read as of t = 1 s."""
    client = pb.connect(pb.DIRECT)
    floor = SharedFloor(client, None)
    floor._now = {name: (x, y, 0.0, 0.0) for name, (x, y) in where.items()}
    floor._seen = 1.0
    return floor, client


def test_a_robot_beyond_where_a_leg_turns_does_not_stop_it() -> None:
    """A walker stops at each corner of its path and turns there; a robot standing beyond the
    corner, farther than a body, the gap and the overshoot, is not in this leg's way (it is in
    the next leg's if anywhere): it neither slows the walker nor is asked to step aside. One
    standing nearer past the corner still stops it. (A 30-minute trace, 1 December: a loaded
    robot stood 15 s in the one-robot passage for a robot 1.6 m past the passage's end, where
    its path turned, then gave up and turned round in the passage.)"""
    east, corner = np.array([1.0, 0.0]), np.array([1.0, 0.0])
    clear = BODY + TOTE_REACH + 0.5 + OVERSHOOT  # loaded walker: its tote sticks out ahead
    floor, client = _open_floor({"a": (0.0, 0.0), "far": (1.0 + clear + 0.1, 0.1)})
    try:
        way = floor.way(_Named("a"), 1.0, east, corner, last_leg=False, loaded=True)  # type: ignore[arg-type]
        assert way.speed == math.inf and not floor.blocked
        floor._now["near"] = (1.0 + clear - 0.3, 0.1, 0.0, 0.0)
        way = floor.way(_Named("a"), 1.0, east, corner, last_leg=False, loaded=True)  # type: ignore[arg-type]
        assert way.speed <= PASS_SPEED and way.offset < 0.0  # it passes it on the right
    finally:
        pb.disconnect(client)


def test_of_two_robots_stopped_crossing_each_other_one_gives_way() -> None:
    """Two robots whose legs cross, each ahead in the other's corridor, both stop to let the
    other cross; they stop for each other as two met head on do (``face_off``: one gives way,
    and backs off rather than stepping aside across the other's way). (Two robots stood
    'crossing' each other 97 s by passage_four's cell until the give-up: trace of 37f2109,
    1427 s.)"""
    east, north = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    floor, client = _open_floor({"a": (0.0, 0.0), "b": (0.5, -0.5)})
    try:
        for _ in range(2):  # (each sees the other's leg from the second look)
            way_a = floor.way(_Named("a"), 1.0, east, np.array([5.0, 0.0]), False, False)  # type: ignore[arg-type]
            way_b = floor.way(_Named("b"), 1.0, north, np.array([0.5, 5.0]), False, False)  # type: ignore[arg-type]
        assert way_a.speed == way_b.speed == 0.0
        assert "crossing" in way_a.why and "crossing" in way_b.why
        assert [floor.face_off(n) for n in "ab"] == [False, True]  # alike: b gives way
        assert floor.crossing == {"a", "b"}
        floor.finish("b")
        assert not floor.face_off("a") and floor.crossing == {"a"}
    finally:
        pb.disconnect(client)


def test_a_robot_backs_away_only_as_far_as_the_floor_behind_is_free() -> None:
    west = np.array([-1.0, 0.0])  # it faces west: behind it is east
    floor, client = _open_floor({"a": (0.0, 0.0), "behind": (2.5, 0.2), "aside": (1.0, 1.5)})
    try:
        assert floor.room_behind("a", 1.0, west, 1.5) == pytest.approx(2.5 - BODY - 0.5)
        del floor._now["behind"]
        assert floor.room_behind("a", 1.0, west, 1.5) == 1.5  # "aside" is not behind it
        wall = pb.createMultiBody(0, pb.createCollisionShape(
            pb.GEOM_BOX, halfExtents=[0.1, 2, 1], physicsClientId=client),
            basePosition=[1.2, 0, 1], physicsClientId=client)
        floor.scenery.add(wall)
        assert floor.room_behind("a", 1.0, west, 1.5) == pytest.approx(1.1 - BODY / 2, abs=0.01)
    finally:
        pb.disconnect(client)


def test_a_robot_steps_aside_only_where_no_robot_stands_on_its_way() -> None:
    """A robot that gives way to one met head on sidles a metre aside (to its right, else its
    left), and one refused a narrow stretch waits aside: only where its way there keeps a
    corridor's width from every robot. (Blind to robots, a robot giving way sidled into one
    standing 1.1 m to its right and fell: passage_four, 30 minutes, 1462 s of 9a9a921.)"""
    east = np.array([1.0, 0.0])  # facing east: right is -y
    floor, client = _open_floor({"a": (0.0, 0.0), "met": (0.9, 0.0), "right": (0.4, -1.1)})
    try:
        assert floor.aside(0.0, 0.0, east, -1.0) == -1.0  # (blind to robots: the right)
        assert floor.aside(0.0, 0.0, east, -1.0, "a", 1.0) == 1.0  # the left, clear
        floor._now["left"] = (-0.3, 0.9, 0.0, 0.0)
        assert floor.aside(0.0, 0.0, east, -1.0, "a", 1.0) == 0.0  # neither: it backs away
        del floor._now["right"]
        assert floor.aside(0.0, 0.0, east, -1.0, "a", 1.0) == -1.0  # the met robot ahead
        # (0.9 m off the way aside) does not stop it
        floor._now["a"] = (0.0, -1.0, 0.0, 0.0)  # already aside (1 m right of its line):
        floor._now["far right"] = (0.0, -2.2, 0.0, 0.0)  # a robot 1.2 m further right is
        assert floor.aside(0.0, -1.0, east, -1.0, "a", 1.0, at=-1.0) == -1.0  # off its way
        assert floor.aside(0.0, -1.0, east, -1.0, "a", 1.0) == 1.0  # (from where it stands,
        # a metre further right, the way would pass it)
    finally:
        pb.disconnect(client)


def test_in_a_one_robot_passage_a_robot_keeps_to_the_middle() -> None:
    """Sensed by rays across its leg: between two walls 1 m apart it steers to the middle
    however its path runs through; by one wall it keeps ``KEEP_OFF`` from it; in the open,
    nothing."""
    floor, client = _open_floor({})
    try:
        for y in (0.5 + 0.1, -0.5 - 0.1):  # walls 0.2 m thick, faces at y = +-0.5, x 0..3
            floor.scenery.add(pb.createMultiBody(0, pb.createCollisionShape(
                pb.GEOM_BOX, halfExtents=[1.5, 0.1, 1], physicsClientId=client),
                basePosition=[1.5, y, 1], physicsClientId=client))
        east = np.array([1.0, 0.0])
        assert floor._off_the_walls(1.0, 0.2, east) == pytest.approx(-0.2, abs=0.01)
        assert floor._off_the_walls(1.0, -0.12, east) == pytest.approx(0.12, abs=0.01)
        assert floor._off_the_walls(1.0, 0.0, -east) == pytest.approx(0.0, abs=0.01)
        # past the passage's end, 0.3 m beside the line of its south wall's face
        assert floor._off_the_walls(4.0, -0.8, east) == 0.0
        assert floor._off_the_walls(3.2, -0.3, east) == pytest.approx(0.0, abs=0.01)
        # beside one wall (north face of the south wall, at y = -0.7 from below): keep off
        assert floor._off_the_walls(1.0, -1.0, east) == pytest.approx(
            -(KEEP_OFF - 0.3), abs=0.01)
    finally:
        pb.disconnect(client)


def test_a_walk_turns_clear_of_a_wall_corner() -> None:
    """A path's corner at the layout's clearance from a wall's corner (as the walkway graph puts
    them) is moved off it, so that a robot turning there, a tote in its hands or its arms
    swinging, sweeps clear of the wall: by at least half a body and the tote's reach, along a
    bisector away from the corner; the path's ends stay."""
    floor, client = _open_floor({})
    try:
        floor.scenery.add(pb.createMultiBody(0, pb.createCollisionShape(
            pb.GEOM_BOX, halfExtents=[1, 1, 1], physicsClientId=client),
            basePosition=[1, 1, 1], physicsClientId=client))  # the wall's corner at (0, 0)
        path = [np.array([-3.0, 0.35]), np.array([-0.35, -0.35]), np.array([0.35, -3.0])]
        moved = floor.clear_corners(path)
        assert np.allclose(moved[0], path[0]) and np.allclose(moved[2], path[2])
        assert float(np.hypot(*moved[1])) >= BODY / 2 + TOTE_REACH - 0.02
        assert moved[1][0] < -0.35 and moved[1][1] < -0.35
    finally:
        pb.disconnect(client)


def _stand(floor: SharedFloor, half: tuple[float, float], at: tuple[float, float]) -> int:
    """A work stand 0.8 m high of half-extents ``half`` centred ``at``, in ``floor``'s
    scenery."""
    stand = pb.createMultiBody(0, pb.createCollisionShape(
        pb.GEOM_BOX, halfExtents=[*half, 0.4], physicsClientId=floor.client),
        basePosition=[*at, 0.4], physicsClientId=floor.client)
    floor.scenery.add(stand)
    return int(stand)


def test_a_walk_rounds_a_work_stand_it_would_walk_into() -> None:
    """A leg that passes within half a body of a work stand (the walkway graph does not know
    the stands) is walked round the stand's corners, ROUND off them, on the shorter side: the
    robot stood up 1.9 m off the cell's pose, in front of its stand, walked into the stand's
    end and fell (passage_four, 1484 s). A leg onto the pose from behind it is left as it is."""
    floor, client = _open_floor({})
    try:
        # the cell's stand: 0.26 x 0.50 m, 0.8 m high, 0.55 m south of the pose at (0, 0)
        floor.fixtures.add(_stand(floor, (0.25, 0.13), (0.0, -0.55)))
        behind = [np.array([-2.0, 1.5]), np.array([0.0, 0.0])]
        assert len(floor.round_fixtures(behind)) == 2  # from behind the pose: as it was
        front = [np.array([-1.8, -1.3]), np.array([0.0, 0.0])]  # the stood-up robot's leg
        assert not floor._leg_clear(*front)
        rounded = floor.round_fixtures(front)
        assert len(rounded) == 3 and np.allclose(rounded[0], front[0])
        corner = rounded[1]  # round the stand's west end, not its far one
        assert corner[0] == pytest.approx(-0.25 - BODY / 2 - 0.2)
        assert corner[1] in (pytest.approx(-0.42 + BODY / 2 + 0.2),
                             pytest.approx(-0.68 - BODY / 2 - 0.2))
        for a, b in zip(rounded, rounded[1:], strict=False):
            assert floor._leg_clear(a, b)
    finally:
        pb.disconnect(client)


def _box(floor: SharedFloor, x0: float, y0: float, x1: float, y1: float) -> int:
    """A machine 1.5 m high over [x0, x1] x [y0, y1], in ``floor``'s scenery."""
    box = pb.createMultiBody(0, pb.createCollisionShape(
        pb.GEOM_BOX, halfExtents=[(x1 - x0) / 2, (y1 - y0) / 2, 0.75],
        physicsClientId=floor.client), basePosition=[(x0 + x1) / 2, (y0 + y1) / 2, 0.75],
        physicsClientId=floor.client)
    floor.scenery.add(box)
    return int(box)


def test_a_walk_s_own_last_leg_goes_round_a_machine_it_would_brush() -> None:
    """A walk's last leg to a holding place (not the walkway graph's leg) that passes a
    machine's corner within half a body goes round that corner, ROUND off it: a loaded robot
    sent from the rack at (2, 2) to the press's holding place (8.05, 3.5), 1.05 m past the
    corner of a machine over (5..7, 3.5..4.5), walked 0.25 m from the corner, put its hand on
    the machine at 1.2 m/s and fell (tests/physics/test_motion.py's two-robot world). A
    graph leg between is left as the graph made it, and a way round longer than DETOUR is
    not taken."""
    floor, client = _open_floor({})
    try:
        _box(floor, 5.0, 3.5, 7.0, 4.5)
        leg = [np.array([2.0, 2.0]), np.array([8.05, 3.5])]
        assert not floor._leg_clear(*leg)
        rounded = floor.round_fixtures(leg)
        assert len(rounded) == 3
        assert rounded[1] == pytest.approx([7.0 + ROUND, 3.5 - ROUND])  # the near corner
        for a, b in zip(rounded, rounded[1:], strict=False):
            assert floor._leg_clear(a, b)
        # the same leg between two others is the graph's: as it was
        between = [np.array([0.5, 2.0]), *leg, np.array([9.5, 3.5])]
        assert len(floor.round_fixtures(between)) == 4
        # a wall 20 m long across the leg: there is a way round its end, but too long
        wall = _box(floor, 0.0, -10.0, 0.2, 10.0)
        across = [np.array([-1.0, 0.0]), np.array([1.0, 0.0])]
        assert not floor._leg_clear(*across)
        assert len(floor.round_fixtures(across)) == 2
        round_ = [across[0], *floor._round(across[0], across[1], wall), across[1]]
        assert len(round_) > 2
        assert sum(float(np.hypot(*(q - p))) for p, q in zip(round_, round_[1:], strict=False)
                   ) > 2.0 + DETOUR
    finally:
        pb.disconnect(client)


def test_the_floor_to_pass_on_is_free_between_the_leg_and_the_place_to_pass_at() -> None:
    """Passing PASS_CLEAR to the right, a robot's body sweeps the band between its leg and
    that place: a work stand standing in that band 1.2 m ahead makes the right no way past,
    though the floor out to the place and the diagonal beyond it are free (the rays checked
    only those until 3 December: a loaded robot passing one leaving the cell walked into the
    stand's end and fell). The left, clear, is free."""
    floor, client = _open_floor({})
    try:
        _stand(floor, (0.13, 0.25), (1.2, -0.55))
        east = np.array([1.0, 0.0])
        assert not floor.free_beside(0.0, 0.0, east, -PASS_CLEAR)
        assert floor.free_beside(0.0, 0.0, east, PASS_CLEAR)
    finally:
        pb.disconnect(client)


def test_a_stand_ahead_of_the_place_to_pass_at_between_the_body_s_sides_is_seen() -> None:
    """A work stand 0.5 m across standing 1.45 m ahead on the very line a passing robot would
    walk, between the rays along its body's two sides: the place to pass at is no way past
    (its middle is looked along too). A loaded robot walked its tote into the cell's stand
    (passage_four, 482 s of a trace of 3 December)."""
    floor, client = _open_floor({})
    try:
        _stand(floor, (0.13, 0.25), (1.45, -0.9))
        east = np.array([1.0, 0.0])
        assert not floor.free_beside(0.0, 0.0, east, -0.9)
        assert floor.free_beside(0.0, 0.0, east, 0.9)
    finally:
        pb.disconnect(client)


def test_a_robot_steps_onto_a_work_pose_only_when_its_way_there_is_clear() -> None:
    """The robot handed a work pose (at 0, 0) from its holding place (1, 1.5) waits while the
    robot leaving stands within a body and a little of its way there, not only within
    SPOT_CLEAR of the pose; a robot at work on a pose of its own beside that way does not
    hold it up (a row of poses is worked side by side)."""
    floor = _floor()
    where = {"coming": (1.0, 1.5, 0.0, 0.0)}
    floor.snapshot = lambda t: where  # type: ignore[method-assign]
    assert floor.clear_to_enter("coming", 0.0, 0.0, 1.0)
    where["leaving"] = (0.2, 1.0, 0.0, 0.0)  # 1.02 m from the pose, 0.49 m from the way
    assert not floor.clear_to_enter("coming", 0.0, 0.0, 2.0)
    assert floor.on_way_in("coming", 0.0, 0.0, 2.0) == ["leaving"]  # who is to step clear
    where["leaving"] = (-0.6, 1.6, 0.0, 0.0)  # 1.7 m from the pose, 1.25 m from the way
    assert floor.clear_to_enter("coming", 0.0, 0.0, 3.0)
    where["leaving"] = (0.4, 0.4, 0.0, 0.0)  # off the way but on the pose's doorstep
    assert not floor.clear_to_enter("coming", 0.0, 0.0, 4.0)
    del where["leaving"]
    where["neighbour"] = (1.0, 0.3, 0.0, 0.0)  # 0.67 m from the way, at work on its own pose
    floor.claim("neighbour", (1.0, 0.3, 90.0))
    assert floor.clear_to_enter("coming", 0.0, 0.0, 5.0)
    assert floor.on_way_in("coming", 0.0, 0.0, 5.0) == []
    floor.release("neighbour")  # done there and standing: in the way now
    assert not floor.clear_to_enter("coming", 0.0, 0.0, 6.0)


@pytest.fixture
def passage_floor():  # type: ignore[no-untyped-def]
    """passage_four's floor (a 1 m passage, walls x 8..10, its middle y = 5) in a world that
    is never stepped: the rays are all the rule reads."""
    from pathlib import Path

    from twin.floor.lanes import build_lanes
    from twin.loader import load_line
    from twin.physics.world import World

    line = load_line(Path(__file__).parents[2] / "benchmarks" / "lines" / "passage_four.yaml")
    world = World.from_layout(line.layout)
    floor = SharedFloor(world.client, build_lanes(line.layout), line.layout.traffic.gap)
    floor.scenery = set(range(pb.getNumBodies(physicsClientId=world.client)))
    yield floor
    world.close()


def test_a_walk_across_a_one_robot_passage_askew_comes_onto_its_middle(passage_floor) -> None:  # type: ignore[no-untyped-def]
    """A straight leg through the 1 m passage 17 degrees off its axis gets a corner on the
    middle outside each mouth (a body and a tote's reach out, give or take the 0.2 m the
    mouths are sensed in): the robot turns onto the middle before it goes in and walks the
    passage along it. A walk that ends just past the passage (the first part of a walk split
    at its last corner) gets the near corner only and keeps its end; one that begins there
    gets the far one; a walk along the middle keeps its corners."""
    def walk(*points: tuple[float, float]) -> list[np.ndarray]:
        return passage_floor.along_axes([np.array(p, dtype=float) for p in points])

    askew = walk((12.0, 6.0), (6.0, 4.2))
    assert len(askew) == 4
    (ex, ey), (wx, wy) = askew[1], askew[2]
    assert ey == pytest.approx(5.0, abs=0.05) and wy == pytest.approx(5.0, abs=0.05)
    assert 10.4 < ex < 11.0 and 7.0 < wx < 7.6
    ends_by = walk((14.32, 4.01), (7.65, 5.15))
    assert len(ends_by) == 3 and np.allclose(ends_by[-1], (7.65, 5.15))
    assert ends_by[1][1] == pytest.approx(5.0, abs=0.05) and 10.4 < ends_by[1][0] < 11.0
    begins_by = walk((7.65, 5.15), (14.32, 4.01))
    assert len(begins_by) == 3 and np.allclose(begins_by[0], (7.65, 5.15))
    assert begins_by[1][1] == pytest.approx(5.0, abs=0.05) and 10.4 < begins_by[1][0] < 11.0
    along = walk((3.0, 5.0), (14.0, 5.0))
    assert len(along) == 2


def test_the_place_to_pass_at_is_across_the_leg_and_stays_put_as_the_robot_goes_there() -> None:
    """A robot already 0.5 m right of its leg meets a robot standing in line with it: it passes
    PASS_CLEAR right of that robot, measured across its leg (1.4 m right of the line), and the
    place stays where it is while the robot steps there. (Worked out from where the robot stood
    but used as a place across the leg, it was 0.4 m from the other robot, then back on the
    line once there: two robots stepped to and fro 15 s at passage_four's west mouth, and the
    loaded one fell as they set off, 2 December.)"""
    east, end = np.array([1.0, 0.0]), np.array([5.0, 0.0])
    floor, client = _open_floor({"a": (0.0, -0.5), "b": (1.35, -0.5)})
    try:
        way = floor.way(_Named("a"), 1.0, east, end, last_leg=False, loaded=False)  # type: ignore[arg-type]
        assert way.rule == "passing"
        assert way.offset == pytest.approx(-0.5 - PASS_CLEAR)
        assert way.speed < PASS_SPEED  # not aside yet: it does not close in
        for y in (-0.9, -1.2, -1.4):  # stepping there
            floor._now["a"] = (0.0, y, 0.0, 0.0)
            way = floor.way(_Named("a"), 1.0, east, end, last_leg=False, loaded=False)  # type: ignore[arg-type]
            assert way.offset == pytest.approx(-0.5 - PASS_CLEAR)
        assert way.speed == PASS_SPEED  # aside: it walks past
    finally:
        pb.disconnect(client)

