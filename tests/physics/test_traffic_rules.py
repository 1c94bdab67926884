"""The physics model's rule at the mouth of a one-robot stretch, without a world: a robot coming
the other way that waits at the far mouth goes before robots that would follow the one inside
(first come, first served, as the line model's bookings are), and nobody waits for a robot that
asked later."""

from __future__ import annotations

from twin.physics.traffic import SharedFloor, Stretch

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
    # a robot going the way of the one inside may not follow it in: "east" asked first
    assert not floor._may_enter("follower", _stretch(WEST), 11.0)
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
