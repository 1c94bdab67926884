"""The study report: one self-contained HTML file (plotly inlined, works offline).

Every text that comes from a config or a scenario name is escaped, both in the HTML and in the
figure labels plotly renders.
"""

from __future__ import annotations

import html
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from twin.kpi import LOSSES, ROBOT_STATES, STATION_STATES
from twin.study.analysis import Results, advice, intervals, load, paired_vs, recommendation
from twin.study.analysis import focus as pick
from twin.study.store import Store

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
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0 1.5rem}
td,th{border-bottom:1px solid #ddd;padding:.25rem .6rem;text-align:right}
td:first-child,th:first-child{text-align:left}
.fig{min-height:380px}.muted{color:#777;font-size:.85rem}
"""


def esc(value: object) -> str:
    """HTML-escape any text that came from a user."""
    return html.escape(str(value), quote=True)


def _num(value: float, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{value:.{digits}g}" if abs(value) < 1e4 else f"{value:,.0f}"


def _pm(mean: float, half: float) -> str:
    if math.isfinite(half) and abs(mean) < 1e-9 * max(abs(half), 1.0):
        mean = 0.0
    return f"{_num(mean, 4)} ± {_num(half, 2)}"


def fig_throughput(res: Results) -> go.Figure:
    """Throughput against the first factor, one curve per setting of the others, CI bands."""
    factors = list(res.meta.get("factors") or [])
    tph = intervals(res, "throughput_per_hour")
    fig = go.Figure()
    sc = res.scenarios.copy()
    x_name = factors[0] if factors else "scenario"
    sc["x"] = [o.get(x_name, s) for o, s in zip(sc.overrides, sc.name, strict=True)]
    sc["group"] = [", ".join(f"{k}={o[k]}" for k in factors[1:]) for o in sc.overrides]
    for i, (group, part) in enumerate(sc.groupby("group", sort=False)):
        xs = [esc(x) if isinstance(x, str) else x for x in part.x]
        cis = [tph[int(s)] for s in part.scenario]
        mean = [c.mean for c in cis]
        low = [c.low if math.isfinite(c.half) else c.mean for c in cis]
        high = [c.high if math.isfinite(c.half) else c.mean for c in cis]
        colour = _palette(i)
        fig.add_trace(go.Scatter(x=xs + xs[::-1], y=high + low[::-1], fill="toself",
                                 fillcolor=_alpha(colour), line={"width": 0}, mode="lines",
                                 hoverinfo="skip", showlegend=False))
        fig.add_trace(go.Scatter(x=xs, y=mean, mode="lines+markers", name=esc(group or "mean"),
                                 line={"color": colour}))
    if res.plan.target is not None and res.plan.target.kpi == "throughput_per_hour":
        fig.add_hline(y=res.plan.target.value, line_dash="dash", line_color="#d62728",
                      annotation_text=esc(f"target {res.plan.target}"))
    level = f"{res.plan.confidence:.0%}"
    fig.update_layout(title=f"Throughput with {level} confidence band",
                      xaxis_title=esc(x_name), yaxis_title="units per hour")
    return fig


def _palette(i: int) -> str:
    colours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2"]
    return colours[i % len(colours)]


def _alpha(hex_colour: str, a: float = 0.2) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{a})"


def fig_waterfall(res: Results, scenario: int) -> go.Figure:
    """OEE loss waterfall of one scenario: from the horizon down to valuable time (hours)."""
    rows = res.line[res.line.scenario == scenario]
    hours = {loss: float(rows[f"loss_{loss}_s"].mean()) / 3600.0 for loss in LOSSES}
    total = sum(hours.values())
    names = ["horizon", *[loss for loss in LOSSES if loss != "valuable"], "valuable"]
    values = [total, *[-hours[loss] for loss in LOSSES if loss != "valuable"], 0.0]
    measures = ["absolute", *["relative"] * (len(LOSSES) - 1), "total"]
    fig = go.Figure(go.Waterfall(x=names, y=values, measure=measures,
                                 decreasing={"marker": {"color": "#d62728"}},
                                 totals={"marker": {"color": "#2ca02c"}}))
    fig.update_layout(title=f"OEE losses, {esc(res.name(scenario))} (mean hours per run)",
                      yaxis_title="hours", showlegend=False)
    return fig


def _shares(frame: pd.DataFrame, states: tuple[str, ...], by: str) -> pd.DataFrame:
    cols = [s for s in states if s in frame]
    mean = frame.groupby(by, sort=True)[cols].mean()
    total = mean.sum(axis=1).replace(0, np.nan)
    return mean.div(total, axis=0).fillna(0.0)


def fig_stations(res: Results, scenario: int) -> go.Figure:
    """Station state shares of one scenario; the bottleneck has the longest green bar."""
    frame = res.stations[res.stations.scenario == scenario]
    shares = _shares(frame, STATION_STATES, "station")
    fig = go.Figure()
    for state in shares.columns:
        fig.add_trace(go.Bar(y=[esc(s) for s in shares.index], x=shares[state], name=state,
                             orientation="h", marker_color=COLOURS.get(state)))
    fig.update_layout(barmode="stack", title=f"Station states, {esc(res.name(scenario))}",
                      xaxis={"title": "share of time", "tickformat": ".0%"})
    return fig


def fig_robots(res: Results) -> go.Figure:
    """Mean robot state shares per scenario."""
    fig = go.Figure()
    if res.robots.empty:
        fig.update_layout(title="Robot states: this line has no robot fleet")
        return fig
    shares = _shares(res.robots, ROBOT_STATES, "scenario")
    labels = [esc(res.name(int(s))) for s in shares.index]
    for state in shares.columns:
        fig.add_trace(go.Bar(x=labels, y=shares[state], name=state,
                             marker_color=COLOURS.get(state)))
    fig.update_layout(barmode="stack", title="Robot states (mean over robots and runs)",
                      yaxis={"title": "share of time", "tickformat": ".0%"})
    return fig


def fig_chargers(res: Results, scenario: int) -> go.Figure:
    """Charger queue: mean queue per scenario with CIs, and one run's queue over time."""
    fig = go.Figure()
    if res.chargers.empty:
        fig.update_layout(title="Charger queue: this line has no chargers")
        return fig
    per_run = res.chargers.groupby(["scenario", "replication"])["mean_queue"].sum()
    xs, ys, hs = [], [], []
    for sc in res.scenarios.scenario:
        if int(sc) in per_run.index.get_level_values(0):
            values = per_run.loc[int(sc)].to_numpy(float)
            from twin.study.stats import mean_ci

            ci = mean_ci(values, res.plan.confidence)
            xs.append(esc(res.name(int(sc))))
            ys.append(ci.mean)
            hs.append(ci.half if math.isfinite(ci.half) else 0.0)
    fig.add_trace(go.Bar(x=xs, y=ys, error_y={"type": "data", "array": hs},
                         name="mean robots waiting", marker_color="#ff7f0e"))
    fig.update_layout(title="Charger queue (robots waiting, summed over chargers)",
                      yaxis_title="robots waiting")
    return fig


def fig_waits(res: Results, scenario: int) -> go.Figure:
    """Where robots wait: the queue before each work spot, and the fleet's time lost to
    queueing for spots and to aisle traffic, in one scenario."""
    fig = go.Figure()
    spots = res.spots[res.spots.scenario == scenario] if not res.spots.empty else res.spots
    line = res.line[res.line.scenario == scenario]
    name = esc(res.name(scenario))
    if spots.empty:
        fig.update_layout(title=f"Where robots wait ({name}): no robots work at spots")
        return fig
    per = spots.groupby("spot")["mean_queue"].mean().sort_values(ascending=False)
    fig.add_trace(go.Bar(x=[esc(s) for s in per.index], y=per.to_numpy(float),
                         name="robots queued for a spot (time-average)",
                         marker_color=COLOURS["waiting_spot"]))
    spot_share = float(line["waiting_spot_share"].mean()) if len(line) else math.nan
    traffic_share = float(line["waiting_traffic_share"].mean()) if len(line) else math.nan
    fig.update_layout(
        title=(f"Where robots wait ({name}): fleet time queued for spots "
               f"{_num(100 * spot_share, 2)}%, held by aisle traffic "
               f"{_num(100 * traffic_share, 2)}%"),
        yaxis_title="robots waiting")
    return fig


def fig_traces(res: Results, scenario: int, what: str, title: str, y: str) -> go.Figure:
    """One replication's trace per entity (state of charge, charger queue) over time."""
    fig = go.Figure()
    tr = res.traces[(res.traces.scenario == scenario) & (res.traces.what == what)]
    if tr.empty:
        fig.update_layout(title=f"{title}: no trace recorded")
        return fig
    rep = int(tr.replication.min())
    tr = tr[tr.replication == rep]
    for entity, part in tr.groupby("entity", sort=True):
        fig.add_trace(go.Scatter(x=part.t / 3600.0, y=part.value, mode="lines",
                                 name=esc(entity), line={"shape": "hv", "width": 1}))
    fig.update_layout(title=f"{title}, {esc(res.name(scenario))}, replication {rep}",
                      xaxis_title="hours", yaxis_title=y)
    return fig


def fig_cost(res: Results) -> go.Figure:
    """Cost per unit per scenario with confidence intervals."""
    ci = intervals(res, "cost_per_unit")
    keep = [s for s in res.scenarios.scenario if ci[int(s)].n and math.isfinite(ci[int(s)].mean)]
    fig = go.Figure(go.Bar(
        x=[esc(res.name(int(s))) for s in keep], y=[ci[int(s)].mean for s in keep],
        error_y={"type": "data",
                 "array": [ci[int(s)].half if math.isfinite(ci[int(s)].half) else 0.0
                           for s in keep]},
        marker_color="#9467bd"))
    fig.update_layout(title="Cost per good unit (capital over its life + energy)",
                      yaxis_title="USD per unit")
    return fig


def _table(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{esc(c)}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{esc(v)}</td>" for v in row) + "</tr>"
        for row in frame.itertuples(index=False))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _summary_table(res: Results) -> str:
    tph = intervals(res, "throughput_per_hour")
    oee = intervals(res, "oee")
    cpu = intervals(res, "cost_per_unit")
    wip = intervals(res, "wip_mean")
    need = advice(res)
    main = res.runs[res.runs.role == "main"]
    rows = []
    for s in res.scenarios.scenario:
        s = int(s)
        mine = main[main.scenario == s]
        rows.append({
            "scenario": res.name(s), "runs done": int((mine.status == "done").sum()),
            "failed": int((mine.status == "failed").sum()),
            "throughput/h": _pm(tph[s].mean, tph[s].half), "OEE": _pm(oee[s].mean, oee[s].half),
            "WIP": _pm(wip[s].mean, wip[s].half),
            "USD/unit": _pm(cpu[s].mean, cpu[s].half),
            "replications for ±2%": need.get(s, "–"),
        })
    return _table(pd.DataFrame(rows))


def _figure_div(fig: go.Figure, index: int) -> str:
    fig.update_layout(template="plotly_white", margin={"t": 60, "l": 60, "r": 20, "b": 60})
    spec = json.dumps({"data": fig.to_plotly_json()["data"],
                       "layout": fig.to_plotly_json()["layout"]},
                      cls=_Encoder).replace("<", "\\u003c").replace(">", "\\u003e")
    return (f'<div id="fig{index}" class="fig"></div>\n<script>(function(){{var s={spec};'
            f'Plotly.newPlot("fig{index}",s.data,s.layout,{{displaylogo:false,responsive:true}});'
            f"}})();</script>")


class _Encoder(json.JSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, np.ndarray):
            return [self.default(v) if isinstance(v, np.generic) else v for v in o.tolist()]
        if isinstance(o, np.generic):
            return o.item()
        return super().default(o)

    def iterencode(self, o: Any, _one_shot: bool = False) -> Any:
        return super().iterencode(_finite(o), _one_shot)


def _finite(o: Any) -> Any:
    if isinstance(o, float) and not math.isfinite(o):
        return None
    if isinstance(o, dict):
        return {k: _finite(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_finite(v) for v in o]
    if isinstance(o, np.ndarray):
        return [_finite(v) for v in o.tolist()]
    return o


def render(res: Results) -> str:
    """The whole report as one HTML string."""
    chosen, words = recommendation(res)
    focus = pick(res)
    failed = res.runs[(res.runs.status == "failed")]
    plan = res.plan
    warm = res.meta.get("warmup_hours")
    settings = (f"{len(res.scenarios)} scenarios × {plan.replications} replications of "
                f"{plan.hours:g} h, warm-up "
                f"{'the line default' if warm is None else f'{warm:g} h'}"
                f"{' (MSER-5)' if plan.warmup == 'auto' else ''}, seed {plan.seed}, "
                f"code {res.meta.get('code_version', '?')}")
    figures = [fig_throughput(res), fig_waterfall(res, focus), fig_stations(res, focus),
               fig_robots(res), fig_waits(res, focus), fig_chargers(res, focus),
               fig_traces(res, focus, "queue", "Charger queue over time", "robots waiting"),
               fig_traces(res, focus, "soc", "State of charge", "state of charge"),
               fig_cost(res)]
    paired = paired_vs(res, focus)
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Study: {esc(res.meta.get('line_name', ''))}</title>",
        f"<style>{_CSS}</style><script>{get_plotlyjs()}</script></head><body>",
        f"<h1>Capacity study: {esc(res.meta.get('line_name', ''))}</h1>",
        f"<p class='answer{'' if chosen else ' none'}'>{esc(words)}</p>",
        f"<p class='muted'>{esc(settings)}</p>",
        *([f"<p class='muted'>Warm-up: {esc(res.meta['warmup_note'])}</p>"]
          if res.meta.get("warmup_note") else []),
        f"<p class='muted'>{esc((res.meta.get('line') or {}).get('description', ''))}</p>",
        "<h2>Scenarios</h2>", _summary_table(res),
    ]
    if not paired.empty:
        paired = paired.assign(
            diff=[_pm(d, h) for d, h in zip(paired["diff"], paired["half"], strict=True)])
        parts += [f"<h2>Paired throughput differences against {esc(res.name(focus))}</h2>",
                  "<p class='muted'>Same seeds in every scenario (common random numbers): "
                  "an interval that excludes 0 is a real difference.</p>",
                  _table(paired[["name", "diff", "n"]])]
    parts += [_figure_div(fig, i) for i, fig in enumerate(figures)]
    if not failed.empty:
        errors = failed[["scenario", "replication", "role", "error"]].copy()
        errors["scenario"] = [res.name(int(s)) for s in errors.scenario]
        parts += ["<h2>Failed runs</h2>", _table(errors)]
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(store_path: Path, out: Path) -> Path:
    """Render the study in ``store_path`` to the HTML file ``out``."""
    with Store(store_path, read_only=True) as store:
        res = load(store)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(res), encoding="utf-8")
    return out
