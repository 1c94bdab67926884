"""The interactive window: play, pause, speed, step, jump, camera presets, click for details."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from viewer.hud import PAD, clock, short_clock, text_size
from viewer.live import LiveRun
from viewer.render import ViewerScene
from viewer.replay import Timeline

SLIDER_PX = 48  # the band an interactive window keeps for its time slider
SPEEDS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
FRAME_MS = 50
KEYS = ("space play/pause   +/- speed   Right/Left step   1 overview   2 top\n"
        "3 follow next robot   4 next station close-up   click a robot or station")


class App:
    """Drives a ViewerScene from a clock; every control is a method, bound to keys by ``run``."""

    def __init__(self, timeline: Timeline, kpis: dict[str, Any] | None = None,
                 start: float | None = None, speed: float = 60.0, off_screen: bool = False,
                 window_size: tuple[int, int] = (1280, 720), live: LiveRun | None = None,
                 congestion: bool = False) -> None:
        self.live = live
        if start is None:  # a view starts at the first shift, not in the empty night
            start = timeline.first_shift()
        if live is not None:
            timeline = live.advance(start)
        self.scene = ViewerScene(timeline, window_size=window_size, off_screen=off_screen,
                                 congestion=congestion)
        self.scene.reserved_bottom = SLIDER_PX  # the time slider's own band, over the legends
        self.scene.camera("overview")
        self.timeline = timeline
        self.slider: Any = None
        self.kpis = kpis or {}
        self.t = float(start)
        self.speed = float(min(SPEEDS, key=lambda s: abs(s - speed)))
        self.playing = True
        self._follow = -1
        self._station = -1
        self._last = time.perf_counter()
        plotter = self.scene.plotter
        # the slider band (over the legends): the slider on the left half, the keys and what
        # a click found on the right half
        width = plotter.window_size[0]
        band = self.scene.free_rect()[1] - PAD - SLIDER_PX
        keys = plotter.add_text(KEYS, position=(0.0, 0.0), font_size=7, color="#333333",
                                name="keys")
        keys.GetTextProperty().SetJustificationToRight()
        keys.SetPosition(width - PAD, band + 2)
        self._info = plotter.add_text("", position=(0.0, 0.0), font_size=8, color="black",
                                      font="courier", name="info")
        self._info.GetTextProperty().SetJustificationToRight()
        dpi = int(plotter.ren_win.GetDPI())
        self._info.SetPosition(width - PAD, band + 4 + text_size(keys.GetTextProperty(), KEYS,
                                                                 dpi)[1])
        # the slider's own title sits under the bar, on the legends: the clock goes beside it
        self._clock = plotter.add_text("", position=(0.0, 0.0), font_size=10, color="black",
                                       font="courier", name="slider_clock")
        self._clock.SetPosition(int(0.46 * width), band + SLIDER_PX // 2 - 6)
        self.draw()

    @property
    def horizon(self) -> float:
        """The last time there is to see (live: the end of the run being simulated)."""
        return self.live.until if self.live is not None else self.timeline.horizon

    def draw(self) -> None:
        """Show the current time (live: simulating ahead first; follow cameras track)."""
        if self.live is not None:
            self.timeline = self.live.advance(self.t)
            self.scene.use(self.timeline)
        self.scene.show(self.t, self.speed)
        if self.slider is not None:  # the slider follows the clock, read beside it
            self.slider.GetRepresentation().SetValue(self.t)
            self._clock.SetInput(short_clock(self.t))

    def tick(self) -> None:
        """Advance by wall time x speed while playing (the timer calls this)."""
        now = time.perf_counter()
        if self.playing:
            self.t = min(self.t + (now - self._last) * self.speed, self.horizon)
            self.draw()
        self._last = now

    def toggle(self) -> None:
        self.playing = not self.playing

    def faster(self) -> None:
        self.speed = float(next((s for s in SPEEDS if s > self.speed), SPEEDS[-1]))
        self.draw()

    def slower(self) -> None:
        self.speed = float(next((s for s in reversed(SPEEDS) if s < self.speed), SPEEDS[0]))
        self.draw()

    def step(self, frames: int = 1) -> None:
        """Pause and move by whole frames at the current speed."""
        self.playing = False
        self.jump(self.t + frames * self.speed * FRAME_MS / 1000)

    def jump(self, t: float) -> None:
        self.t = float(np.clip(t, 0.0, self.horizon))
        self.draw()

    def camera(self, preset: str) -> None:
        """Overview, top, follow (next robot each press), station (next station each press)."""
        target = None
        if preset == "follow" and self.timeline.robots:
            self._follow = (self._follow + 1) % len(self.timeline.robots)
            target = self.timeline.robots[self._follow]
        elif preset == "station":
            self._station = (self._station + 1) % len(self.timeline.stations)
            target = self.timeline.stations[self._station]
        self.scene.camera(preset, target)
        self.scene.plotter.render()

    def describe(self, point: np.ndarray) -> str:
        """What is at a picked world point: the nearest robot or station, its state and KPIs."""
        from viewer.places import station_boxes

        snap = self.scene.snapshot or self.timeline.at(self.t)
        best, text = 2.5, "nothing here"
        for i, rid in enumerate(self.timeline.robots):
            gap = float(np.hypot(*(snap.robot_xy[i] - point[:2])))
            if gap < best:
                k = self.kpis.get("robots", {}).get(rid, {})
                best, text = gap, (
                    f"{rid}: {snap.robot_state[i]}, battery {snap.robot_soc[i] * 100:.0f} %"
                    + (f"\nrun: {k.get('tasks', 0)} tasks, {k.get('energy_kwh', 0):.2f} kWh,"
                       f" {k.get('charges', 0)} charges" if k else ""))
        for sid, b in station_boxes(self.timeline.line).items():
            gap = float(np.hypot(*(np.array(b.centre) - point[:2])))
            if gap < best:
                k = self.kpis.get("stations", {}).get(sid, {})
                servers = ", ".join(snap.servers[sid])
                best, text = gap, (
                    f"{sid}: {snap.stations[sid]} ({servers})"
                    + (f"\nrun: OEE {k.get('oee', 0) * 100:.0f} %, availability "
                       f"{k.get('availability', 0) * 100:.0f} %, {k.get('produced_units', 0)}"
                       " units" if k else ""))
        return f"{clock(self.t)}  {text}"

    def pick(self, point: Any) -> None:
        self._info.SetInput(self.describe(np.asarray(point, dtype=float)))
        self.scene.plotter.render()

    def run(self) -> None:
        """Open the window and play until it is closed."""
        self.bind()
        self._last = time.perf_counter()
        plotter: Any = self.scene.plotter
        plotter.add_timer_event(max_steps=10**9, duration=FRAME_MS,
                                callback=lambda _: self.tick())
        plotter.show()

    def bind(self) -> None:
        """Keys, the time slider and click picking on the window."""
        pl: Any = self.scene.plotter
        bindings = {"space": self.toggle, "plus": self.faster, "equal": self.faster,
                    "minus": self.slower, "Right": self.step, "Left": lambda: self.step(-1),
                    "1": lambda: self.camera("overview"), "2": lambda: self.camera("top"),
                    "3": lambda: self.camera("follow"), "4": lambda: self.camera("station")}
        for key, action in bindings.items():
            pl.add_key_event(key, action)
        y = (self.scene.free_rect()[1] - PAD - SLIDER_PX / 2) / pl.window_size[1]
        self.slider = pl.add_slider_widget(
            self.jump, (0.0, max(self.horizon, 1.0)), value=self.t, title="",
            pointa=(0.03, y), pointb=(0.45, y), style="modern", interaction_event="end",
            fmt=" ")  # no raw seconds: the clock beside the bar reads "Tue 08:30"
        self.slider.GetRepresentation().SetShowSliderLabel(False)
        self._clock.SetInput(short_clock(self.t))
        pl.enable_surface_point_picking(callback=self.pick, show_point=False,
                                        show_message=False, left_clicking=True)
