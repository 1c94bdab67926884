"""Viewer speed: fps offscreen at 1280x720 with 20 robots moving, beside a static re-render.

Run: ``.venv/bin/python benchmarks/viewer_bench.py [--frames 40] [--line lines/tote_line.yaml]``.
The baseline is the renderer's own limit on this machine: the same frame rendered again with
nothing changed. The figure is the cost ratio (animated frame time / static frame time);
floor 1.5x, goal 1.2x.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd


def _events(line_path: Path | None, robots: int) -> tuple[object, pd.DataFrame, str]:
    """A line and its event log: a real run when the line model is available, else synthetic."""
    if line_path is not None and line_path.exists():
        try:
            import twin
            from twin.config import Fleet

            line = twin.load_line(line_path)  # type: ignore[attr-defined]
            fleet = line.fleet or Fleet(count=robots)
            line = line.model_copy(update={"fleet": fleet.model_copy(update={"count": robots})})
            result = twin.simulate(line, hours=10, seed=1, events=True)  # type: ignore[attr-defined]
            return line, result.events, f"{line_path} (simulated 10 h)"
        except (ImportError, AttributeError) as exc:
            print(f"note: line model not usable ({exc}); using the synthetic demo cell")
    from viewer.synthetic import demo_line, demo_log

    line = demo_line(robots)
    return line, demo_log(line, hours=2, seed=1).to_table().to_pandas(), "synthetic demo cell"


def busiest(timeline: object) -> float:
    """A time when most robots are walking (sampled every 5 min), so the frame really moves."""
    import numpy as np

    times = np.arange(0.0, timeline.horizon, 300.0)  # type: ignore[attr-defined]
    moving = [int(timeline.at(float(t)).robot_walking.sum()) for t in times]  # type: ignore
    return float(times[int(np.argmax(moving))]) if len(times) else 0.0


def physics_poses(timeline: object, t0: float, seconds: float = 30.0) -> pd.DataFrame:
    """A synthetic 10 Hz pose table: every robot's URDF links at rest, walking along +x."""
    import numpy as np

    from viewer.urdf import robot_urdf, visuals

    urdf = robot_urdf(timeline.line)  # type: ignore[attr-defined]
    shapes = visuals(urdf) if urdf is not None else None
    frames = {v.frame: v.origin for v in shapes or []} | {"tote": np.array([0.4, 0, 1.1])}
    snap = timeline.at(t0)  # type: ignore[attr-defined]
    rows = []
    for k in np.arange(0.0, seconds, 0.1):
        for rid, (x, y) in zip(timeline.robots, snap.robot_xy, strict=True):  # type: ignore
            for link, origin in frames.items():
                rows.append((t0 + k, rid, link, x + origin[0] + 0.8 * k, y + origin[1],
                             origin[2], 0.0, 0.0, 0.0, 1.0))
    return pd.DataFrame(rows, columns=["t", "robot", "link", "x", "y", "z", "qx", "qy", "qz",
                                       "qw"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=40)
    parser.add_argument("--robots", type=int, default=20)
    parser.add_argument("--line", type=Path, default=Path("lines/tote_line.yaml"))
    parser.add_argument("--png", type=Path, default=None, help="also save the frame measured")
    args = parser.parse_args()

    from viewer.render import ViewerScene
    from viewer.replay import Timeline
    from viewer.run import run_from_events

    line, events, source = _events(args.line, args.robots)
    timeline = Timeline(run_from_events(line, events))  # type: ignore[arg-type]
    scene = ViewerScene(timeline, window_size=(1280, 720))
    t0 = busiest(timeline)
    scene.show(t0)
    for _ in range(3):  # warm up: shader compile, first upload
        scene.image()

    def timed(step: object) -> float:
        start = time.perf_counter()
        for k in range(args.frames):
            step(k)  # type: ignore[operator]
        return args.frames / (time.perf_counter() - start)

    static = timed(lambda k: scene.image())
    animated = timed(lambda k: (scene.show(t0 + k * 0.5), scene.image()))
    static_again = timed(lambda k: scene.image())
    update_only = timed(lambda k: scene.show(t0 + k * 0.5))
    base = (static + static_again) / 2
    scene.show(t0)
    moving = int(scene.snapshot.robot_walking.sum()) if scene.snapshot else 0
    if args.png is not None:
        import imageio.v3 as iio

        iio.imwrite(args.png, scene.image())
    print(f"source: {source}; robots: {len(timeline.robots)} ({moving} walking at t={t0:.0f} s)")
    print(f"static frame (render only):      {base:6.1f} fps")
    print(f"animated frame (update+render):  {animated:6.1f} fps")
    print(f"scene update alone:              {1000 / update_only:6.1f} ms/frame")
    print(f"cost ratio: {base / animated:.2f}x  (floor 1.5x, goal 1.2x)")
    scene.close()

    # the same frame posed link by link from a (synthetic) physics pose table
    from viewer.run import Run

    run = run_from_events(line, events)  # type: ignore[arg-type]
    posed = Timeline(Run(line=run.line, paths=run.paths, events=run.events,
                         poses=physics_poses(timeline, t0)))
    scene = ViewerScene(posed, window_size=(1280, 720))
    scene.show(t0)
    for _ in range(3):
        scene.image()
    p_static = timed(lambda k: scene.image())
    p_animated = timed(lambda k: (scene.show(t0 + k * 0.37), scene.image()))
    p_update = timed(lambda k: scene.show(t0 + k * 0.37))
    print(f"physics poses: static {p_static:.1f} fps, animated {p_animated:.1f} fps, "
          f"update {1000 / p_update:.1f} ms/frame, cost ratio {p_static / p_animated:.2f}x")
    scene.close()


if __name__ == "__main__":
    main()
