"""Commands that bring plant data in: ``twin fit`` (input distributions from observed times, or
from a station log)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from twin.units import TIME_UNITS


def _fail(message: str) -> None:
    """One line, exit 2 (messages quoting a library's exception may hold line breaks)."""
    from twin.cli import fail

    fail(" ".join(message.split()))


def _read_column(path: Path, column: str | None, censored: str | None,
                 unit: str) -> tuple[np.ndarray, np.ndarray | None, str]:
    import pandas as pd

    try:
        df = pd.read_csv(path)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        _fail(f"{path}: cannot read it as CSV ({exc})")
        raise
    if column is None:
        numeric = [c for c in df.columns if pd.api.types.is_numeric_dtype(df[c])
                   and c != censored]
        if len(numeric) != 1:
            _fail(f"{path}: say which column holds the times with --column (columns: "
                  f"{', '.join(map(str, df.columns))})")
        column = str(numeric[0])
    for name, option in ((column, "--column"), (censored, "--censored")):
        if name is not None and name not in df.columns:
            _fail(f"{path}: {option} {name}: no such column (columns: "
                  f"{', '.join(map(str, df.columns))})")
    values = pd.to_numeric(df[column], errors="coerce")
    if values.isna().any():
        row = int(np.argmax(values.isna().to_numpy()))
        _fail(f"{path}: row {row + 2}, column {column}: {df[column].iloc[row]!r} is not a "
              "number; remove the row or fix the value")
    times = values.to_numpy(dtype=float) * TIME_UNITS[unit]
    flags = None
    if censored is not None:
        raw = df[censored].astype(str).str.strip().str.lower()
        truth = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False,
                 "1.0": True, "0.0": False}
        bad = ~raw.isin(list(truth))
        if bad.any():
            row = int(np.argmax(bad.to_numpy()))
            _fail(f"{path}: row {row + 2}, column {censored}: {df[censored].iloc[row]!r}: write "
                  "1 (censored: still running when the record ended) or 0 (failed)")
        flags = raw.map(truth).to_numpy(dtype=bool)
    return times, flags, column


def fit(
    data: Annotated[Path | None, typer.Argument(
        help="CSV of observed times (cycle, repair, interarrival, time to failure)")] = None,
    column: Annotated[str | None, typer.Option(
        help="column of times (default: the only numeric one)")] = None,
    censored: Annotated[str | None, typer.Option(
        help="column flagging right-censored times: 1 = still running when the record ended")]
    = None,
    unit: Annotated[str, typer.Option(help="unit of the times: s, min, h ...")] = "s",
    station_log: Annotated[Path | None, typer.Option(
        "--station-log", help="a station log CSV (station, event, time [, unit]): fit every "
        "station's process, ttf and ttr")] = None,
    bootstrap: Annotated[int, typer.Option(
        help="bootstrap samples for the goodness-of-fit p-values (0 to 10000)")] = 199,
    seed: Annotated[int, typer.Option(help="random seed of the bootstrap")] = 0,
    plot: Annotated[Path | None, typer.Option(
        help="SVG to write (with --station-log: a directory, one SVG per fitted sample)")]
    = None,
) -> None:
    """Fit twin's distributions to observed times, rank them, print the YAML to paste."""
    from twin import fit as fitting

    if (data is None) == (station_log is None):
        _fail("give either a CSV of times (twin fit DATA.csv) or --station-log LOG.csv")
    if unit.lower() not in TIME_UNITS or not unit:
        _fail(f"--unit {unit!r}: use one of s, min, h, d")
    unit = unit.lower()
    if not 0 <= bootstrap <= 10_000:
        _fail(f"--bootstrap {bootstrap}: give 0 to 10000 samples (0 skips the p-values)")
    if not 0 <= seed < 2**63:
        _fail(f"--seed {seed}: give 0 to 2^63-1")
    if station_log is not None:
        _fit_station_log(station_log, bootstrap, seed, plot)
        return
    assert data is not None
    times, flags, column = _read_column(data, column, censored, unit)
    try:
        sample = fitting.Sample.of(times, flags)
    except fitting.FitError as exc:
        _fail(f"{data}: column {column}: {exc}")
        return
    _report(sample, f"{data}:{column}", bootstrap, seed, plot)


def _report(sample: object, what: str, bootstrap: int, seed: int, plot: Path | None,
            key: str = "") -> str:
    """Fit, print the ranking and the YAML; return the best YAML (or empirical)."""
    from rich.table import Table

    from twin import fit as fitting
    from twin.cli import out

    assert isinstance(sample, fitting.Sample)
    fits, skipped = fitting.fit_all(sample, bootstrap=bootstrap, seed=seed)
    n, events = sample.times.size, int(sample.event.sum())
    cens = f", {n - events} right-censored" if sample.censored else ""
    test = "Kolmogorov distance to Kaplan-Meier" if sample.censored else "Anderson-Darling A2"
    t = Table(title=f"{what}: {n} times{cens}; ranked: not rejected at 5% first, then AIC",
              title_justify="left")
    for c in ("rank", "distribution (YAML)", "mean", "cv", test, "bootstrap p", "AIC"):
        t.add_column(c, justify="left" if c.startswith("dist") else "right")
    for i, f in enumerate(fits, 1):
        p = "-" if np.isnan(f.p_value) else f"{f.p_value:.3f}"
        t.add_row(str(i), f.yaml(), fitting.duration(f.mean), f"{f.cv:.3g}",
                  f"{f.statistic:.4g}", p + (" rejected" if f.rejected else ""), f"{f.aic:.1f}")
    out.print(t)
    for family, why in skipped.items():
        out.print(f"  {family}: not fitted, {why}", highlight=False)
    emp = fitting.flow_yaml(fitting.empirical(sample))
    best = fits[0].yaml() if fits and not fits[0].rejected else emp
    label = f"{key}: " if key else ""
    why = ("best fit" if best != emp else "all times equal: a constant" if not fits
           else "every family rejected: the empirical distribution")
    out.print(f"\n# paste ({why}):", highlight=False)
    out.print(f"{label}{best}", highlight=False, soft_wrap=True)
    if best != emp:
        out.print(f"# or the {'Kaplan-Meier ' if sample.censored else ''}empirical one:",
                  highlight=False)
        out.print(f"{label}{emp}", highlight=False, soft_wrap=True)
    if plot is not None and fits:
        from twin.fitplot import svg

        try:
            plot.write_text(svg(sample, fits, what), encoding="utf-8")
        except OSError as exc:
            _fail(f"--plot {plot}: cannot write it ({exc.strerror or exc})")
        out.print(f"plot: {plot}", highlight=False)
    return best


def _fit_station_log(path: Path, bootstrap: int, seed: int, plot_dir: Path | None) -> None:
    from twin import fit as fitting
    from twin import stationlog
    from twin.cli import out

    try:
        per_station = stationlog.samples(stationlog.read_log(path), path)
    except stationlog.LogError as exc:
        _fail(str(exc))
        return
    if plot_dir is not None:
        try:
            plot_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            _fail(f"--plot {plot_dir}: cannot make the directory ({exc.strerror or exc})")
    lines = ["stations:"]
    for sid, s in per_station.items():
        lines.append(f"  {sid}:")
        parts = (("process", s.process, None), ("ttf", s.ttf, s.ttf_censored),
                 ("ttr", s.ttr, s.ttr_censored))
        found: dict[str, str] = {}
        for key, times, flags in parts:
            try:
                sample = fitting.Sample.of(times, flags)
            except fitting.FitError as exc:
                found[key] = f"# {key}: not fitted: {exc}"
                continue
            svg_path = plot_dir / f"{sid}_{key}.svg" if plot_dir is not None else None
            found[key] = _report(sample, f"{sid} {key}", bootstrap, seed, svg_path, key)
        if found["process"].startswith("#"):
            lines.append(f"    {found['process']}")
        else:
            lines.append(f"    process: {found['process']}")
        if all(not found[k].startswith("#") for k in ("ttf", "ttr")):
            lines += ["    failures:", f"      ttf: {found['ttf']}", f"      ttr: {found['ttr']}"]
        else:
            lines += [f"    {found[k]}" for k in ("ttf", "ttr") if found[k].startswith("#")]
    out.print("\n# paste into the line's stations (merge with their other fields):",
              highlight=False)
    out.print("\n".join(lines), highlight=False, soft_wrap=True)


def export_ocel(
    run_dir: Annotated[Path, typer.Argument(help="a run directory written by twin run --out")],
    json_out: Annotated[Path | None, typer.Option(
        "--json", help="OCEL 2.0 JSON file to write")] = None,
    sqlite_out: Annotated[Path | None, typer.Option(
        "--sqlite", help="OCEL 2.0 SQLite file to write")] = None,
    start: Annotated[str, typer.Option(
        help="the date of the run's first Monday (t = 0 is Monday 00:00 UTC)")] = "2024-01-01",
) -> None:
    """Export a run's event log as an object-centric event log (OCEL 2.0) for process mining."""
    import datetime as dt
    import sqlite3

    from twin import ocel

    if json_out is None and sqlite_out is None:
        _fail("give --json FILE, --sqlite FILE or both")
    try:
        day = dt.date.fromisoformat(start)
    except ValueError:
        _fail(f"--start {start!r}: write a date such as 2024-01-01")
        raise
    if day.weekday() != 0:
        _fail(f"--start {start}: is a {day:%A}; twin's t = 0 is a Monday 00:00, give a Monday")
    begin = dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)
    try:
        line, events = ocel.read_run(run_dir)
    except ValueError as exc:
        _fail(str(exc))
        raise
    log = ocel.build(line, events, begin)
    from twin.cli import out

    for path, write in ((json_out, log.write_json), (sqlite_out, log.write_sqlite)):
        if path is None:
            continue
        try:
            write(path)
        except (OSError, sqlite3.Error) as exc:
            _fail(f"{path}: cannot write it ({exc})")
        out.print(f"[green]wrote[/] {path}", highlight=False)
    named = log.carried - log.unmatched
    out.print(f"{len(log.events)} events, {len(log.objects)} objects "
              f"({', '.join(f'{n} {t}' for t, n in _count_types(log).items())}); "
              f"{named} of {log.carried} carried units named", highlight=False)


def _count_types(log: object) -> dict[str, int]:
    from collections import Counter

    return dict(Counter(o.type for o in log.objects))  # type: ignore[attr-defined]


def import_layout(
    plan: Annotated[Path, typer.Argument(help="a DXF floor plan")],
    layer: Annotated[list[str] | None, typer.Option(
        help="map a layer to a kind: NAME=KIND, KIND one of rack, machine, wall, conveyor, "
        "other (outlines: obstacles), station, charger, dock, buffer, point (blocks and "
        "points: locations), floor, ignore (repeatable; default: the kind a layer's name "
        "contains)")] = None,
    units: Annotated[str | None, typer.Option(
        help="drawing units when the DXF does not say: mm, cm, m, in, ft")] = None,
    out_file: Annotated[Path | None, typer.Option(
        "--out", help="write the layout YAML here (default: print it)")] = None,
) -> None:
    """Read a DXF floor plan into a line's layout: obstacles from outlines, named locations."""
    import sys

    from twin.cli import err, out
    from twin.floor import dxf

    layer_map: dict[str, str] = {}
    for item in layer or []:
        name, sep, kind = item.partition("=")
        if not sep or not name or not kind:
            _fail(f"--layer {item!r}: write NAME=KIND, e.g. --layer A-RACKS=rack")
        layer_map[name] = kind.strip().lower()
    try:
        read = dxf.read_plan(plan, layer_map, units)
    except dxf.DxfError as exc:
        _fail(str(exc))
        raise
    text = dxf.to_yaml(read, plan.name)
    summary = (f"{len(read.obstacles)} obstacles "
               f"({sum('points' in o for o in read.obstacles)} polygons), "
               f"{len(read.locations)} locations, floor {read.width:g} x {read.depth:g} m")
    if read.skipped:
        summary += "; not imported: " + ", ".join(
            f"{n} on layer {k!r}" for k, n in sorted(read.skipped.items()))
    if out_file is None:
        sys.stdout.write(text)
        err.print(summary, highlight=False, soft_wrap=True)
        return
    try:
        out_file.write_text(text, encoding="utf-8")
    except OSError as exc:
        _fail(f"--out {out_file}: cannot write it ({exc.strerror or exc})")
    out.print(f"[green]wrote[/] {out_file}: {summary}", highlight=False, soft_wrap=True)
