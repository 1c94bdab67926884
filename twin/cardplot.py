"""Drawing the robot card (``twin.card`` holds its figures): a one-page PNG with four panels,
the datasheet-against-physics table and the provenance, and an HTML page embedding it.

matplotlib (Agg, no window, no pyplot state) is imported here, when a card is drawn.
"""

from __future__ import annotations

import base64
import math
import textwrap
from html import escape
from pathlib import Path
from typing import Any

import numpy as np

from twin import card
from twin.motion import GRAVITY, Calibration
from twin.robot import RobotSpec

SIZE_IN = (16.0, 11.3)  # A4 landscape proportions
DPI = 110
PAYLOAD_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b")
DISTANCE_COLOURS = ("#9467bd", "#17becf", "#bcbd22", "#e377c2")
ACT_COLOURS = {"pick": "#d62728", "place": "#1f77b4", "dock": "#2ca02c"}
KIND_MARKERS = {"walk": "o", "pick": "^", "place": "v", "dock": "s"}
STAMP = "Calibration"
"""PNG text key holding the calibration's date and body digest: a card names what it shows."""


def stamp(cal: Calibration) -> str:
    """The calibration a card was drawn from: its fitting date and the body's digest."""
    prov = cal.provenance
    return f"{prov.get('date', '?')} {prov.get('robot_digest', 'unbound')}"


def _grid(cal: Calibration, key: str, default: tuple[float, ...]) -> list[float]:
    values = cal.provenance.get("grid", {}).get(key)
    return [float(x) for x in values] if isinstance(values, list) and values else list(default)


def _nearest(value: float, choices: list[float]) -> int:
    return int(np.argmin([abs(value - c) for c in choices]))


def _dots(ax: Any, points: list[tuple[float, float]], marker: str, colour: str,
          label: str | None = None) -> Any:
    """Runs as points (``gid`` "runs": a test finds them); rows lacking a figure are left out.
    Returns the artist, None when no row had the figures."""
    points = [p for p in points if math.isfinite(p[0]) and math.isfinite(p[1])]
    if not points:
        return None
    xs, ys = zip(*points, strict=True)
    return ax.plot(xs, ys, marker, ls="none", ms=4.5, color=colour, alpha=0.7, gid="runs",
                   label=label)[0]


def _entry(handles: list[Any], labels: list[str], fit: Any, dots: Any, label: str) -> None:
    """One legend entry for a fitted curve and the runs drawn beside it."""
    handles.append(fit if dots is None else (fit, dots))
    labels.append(label if dots is None else f"{label}; dots: runs")


def _speed_panel(ax: Any, spec: RobotSpec, cal: Calibration,
                 runs: dict[str, list[dict[str, Any]]]) -> None:
    payloads = _grid(cal, "payloads", (0.0, spec.max_payload / 2, spec.max_payload))
    factors = _grid(cal, "speed_factors", (0.8, 1.0))
    rmse = float(cal.provenance.get("fit_error", {}).get("walk", {}).get("speed_ratio_rmse", 0))
    lo, hi = 0.9 * min(factors) * spec.speed_loaded, 1.08 * max(factors) * spec.speed_empty
    ax.plot([lo, hi], [lo, hi], color="0.55", ls="--", lw=1,
            label="datasheet: achieved = commanded")
    for k, m in enumerate(payloads):
        colour = PAYLOAD_COLOURS[k % len(PAYLOAD_COLOURS)]
        cmd = np.linspace(min(factors), max(factors), 2) * spec.speed(m)
        got = cmd * cal.walk.ratio(m)
        ax.plot(cmd, got, color=colour, lw=2, label=f"physics fit, {m:g} kg")
        ax.fill_between(cmd, got * (1 - rmse / cal.walk.ratio(m)),
                        got * (1 + rmse / cal.walk.ratio(m)), color=colour, alpha=0.15, lw=0)
        points = [(card.number(r, "speed"), card.number(r, "cruise"))
                  for r in runs.get("walk", []) if card.number(r, "ok") > 0
                  and _nearest(card.number(r, "payload"), payloads) == k]
        _dots(ax, points, "o", colour)
    span = hi - lo
    for k, (m, v, name) in enumerate(((0.0, spec.speed_empty, "speed_empty"),
                                      (spec.max_payload, spec.speed_loaded, "speed_loaded"))):
        ax.plot(v, v, "D", color="0.3", ms=6)
        ax.annotate(f"datasheet {name} {v:g} m/s", (v, v), fontsize=8, color="0.3",
                    xytext=(lo + 0.03 * span, hi - (0.08 + 0.07 * k) * span),
                    arrowprops={"arrowstyle": "-", "color": "0.6", "lw": 0.8})
        ax.errorbar(v, v * cal.walk.ratio(m), yerr=rmse * v, fmt="o", color="k", ms=5,
                    capsize=3)
    ax.plot([], [], "o", color="k", ms=5, label="physics at the datasheet speeds, ± rmse")
    if runs:
        ax.plot([], [], "o", ms=4, color="0.5", alpha=0.7, label="runs (colour: payload)")
    ax.set(xlim=(lo, hi), ylim=(lo, hi), xlabel="commanded speed (m/s)",
           ylabel="achieved cruise speed (m/s)", title="Achieved against commanded speed")
    ax.legend(fontsize=8, loc="lower right")


def _energy_panel(ax: Any, spec: RobotSpec, cal: Calibration,
                  runs: dict[str, list[dict[str, Any]]]) -> None:
    m = np.linspace(0.0, spec.max_payload, 31)
    cruise = np.array([card.energy_per_metre(spec, cal, x) for x in m])
    cv = cal.walk.energy_cv
    handles: list[Any] = [ax.plot(m, cruise, color="k", lw=2)[0],
                          ax.fill_between(m, cruise * (1 - cv), cruise * (1 + cv), color="k",
                                          alpha=0.1, lw=0)]
    labels = ["physics fit, cruising", f"± {cv:.1%} (energy cv of the fit)"]
    top = [float(cruise.max() * (1 + cv))]
    distances = _grid(cal, "distances", (3.0, 6.0, 10.0))
    for k, d in enumerate(distances):
        colour = DISTANCE_COLOURS[k % len(DISTANCE_COLOURS)]
        done = [r for r in runs.get("walk", []) if card.number(r, "ok") > 0
                and _nearest(card.number(r, "distance"), distances) == k]
        turns = [t for t in (card.number(r, "turn") for r in done) if math.isfinite(t)]
        turn = float(np.mean(turns)) if turns else 0.0  # the runs' own turning at the ends
        walk = [card.energy_per_metre(spec, cal, x, d, turn) for x in m]
        fit = ax.plot(m, walk, color=colour, lw=1.3, ls="--")[0]
        points = [(card.number(r, "payload"), card.number(r, "energy") / card.number(r, "distance"))
                  for r in done]
        dots = _dots(ax, points, "o", colour)
        _entry(handles, labels, fit, dots,
               f"{d:g} m walk from standing, {turn:.1f} rad turned, fit")
        top += [max(walk), *(y for _, y in points if math.isfinite(y))]
    sheet = [card.datasheet_energy_per_metre(spec, x) for x in m]
    handles.append(ax.plot(m, sheet, color="0.55", lw=2, ls=":")[0])
    labels.append("datasheet: walking power / speed")
    ax.set(xlabel="payload (kg)", ylabel="energy per metre (J/m)",
           xlim=(-0.5, spec.max_payload + 0.5), ylim=(0, 1.4 * max(*top, *sheet)),
           title="Energy per metre against payload (datasheet speed)")
    weight = spec.mass * GRAVITY
    cot = ax.secondary_yaxis("right", functions=(lambda j: j / weight, lambda c: c * weight))
    cot.set_ylabel("cost of transport (J/m per N of robot weight)")
    ax.legend(handles, labels, fontsize=7.5, loc="upper left")


def _act_panel(ax: Any, spec: RobotSpec, cal: Calibration,
               runs: dict[str, list[dict[str, Any]]]) -> None:
    m = np.linspace(0.0, spec.max_payload, 2)
    handles: list[Any] = []
    labels: list[str] = []
    for kind, sheet in (("pick", spec.pick_time), ("place", spec.place_time),
                        ("dock", spec.dock_time)):
        fit, colour = getattr(cal, kind), ACT_COLOURS[kind]
        sd = fit.duration_sd
        if kind == "dock":
            mean = fit.mean(0.0)[0]
            drawn = ax.errorbar([0.0], [mean], yerr=[sd], fmt="s", color=colour, ms=7,
                                capsize=4, lw=2)
            label = f"physics dock (empty): {mean:.1f} ± {sd:.1f} s"
        else:
            t = np.array([fit.mean(x)[0] for x in m])
            drawn = ax.plot(m, t, color=colour, lw=2)[0]
            ax.fill_between(m, t - sd, t + sd, color=colour, alpha=0.15, lw=0)
            label = f"physics {kind}: {t[0]:.1f}-{t[1]:.1f} ± {sd:.1f} s"
        ax.axhline(sheet, color=colour, ls=":", lw=1.5)
        ax.annotate(f"datasheet {kind}_time {sheet:g} s", (spec.max_payload, sheet),
                    xytext=(-4, 3), textcoords="offset points", ha="right", fontsize=8,
                    color=colour)
        dots = _dots(ax, [(card.number(r, "payload"), card.number(r, "duration"))
                          for r in runs.get(kind, []) if card.number(r, "ok") > 0],
                     KIND_MARKERS[kind], colour)
        _entry(handles, labels, drawn, dots, label)
    top = max(spec.pick_time, spec.place_time, spec.dock_time,
              *(f.mean(spec.max_payload)[0] + 2 * f.duration_sd
                for f in (cal.pick, cal.place, cal.dock)),
              *(card.number(r, "duration") for k in ("pick", "place", "dock")
                for r in runs.get(k, []) if math.isfinite(card.number(r, "duration"))))
    ax.set(xlabel="payload (kg)", ylabel="duration (s)", xlim=(-0.5, spec.max_payload + 0.5),
           ylim=(0, top * 1.35), title="Pick, place and dock times (± 1 sd)")
    ax.legend(handles, labels, fontsize=8, loc="upper left")


def _margin_panel(ax: Any, spec: RobotSpec, runs: dict[str, list[dict[str, Any]]]) -> None:
    found = card.margins(runs)
    ax.set(title="Stability margin (capture point to the support's edge)",
           xlabel="payload (kg)", ylabel="capture-point margin (mm)",
           xlim=(-0.5, spec.max_payload + 0.5))
    ax.axhline(0.0, color="k", lw=1)
    if not found:
        ax.set_ylim(-10, 100)
        ax.text(0.5, 0.55, f"{card.NOT_MEASURED}\n\nno run of this calibration\nrecords a "
                f"capture-point margin\n({card.MARGIN} in its rows)",
                transform=ax.transAxes, ha="center", va="center", fontsize=11, color="0.3")
        return
    for k, (kind, points) in enumerate(found.items()):
        _dots(ax, [(m, 1000 * x) for m, x in points], KIND_MARKERS[kind],
              PAYLOAD_COLOURS[k % len(PAYLOAD_COLOURS)], f"{kind} runs ({len(points)})")
    ys = [1000 * x for points in found.values() for _, x in points]
    low, high = min(0.0, *ys), max(0.0, *ys)
    pad = 0.15 * (high - low or 1.0)
    ax.set_ylim(low - pad, high + pad)
    ax.annotate("below 0: the capture point is outside the feet (walking, the next step "
                "catches it)", (0.01, 0.02),
                xycoords="axes fraction", fontsize=8, color="0.3")
    ax.legend(fontsize=8, loc="upper right")


def _text_column(ax: Any, rows: list[card.Row], lines: list[str], spec: RobotSpec) -> None:
    """The table (columns set by the widths of what they hold) and the provenance below."""
    ax.set_axis_off()
    ax.set(xlim=(0, 1), ylim=(0, 1))
    heading = {"fontsize": 11, "fontweight": "bold", "va": "top"}
    ax.text(0.0, 1.0, f"Datasheet ({spec.name} robot YAML) beside the physics", **heading)
    cells = [("figure", "datasheet", "physics"),
             *((r.figure, r.datasheet, r.physics) for r in rows)]
    step = 0.64 / len(cells)
    texts: list[list[Any]] = [[], [], []]
    for k, cell in enumerate(cells):
        y = 0.955 - k * step
        if k % 2 == 1:
            ax.axhspan(y - step / 2, y + step / 2, color="0.93", lw=0)
        for col, text in enumerate(cell):
            texts[col].append(ax.text(0.0, y, text, fontsize=8.5, va="center",
                                      fontweight="bold" if k == 0 else "normal"))
    renderer = ax.figure.canvas.get_renderer()
    width = ax.get_window_extent(renderer).width
    for size in (8.5, 8.0, 7.5, 7.0, 6.5):  # the largest type at which the columns fit
        x, starts = 0.0, []
        for column in texts:
            starts.append(x)
            for t in column:
                t.set_fontsize(size)
            x += max(t.get_window_extent(renderer).width for t in column) / width + 0.025
        if x <= 1.0 + 0.025:
            break
    for column, start in zip(texts, starts, strict=True):
        for t in column:
            t.set_x(start)
    y = 0.955 - len(cells) * step
    ax.text(0.0, y, "datasheet energies: its power draws over its own times and speeds",
            fontsize=7.5, va="top", color="0.35")
    y -= 0.035
    ax.text(0.0, y, "Provenance of the physics figures", **heading)
    y -= 0.035
    for line in lines:
        for part in textwrap.wrap(line, 88, subsequent_indent="    "):
            ax.text(0.0, y, part, fontsize=8.5, va="top")
            y -= 0.021


def draw(spec: RobotSpec, cal: Calibration, source: str = "") -> Any:
    """The card as a matplotlib ``Figure`` (not attached to pyplot)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    runs = card.runs_of(cal)
    fig = Figure(figsize=SIZE_IN, dpi=DPI)
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(2, 3, width_ratios=(1.0, 1.0, 1.4), left=0.05, right=0.99,
                            top=0.9, bottom=0.06, wspace=0.28, hspace=0.25)
    what = spec.description or spec.name
    fig.suptitle(f"Robot card: {spec.name} ({what}); {spec.mass:g} kg, "
                 f"{spec.max_payload:g} kg payload, physics calibration of "
                 f"{str(cal.provenance.get('date', '?'))[:16].replace('T', ' ')} UTC",
                 fontsize=14, fontweight="bold", y=0.985)
    counted = {kind: len(rows) for kind, rows in runs.items() if rows}
    fig.text(0.5, 0.945, "Dots: the calibration's runs (" + ", ".join(
        f"{n} {kind}" for kind, n in counted.items()) + "); lines and bands: the fitted "
        "surrogate and its spread; dotted or grey: the datasheet" if counted else
        f"Lines and bands: the fitted surrogate and its spread; dotted or grey: the datasheet. No "
        f"{card.NO_RUNS}", ha="center", fontsize=11)
    _speed_panel(fig.add_subplot(grid[0, 0]), spec, cal, runs)
    _energy_panel(fig.add_subplot(grid[0, 1]), spec, cal, runs)
    _act_panel(fig.add_subplot(grid[1, 0]), spec, cal, runs)
    _margin_panel(fig.add_subplot(grid[1, 1]), spec, runs)
    _text_column(fig.add_subplot(grid[:, 2]), card.table(spec, cal),
                 card.provenance(spec, cal, source), spec)
    return fig


def write(spec: RobotSpec, cal: Calibration, out_dir: str | Path, source: str = "",
          html: bool = True) -> tuple[Path, Path | None]:
    """Write ``robot_card_<robot>.png`` (and ``.html``) into ``out_dir``; return their paths.

    The PNG is stored in 256 colours (a third of the bytes; the card is lines and text), with
    the calibration it shows under the text key ``Calibration``."""
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    png = out / f"{card.card_stem(spec.name)}.png"
    canvas = draw(spec, cal, source).canvas
    canvas.draw()
    info = PngInfo()
    info.add_text(STAMP, stamp(cal))
    info.add_text("Title", f"robot card of {spec.name}")
    image = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba())
    image.convert("RGB").quantize(256, method=Image.Quantize.FASTOCTREE).save(png, pnginfo=info)
    if not html:
        return png, None
    page_path = png.with_suffix(".html")
    page_path.write_text(page(spec, cal, png.read_bytes(), source), encoding="utf-8")
    return png, page_path


def page(spec: RobotSpec, cal: Calibration, png: bytes, source: str = "") -> str:
    """The HTML page: the card's picture, then its table and provenance as text."""
    picture = base64.b64encode(png).decode("ascii")
    rows = "\n".join(f"<tr><td>{escape(r.figure)}</td><td>{escape(r.datasheet)}</td>"
                     f"<td>{escape(r.physics)}</td></tr>" for r in card.table(spec, cal))
    lines = "\n".join(f"<li>{escape(x)}</li>" for x in card.provenance(spec, cal, source))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Robot card: {escape(spec.name)}</title>
<style>body{{font-family:sans-serif;max-width:1800px;margin:1em auto}}
table{{border-collapse:collapse}}td,th{{padding:2px 10px;text-align:left}}
tr:nth-child(even){{background:#eee}}img{{max-width:100%}}</style></head><body>
<h1>Robot card: {escape(spec.name)}</h1>
<img alt="robot card of {escape(spec.name)}" src="data:image/png;base64,{picture}">
<h2>Datasheet beside the physics</h2>
<table><tr><th>figure</th><th>datasheet</th><th>physics</th></tr>
{rows}
</table>
<h2>Provenance</h2>
<ul>
{lines}
</ul>
</body></html>
"""
