"""Robots share the floor: work spots hold their stated number of robots, traffic cells never
hold more robots than fit abreast, and the closed-network answer of spot contention holds."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

import twin
from twin.config import NARROW_AHEAD, NARROW_SPEED, SPOT_CLEAR, Layout
from twin.demo import mean_value_analysis
from twin.floor.lanes import build_lanes
from twin.line.traffic import Traffic
from twin.loader import apply_overrides
from twin.motion import MotionTask, Surrogate

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lines"))
from lines_helpers import TEACHING, all_lines, assert_in_ci, replicate  # noqa: E402

WORK = {"picking", "placing"}
DOCKED = {"docking", "charging"}


def _max_overlap(starts: np.ndarray, ends: np.ndarray) -> int:
    """Most intervals open at one instant (an interval ends before one starting then)."""
    events = sorted([(s, 1) for s in starts] + [(e, -1) for e in ends], key=lambda x: (x[0], x[1]))
    best = cur = 0
    for _, step in events:
        cur += step
        best = max(best, cur)
    return best


def _working_intervals(ev: pd.DataFrame, states: set[str]) -> dict[str, list[tuple[float, float]]]:
    """Location -> (start, end) of every stretch a robot spent in ``states`` there, from the log."""
    rows = ev[ev.kind.isin(["robot", "travel"])].sort_values("t", kind="stable")
    out: dict[str, list[tuple[float, float]]] = {}
    for _, r in rows.groupby("entity", observed=True):
        t = r.t.to_numpy()
        state = r.state.astype(str).to_numpy()
        where = r.target.astype(object).to_numpy()
        for k in range(len(r) - 1):
            if state[k] in states and r.kind.iloc[k] == "robot":
                out.setdefault(str(where[k]), []).append((t[k], t[k + 1]))
    return out


@pytest.mark.parametrize("path", all_lines(), ids=lambda p: p.stem)
def test_no_location_ever_holds_more_robots_than_its_spots(path: Path) -> None:
    line = twin.load_line(path)
    if line.fleet is None or line.fleet.count == 0:
        pytest.skip("no robots")
    more = max(line.fleet.count, 6)  # crowd the floor
    res = twin.simulate(line, hours=10, seed=3, warmup_hours=0, events=True,
                        overrides={"fleet.count": more})
    ev = res.log.to_table().to_pandas()
    worked = 0
    for loc, spans in _working_intervals(ev, WORK).items():
        a = np.array(spans)
        worked += len(a)
        assert _max_overlap(a[:, 0], a[:, 1]) <= line.layout.locations[loc].spots, loc
    points: dict[str, int] = {}
    for ch in line.chargers.values():
        points[ch.location] = points.get(ch.location, 0) + ch.count
    for loc, spans in _working_intervals(ev, DOCKED).items():
        a = np.array(spans)
        assert _max_overlap(a[:, 0], a[:, 1]) <= points[loc], loc
    robot_rows = ev[ev.kind == "robot"]
    assert robot_rows.target.notna().all(), "every robot row names where the robot is"
    if any(leg.kind == "humanoid" for leg in [line.transport.default, *line.transport.legs]):
        assert worked > 0


@pytest.mark.slow
@pytest.mark.parametrize("robots", [1, 3, 6])
def test_spot_contention_matches_mean_value_analysis(robots: int) -> None:
    line = twin.load_line(TEACHING / "spot_contention.yaml")
    robot = line.fleet.robot  # type: ignore[union-attr]
    assert not isinstance(robot, str)
    d = 20.0  # rack (2, 5) to bench (22, 5) in an empty hall
    s = robot.pick_time
    z = d / robot.speed_empty + d / robot.speed_loaded + robot.place_time
    x, queueing = mean_value_analysis(robots, s, z)
    runs = replicate(TEACHING / "spot_contention.yaml", lambda r: (
        r.kpis.line.throughput_per_hour, r.kpis.line.waiting_spot_share,
    ), reps=20, hours=20, overrides={"fleet.count": robots})
    assert_in_ci(runs[:, 0], x * 3600, f"parts per hour with {robots} robots")
    if robots > 1:
        assert_in_ci(runs[:, 1], queueing, f"share queueing with {robots} robots")


@pytest.mark.slow
def test_a_robot_handed_the_spot_waits_for_the_one_before_and_walks_in() -> None:
    """With the queue 1.8 m from the rack face, each robot handed the face after queueing waits
    for the one before to step ``SPOT_CLEAR`` off it (c = 0.95 m at 1 m/s: the teaching robot's
    walk has no start-and-stop overhead), then walks in (w = 1.8 m at 1 m/s), the face its own
    all the while. Eight robots keep a queue there, so the face serves one part per S + c + w
    instead of per S: the line makes S / (S + c + w) = 20 / 22.75 of what it makes with the
    queue on the face itself (the line as shipped), seed by seed."""
    line = twin.load_line(TEACHING / "spot_contention.yaml")
    robot = line.fleet.robot  # type: ignore[union-attr]
    assert not isinstance(robot, str)
    walk_in = float(np.hypot(3.5 - 2.0, 6.0 - 5.0)) / robot.speed_empty
    clear = SPOT_CLEAR / robot.speed_loaded  # the one before leaves with its tote
    crowd = {"fleet.count": 8}

    def fn(r: twin.RunResult) -> tuple[float, float]:
        return r.kpis.line.throughput_per_hour, r.kpis.spots["rack"].utilisation

    away = replicate(TEACHING / "spot_contention.yaml", fn, reps=10, hours=20,
                     overrides={**crowd, "layout.locations.rack.holding": [3.5, 6.0]})
    face = replicate(TEACHING / "spot_contention.yaml", fn, reps=10, hours=20, overrides=crowd)
    assert away[:, 1].min() > 0.99 and face[:, 1].min() > 0.99  # never without a queue
    assert_in_ci(away[:, 0] / face[:, 0],
                 robot.pick_time / (robot.pick_time + clear + walk_in),
                 "parts an hour with the queue 1.8 m from the face over those with it on it")


def _corridor() -> Layout:
    """A 1 m wide corridor (one robot at a time) between two halls."""
    return Layout.model_validate({
        "floor": {"width": 30, "depth": 9},
        "clearance": 0.35,
        "obstacles": [{"x0": 10, "y0": 0, "x1": 20, "y1": 4},
                      {"x0": 10, "y0": 5, "x1": 20, "y1": 9}],
        "locations": {"a": [2, 4.5], "b": [28, 4.5]},
    })


def test_lanes_measure_the_corridor_and_the_halls() -> None:
    grid = build_lanes(_corridor())
    assert grid.capacity(grid.index(15, 4.5)) == 1  # 1 m wide / 0.7 m robots
    assert grid.capacity(grid.index(5, 4.5)) == 4  # open hall: capped
    wide = _corridor().model_copy(update={"aisles": []})
    wide.obstacles[1].y0 = 5.8  # 1.8 m: two abreast
    grid2 = build_lanes(wide)
    assert grid2.capacity(grid2.index(15, 4.5)) == 2


def test_a_walk_through_a_one_robot_corridor_keeps_the_narrow_pace() -> None:
    """The 10 m corridor one robot wide is walked at ``NARROW_SPEED`` from ``NARROW_AHEAD``
    before it to its end, as physics bodies walk it: the route counts those 11.5 m (to a traffic
    cell), and the surrogate's walk takes 11.5 m x (1/0.6 - 1/v) longer than the same path on
    open floor, v its pace there."""
    layout = _corridor()
    grid = build_lanes(layout)
    traffic = Traffic(grid, layout.traffic)
    east = np.array([[2.0, 4.5], [28.0, 4.5]])
    slow = traffic.route(1, east).single_m
    assert abs(slow - (10.0 + NARROW_AHEAD)) <= grid.cell + 1e-9
    spec = twin.load_line(TEACHING / "spot_contention.yaml").fleet.robot  # type: ignore[union-attr]
    assert not isinstance(spec, str)
    surrogate = Surrogate(spec.model_copy(update={"speed_empty": 1.2}))
    v = 1.2 * surrogate.calibration.walk.ratio(0.0)

    walker = SimpleNamespace(id="r", spec=surrogate.spec, rng=np.random.default_rng(0))

    def walk(narrow: float) -> float:
        return surrogate.plan(walker, MotionTask("walk", "a", "b", 0.0, 26.0, east, 0.0, 0.0,
                                                   narrow_m=narrow)).duration

    assert walk(slow) - walk(0.0) == pytest.approx(slow * (1 / NARROW_SPEED - 1 / v))
    assert walk(slow) == pytest.approx(26.0 / v + slow * (1 / NARROW_SPEED - 1 / v))
    # a pace at or above the robot's own (layout.traffic.narrow_speed) changes nothing
    quick = surrogate.plan(walker, MotionTask("walk", "a", "b", 0.0, 26.0, east, 0.0, 0.0,
                                              narrow_m=slow, narrow_speed=v)).duration
    assert quick == pytest.approx(walk(0.0))


def test_the_narrow_pace_is_the_planners_to_set() -> None:
    """``layout.traffic.narrow_speed`` counts: on the narrow-aisle line, whose passages are one
    robot wide, robots allowed their own pace there make more than at the default 0.6 m/s."""
    line = twin.load_line(Path(__file__).resolve().parents[2] / "lines" / "narrow_aisle.yaml")
    slow = twin.simulate(line, hours=8, seed=1, series_bin_s=0).kpis.line
    quick = twin.simulate(apply_overrides(line, {"layout.traffic.narrow_speed": "3 m/s"}),
                          hours=8, seed=1, series_bin_s=0).kpis.line
    assert quick.throughput_per_hour > 1.05 * slow.throughput_per_hour


def test_oncoming_robot_waits_for_the_single_lane_corridor() -> None:
    layout = _corridor()
    traffic = Traffic(build_lanes(layout), layout.traffic)
    east = np.array([[2.0, 4.5], [28.0, 4.5]])
    west = east[::-1].copy()
    assert traffic.book(1, east, 0.0, 26.0) == []  # 1 m/s, the corridor from 8 s to 18 s
    holds = traffic.book(2, west, 0.0, 26.0)
    assert holds, "the oncoming robot must wait"
    # it may only enter the corridor (x = 20) after the first robot has left it (x = 10, t 8 s)
    waited = sum(h.wait for h in holds)
    assert waited >= 18.0 - 8.0 - 1e-6
    _assert_capacity(traffic)


def test_a_follower_keeps_its_gap_and_never_overtakes_in_one_lane() -> None:
    layout = _corridor()
    traffic = Traffic(build_lanes(layout), layout.traffic)
    inside = np.array([[10.5, 4.5], [19.5, 4.5]])  # within the corridor
    assert traffic.book(1, inside, 0.0, 18.0) == []  # slow leader: 0.5 m/s
    holds = traffic.book(1, inside, 1.0, 9.0)  # fast follower, at 1 m/s, a second later
    assert holds
    arrive = 1.0 + 9.0 + sum(h.wait for h in holds)
    assert arrive >= 18.0  # never past the leader, which leaves at 18 s
    _assert_capacity(traffic)


def test_random_walks_never_overfill_a_cell() -> None:
    layout = _corridor()
    traffic = Traffic(build_lanes(layout), layout.traffic)
    rng = np.random.default_rng(7)
    t = 0.0
    for _ in range(200):
        t += float(rng.exponential(3.0))
        path = np.array([[2.0, 4.5], [28.0, 4.5]])
        key = int(rng.random() < 0.5)  # the cells along a path are cached by its key
        if key:
            path = path[::-1].copy()
        traffic.book(key, path, t, float(rng.uniform(20.0, 40.0)))
    _assert_capacity(traffic)
    assert traffic.holds > 0 and traffic.deadlocks == 0


def _assert_capacity(traffic: Traffic) -> None:
    for cell in traffic.cells.values():
        if cell.starts:
            assert _max_overlap(np.array(cell.starts), np.array(cell.ends)) <= cell.lanes


def test_zones_keep_robots_to_their_own_legs() -> None:
    line = twin.load_line(Path(__file__).resolve().parents[2] / "lines" / "tote_line.yaml")
    zones = {"front": {"nodes": ["rack", "frame", "harness"], "robots": 2},
             "back": {"nodes": ["regulator", "trim", "check"], "robots": 2}}
    res = twin.simulate(line, hours=8, seed=1, warmup_hours=0, events=True,
                        overrides={"fleet.count": 4, "fleet.zones": zones})
    ev = res.log.to_table().to_pandas()
    carry = ev[(ev.kind == "travel") & (ev.state == "carrying")]
    front = {"rack", "frame", "harness"}
    for rid, rows in carry.groupby("entity", observed=True):
        origins = set(rows.origin.astype(str))
        if rid in ("robot1", "robot2"):
            assert origins <= front, (rid, origins)
        else:
            assert origins <= {"regulator", "trim", "check"}, (rid, origins)
    assert res.kpis.line.good_units > 0


TOTE = Path(__file__).resolve().parents[2] / "lines" / "tote_line.yaml"


@pytest.mark.parametrize(("overrides", "words"), [
    ({"layout.locations.rack.spots": 0}, r"layout\.locations\.rack\.spots.*greater than or equal"),
    ({"layout.aisles": [{"from": [10, 5], "to": [30, 5], "width": 0.5}]},
     r"layout\.aisles\.0\.width: 0\.5 m is narrower than a robot"),
    ({"layout.aisles": [{"from": [-5, 5], "to": [30, 5], "width": 1.5}]},
     r"layout\.aisles\.0\.from.*off the floor"),
    ({"layout.locations.swap.spots": 3}, r"layout\.locations\.swap\.spots.*charger"),
    ({"fleet.zones": {"a": {"nodes": ["frame"], "robots": 3},
                      "b": {"nodes": ["trim"], "robots": 1}}},
     r"fleet\.zones\.b: no robot serves it"),
    ({"fleet.zones": {"a": {"nodes": ["nowhere"], "robots": 1}}},
     r"fleet\.zones\.a\.nodes: unknown node 'nowhere'"),
    ({"fleet.zones": {"a": {"nodes": ["frame"], "robots": 3}}},
     r"fleet\.zones: transport .* is in no zone and every robot is in one"),
    ({"layout.passing_bays": [{"x": 500, "y": 1}]}, r"layout\.passing_bays\.0.*off the floor"),
    ({"layout.locations.frame.holding": [14, 10]},
     r"layout\.locations\.frame\.holding: \(14, 10\) is inside frame prep"),
])
def test_floor_mistakes_get_one_line_at_check(overrides: dict[str, object], words: str) -> None:
    with pytest.raises(twin.ConfigError, match=words):
        twin.load_line(TOTE, overrides)


def test_a_one_way_scheme_that_cuts_a_location_off_is_refused() -> None:
    # one-way eastward across the whole floor depth between the stations: no way back west
    aisle = {"from": [40, 10], "to": [41, 10], "width": 40, "one_way": True}
    with pytest.raises(twin.ConfigError, match=r"layout\.aisles.*one-way rule makes"):
        twin.load_line(TOTE, {"layout.aisles": [aisle]})


@pytest.mark.parametrize("replans", [64, 1])
def test_a_jammed_corridor_still_gives_every_robot_a_clear_plan(
        replans: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Walks that start inside a one-robot corridor, both ways, faster than it can clear:
    the search may give up shifting waits (forced at once with 1 replan) and send a robot
    after every booking on its path ends."""
    import twin.line.traffic as traffic_module

    monkeypatch.setattr(traffic_module, "MAX_REPLANS", replans)
    layout = _corridor()
    traffic = Traffic(build_lanes(layout), layout.traffic)
    rng = np.random.default_rng(11)
    east = np.array([[10.5, 4.5], [19.5, 4.5]])
    t = 0.0
    ends = []
    for _ in range(300):
        t += float(rng.exponential(0.5))
        key = int(rng.random() < 0.5)
        path = east[::-1].copy() if key else east
        moving = float(rng.uniform(8.0, 20.0))
        holds = traffic.book(key, path, t, moving)
        ends.append(t + moving + sum(h.wait for h in holds))
    _assert_capacity(traffic)
    assert max(ends) > t  # they queue: the corridor is the bottleneck


@pytest.mark.parametrize(("policy", "first"), [("fifo", "empty"), ("carrying_first", "loaded")])
def test_spot_policy_orders_the_queue(policy: str, first: str) -> None:
    import simpy

    from twin.config import Fleet
    from twin.line.spots import WorkSpot

    env = simpy.Environment()
    factory = SimpleNamespace(env=env, fleet_spec=Fleet(count=3, spot_policy=policy))
    spot = WorkSpot(factory, "rack", 1)  # type: ignore[arg-type]
    order: list[str] = []

    def robot(name: str, loaded: bool, arrive: float, work: float):  # type: ignore[no-untyped-def]
        yield env.timeout(arrive)
        wake = spot.take(loaded)
        if wake is not None:
            yield wake
        order.append(name)
        yield env.timeout(work)
        spot.leave()

    env.process(robot("holder", False, 0.0, 10.0))
    env.process(robot("empty", False, 1.0, 5.0))
    env.process(robot("loaded", True, 2.0, 5.0))
    env.run()
    assert order == ["holder", first, "loaded" if first == "empty" else "empty"]
    busy, queue, clearing = spot.totals()
    assert clearing == 0.0  # (nobody waited for another to step off: no robot model here)
    assert busy == pytest.approx(20.0)  # one spot busy from 0 to 20 s
    assert queue == pytest.approx((10 - 1) + (10 - 2) + 5)  # both wait, then the second 5 more
