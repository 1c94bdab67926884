"""The study report for a plant manager: one small self-contained HTML file (inline SVG charts,
no scripts), the answer first in the target's words.

Order: the answer; the scenarios in plain words with what breaks first in each; the output
chart; costs with their stated, editable assumptions; where the time goes (over working time);
the working week of one run; how it was measured. Every text from a config is escaped.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from twin.kpi import LOSSES, ROBOT_STATES, STATION_STATES
from twin.study import charts
from twin.study.analysis import (
    Results,
    advice,
    intervals,
    load,
    paired_vs,
    recommendation,
)
from twin.study.analysis import focus as pick
from twin.study.analysis import warnings as study_warnings
from twin.study.charts import Curve, esc
from twin.study.findings import breaks_first, on_shift
from twin.study.store import Store
from twin.study.words import (
    headline_kpi,
    interval_words,
    kit_words,
    kpi_words,
    override_words,
    scenario_words,
    shifts_per_day,
    spoken,
    units_word,
)

COLOURS = {
    "processing": "#2ca02c", "setup": "#bcbd22", "starved": "#aec7e8", "blocked": "#ff7f0e",
    "down": "#d62728", "off_shift": "#7f7f7f", "carrying": "#2ca02c",
    "walking_empty": "#98df8a", "picking": "#1f77b4", "placing": "#17becf",
    "to_charger": "#ffbb78", "waiting_charger": "#d62728", "docking": "#9467bd",
    "charging": "#ff7f0e", "idle": "#c7c7c7", "waiting_spot": "#e377c2",
    "waiting_traffic": "#8c564b",
}
_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0 auto;
max-width:1100px;padding:1.5rem;color:#222}
.answer{background:#eef6ee;border-left:6px solid #2ca02c;padding:1rem 1.2rem;font-size:1.15rem}
.answer.none{background:#fdf0e8;border-left-color:#ff7f0e}
.warning{color:#a33;font-weight:600}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0 1.5rem}
td,th{border-bottom:1px solid #ddd;padding:.25rem .6rem;text-align:right;vertical-align:top}
td:first-child,th:first-child{text-align:left}.words{text-align:left;max-width:22rem}
figure{margin:1rem 0}figcaption,.muted{color:#666;font-size:.85rem}
svg.chart{max-width:100%;height:auto;font-size:11px;font-family:inherit}
svg.chart .t{font-size:14px;font-weight:600}
"""


def _num(value: float, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{value:.{digits}g}" if abs(value) < 1e4 else f"{value:,.0f}"


def _pm(mean: float, half: float, digits: int = 4) -> str:
    if not math.isfinite(half):
        return f"{_num(mean, digits)} (one run)"
    return f"{_num(mean, digits)} ± {_num(half, 2)}"


def _pct(mean: float, half: float) -> str:
    if not math.isfinite(mean):
        return "–"
    if not math.isfinite(half):
        return f"{mean:.0%} (one run)"
    return f"{mean:.0%} ± {half * 100:.1f} pts"


def _table(frame: pd.DataFrame, words: tuple[str, ...] = ()) -> str:
    head = "".join(f"<th{' class=words' if c in words else ''}>{esc(c)}</th>"
                   for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f"<td{' class=words' if c in words else ''}>{esc(v)}</td>"
                         for c, v in zip(frame.columns, row, strict=True)) + "</tr>"
        for row in frame.itertuples(index=False))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


# ---------------------------------------------------------------- tables
def _scenario_table(res: Results, kpi: str) -> str:
    target = intervals(res, kpi)
    oee = intervals(res, "oee")
    util = intervals(res, "robot_utilisation")
    cpu = intervals(res, "cost_per_unit")
    need = advice(res, kpi)
    main = res.runs[res.runs.role == "main"]
    rows = []
    for k, s in enumerate(int(s) for s in res.scenarios.scenario):
        mine = main[main.scenario == s]
        done = int((mine.status == "done").sum())
        failed = int((mine.status == "failed").sum())
        rows.append({
            "#": k + 1, "scenario": kit_words(res, s), kpi_words(res, kpi): _pm(target[s].mean,
                                                                    target[s].half),
            "OEE": _pct(oee[s].mean, oee[s].half),
            "robots busy on shift": _pct(util[s].mean, util[s].half),
            "what breaks first": breaks_first(res, s),
            f"USD per {units_word(res, 1)}": _pm(cpu[s].mean, cpu[s].half, 2),
            "runs": f"{done}" + (f" ({failed} failed)" if failed else ""),
            "runs for ±2%": need.get(s, "–"),
        })
    return _table(pd.DataFrame(rows), ("#", "scenario", "what breaks first"))


def _assumptions(res: Results) -> str:
    """The cost assumptions, each with its source, and how to change them."""
    cost = res.cost
    given = set(res.plan.cost.model_fields_set if res.plan.cost is not None else set())
    shifts = shifts_per_day(res.meta.get("line") or {})

    def said(field: str, text: str) -> str:
        return text + (" (set in this study's plan)" if field in given else "")

    workers = (f"{cost.baseline_workers:g} workers in all" if cost.baseline_workers is not None
               else f"one worker per robot and shift: this line works {shifts} shift"
                    f"{'s' * (shifts != 1)} a day")
    rows = [
        ("robot price", f"USD {cost.robot_price:,.0f} each", said(
            "robot_price", "today's whole-robot cost: 'several tens of thousands of USD' once a "
            "data-centre GPU is on board (seeds/facts.csv humanoid_cost_today, from "
            "002_4f2d7de1ff43bc73.txt line 21). The USD 10,000 in the same source is the "
            "target price for wide adoption, not today's")),
        ("charge or swap point", f"USD {cost.charger_price:,.0f} each",
         said("charger_price", "an assumption; no source gives a price")),
        ("electricity", f"USD {cost.energy_price_kwh:g} per kWh",
         said("energy_price_kwh", "an assumption")),
        ("labour", f"USD {cost.labour_cost_per_year:,.0f} per worker and year", said(
            "labour_cost_per_year", "Chinese manufacturing wage, 2021 (seeds/facts.csv "
            "mfg_wage_2021, 003_ff06d0cbe2674851.txt line 388)")),
        ("staff the robots replace", workers, said("baseline_workers", "for the payback")),
        ("write-off", f"{cost.amortisation_years:g} years",
         said("amortisation_years", "capital spread evenly")),
        ("year", f"{cost.hours_per_year:,.0f} hours", said(
            "hours_per_year", "the simulated weeks (nights and weekends included) repeated "
            "all year")),
    ]
    frame = pd.DataFrame(rows, columns=["assumption", "value", "where it comes from"])
    edit = "cost: {robot_price: 45000, labour_cost_per_year: 30000}"
    return (_table(frame, ("where it comes from",)) +
            f"<p class='muted'>To change any of these, put a <code>{esc(edit)}</code> block "
            "in a study YAML and run <code>twin study --plan study.yaml</code> (or "
            "<code>twin report</code> on the same store after re-running).</p>")


# ---------------------------------------------------------------- charts
def _is_count(values: list[Any]) -> bool:
    return all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values)


def fig_output(res: Results, kpi: str) -> str:
    """The target KPI against the first factor, one curve per setting of the others."""
    factors = list(res.meta.get("factors") or [])
    ci = intervals(res, kpi)
    sc = res.scenarios.copy()
    first = factors[0] if factors else None
    xs_raw = [o.get(first) if first else s for o, s in zip(sc.overrides, sc.scenario,
                                                           strict=True)]
    numeric = all(isinstance(v, (int, float, np.number)) and not isinstance(v, bool)
                  for v in xs_raw)
    if not numeric:  # settings that are not numbers: the scenarios' numbers (#) instead
        xs_raw = list(range(1, len(sc) + 1))
    sc["x"] = xs_raw
    sc["group"] = [", ".join(override_words(k, o[k]) for k in factors[1:]) for o in sc.overrides]
    curves = []
    for group, part in sc.groupby("group", sort=False):
        cis = [ci[int(s)] for s in part.scenario]
        curves.append(Curve(
            str(group or kpi_words(res, kpi)), [float(x) for x in part.x],
            [c.mean for c in cis],
            [c.low if math.isfinite(c.half) else c.mean for c in cis],
            [c.high if math.isfinite(c.half) else c.mean for c in cis]))
    target = res.plan.target
    hline = ((target.value, f"target {target.op} {target.value:g}")
             if target is not None and target.kpi == kpi else None)
    x_label = _axis_words(first) if first and numeric else "scenario (#)"
    level = f"{res.plan.confidence:.0%}"
    return charts.line_chart(
        f"{kpi_words(res, kpi).capitalize()}, with {level} confidence band", curves, x_label,
        kpi_words(res, kpi), integer_x=_is_count(xs_raw), hline=hline,
        caption="Each point is the mean of the replications; the band is its confidence "
                "interval.")


def _axis_words(path: str) -> str:
    """An axis title for a factor: ``fleet.count`` -> ``robots``."""
    if path == "fleet.count":
        return "robots"
    parts = path.split(".")
    if len(parts) == 3 and parts[0] == "chargers" and parts[2] == "count":
        return f"{spoken(parts[1])}s"
    return " ".join(spoken(p) for p in parts[1:]) or spoken(path)


def fig_stations(res: Results, scenario: int) -> str:
    """Station states of one scenario over shift time (planned downtime left out)."""
    frame = res.stations[res.stations.scenario == scenario]
    names = sorted(frame.station.unique()) if not frame.empty else []
    stacks: dict[str, list[float]] = {s: [] for s in STATION_STATES if s != "off_shift"}
    for name in names:
        share = on_shift(frame[frame.station == name], STATION_STATES)
        for s in stacks:
            stacks[s].append(float(share.get(s, 0.0)))
    return charts.stacked_bars(
        f"Stations over shift time: {kit_words(res, scenario)}",
        [spoken(n) for n in names], stacks, COLOURS,
        caption="The bottleneck has the longest green bar; starved means waiting for work, "
                "blocked means no room to put a finished unit.")


def fig_robots(res: Results) -> str:
    """Mean robot states per scenario over shift time."""
    if res.robots.empty:
        return ""
    stacks: dict[str, list[float]] = {s: [] for s in ROBOT_STATES if s != "off_shift"}
    labels = []
    for s in (int(s) for s in res.scenarios.scenario):
        frame = res.robots[res.robots.scenario == s]
        if frame.empty:
            continue
        labels.append(kit_words(res, s))
        share = on_shift(frame, ROBOT_STATES)
        for state in stacks:
            stacks[state].append(float(share.get(state, 0.0)))
    return charts.stacked_bars("What robots do when not off shift, per scenario", labels,
                               stacks, COLOURS,
                               caption="Green and blue: moving work; red: waiting for a "
                                       "charger; grey: nothing to do. Breaks a robot spends "
                                       "charging count here too.")


def fig_losses(res: Results, scenario: int) -> str:
    """The bottleneck's shift time split into the OEE losses (planned downtime left out)."""
    rows = res.line[res.line.scenario == scenario]
    losses = [loss for loss in LOSSES if loss != "planned_downtime"]
    hours = [float(rows[f"loss_{loss}_s"].mean()) / 3600.0 for loss in losses]
    return charts.bar_chart(
        f"Where the bottleneck's shift hours go: {kit_words(res, scenario)}",
        [spoken(loss) for loss in losses], hours, None, "hours per run",
        colours=["#2ca02c" if loss == "valuable" else "#d62728" for loss in losses],
        caption="Valuable is time spent making good units at the ideal pace; the others are "
                "the OEE losses.")


def fig_cost(res: Results) -> str:
    """Cost per good unit per scenario with confidence intervals."""
    ci = intervals(res, "cost_per_unit")
    keep = [int(s) for s in res.scenarios.scenario
            if ci[int(s)].n and math.isfinite(ci[int(s)].mean)]
    return charts.bar_chart(
        f"Cost per {units_word(res, 1)} (robots and chargers written off, plus energy)",
        [kit_words(res, s) if len(keep) <= 4 else str(_index(res, s)) for s in keep],
        [ci[s].mean for s in keep], [ci[s].half for s in keep], "USD",
        caption="" if len(keep) <= 4 else "Bars numbered as the scenario table (#).")


def _index(res: Results, scenario: int) -> int:
    """A scenario's number in the scenario table (1-based)."""
    return [int(s) for s in res.scenarios.scenario].index(scenario) + 1


def working_hours(res: Results, t: np.ndarray) -> np.ndarray:
    """Clock seconds from Monday 00:00 -> working hours since then (nights folded away)."""
    from twin.config import Shifts
    from twin.line.calendar import make_calendar

    shifts = (res.meta.get("line") or {}).get("shifts", "24/7")
    cal = make_calendar(shifts if isinstance(shifts, str) else Shifts.model_validate(shifts))
    return np.asarray([cal.on_time(0.0, float(v)) for v in t]) / 3600.0


def fig_trace(res: Results, scenario: int, what: str, title: str, y: str) -> str:
    """One replication's trace per entity (charge, charger queue) over working time."""
    tr = res.traces[(res.traces.scenario == scenario) & (res.traces.what == what)]
    if tr.empty:
        return ""
    rep = int(tr.replication.min())
    tr = tr[tr.replication == rep]
    curves = [Curve(str(entity), working_hours(res, part.t.to_numpy(float)).tolist(),
                    part.value.to_numpy(float).tolist(), step=True)
              for entity, part in tr.groupby("entity", sort=True)]
    return charts.line_chart(f"{title}: {kit_words(res, scenario)}", curves,
                             "working hours from Monday 00:00", y,
                             percent_y=what == "soc",
                             caption="Nights, breaks and weekends are folded away.")


# ---------------------------------------------------------------- the page
def render(res: Results) -> str:
    """The whole report as one HTML string."""
    chosen, words = recommendation(res)
    focus = pick(res)
    kpi = res.plan.target.kpi if res.plan.target is not None else headline_kpi(res)
    failed = res.runs[(res.runs.status == "failed")]
    plan = res.plan
    name = res.meta.get("line_name", "")
    warm = res.meta.get("warmup_hours")
    if warm is None:
        warm = float((res.meta.get("line") or {}).get("warmup", 0.0)) / 3600.0
    settings = (f"{len(res.scenarios)} scenarios × {plan.replications} replications of "
                f"{plan.hours:g} h after a warm-up of {warm:.3g} h of working time from "
                "Monday 00:00"
                f"{' (MSER-5 on the working-time series)' if plan.warmup == 'auto' else ''}"
                f"; seed {plan.seed}; code {res.meta.get('code_version', '?')}. "
                "Every KPI means what docs/kpi.md says.")
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Study: {esc(name)}</title><style>{_CSS}</style></head><body>",
        f"<h1>Capacity study: {esc(name)}</h1>",
        f"<p class='answer{'' if chosen else ' none'}'>{esc(words)}</p>",
        *[f"<p class='warning'>Warning: {esc(w)}.</p>" for w in study_warnings(res)],
        f"<p class='muted'>{esc((res.meta.get('line') or {}).get('description', ''))}</p>",
        "<h2>Scenarios, and what breaks first in each</h2>",
        _scenario_table(res, kpi), fig_output(res, kpi),
    ]
    focus_ci = intervals(res, kpi)[focus]
    if focus_ci.n:
        parts.append(f"<p>{esc(kit_words(res, focus))}: "
                     f"{esc(interval_words(res, kpi, focus_ci))}; "
                     f"{esc(breaks_first(res, focus))}.</p>")
    parts += ["<h2>Costs</h2>", _assumptions(res), fig_cost(res),
              "<h2>Where the time goes</h2>", fig_losses(res, focus),
              fig_stations(res, focus), fig_robots(res)]
    traces = [fig_trace(res, focus, "soc", "Battery charge over the working week",
                        "state of charge"),
              fig_trace(res, focus, "queue", "Robots queueing at the chargers",
                        "robots waiting")]
    if any(traces):
        parts += ["<h2>One run's working week</h2>", *traces]
    paired = paired_vs(res, focus, kpi)
    if not paired.empty:
        paired = paired.assign(
            scenario=[kit_words(res, int(s)) for s in paired.scenario],
            difference=[_pm(d, h) for d, h in zip(paired["diff"], paired["half"], strict=True)])
        parts += [f"<h2>Each scenario against {esc(kit_words(res, focus))}</h2>",
                  "<p class='muted'>The same random numbers in every scenario (common random "
                  f"numbers): a difference in {esc(kpi_words(res, kpi))} whose interval "
                  "excludes 0 is real.</p>",
                  _table(paired[["scenario", "difference", "n"]], ("scenario",))]
    parts += ["<h2>How it was measured</h2>", f"<p class='muted'>{esc(settings)}</p>"]
    if res.meta.get("warmup_note"):
        parts.append(f"<p class='muted'>Warm-up: {esc(res.meta['warmup_note'])}</p>")
    if not failed.empty:
        errors = failed[["scenario", "replication", "role", "error"]].copy()
        errors["scenario"] = [scenario_words(res, int(s)) for s in errors.scenario]
        parts += ["<h2>Failed runs</h2>", _table(errors, ("error",))]
    parts.append("</body></html>")
    return "\n".join(p for p in parts if p)


def write_report(store_path: Path, out: Path) -> Path:
    """Render the study in ``store_path`` to the HTML file ``out``."""
    with Store(store_path, read_only=True) as store:
        res = load(store)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(res), encoding="utf-8")
    return out
