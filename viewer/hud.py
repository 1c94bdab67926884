"""The heads-up display: clock, throughput, OEE, charger queues, robots and stations by state."""

from __future__ import annotations

from typing import Any

from twin.kpi import ROBOT_STATES, STATION_STATES
from viewer.replay import Snapshot
from viewer.style import ROBOT_COLOURS, STATION_COLOURS

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
PANEL = "#1e2228"


def clock(t: float) -> str:
    """Week clock from sim seconds (t=0 is Monday 00:00): 'Mon 08:23:15'."""
    whole = int(t)
    day, rest = divmod(whole, 86400)
    h, rest = divmod(rest, 3600)
    m, s = divmod(rest, 60)
    week = f" wk{day // 7 + 1}" if day >= 7 else ""
    return f"{DAYS[day % 7]}{week} {h:02d}:{m:02d}:{s:02d}"


def summary_lines(snap: Snapshot, name: str, speed: float | None = None) -> list[str]:
    """The HUD's main block as text lines."""
    shift = "on shift" if snap.on_shift else "OFF SHIFT"
    head = f"{name}   {clock(snap.t)}   {shift}"
    if speed is not None:
        head += f"   x{speed:g}"
    queues = ", ".join(f"{c}: {int(q)} waiting" for c, q in snap.charger_queue.items()) or "none"
    return [
        head,
        f"Throughput {snap.throughput_per_hour:5.1f} units/h on shift   done {snap.produced}"
        f"   scrap {snap.scrap}",
        f"OEE        {snap.oee * 100:5.1f} %",
        f"Charger queue  {queues}",
    ]


def robot_lines(snap: Snapshot) -> list[tuple[str, str]]:
    """One (text, colour) line per robot state, as a live legend with counts."""
    counts = snap.robots_by_state()
    return [(f"{s.replace('_', ' '):<15}{counts.get(s, 0):>3}", ROBOT_COLOURS[s])
            for s in ROBOT_STATES]


def station_lines(snap: Snapshot) -> list[tuple[str, str]]:
    """One (text, colour) line per station state with the number of stations in it."""
    counts = {s: 0 for s in STATION_STATES}
    for state in snap.stations.values():
        counts[state] = counts.get(state, 0) + 1
    return [(f"{s.replace('_', ' '):<12}{counts[s]:>3}", STATION_COLOURS[s])
            for s in STATION_STATES]


class Hud:
    """Text actors on a plotter, created once and updated in place each frame."""

    def __init__(self, plotter: Any, font_size: int = 11, robots: bool = True) -> None:
        step = 2.25 * font_size / plotter.window_size[1]  # one text line, as a viewport share
        self._main = plotter.add_text(
            "", position=(0.01, 1 - 5.2 * step), viewport=True, font_size=font_size + 1,
            color="white", font="courier", name="hud_main")
        self._style(self._main)
        self._robots = self._legend(plotter, "Robots", "hud_robots", "hud_robot",
                                    ROBOT_STATES, ROBOT_COLOURS, 0.805, step, font_size
                                    ) if robots else []  # no robots, no robot legend
        self._stations = self._legend(plotter, "Stations", "hud_st", "hud_station",
                                      STATION_STATES, STATION_COLOURS, 0.01, step, font_size)

    def _legend(self, plotter: Any, title: str, title_name: str, prefix: str,
                states: tuple[str, ...], colours: dict[str, str], x: float, step: float,
                font_size: int) -> list[Any]:
        """A titled column of per-state counts in the state colours (doubles as the legend)."""
        top = len(states) - 1
        plotter.add_text(title, position=(x, 0.02 + (top + 1.5) * step), viewport=True,
                         font_size=font_size, color="white", font="courier", name=title_name)
        self._style(plotter.actors[title_name])
        return [self._style(plotter.add_text(
            "", position=(x, 0.02 + (top - k) * step), viewport=True, font_size=font_size,
            color=colours[state], font="courier", name=f"{prefix}_{state}"))
            for k, state in enumerate(states)]

    @staticmethod
    def _style(actor: Any) -> Any:
        prop = actor.GetTextProperty()
        prop.SetBackgroundColor(0.118, 0.133, 0.157)
        prop.SetBackgroundOpacity(0.82)
        prop.SetBold(True)
        return actor

    def update(self, snap: Snapshot, name: str, speed: float | None = None) -> None:
        """Rewrite every HUD line for this snapshot."""
        self._main.SetInput("\n".join(summary_lines(snap, name, speed)))
        for actor, (text, _) in zip(self._robots, robot_lines(snap) if self._robots else [],
                                    strict=True):
            actor.SetInput(text)
        for actor, (text, _) in zip(self._stations, station_lines(snap), strict=True):
            actor.SetInput(text)
