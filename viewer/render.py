"""The drawn scene of a run and offscreen output: PNG of one moment, GIF or MP4 of a span."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pyvista as pv

from twin.physics.body import REFERENCE_HEIGHT
from viewer import style
from viewer.buffers import BufferTotes
from viewer.hud import PAD, Hud, Rect, text_size
from viewer.markers import RobotMarkers, pixels_per_metre
from viewer.places import buffer_anchor, station_boxes, station_point
from viewer.replay import Snapshot, Timeline
from viewer.robots import RobotBatch
from viewer.scene import congestion as congestion_pieces
from viewer.scene import static_pieces, station_meshes
from viewer.urdf import robot_urdf

CAMERAS = ("overview", "top", "follow", "station")
LEGENDS_FROM_PX = 400  # a window less high than this shows the HUD's main block only
SHORT_TAGS_ABOVE = 12  # stations; more get name-only tags
HOLDING = frozenset({"carrying", "placing"})  # states with a tote in the hands


def to_pv(mesh: Any) -> pv.PolyData:
    """A trimesh mesh as PyVista PolyData."""
    faces = np.hstack([np.full((len(mesh.faces), 1), 3), mesh.faces]).ravel()
    return pv.PolyData(np.asarray(mesh.vertices, dtype=float), faces=faces)


def drawn_paths(timeline: Timeline) -> list[np.ndarray]:
    """Walkways to paint: the product routes from source through the stations to the sink."""
    return [timeline.paths[p] for p in sorted(timeline.routes) if p in timeline.paths]


class ViewerScene:
    """A plotter holding the static layout and the batched dynamic actors of one run."""

    def __init__(self, timeline: Timeline, window_size: tuple[int, int] = (1280, 720),
                 off_screen: bool = True, hud: bool = True, labels: bool = True,
                 congestion: bool = False) -> None:
        self.timeline = timeline
        line = timeline.line
        if off_screen and not os.environ.get("DISPLAY"):
            # headless: render through EGL rather than try (and warn about) an X server
            os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")
        self.plotter: Any = pv.Plotter(off_screen=off_screen, window_size=list(window_size))
        pl: Any = self.plotter
        pl.set_background(style.BACKGROUND)
        pieces = static_pieces(line, drawn_paths(timeline))
        if congestion:
            pieces += congestion_pieces(timeline.congestion(line.layout.traffic.cell),
                                        line.layout.traffic.cell)
        for piece in pieces:
            pl.add_mesh(to_pv(piece.mesh), color=piece.colour, name=piece.name, pickable=False,
                        lighting=piece.name not in ("grid", "aisles")
                        and not piece.name.startswith("congestion"))
        self._stations = pv.merge([to_pv(m) for m in station_meshes(line)], merge_points=False)
        cells = [m.faces.shape[0] for m in station_meshes(line)]
        self._station_of_cell = np.repeat(np.arange(len(cells)), cells)
        self._stations.cell_data["rgb"] = np.zeros((self._stations.n_cells, 3), np.uint8)
        pl.add_mesh(self._stations, scalars="rgb", rgb=True, name="stations")
        anchors = {}
        sides = [f"{s}.{side}" for s in line.stations for side in ("in", "out")]
        for b in sorted(set(timeline.buffer_names) | set(sides)):
            anchor = buffer_anchor(line, b)
            if anchor is not None:
                anchors[b] = anchor
        self.buffers = BufferTotes(anchors, line.transport.default.tote_units)
        if self.buffers.names:
            pl.add_mesh(self.buffers.mesh, scalars="rgb", rgb=True, name="buffers",
                        pickable=False)
        height = REFERENCE_HEIGHT
        if line.fleet is not None and not isinstance(line.fleet.robot, str):
            height = line.fleet.robot.height
        self.robots = RobotBatch(len(timeline.robots), height, robot_urdf(line))
        self.markers: RobotMarkers | None = None
        if timeline.robots:
            pl.add_mesh(self.robots.mesh, scalars="rgb", rgb=True, name="robots")
            self.markers = RobotMarkers(pl, len(timeline.robots), height, window_size[1])
        self.hud = Hud(pl, font_size=max(5, round(10 * window_size[1] / 720)),
                       robots=bool(timeline.robots),
                       legends=window_size[1] >= LEGENDS_FROM_PX) if hud else None
        self.reserved_bottom = 0  # pixels an interactive window keeps for its slider
        self._tags: dict[str, Any] = {}
        self._labels: list[tuple[Any, tuple[float, float, float]]] = []  # placed in order
        if labels:
            self._add_labels(max(6, round(13 * window_size[1] / 720)))
        self.snapshot: Snapshot | None = None
        self._view: tuple[str, str | None] = ("overview", None)
        self.camera("overview")

    def _add_labels(self, font_size: int) -> None:
        """Static labels for sources, sinks and chargers; live state tags for stations."""
        from vtkmodules.vtkRenderingCore import vtkBillboardTextActor3D

        line = self.timeline.line
        points, names = [], []
        for kind, items in (("source", line.sources), ("sink", line.sinks)):
            for name, item in items.items():
                loc = line.layout.locations[item.location]
                points.append((loc.x, loc.y, 2.4))
                names.append(f"{name.replace('_', ' ')} - {kind}")
        for name, c in line.chargers.items():
            loc = line.layout.locations[c.location]
            h = math.radians(loc.heading)  # over the cabinet, clear of the queue behind the dock
            points.append((loc.x + 1.2 * math.cos(h), loc.y + 1.2 * math.sin(h), 2.4))
            docks = "dock" if c.count == 1 else "docks"
            names.append(f"{name.replace('_', ' ')} - {c.count} {c.mode} {docks}")
        def billboard(name: str, at: tuple[float, float, float]) -> Any:
            tag = vtkBillboardTextActor3D()
            tag.SetPosition(*at)
            prop = tag.GetTextProperty()
            prop.SetFontSize(font_size)
            prop.SetBold(True)
            prop.SetJustificationToCentered()
            prop.SetVerticalJustificationToBottom()
            prop.SetBackgroundOpacity(0.92)
            prop.SetFrame(True)
            prop.SetFrameColor(0.1, 0.1, 0.1)
            tag.SetPickable(False)
            self.plotter.add_actor(tag, name=name, reset_camera=False)
            self._labels.append((tag, at))
            return tag

        for sid, b in station_boxes(line).items():  # station tags first: they win a place
            self._tags[sid] = billboard(f"tag_{sid}", (*b.centre, b.height + 0.5))
        for k, (at, text) in enumerate(zip(points, names, strict=True)):
            tag = billboard(f"label_{k}", at)
            tag.SetInput(text)
            prop = tag.GetTextProperty()
            prop.SetBackgroundColor(0.99, 0.99, 0.99)
            prop.SetColor(0.1, 0.1, 0.1)

    def _place_labels(self) -> None:
        """Move labels apart on screen: each keeps its place if free, else tries just above,
        below, or beside it, else is hidden; none covers another or the HUD."""
        width, height = self.plotter.window_size
        dpi = int(self.plotter.ren_win.GetDPI())
        taken: list[Rect] = list(self.hud.rects()) if self.hud is not None else []
        for tag, at in self._labels:
            tag.SetDisplayOffset(0, 0)
            text = tag.GetInput() or ""
            if not text:
                tag.SetVisibility(False)
                continue
            col, row = self._display(*at)
            w, h = text_size(tag.GetTextProperty(), text, dpi)
            w, h = w + 4, h + 4  # the frame around the text
            placed = None
            for dx, dy in ((0, 0), (0, h + 2), (0, -h - 2), (w + 2, 0), (-w - 2, 0),
                           (0, 2 * (h + 2)), (w + 2, h + 2), (-w - 2, h + 2)):
                rect = (col + dx - w / 2, row + dy, col + dx + w / 2, row + dy + h)
                inside = rect[0] >= 0 and rect[1] >= 0 and rect[2] <= width and rect[3] <= height
                if inside and not any(_overlap(rect, r) for r in taken):
                    placed = (dx, dy, rect)
                    break
            tag.SetVisibility(placed is not None)
            if placed is not None:
                tag.SetDisplayOffset(int(placed[0]), int(placed[1]))
                taken.append(placed[2])

    def label_rects(self) -> list[Rect]:
        """Pixel rectangles of the labels on screen now (x0, y0, x1, y1 from bottom left)."""
        dpi = int(self.plotter.ren_win.GetDPI())
        out = []
        for tag, at in self._labels:
            if not tag.GetVisibility():
                continue
            col, row = self._display(*at)
            dx, dy = tag.GetDisplayOffset()
            w, h = text_size(tag.GetTextProperty(), tag.GetInput(), dpi)
            out.append((col + dx - w / 2 - 2, row + dy, col + dx + w / 2 + 2, row + dy + h + 4))
        return out

    def _display(self, x: float, y: float, z: float) -> tuple[float, float]:
        """Display column and row (from the bottom) of a world point."""
        renderer = self.plotter.renderer
        renderer.SetWorldPoint(x, y, z, 1.0)
        renderer.WorldToDisplay()
        col, row, _ = renderer.GetDisplayPoint()
        return float(col), float(row)

    def _update_tags(self, snap: Snapshot) -> None:
        # a hall of many stations gets short tags (the name; the colour says the state), so
        # the tags leave the machines in sight
        short = len(self._tags) > SHORT_TAGS_ABOVE
        for sid, tag in self._tags.items():
            state = snap.stations[sid]
            wip = [f"{side} {int(snap.buffers[b])}" for side in ("in", "out")
                   if (b := f"{sid}.{side}") in snap.buffers]
            text = sid if short else f"{sid}: {state.replace('_', ' ')}"
            tag.SetInput(text + (f"\n{'  '.join(wip)}" if wip and not short else ""))
            prop = tag.GetTextProperty()
            colour = style.rgb(style.STATION_COLOURS.get(state, "#ffffff")) / 255.0
            prop.SetBackgroundColor(*colour)
            light = colour @ np.array([0.299, 0.587, 0.114]) > 0.6
            prop.SetColor(*((0.08, 0.08, 0.08) if light else (1.0, 1.0, 1.0)))

    def use(self, timeline: Timeline) -> None:
        """Draw from a newer timeline of the same run (live mode: the log has grown)."""
        if timeline.robots != self.timeline.robots:
            raise ValueError("a live timeline must keep the same robots")
        self.timeline = timeline

    def show(self, t: float, speed: float | None = None) -> Snapshot:
        """Pose everything as it was at time t and return the snapshot drawn."""
        snap = self.timeline.at(t)
        colours = np.array([style.rgb(style.STATION_COLOURS.get(snap.stations[s], "#ffffff"))
                            for s in self.timeline.stations])
        self._stations.cell_data["rgb"][:] = colours[self._station_of_cell]
        self._stations.Modified()
        self.buffers.update(snap.buffers)
        if self.timeline.robots:
            carrying = (snap.robot_units > 0) | np.array(
                [s in HOLDING for s in snap.robot_state])
            self.robots.update(snap.robot_xy, snap.robot_heading, snap.robot_phase,
                               snap.robot_walking,
                               carrying, snap.robot_soc, snap.robot_state,
                               links=snap.robot_links)
        self._update_tags(snap)
        if self.hud is not None:
            self.hud.update(snap, self.timeline.line.name, speed)
        self.snapshot = snap
        if self._view[0] == "follow":
            self.camera(*self._view)
        else:
            self._place_labels()
        self._mark(snap)
        return snap

    def _mark(self, snap: Snapshot) -> None:
        """Markers over the robots, sized for the camera as it is now."""
        if self.markers is None:
            return
        heads = np.column_stack([snap.robot_xy, np.full(len(snap.robot_xy),
                                                        self.markers.height)])
        self.markers.update(snap.robot_xy, snap.robot_state,
                            pixels_per_metre(self.plotter.camera, heads,
                                             self.plotter.window_size[1]))

    def camera(self, preset: str = "overview", target: str | None = None) -> None:
        """Camera presets: overview, top (orthographic plan), follow a robot, station close-up."""
        self._view = (preset, target)
        line = self.timeline.line
        w, d = line.layout.floor.width, line.layout.floor.depth
        cam = self.plotter.camera
        if preset == "top":
            self.plotter.enable_parallel_projection()
            cam.focal_point = (w / 2, d / 2, 0.0)
            cam.position = (w / 2, d / 2, max(w, d) * 2)
            cam.up = (0.0, 1.0, 0.0)
            cam.parallel_scale = max(d / 2, w / 2 * 720 / 1280) * 1.05
            self._fit(self._layout_corners())
            self._after_camera()
            return
        self.plotter.disable_parallel_projection()
        if preset == "overview":
            self._overview(w, d)
            self._after_camera()
            return
        elif preset == "follow":
            i = self.timeline.robots.index(target) if target else 0
            snap = self.snapshot or self.timeline.at(0.0)
            x, y = snap.robot_xy[i]
            h = snap.robot_heading[i]
            cam.focal_point = (x, y, 0.9)
            # behind and to the side of the robot, looking down at it
            cam.position = (x - 4.5 * math.cos(h) + 3 * math.sin(h),
                            y - 4.5 * math.sin(h) - 3 * math.cos(h), 3.8)
        elif preset == "station":
            sid = target or self.timeline.stations[0]
            x, y, h = station_point(line, sid)
            cam.focal_point = (x, y, 1.0)
            cam.position = (x - 5 * math.cos(h) + 2, y - 5 * math.sin(h) - 2, 4.0)
        else:
            raise ValueError(f"unknown camera preset {preset!r}; choose from {CAMERAS}")
        cam.up = (0.0, 0.0, 1.0)
        cam.view_angle = 30.0
        self.plotter.reset_camera_clipping_range()
        self._after_camera()

    def _after_camera(self) -> None:
        if self.snapshot is not None:
            self._place_labels()
            self._mark(self.snapshot)

    def _layout_corners(self) -> np.ndarray:
        """The corners of the hall's box: floor and everything standing on it."""
        line = self.timeline.line
        w, d = line.layout.floor.width, line.layout.floor.depth
        top = min(max([o.height for o in line.layout.obstacles] + [2.0]), 3.0)
        return np.array([(x, y, z) for x in (0.0, w) for y in (0.0, d) for z in (0.0, top)])

    def free_rect(self) -> Rect:
        """The part of the window the layout may take: between the HUD's bands."""
        width, height = self.plotter.window_size
        top = self.hud.top if self.hud is not None else PAD
        bottom = (self.hud.bottom if self.hud is not None else PAD) + self.reserved_bottom
        return (PAD, bottom + PAD, width - PAD, height - top - PAD)

    def _fit(self, corners: np.ndarray) -> None:
        """Dolly (or scale) and pan until the projected corners fill the free rectangle."""
        cam = self.plotter.camera
        height = self.plotter.window_size[1]
        x0w, y0w, x1w, y1w = self.free_rect()
        if y1w - y0w < 0.3 * height:  # a window too small for the HUD's bands: use it all
            y0w, y1w = PAD, height - PAD
        for _ in range(6):
            pts = np.array([self._display(*c) for c in corners])
            (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
            scale = min((x1w - x0w) / max(x1 - x0, 1e-6), (y1w - y0w) / max(y1 - y0, 1e-6),
                        4.0)
            dx, dy = (x0w + x1w - x0 - x1) / 2, (y0w + y1w - y0 - y1) / 2
            if abs(scale - 1) < 2e-3 and abs(dx) < 0.5 and abs(dy) < 0.5:
                break
            eye, focus = np.array(cam.position), np.array(cam.focal_point)
            view = (focus - eye) / np.linalg.norm(focus - eye)
            right = np.cross(view, np.array(cam.up))
            right /= np.linalg.norm(right)
            up = np.cross(right, view)
            if cam.parallel_projection:
                per_px = 2 * cam.parallel_scale / height
            else:
                per_px = 2 * np.linalg.norm(focus - eye) * math.tan(
                    math.radians(cam.view_angle) / 2) / height
            shift = -(dx * right + dy * up) * per_px
            cam.focal_point, cam.position = tuple(focus + shift), tuple(eye + shift)
            if cam.parallel_projection:
                cam.parallel_scale = cam.parallel_scale / scale
            else:
                cam.Dolly(scale ** 0.9)  # perspective: a little under, converging
            self.plotter.reset_camera_clipping_range()

    def _overview(self, w: float, d: float, elevation: float = 55.0) -> None:
        """From the south, tilted, zoomed so the hall fills the window between the HUD's
        bands (its top block and its legend rows)."""
        cam, el = self.plotter.camera, math.radians(elevation)
        cam.focal_point = (w / 2, d / 2, 0.0)
        cam.position = (w / 2, d / 2 - 100 * math.cos(el), 100 * math.sin(el))
        cam.up = (0.0, 0.0, 1.0)
        cam.view_angle = 30.0
        self.plotter.reset_camera(bounds=(0, w, 0, d, 0, 2.0))
        self._fit(self._layout_corners())

    def image(self) -> np.ndarray:
        """Render and return the frame as an (h, w, 3) uint8 array."""
        self.plotter.render()
        return np.asarray(self.plotter.screenshot(return_img=True))

    def to_screen(self, x: float, y: float, z: float = 0.0) -> tuple[float, float]:
        """Image column and row (from the top) where a world point is drawn."""
        renderer = self.plotter.renderer
        renderer.SetWorldPoint(x, y, z, 1.0)
        renderer.WorldToDisplay()
        col, row, _ = renderer.GetDisplayPoint()
        return col, self.plotter.window_size[1] - row

    def close(self) -> None:
        self.plotter.close()


def render_png(scene: ViewerScene, t: float, out: Path) -> Path:
    """Write the frame at time t as PNG."""
    import imageio.v3 as iio

    scene.show(t)
    out.parent.mkdir(parents=True, exist_ok=True)
    iio.imwrite(out, scene.image())
    return out


def frame_times(start: float, stop: float, fps: float, speed: float) -> np.ndarray:
    """Sim times of the frames of a video: ``speed`` sim seconds per wall second."""
    if fps <= 0 or speed <= 0 or stop < start:
        raise ValueError("need fps > 0, speed > 0 and --to after --from")
    n = int(math.floor((stop - start) * fps / speed)) + 1
    return start + np.arange(n) * speed / fps


def render_video(scene: ViewerScene, out: Path, start: float, stop: float, fps: float = 20.0,
                 speed: float = 60.0) -> Path:
    """Write frames from start to stop as GIF or MP4 (chosen by the file suffix)."""
    import imageio.v2 as iio2

    out.parent.mkdir(parents=True, exist_ok=True)
    suffix = out.suffix.lower()
    if suffix == ".gif":
        writer = iio2.get_writer(out, mode="I", duration=1000.0 / fps, loop=0)
    elif suffix in (".mp4", ".mov", ".mkv"):
        writer = iio2.get_writer(out, fps=fps, codec="libx264", quality=7, macro_block_size=8)
    else:
        raise ValueError(f"{out}: video must end in .gif or .mp4")
    with writer:
        for t in frame_times(start, stop, fps, speed):
            scene.show(float(t), speed)
            writer.append_data(scene.image())
    return out


def _overlap(a: Rect, b: Rect) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
