"""The heads-up display: clock, throughput, OEE, charger queues, robots and stations by state.

The figures come from ``Timeline.kpis_between`` (twin.kpi's formulas over the run's KPI window).
The HUD keeps to two bands of the window: its main block at the top left, the state legends
in rows along the bottom; ``Hud.top`` and ``Hud.bottom`` say how many pixels each takes so
the camera fits the layout between them.
"""

from __future__ import annotations

import functools
import math
from typing import Any

from twin.kpi import ROBOT_STATES, STATION_STATES
from viewer.replay import Snapshot
from viewer.style import ROBOT_COLOURS, STATION_COLOURS, rgb

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
PANEL = (0.118, 0.133, 0.157)
LIGHT_PANEL = (0.86, 0.87, 0.89)
PAD = 6  # pixels between HUD blocks and from the window edge
Rect = tuple[float, float, float, float]  # x0, y0, x1, y1 in pixels from the bottom left


def clock(t: float) -> str:
    """Week clock from sim seconds (t=0 is Monday 00:00): 'Mon 08:23:15'."""
    whole = int(t)
    day, rest = divmod(whole, 86400)
    h, rest = divmod(rest, 3600)
    m, s = divmod(rest, 60)
    week = f" wk{day // 7 + 1}" if day >= 7 else ""
    return f"{DAYS[day % 7]}{week} {h:02d}:{m:02d}:{s:02d}"


def short_clock(t: float) -> str:
    """Day and minute, as a time slider reads: 'Tue 08:30'."""
    return clock(t)[:-3]


def _pct(share: float) -> str:
    return f"{share * 100:.1f} %" if math.isfinite(share) else "--"


def summary_lines(snap: Snapshot, name: str, speed: float | None = None) -> list[str]:
    """The HUD's main block as text lines."""
    shift = "on shift" if snap.on_shift else "OFF SHIFT"
    head = f"{name}   {clock(snap.t)}   {shift}"
    if speed is not None:
        head += f"   x{speed:g}"
    queues = ", ".join(f"{c}: {int(q)} waiting" for c, q in snap.charger_queue.items()) or "none"
    rate = (f"{snap.throughput_per_hour:.1f}" if math.isfinite(snap.throughput_per_hour)
            else "--")
    since = (f"warm-up, since {short_clock(snap.window_start)}" if snap.warming_up
             else f"since {short_clock(snap.window_start)}")
    neck = f"   bottleneck {snap.bottleneck}" if snap.bottleneck else ""
    return [
        head,
        f"{rate} units per shift hour   OEE {_pct(snap.oee)}{neck}",
        f"done {snap.produced}   scrap {snap.scrap}   ({since})",
        f"Charger queue  {queues}",
    ]


def robot_lines(snap: Snapshot) -> list[tuple[str, str]]:
    """One (text, colour) entry per robot state, as a live legend with counts."""
    counts = snap.robots_by_state()
    return [(f"{s.replace('_', ' ')} {counts.get(s, 0)}", ROBOT_COLOURS[s])
            for s in ROBOT_STATES]


def station_lines(snap: Snapshot) -> list[tuple[str, str]]:
    """One (text, colour) entry per station state with the number of stations in it."""
    counts = {s: 0 for s in STATION_STATES}
    for state in snap.stations.values():
        counts[state] = counts.get(state, 0) + 1
    return [(f"{s.replace('_', ' ')} {counts[s]}", STATION_COLOURS[s])
            for s in STATION_STATES]


@functools.cache
def _measurer() -> Any:
    from vtkmodules.vtkRenderingCore import vtkTextRenderer

    return vtkTextRenderer()


def text_size(prop: Any, text: str, dpi: int) -> tuple[int, int]:
    """Width and height in pixels of a text drawn with a text property."""
    box = [0, 0, 0, 0]
    _measurer().GetBoundingBox(prop, text, box, dpi)
    return box[1] - box[0] + 1, box[3] - box[2] + 1


class Hud:
    """Text actors on a plotter, created once and updated in place each frame.

    Legend entries stand in rows along the bottom: a title, then one entry per state with
    room for a three-digit count, wrapping to a new row when the window is too narrow.
    """

    def __init__(self, plotter: Any, font_size: int = 11, robots: bool = True,
                 legends: bool = True) -> None:
        self._plotter = plotter
        self._dpi = int(plotter.ren_win.GetDPI())
        self._font = font_size
        width, height = plotter.window_size
        self._main = self._text(plotter, "hud_main", "#ffffff", font_size + 1)
        main_h = text_size(self._main.GetTextProperty(), "Mg\nMg\nMg\nMg", self._dpi)[1] + 4
        self._main.SetPosition(PAD, height - PAD - main_h)
        self.top = PAD + main_h + PAD
        rows: list[tuple[str, tuple[str, ...], dict[str, str]]] = []
        if robots and legends:  # no robots, no robot legend
            rows.append(("Robots", ROBOT_STATES, ROBOT_COLOURS))
        if legends:
            rows.append(("Stations", STATION_STATES, STATION_COLOURS))
        self._entries: dict[str, list[Any]] = {}
        y: float = PAD
        line_h = text_size(self._main.GetTextProperty(), "Mg", self._dpi)[1] + 6
        for title, states, colours in reversed(rows):  # bottom row first
            placed = self._row(plotter, title, states, colours, y, width, line_h)
            self._entries[title] = placed[0]
            y = placed[1]
        self.bottom = int(y) + PAD

    def _text(self, plotter: Any, name: str, colour: str, size: int) -> Any:
        actor = plotter.add_text("", position=(PAD, PAD), font_size=size, color=colour,
                                 font="courier", name=name)
        prop = actor.GetTextProperty()
        dark = rgb(colour).astype(float) @ (0.299, 0.587, 0.114) < 0.4 * 255
        prop.SetBackgroundColor(*(LIGHT_PANEL if dark else PANEL))  # dark text: light panel
        prop.SetBackgroundOpacity(0.85)
        prop.SetBold(True)
        return actor

    def _row(self, plotter: Any, title: str, states: tuple[str, ...], colours: dict[str, str],
             y: float, width: int, line_h: int) -> tuple[list[Any], float]:
        """A titled row (or rows) of state entries from y upwards; returns them and the top."""
        head = self._text(plotter, f"hud_{title.lower()}", "#ffffff", self._font)
        head.SetInput(f"{title}:")
        prop = head.GetTextProperty()
        indent = PAD + text_size(prop, f"{title}: ", self._dpi)[0] + PAD
        slots = [text_size(prop, f"{s.replace('_', ' ')} 000", self._dpi)[0] + PAD
                 for s in states]
        lines: list[list[int]] = [[]]
        x = indent
        for k, slot in enumerate(slots):
            if lines[-1] and x + slot > width - PAD:
                lines.append([])
                x = indent
            lines[-1].append(k)
            x += slot
        top = y + line_h * len(lines)
        head.SetPosition(PAD, top - line_h)
        entries: list[Any] = [None] * len(states)
        for row, members in enumerate(lines):
            x = indent
            for k in members:
                actor = self._text(plotter, f"hud_{title.lower()}_{states[k]}",
                                   colours[states[k]], self._font)
                actor.SetPosition(x, top - line_h * (row + 1))
                entries[k] = actor
                x += slots[k]
        return entries, top

    def rects(self) -> list[Rect]:
        """Pixel rectangles the HUD covers (for labels and tests to keep clear of)."""
        out = []
        for actor in [self._main] + [a for row in self._entries.values() for a in row]:
            x, y = actor.GetPosition()
            w, h = text_size(actor.GetTextProperty(), actor.GetInput() or " ", self._dpi)
            out.append((float(x), float(y), float(x + w), float(y + h)))
        return out

    def update(self, snap: Snapshot, name: str, speed: float | None = None) -> None:
        """Rewrite every HUD line for this snapshot."""
        self._main.SetInput("\n".join(summary_lines(snap, name, speed)))
        if "Robots" in self._entries:
            for actor, (text, _) in zip(self._entries["Robots"], robot_lines(snap),
                                        strict=True):
                actor.SetInput(text)
        if "Stations" in self._entries:
            for actor, (text, _) in zip(self._entries["Stations"], station_lines(snap),
                                        strict=True):
                actor.SetInput(text)
