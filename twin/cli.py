"""The ``twin`` command line: a thin typed layer over the public API.

User mistakes end in one readable line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from twin.loader import ConfigError, load_line, parse_set

app = typer.Typer(
    name="twin",
    help="Digital twin of factory lines worked by humanoid robots.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(width=max(Console().width, 120))
err = Console(stderr=True)

LineArg = Annotated[Path, typer.Argument(help="a line YAML, e.g. lines/tote_line.yaml")]


def fail(message: str) -> None:
    """Print one readable error and exit 2."""
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def _fmt(x: Any, digits: int = 3) -> str:
    if isinstance(x, float):
        if math.isnan(x):
            return "-"
        return f"{x:.{digits}g}" if abs(x) < 1000 else f"{x:,.0f}"
    return str(x)


@app.command()
def run(
    line: LineArg,
    hours: Annotated[str, typer.Option(
        help='measured horizon after warm-up: hours, or a duration such as "90 min"')] = "24",
    warmup: Annotated[str | None, typer.Option(
        help='warm-up in working (on-shift) time: hours, or a duration such as "30 min" '
             '(default: the line\'s)')] = None,
    seed: Annotated[int, typer.Option(help="random seed of the run (0 to 2^63-1)")] = 0,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="override a field: path=value, e.g. fleet.count=6 (repeatable)")] = None,
    out_dir: Annotated[Path | None, typer.Option(
        "--out", help="write events.parquet, kpis.json, line.json ... here")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the KPIs as one JSON object")]
    = False,
    motion: Annotated[str, typer.Option(help="surrogate (fast) or physics (PyBullet)")]
    = "surrogate",
) -> None:
    """Run a line and print its KPIs (ISO 22400 OEE, throughput, robots, chargers)."""
    from twin import options
    from twin.sim import simulate

    try:
        horizon = options.hours(hours)
        warm = options.warmup(warmup)
        options.seed(seed)
        if motion not in ("surrogate", "physics"):
            fail(f"--motion {motion!r}: give surrogate or physics")
        if out_dir is not None:
            options.out_dir(out_dir)
        spec = load_line(line, parse_set(set_ or []))
        model = None
        if motion == "physics":
            model = _physics_motion(spec)
        result = simulate(spec, hours=horizon, seed=seed, warmup_hours=warm,
                          events=out_dir is not None, motion=model)
    except (ConfigError, options.OptionError) as exc:
        fail(str(exc))
        return
    if out_dir is not None:
        try:
            result.write(out_dir)
        except OSError as exc:
            fail(f"--out {out_dir}: cannot write the run ({exc.strerror or exc})")
        if model is not None:
            import pyarrow.parquet as pq

            pq.write_table(model.poses(), out_dir / "poses.parquet", compression="zstd")
    if model is not None:
        model.close()
    from twin.kpi import warnings

    for warning in warnings(result.kpis):
        err.print(f"[bold yellow]warning:[/] {warning}", highlight=False, soft_wrap=True)
    if as_json:
        sys.stdout.write(result.kpis.model_dump_json(indent=1) + "\n")
        return
    _print_kpis(result.kpis, spec.name, horizon, result.wall_s)
    if out_dir is not None:
        out.print(f"\noutputs: [bold]{out_dir}[/] (events.parquet, kpis.json, line.json, "
                  "walkways.json, run.json)")


def _physics_motion(spec: Any) -> Any:
    try:
        from twin.physics.motion import Physics
    except ImportError as exc:  # pragma: no cover - physics extra missing
        fail(f"--motion physics needs the physics extra (pybullet): {exc}")
    from twin.robot import RobotSpec

    robot = spec.fleet.robot if spec.fleet is not None else None
    if not isinstance(robot, RobotSpec):
        fail("--motion physics needs a fleet of robots in the line")
        return None
    if robot.override != type(robot.override)():
        fail("fleet.robot.override: --motion physics measures walks, picks, places and docks "
             "itself, so an override would do nothing; remove it or run the surrogate")
    tote = spec.transport.default.tote_mass
    return Physics(spec.layout, robot, tote_mass=tote)


def _print_kpis(k: Any, name: str, hours: float, wall: float) -> None:
    from twin.kpi import CONSTRAINT_KINDS

    line = k.line
    out.print(f"[bold]{name}[/]: {hours:g} h simulated in {wall:.2f} s wall")
    t = Table(title="line", show_header=False, title_justify="left")
    rows = [
        ("throughput_per_hour", line.throughput_per_hour),
        ("throughput_per_shift_hour", line.throughput_per_shift_hour),
        ("good_units", line.good_units),
        ("scrap_units", line.scrap_units),
        ("departures_per_hour", line.departures_per_hour), ("oee", line.oee),
        ("availability", line.availability), ("effectiveness", line.effectiveness),
        ("quality_ratio", line.quality_ratio), ("bottleneck", line.bottleneck),
        ("constraint", f"{line.constraint} ({CONSTRAINT_KINDS.get(line.constraint_kind, '')})"
         if line.constraint_kind != "fleet" else f"fleet ({len(k.robots)} robots)"),
        ("constraint_utilisation", line.constraint_utilisation),
        ("mean_lead_time_s", line.mean_lead_time_s), ("wip_mean", line.wip_mean),
        ("fleet_energy_kwh", line.fleet_energy_kwh), ("kwh_per_unit", line.kwh_per_unit),
        ("charges", line.charges), ("mean_charger_wait_s", line.mean_charger_wait_s),
        ("robot_utilisation", line.robot_utilisation),
        ("waiting_spot_share", line.waiting_spot_share),
        ("waiting_traffic_share", line.waiting_traffic_share),
    ]
    for key, value in rows:
        t.add_row(key, _fmt(value))
    out.print(t)
    losses = Table(title="where the bottleneck's time went (ISO 22400 losses)",
                   title_justify="left")
    losses.add_column("loss")
    losses.add_column("hours", justify="right")
    losses.add_column("share", justify="right")
    total = sum(line.losses_s.values()) or 1.0
    for key, secs in line.losses_s.items():
        losses.add_row(key, _fmt(secs / 3600), _pct(secs / total))
    out.print(losses)
    st = Table(title="stations (% of time)", title_justify="left")
    cols = ("processing", "setup", "starved", "blocked", "down", "off_shift")
    for col in ("station", "proc", "setup", "starved", "blocked", "down", "off", "OEE",
                "good", "scrap", "MTBF h", "MTTR min"):
        st.add_column(col, justify="right")
    for sid, s in k.stations.items():
        st.add_row(sid, *[_pct(getattr(s, c)) for c in cols], _pct(s.oee),
                   str(s.good_units), str(s.scrap_units), _fmt(s.mtbf_s / 3600),
                   _fmt(s.mttr_s / 60))
    out.print(st)
    if k.robots:
        rt = Table(title="robots (% of time)", title_justify="left")
        rcols = {"carrying": "carry", "walking_empty": "walk", "picking": "pick",
                 "placing": "place", "to_charger": "to chg", "waiting_charger": "wait chg",
                 "docking": "dock", "charging": "charge", "idle": "idle", "down": "down",
                 "off_shift": "off", "waiting_spot": "wait spot",
                 "waiting_traffic": "wait traffic"}
        rt.add_column("robot")
        for c in (*rcols.values(), "kWh", "chg", "trips"):
            rt.add_column(c, justify="right")
        for rid, r in k.robots.items():
            rt.add_row(rid, *[_pct(getattr(r, c)) for c in rcols], _fmt(r.energy_kwh),
                       str(r.charges), str(r.tasks))
        out.print(rt)
    if k.chargers:
        ct = Table(title="chargers", title_justify="left")
        for c in ("charger", "points", "charges", "mean wait s", "max wait s", "mean queue",
                  "max queue", "busy"):
            ct.add_column(c, justify="right")
        for cid, c in k.chargers.items():
            ct.add_row(cid, str(c.points), str(c.charges), _fmt(c.mean_wait_s),
                       _fmt(c.max_wait_s), _fmt(c.mean_queue), str(c.max_queue),
                       _pct(c.utilisation))
        out.print(ct)
    _print_floor(k)


def _print_floor(k: Any) -> None:
    """Work spots that saw a queue, and the aisles and stretches where robots waited."""
    queued = {name: s for name, s in k.spots.items() if s.max_queue > 0}
    if queued:
        sp = Table(title="work spots with a queue", title_justify="left")
        for c in ("location", "spots", "visits", "busy", "mean queue", "max queue",
                  "mean wait s", "hand-over s"):
            sp.add_column(c, justify="right")
        for name, s in queued.items():
            sp.add_row(name, str(s.spots), str(s.visits), _pct(s.utilisation),
                       _fmt(s.mean_queue), str(s.max_queue), _fmt(s.mean_wait_s),
                       _fmt(s.hand_over_s))
        out.print(sp)
    traffic = k.traffic
    if traffic is not None and traffic.enabled and traffic.aisles:
        at = Table(title=f"aisle traffic ({traffic.holds} walks held, "
                         f"{traffic.deadlocks} deadlocks)", title_justify="left")
        for c in ("aisle or stretch", "robots abreast", "robots/h", "blocked robot-h"):
            at.add_column(c, justify="right")
        for name, a in list(traffic.aisles.items())[:12]:
            at.add_row(name, str(a.lanes), _fmt(a.passages_per_hour), _fmt(a.blocked_s / 3600))
        out.print(at)


def _pct(x: float) -> str:
    return "-" if math.isnan(x) else f"{100 * x:.0f}"


@app.command()
def check(line: LineArg) -> None:
    """Validate a line: fields, references, reachability, payloads, charging; print the layout."""
    from twin.checks import leg_transport, node_location, routes
    from twin.floor import build_walkways
    from twin.robot import RobotSpec

    try:
        spec = load_line(line)
    except ConfigError as exc:
        fail(str(exc))
        return
    ways = build_walkways(spec.layout)
    out.print(f"[green]ok[/] {line}: [bold]{spec.name}[/] — {len(spec.stations)} stations, "
              f"{len(spec.products)} products, "
              f"{spec.fleet.count if spec.fleet else 0} robots, "
              f"{sum(c.count for c in spec.chargers.values())} charger points")
    loc = Table(title="locations", title_justify="left")
    for c in ("name", "kind", "x", "y"):
        loc.add_column(c)
    for name, p in spec.layout.locations.items():
        loc.add_row(name, p.kind, f"{p.x:g}", f"{p.y:g}")
    out.print(loc)
    legs = Table(title="transport legs (walkable distance)", title_justify="left")
    for c in ("from", "to", "kind", "distance m", "tote"):
        legs.add_column(c)
    seen = set()
    for route in routes(spec).values():
        for a, b in zip(route, route[1:], strict=False):
            if (a, b) in seen:
                continue
            seen.add((a, b))
            t = leg_transport(spec, a, b)
            d = ways.dist(node_location(spec, a), node_location(spec, b))
            tote = (f"{t.tote_units} units, {t.payload(t.tote_units):g} kg"
                    if t.kind == "humanoid" else "")
            legs.add_row(a, b, t.kind, f"{d:.1f}", tote)
    out.print(legs)
    if spec.fleet is not None and isinstance(spec.fleet.robot, RobotSpec):
        _print_figures(spec.fleet.robot)


def _print_figures(robot: Any) -> None:
    """Where each robot figure comes from: datasheet, calibration (file, digest), override."""
    from twin import figures

    found = figures.resolve(robot)
    table = Table(title=figures.summary(robot, found), title_justify="left")
    for c in ("figure", "used", "datasheet says", "from"):
        table.add_column(c)
    for row in figures.table(robot, found):
        table.add_row(*row)
    out.print(table, soft_wrap=True)
    for note in found.scaled:
        out.print(f"  scaled: {note}", highlight=False)
    always = ", ".join(figures.ALWAYS_DATASHEET)
    out.print(f"  always datasheet: {always}", highlight=False, soft_wrap=True)
    from twin.physics.grip import liftable

    lift = liftable(robot)
    out.print(f"  payload: {robot.max_payload:g} kg rated; the arm motors lift {lift.kg:.1f} kg "
              f"(limited by {lift.why()})", highlight=False, soft_wrap=True)
    from twin.physics.body import REFERENCE_HEIGHT, STAND_HEIGHT, Body

    body = Body.of(robot.height)
    low, high = body.work_heights()
    out.print(f"  body: {robot.height:g} m, the reference {REFERENCE_HEIGHT:g} m humanoid x "
              f"{body.scale:.3f}; its arms reach work surfaces {low:.2f}-{high:.2f} m high "
              f"(the line's: {STAND_HEIGHT:.2f} m)", highlight=False, soft_wrap=True)


@app.command()
def schema(
    robot: Annotated[bool, typer.Option(help="the robot YAML schema instead of the line's")]
    = False,
) -> None:
    """Print the JSON Schema of a line (or robot) YAML, for editors."""
    from twin.config import Line
    from twin.robot import RobotSpec

    model = RobotSpec if robot else Line
    sys.stdout.write(json.dumps(model.model_json_schema(by_alias=True), indent=1) + "\n")


@app.command()
def calibrate(
    robot: Annotated[Path, typer.Argument(help="robot YAML, e.g. assets/robots/walker_s2.yaml")],
    out_file: Annotated[Path | None, typer.Option("--out", help="calibration JSON to write")]
    = None,
    seeds: Annotated[int | None, typer.Option(
        help="physics seeds per grid point [default: 2]")] = None,
    refit: Annotated[bool, typer.Option(
        "--refit", help="fit the physics runs the calibration recorded again, without physics "
        "(after the surrogate's forms change)")] = False,
) -> None:
    """Fit the surrogate motion model from PyBullet physics runs of the robot."""
    from twin.loader import load_robot
    from twin.motion import calibration_path

    try:
        load_robot(str(robot))
    except ConfigError as exc:
        fail(str(exc))
    if seeds is not None and seeds < 1:
        fail(f"--seeds must be at least 1, got {seeds}")
    say = lambda msg: err.print(msg, highlight=False)  # noqa: E731
    if refit:
        if seeds is not None:
            fail("--seeds runs physics: --refit fits the runs already recorded (drop one)")
        from twin.calibrate import refit as fit_again

        try:
            result = fit_again(robot, out_file, progress=say)
        except (OSError, ValueError, RuntimeError) as exc:  # (too few walks recorded)
            fail(str(exc))
    else:
        try:
            from twin.calibrate import calibrate as fit
        except ImportError as exc:  # pragma: no cover
            fail(f"calibration needs the physics extra (pybullet): {exc}")
            return
        result = fit(robot, out_file, seeds=tuple(range(2 if seeds is None else seeds)),
                     progress=say)
    target = out_file or calibration_path(result.robot)
    out.print(f"[green]calibrated[/] {result.robot} -> {target}")
    out.print(json.dumps(result.provenance.get("fit_error", {}), indent=1))


@app.command()
def demo(
    out_dir: Annotated[Path, typer.Option("--out", help="where runs, tables and images go")]
    = Path("out/demo"),
    view: Annotated[bool, typer.Option(help="show each teaching line in the 3D viewer")] = False,
    headline: Annotated[bool, typer.Option(
        help="answer tote_line's capacity question instead: study, report, image")] = False,
) -> None:
    """The classroom tour of the teaching lines, or (--headline) the flagship capacity study."""
    from twin import demo as tour

    if headline:
        tour.headline(out_dir)
    else:
        tour.demo(out_dir, view=view)


@app.command()
def plant(
    rows: Annotated[int, typer.Option(help="parallel door lines in the hall")] = 10,
    stations_per_row: Annotated[int, typer.Option(help="stations in each row")] = 5,
    robots_per_row: Annotated[int, typer.Option(help="humanoids in each row's zone")] = 4,
    aisle: Annotated[float, typer.Option(
        help="width of each row's aisle in m: 3 lets four robots abreast, 1.2 one at a time")]
    = 3.0,
    out_file: Annotated[Path, typer.Option(
        "--out", help="the line YAML to write; its name is the file's stem")] = Path("plant.yaml"),
) -> None:
    """Write a car-plant hall of door lines (rows, aisles, kitting, swap docks, zones) as YAML."""
    from twin import plant as hall

    try:
        doc = hall.plant(rows, stations_per_row, robots_per_row, aisle=aisle,
                         name=out_file.stem)
    except ValueError as exc:
        fail(f"--{str(exc).replace('_', '-')}")
        return
    text = hall.to_yaml(doc, hall.header(rows, stations_per_row, robots_per_row, aisle))
    out_file.write_text(text, encoding="utf-8")
    out.print(f"[green]wrote[/] {out_file}: {doc['description']}")


def _register_extras() -> None:
    """Commands whose modules live with their part; each imports its heavy libraries lazily."""
    from twin import card as robot_card
    from twin import datacommands as data_commands
    from twin.study import commands as study_commands
    from twin.study.optimize_command import optimize
    from viewer import animate as viewer_animate
    from viewer import commands as viewer_commands

    app.command("study")(study_commands.study)
    app.command("report")(study_commands.report)
    app.command()(optimize)
    app.command()(viewer_commands.view)
    app.command()(viewer_commands.render)
    app.command()(viewer_commands.export)
    app.command()(data_commands.fit)
    app.command("export-ocel")(data_commands.export_ocel)
    app.command("import-layout")(data_commands.import_layout)
    app.command()(viewer_animate.animate)
    app.command()(robot_card.card)


_register_extras()


def main() -> None:
    """Entry point of the ``twin`` script: option mistakes end in one line too, not a box."""
    import os

    from typer.exceptions import Abort, TyperException

    try:
        code = app(standalone_mode=False)
    except TyperException as exc:  # typer's (vendored click's) usage and parameter errors
        ctx = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:
            sys.stdout.write(ctx.get_help() + "\n")  # `twin study` with nothing: its help
        else:
            where = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
            message = " ".join(exc.format_message().split())
            err.print(f"[bold red]error:[/] {message}{where}", highlight=False, soft_wrap=True)
        code = 2
    except (Abort, KeyboardInterrupt):
        from twin.interrupt import say

        say()  # the one line (typer itself exits 130 silently: twin.interrupt.run says it)
        code = 130
    except ConfigError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        code = 2
    except Exception as exc:
        if os.environ.get("TWIN_DEBUG"):
            raise
        err.print(f"[bold red]error:[/] internal error ({type(exc).__name__}: "
                  f"{str(exc).splitlines()[0] if str(exc) else ''}); set TWIN_DEBUG=1 for the "
                  "traceback and report it", highlight=False, soft_wrap=True)
        code = 1
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
