"""``twin animate``: a window of a run as an animated glTF (.glb) for Blender, browsers and
other 3D tools."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

WINDOW_S = 600.0  # default window: ten minutes from the first shift's start


def animate(
    run_dir: Annotated[Path, typer.Argument(help="a run directory written by twin run --out")],
    glb: Annotated[Path, typer.Option("--glb", help="the animated .glb to write")],
    start: Annotated[str | None, typer.Option(
        "--from", help='start of the window: seconds or a duration such as "6.5 h" '
        "(default: the first shift's start)")] = None,
    end: Annotated[str | None, typer.Option(
        "--to", help="end of the window (default: ten minutes after its start)")] = None,
    fps: Annotated[float, typer.Option(help="keys per second of animation (1 to 60)")] = 10.0,
    speed: Annotated[float, typer.Option(
        help="run seconds per second of animation (0.1 to 3600)")] = 1.0,
) -> None:
    """Write a window of a run as an animated glTF: walking humanoids, totes, station states."""
    from twin.cli import fail, out
    from twin.units import parse_duration
    from viewer.animation import MAX_KEYS, write_animated_glb
    from viewer.render import drawn_paths
    from viewer.replay import Timeline
    from viewer.run import RunError, load_run

    if not 1 <= fps <= 60:
        fail(f"--fps {fps:g}: give 1 to 60 keys per second")
    if not 0.1 <= speed <= 3600:
        fail(f"--speed {speed:g}: give 0.1 to 3600 run seconds per animation second")
    try:
        timeline = Timeline(load_run(run_dir))
    except RunError as exc:
        fail(str(exc))
        return
    times = []
    for value, name in ((start, "--from"), (end, "--to")):
        try:
            times.append(None if value is None else float(parse_duration(value)))
        except ValueError as exc:
            fail(f"{name} {value!r}: {exc}")
    t0 = times[0] if times[0] is not None else timeline.first_shift()
    t1 = times[1] if times[1] is not None else min(t0 + WINDOW_S, timeline.horizon)
    if not 0 <= t0 < t1 <= timeline.horizon:
        fail(f"--from {t0:g} s --to {t1:g} s: the window must lie inside the run (0 to "
             f"{timeline.horizon:g} s) and end after it starts")
    keys = (t1 - t0) / speed * fps
    if keys > MAX_KEYS:
        fail(f"{keys:.0f} keys ((to - from) / speed x fps): at most {MAX_KEYS}; raise --speed, "
             "lower --fps or shorten the window")
    try:
        n = write_animated_glb(timeline, drawn_paths(timeline), glb, t0, t1, fps, speed)
    except OSError as exc:
        fail(f"--glb {glb}: cannot write it ({exc.strerror or exc})")
        return
    out.print(f"[green]wrote[/] {glb}: {t0:g}-{t1:g} s of the run, {n} keys, "
              f"{(t1 - t0) / speed:g} s of animation", highlight=False)
