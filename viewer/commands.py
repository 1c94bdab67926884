"""Typer command functions ``view``, ``render`` and ``export``; the CLI registers them.

PyVista and the rest of the viewer load inside the function bodies so ``twin --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from viewer.replay import Timeline

LINE_ARG = typer.Argument(None, help="line YAML to simulate and show", show_default=False)
REPLAY = typer.Option(None, "--replay", help="run directory to replay (twin run --out, studies)")
HOURS = typer.Option(8.0, "--hours", help="hours to simulate after warm-up (LINE only)")
SEED = typer.Option(0, "--seed", help="random seed (LINE only)")


def _seconds(value: str | None, name: str) -> float | None:
    from twin.units import parse_duration

    if value is None:
        return None
    try:
        return float(parse_duration(value))
    except ValueError as exc:
        raise ValueError(f"{name} {value!r}: {exc}") from exc


def _check(hours: float, seed: int, speed: float | None = None, fps: float | None = None,
           size: tuple[int, int] | None = None) -> None:
    """Options checked before anything loads; each mistake is one ValueError line."""
    from twin import options

    options.hours(hours)
    options.seed(seed)
    options.number(speed, "--speed", 1.0, 1000.0)
    options.number(fps, "--fps", 1.0, 120.0)
    if size is not None:
        options.count(size[0], "--width", 16, 7680, "pixels")
        options.count(size[1], "--height", 16, 4320, "pixels")


def _fail(exc: Exception) -> typer.Exit:
    text = str(exc).splitlines()[0] if str(exc) else repr(exc)
    typer.echo(f"error: {text}", err=True)
    return typer.Exit(2)


def _source(line: Path | None, replay: Path | None, hours: float,
            seed: int) -> tuple[Timeline, dict[str, Any] | None]:
    """The timeline to draw: a finished run, or a fresh simulation of a line (live)."""
    from viewer.replay import Timeline
    from viewer.run import load_run, run_from_events

    if (line is None) == (replay is None):
        raise ValueError("give either a LINE file or --replay RUN_DIR")
    if replay is not None:
        run = load_run(replay)
        return Timeline(run), run.kpis
    import twin

    model = twin.load_line(line)  # type: ignore[arg-type]
    result = twin.simulate(model, hours=hours, seed=seed, events=True)
    timeline = Timeline(run_from_events(model, result.events))
    timeline.end = max(timeline.end, timeline.window_start + 3600.0 * result.hours)
    return timeline, result.kpis.model_dump(mode="json")


def _within(timeline: Timeline, t: float | None, option: str) -> None:
    """A time past the simulated window would show its last state under a later clock."""
    if t is not None and t > timeline.end + 1e-6:
        raise ValueError(f"{option} {t / 3600:g} h is past the end of the run "
                         f"({timeline.end / 3600:g} h): pick a time within it, or simulate "
                         "longer with --hours")


def view(
    line: Path | None = LINE_ARG,
    replay: Path | None = REPLAY,
    hours: float = HOURS,
    seed: int = SEED,
    at: str | None = typer.Option(
        None, "--at", help='start time: seconds or "6 h" (default: the first shift)'),
    speed: float = typer.Option(60.0, "--speed", help="sim seconds per wall second, 1..1000"),
    congestion: bool = typer.Option(
        False, "--congestion", help="replay: shade the floor where robots waited for traffic"),
) -> None:
    """Open the 3D viewer on a line (simulated now) or on a finished run (--replay)."""
    from viewer.app import App

    try:
        _check(hours, seed, speed=speed)
        start = _seconds(at, "--at")
        if line is not None and replay is None:  # live: the model runs as the viewer plays
            import twin
            from viewer.live import LiveRun

            live = LiveRun(twin.load_line(line), seed=seed, hours=hours)
            first = live.timeline.first_shift() if start is None else start
            app = App(live.timeline, None, start=first, speed=speed, live=live)
        else:
            timeline, kpis = _source(line, replay, hours, seed)
            first = timeline.first_shift() if start is None else start
            _within(timeline, first, "--at")
            app = App(timeline, kpis, start=first, speed=speed, congestion=congestion)
    except ValueError as exc:
        raise _fail(exc) from None
    app.run()


def render(
    line: Path | None = LINE_ARG,
    replay: Path | None = REPLAY,
    out: Path = typer.Option(..., "--out", help="PNG (one frame), GIF or MP4"),
    at: str | None = typer.Option(None, "--at", help='PNG: time of the frame ("7.5 h")'),
    start: str | None = typer.Option(
        None, "--from", help="video: first frame time (default: the first shift)"),
    stop: str | None = typer.Option(None, "--to", help="video: last frame time"),
    fps: float = typer.Option(20.0, "--fps", help="video frames per second"),
    speed: float = typer.Option(60.0, "--speed", help="video: sim seconds per video second"),
    camera: str = typer.Option("overview", "--camera", help="overview, top, follow, station"),
    target: str | None = typer.Option(None, "--target", help="robot or station to look at"),
    width: int = typer.Option(1280, "--width"),
    height: int = typer.Option(720, "--height"),
    congestion: bool = typer.Option(
        False, "--congestion", help="shade the floor where robots waited for traffic"),
    hours: float = HOURS,
    seed: int = SEED,
) -> None:
    """Render a frame or a video offscreen, with no display."""
    try:
        _check(hours, seed, speed=speed, fps=fps, size=(width, height))
        if out.suffix.lower() not in (".png", ".gif", ".mp4", ".mov", ".mkv"):
            raise ValueError(f"{out}: --out must end in .png, .gif or .mp4")
        from twin import options

        options.out_file(out)
        timeline, _ = _source(line, replay, hours, seed)
        t_at, t0, t1 = _seconds(at, "--at"), _seconds(start, "--from"), _seconds(stop, "--to")
        for t, option in ((t_at, "--at"), (t0, "--from"), (t1, "--to")):
            _within(timeline, t, option)
        if out.suffix.lower() not in (".png", ".gif", ".mp4", ".mov", ".mkv"):
            raise ValueError(f"{out}: --out must end in .png, .gif or .mp4")
        from viewer.render import ViewerScene, render_png, render_video

        scene = ViewerScene(timeline, window_size=(width, height), congestion=congestion)
        scene.camera(camera, target)
        if out.suffix.lower() == ".png":
            render_png(scene, t_at if t_at is not None else timeline.horizon, out)
        else:
            first = t0 if t0 is not None else min(timeline.first_shift(), timeline.horizon)
            render_video(scene, out, first, t1 if t1 is not None else timeline.horizon,
                         fps=fps, speed=speed)
        scene.close()
    except ValueError as exc:
        raise _fail(exc) from None
    typer.echo(str(out))


def export(
    line: Path | None = LINE_ARG,
    replay: Path | None = REPLAY,
    glb: Path | None = typer.Option(None, "--glb", help="write the layout as glTF (binary)"),
    html: Path | None = typer.Option(None, "--html", help="write an interactive web view"),
    at: str | None = typer.Option(None, "--at", help="HTML: moment of the run to show"),
    hours: float = HOURS,
    seed: int = SEED,
) -> None:
    """Export the layout as glTF for other 3D tools, or a moment of a run as HTML."""
    try:
        _check(hours, seed)
        if glb is None and html is None:
            raise ValueError("give --glb FILE and/or --html FILE")
        from twin import options

        for path, name in ((glb, "--glb"), (html, "--html")):
            if path is not None:
                options.out_file(path, name)
        from viewer.export import write_glb, write_html
        from viewer.render import drawn_paths
        from viewer.robots import RobotBatch
        from viewer.urdf import robot_urdf

        if replay is None and line is not None and html is None:  # the layout needs no run
            import twin
            from viewer.replay import Timeline
            from viewer.run import empty_events, run_from_events

            timeline = Timeline(run_from_events(twin.load_line(line), empty_events()))
        else:
            timeline, _ = _source(line, replay, hours, seed)
        paths = drawn_paths(timeline)
        if glb is not None:
            write_glb(timeline.line, paths, glb)
            typer.echo(str(glb))
        if html is not None:
            t = _seconds(at, "--at")
            snap = timeline.at(t if t is not None else timeline.horizon)
            batch = RobotBatch(len(timeline.robots), urdf=robot_urdf(timeline.line))
            batch.update(snap.robot_xy, snap.robot_heading, snap.robot_phase,
                         snap.robot_walking, snap.robot_units > 0,
                         snap.robot_soc, snap.robot_state, links=snap.robot_links)
            faces = batch.mesh.faces.reshape(-1, 4)[:, 1:]
            robots = (batch.mesh.points, faces, batch.mesh.point_data["rgb"])
            write_html(timeline.line, paths, html, snap, robots if len(faces) else None)
            typer.echo(str(html))
    except ValueError as exc:
        raise _fail(exc) from None
