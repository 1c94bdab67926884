"""How ``twin optimize`` reached its decision, as HTML: the answer, the guarantee it carries,
the step-by-step log (what was set aside when, on what evidence) and every configuration's
fate. ``optimize_section`` is a fragment another report can embed; ``write_optimize_report``
writes a standalone page (``twin optimize`` puts it beside the store as optimize.html).
"""

from __future__ import annotations

import html
import json
import math
from pathlib import Path
from typing import Any

from twin.study.optimize import CONFIGS_TABLE, STEPS_TABLE
from twin.study.store import Store

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0 auto;
max-width:1100px;padding:1.5rem;color:#222}
.answer{background:#eef6ee;border-left:6px solid #2ca02c;padding:1rem 1.2rem;font-size:1.1rem}
.answer.none{background:#fdf0e8;border-left-color:#ff7f0e}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0 1.5rem}
td,th{border-bottom:1px solid #ddd;padding:.25rem .6rem;text-align:left;vertical-align:top}
td.n{text-align:right}.muted{color:#777;font-size:.85rem}
tr.chosen{background:#eef6ee}tr.misses td{color:#555}
"""
FATES = {"chosen": "chosen", "feasible": "meets the target", "infeasible": "misses the target",
         "inferred": "set aside", "open": "not needed (costlier than the answer)",
         "failed": "failed: a run passed --run-timeout (not judged)"}


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _num(value: Any, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{value:.{digits}g}" if abs(float(value)) < 1e5 else f"{value:,.0f}"


def optimize_section(store: Store) -> str:
    """The decision report of the search recorded in ``store``, as an HTML fragment."""
    meta = store.meta()
    result = meta.get("optimize_result")
    if "optimize" not in meta or result is None:
        raise ValueError(f"{store.path}: holds no finished `twin optimize` search")
    plan = meta["optimize"]
    target = plan["target"]
    goal = f"{target['kpi']} {target['op']} {target['value']:g}"
    configs = store.con.execute(
        f"SELECT scenario, name, cost, status, witness, replications, mean, decided_at "
        f"FROM {CONFIGS_TABLE} ORDER BY cost, scenario").fetchall()
    steps = store.con.execute(
        f"SELECT step, runs, scenario, event, replications, mean, detail FROM {STEPS_TABLE} "
        "ORDER BY step").fetchall()
    names = {row[0]: row[1] for row in configs}
    level = f"{plan['confidence']:.0%}"
    out = [f"<h2>Cheapest configuration with {_esc(goal)}</h2>"]
    chosen = [row for row in configs if row[3] == "chosen"]
    if chosen:
        _, name, cost, _, _, reps, mean, _ = chosen[0]
        out.append(
            f"<p class='answer'><b>{_esc(name)}</b> (USD {cost:,.0f} of the varied parts) "
            f"meets {_esc(goal)}: mean {_num(mean)} over {reps} replications. With "
            f"probability at least {level}, no configuration that misses the target by more "
            f"than {_num(result['tolerance'], 3)} is chosen and no cheaper one that meets it "
            "by that much was passed over.</p>")
    else:
        out.append(f"<p class='answer none'>No configuration of the grid meets {_esc(goal)} "
                   "(each misses it, or is set aside by one that does).</p>")
    full = result["grid"]
    out.append(
        f"<p>{result['runs']} runs ({result['new_runs']} new in the last call) for "
        f"{full} configurations; a full factorial with the search's "
        f"{plan['initial']} first-stage replications alone would take {full * plan['initial']}."
        f" Each check is the fully sequential feasibility test of Andradottir and Kim (2010) "
        f"with {plan['initial']} first-stage replications, indifference zone "
        f"±{_num(result['tolerance'], 3)}, error {_num(result['beta'], 3)} per configuration "
        f"(1 - {plan['confidence']} split over the grid), h² = {_num(result['h2'], 4)}; "
        f"replications are added {plan['batch']} at a time with common random numbers "
        f"(replication r of every configuration uses the same seed).</p>")
    along, off = result.get("inferred_along", []), result.get("switched_off", [])
    lead = f" Never across {_esc(result['lead'])} (the most expensive factor)." if result.get(
        "lead") else ""
    out.append(
        f"<p>Monotonicity (more of a factor never misses where less meets): "
        f"{result['pairs']} ordered pairs compared with common random numbers, "
        f"{result['violations']} significant violation(s). Misses inferred along: "
        f"{_esc(', '.join(along) or 'none')}"
        + (f"; switched off along: {_esc(', '.join(off))}" if off else "") + f".{lead}</p>")
    out.append("<h3>How the decision was reached</h3><table><tr><th>step</th>"
               "<th>runs so far</th><th>configuration</th><th>event</th><th>replications</th>"
               "<th>mean</th><th>evidence</th></tr>")
    for step, runs, sc, event, reps, mean, detail in steps:
        out.append(f"<tr><td class='n'>{step}</td><td class='n'>{runs}</td>"
                   f"<td>{_esc(names.get(sc, '–'))}</td><td>{_esc(event)}</td>"
                   f"<td class='n'>{reps}</td><td class='n'>{_num(mean)}</td>"
                   f"<td>{_esc(detail)}</td></tr>")
    out.append("</table><h3>Every configuration, cheapest first</h3><table><tr>"
               "<th>configuration</th><th>cost (USD)</th><th>fate</th><th>replications</th>"
               "<th>mean</th></tr>")
    for _sc, name, cost, status, witness, reps, mean, _ in configs:
        fate = FATES.get(status, status)
        if status == "inferred" and witness is not None:
            fate += f" (dominated by {names.get(witness, witness)}, which misses)"
        css = "chosen" if status == "chosen" else "misses" if status != "feasible" else ""
        out.append(f"<tr class='{css}'><td>{_esc(name)}</td><td class='n'>{cost:,.0f}</td>"
                   f"<td>{_esc(fate)}</td><td class='n'>{reps}</td>"
                   f"<td class='n'>{_num(mean)}</td></tr>")
    out.append("</table>")
    return "\n".join(out)


def write_optimize_report(store_path: Path, out: Path) -> Path:
    """A standalone HTML page of the search in ``store_path``."""
    with Store(store_path, read_only=True) as store:
        body = optimize_section(store)
        meta = store.meta()
    line, plan = meta.get("line_name", ""), meta["optimize"]
    settings = {k: plan[k] for k in ("factors", "costs", "hours", "warmup", "seed")}
    page = (f"<!doctype html><html><head><meta charset='utf-8'><title>twin optimize: "
            f"{_esc(line)}</title><style>{_CSS}</style></head><body><h1>twin optimize: "
            f"{_esc(line)}</h1>{body}<p class='muted'>store: {_esc(store_path.name)}; "
            f"settings: {_esc(json.dumps(settings))}</p></body></html>")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page)
    return out
