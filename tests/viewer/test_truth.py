"""A viewer that never lies: the HUD's figures are the run's KPIs, the shift state is the
calendar's, views start at the first shift, robots show at the overview, and nothing drawn on
top of the layout hides it (HUD, legends, labels)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pixels import near

import twin
from twin.sim import RunResult
from viewer.replay import Timeline
from viewer.run import run_from_events
from viewer.style import ROBOT_COLOURS

LINES = Path(__file__).resolve().parents[2] / "lines"
# At 1280 x 720, the overview of tote_line (a 70 m hall) draws a 1.76 m humanoid about 20 px
# tall and 6 px wide: a speck, and nothing at all when it walks behind a machine or under a
# station's tag. Every robot must cover at least ROBOT_PX pixels wherever it stands, at least
# MARKER_COLOUR_PX of them in its state colour on the marker drawn over it: a patch about
# 15 px across, larger than a capital letter of the HUD, so robot and state read at a glance.
ROBOT_PX = 240
MARKER_COLOUR_PX = 140


@pytest.fixture(scope="module")
def tote() -> tuple[RunResult, Timeline]:
    line = twin.load_line(LINES / "tote_line.yaml")
    result = twin.simulate(line, hours=2, seed=1, events=True)
    return result, Timeline(run_from_events(line, result.events))


@pytest.fixture(scope="module")
def overview(tote: tuple[RunResult, Timeline]) -> Iterator[Any]:
    """tote_line at 1280 x 720 from the overview camera, Monday 08:00."""
    from viewer.render import ViewerScene

    scene = ViewerScene(tote[1], window_size=(1280, 720))
    scene.show(8 * 3600)
    yield scene
    scene.close()


@pytest.mark.parametrize("name, hours", [("tote_line.yaml", 12),
                                         ("teaching/six_losses.yaml", 12),
                                         ("humanoid_assembly.yaml", 24)])
def test_hud_figures_are_the_run_kpis(name: str, hours: float) -> None:
    """At the end of the run's window the HUD shows what ``twin run`` reports (six_losses has
    setups, scrap, rework and breaks; tote_line a working-time warm-up and robots;
    humanoid_assembly kits, several servers and a window that starts as a shift ends, with
    units left on the servers)."""
    line = twin.load_line(LINES / name)
    result = twin.simulate(line, hours=hours, seed=2, events=True)
    k = result.kpis.line
    snap = Timeline(run_from_events(line, result.events)).at(k.window_start_s + k.horizon_s)
    assert not snap.warming_up and snap.window_start == k.window_start_s
    assert snap.bottleneck == k.bottleneck
    assert math.isclose(snap.oee, k.oee, rel_tol=1e-9)
    assert math.isclose(snap.throughput_per_hour, k.throughput_per_shift_hour, rel_tol=1e-9)
    assert snap.produced == k.good_units and snap.scrap == k.scrap_units


def test_shift_state_and_first_shift(tote: tuple[RunResult, Timeline]) -> None:
    from viewer.live import LiveRun

    _, timeline = tote
    assert timeline.first_shift() == 6 * 3600  # tote_line's first shift: Monday 06:00
    live = LiveRun(timeline.line, seed=1, hours=1)
    assert not live.timeline.at(0.0).on_shift  # midnight, before any shift row is logged
    assert not live.timeline.at(10 * 3600 + 600).on_shift  # the 10:00 break
    assert live.timeline.at(6 * 3600 + 1).on_shift
    assert live.timeline.window_start == timeline.window_start == 7 * 3600  # warm-up: 1 h work
    mm1 = Timeline(run_from_events(twin.load_line(LINES / "teaching" / "mm1.yaml"),
                                   tote[0].events.iloc[:0]))
    assert mm1.first_shift() == 0.0 and mm1.at(0.0).on_shift  # 24/7


def _bbox(actor: Any, renderer: Any) -> tuple[float, float, float, float]:
    box = [0.0] * 4
    actor.GetBoundingBox(renderer, box)
    return box[0], box[2], box[1], box[3]


def _owned(changed: np.ndarray, heads: np.ndarray) -> np.ndarray:
    """Changed pixels per robot, each pixel given to the nearest robot's head on screen."""
    rows, cols = np.nonzero(changed)
    owner = ((cols[:, None] - heads[None, :, 0]) ** 2
             + (rows[:, None] - heads[None, :, 1]) ** 2).argmin(axis=1)
    return np.bincount(owner, minlength=len(heads))


def _apart(scene: Any, start: float) -> float:
    """The first moment from ``start`` (every 10 s, for an hour) at which tote_line's robots
    stand at least two markers apart on screen (each marker must be seen as its own), with one
    of them in the row of machines (behind a machine or under a tag, where a robot hides)."""
    for t in np.arange(start, start + 3600.0, 10.0):
        snap = scene.timeline.at(float(t))
        heads = np.array([scene.to_screen(x, y, 1.76) for x, y in snap.robot_xy])
        gaps = np.hypot(*(heads[:, None, :] - heads[None, :, :]).transpose(2, 0, 1))
        if gaps[np.triu_indices(len(heads), 1)].min() > 30 and (snap.robot_xy[:, 1] > 8.2).any():
            return float(t)
    raise AssertionError("no moment with the robots apart in the hour after 08:00")


def test_overview_shows_every_robot(overview: Any) -> None:
    """From 08:00, the first moment one of tote_line's three robots walks behind a machine (the
    row of machines is north of the y = 8 m walkway), the others apart from it on screen."""
    scene = overview
    snap = scene.show(_apart(scene, 8 * 3600))
    body, marker = scene.plotter.actors["robots"], scene.markers.actor
    full = scene.image().astype(int)
    marker.SetVisibility(False)
    no_marker = scene.image().astype(int)
    body.SetVisibility(False)
    bare = scene.image().astype(int)
    body.SetVisibility(True)
    marker.SetVisibility(True)
    heads = np.array([scene.to_screen(x, y, 1.76) for x, y in snap.robot_xy])
    covered = _owned(np.abs(full - bare).max(axis=2) > 12, heads)
    assert covered.min() >= ROBOT_PX, f"robots cover {covered} px at the overview"
    ball = np.abs(full - no_marker).max(axis=2) > 12
    for i, state in enumerate(snap.robot_state):
        mine = ball & near(full.astype(np.uint8), ROBOT_COLOURS[state])
        count = _owned(mine, heads)[i]
        assert count >= MARKER_COLOUR_PX, f"{state} robot: {count} px in its colour"
    # level of detail: close up the body is big enough and the marker goes
    scene.camera("follow", scene.timeline.robots[0])
    assert scene.markers is not None and scene.markers.mesh.points[0, 2] < 0
    scene.camera("overview")
    assert scene.markers.mesh.points[0, 2] > 0


def test_hud_and_labels_keep_off_the_layout(overview: Any) -> None:
    """The hall (floor and all on it) fits between the HUD's bands; no label covers another
    label or the HUD. Boxes are VTK's own measure of the drawn text."""
    scene, size = overview, (1280, 720)
    scene.camera("overview")
    scene.show(7.6 * 3600)
    scene.image()
    renderer = scene.plotter.renderer
    assert scene.hud is not None
    from vtkmodules.vtkRenderingCore import vtkTextActor

    hud = [_bbox(a, renderer) for a in scene.plotter.actors.values()
           if isinstance(a, vtkTextActor) and (a.GetInput() or "").strip()]
    assert len(hud) >= 1 + 13 + 6  # main block, robot and station legends
    corners = np.array([scene._display(*c) for c in scene._layout_corners()])
    (x0, y0), (x1, y1) = corners.min(axis=0), corners.max(axis=0)
    assert x0 >= 0 and x1 <= size[0] and y0 >= 0 and y1 <= size[1]
    assert (x1 - x0) > 0.9 * size[0] - 12 or (y1 - y0) > 0.5 * size[1]  # fills the room
    for box in hud:
        assert box[2] <= x0 or box[0] >= x1 or box[3] <= y0 or box[1] >= y1, \
            f"HUD text at {box} covers the layout {x0, y0, x1, y1}"
    labels = scene.label_rects()
    assert len(labels) >= 5  # every station tag has a place on tote_line
    every = labels + hud
    for i, a in enumerate(labels):
        for b in every[i + 1:]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], \
                f"label {a} overlaps {b}"


def test_slider_reads_clock_time(tote: tuple[RunResult, Timeline]) -> None:
    from viewer.app import App

    _, timeline = tote
    app = App(timeline, start=timeline.first_shift(), off_screen=True, window_size=(480, 270))
    app.bind()
    assert app.t == 6 * 3600.0
    app.jump(8.5 * 3600)
    rep = app.slider.GetRepresentation()
    assert app._clock.GetInput() == "Mon 08:30" and not rep.GetShowSliderLabel()
    assert rep.GetValue() == 8.5 * 3600 and not (rep.GetTitleText() or "").strip()
    app.scene.close()
