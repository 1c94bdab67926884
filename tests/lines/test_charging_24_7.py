"""charging_24_7: swapping beats plugging, compute power matters, header figures match a run."""

from __future__ import annotations

import re
from typing import Any

import pytest
from lines_helpers import LINES, replicate

PATH = LINES / "charging_24_7.yaml"
PLUG = {"chargers.energy.mode": "plug"}
LARGE = {"fleet.robot.power.compute": 500, "fleet.robot.decision_latency": 2}
SCENARIOS: dict[str, dict[str, Any]] = {
    "swap, 15 W": {"fleet.robot.power.compute": 15},
    "swap, 30 W": {"fleet.robot.power.compute": 30},
    "swap, large model": LARGE,
    "plug, 15 W": {**PLUG, "fleet.robot.power.compute": 15},
    "plug, 30 W": {**PLUG, "fleet.robot.power.compute": 30},
    "plug, large model": {**PLUG, **LARGE},
}


def _tph(overrides: dict[str, Any], reps: int = 3, hours: float = 168) -> float:
    runs = replicate(PATH, lambda r: (r.kpis.line.throughput_per_hour,), reps=reps,
                     hours=hours, overrides=overrides)
    return float(runs[:, 0].mean())


def header_figures() -> dict[str, float]:
    """Scenario -> throughput per hour, as written in the file's header table."""
    out = {}
    for text in PATH.read_text(encoding="utf-8").splitlines():
        m = re.match(r"#\s+(swap|plug), (15 W|30 W|large model)\s*:\s*([\d.]+) per hour", text)
        if m:
            out[f"{m.group(1)}, {m.group(2)}"] = float(m.group(3))
    return out


def test_header_lists_every_scenario() -> None:
    assert set(header_figures()) == set(SCENARIOS)


@pytest.mark.timeout(120)
def test_swap_beats_plug_for_the_same_fleet() -> None:
    swap = _tph({}, reps=2, hours=72)
    plug = _tph(PLUG, reps=2, hours=72)
    assert swap > plug * 1.05, f"swap {swap:.1f}/h vs plug {plug:.1f}/h"


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_header_figures_match_a_run() -> None:
    stated = header_figures()
    measured = {name: _tph(ov) for name, ov in SCENARIOS.items()}
    for name, value in stated.items():
        assert measured[name] == pytest.approx(value, rel=0.02), (name, measured[name])
    # the compute effect: a large on-board model hurts most when robots must plug in
    assert measured["plug, large model"] < 0.95 * measured["plug, 15 W"]
    assert measured["swap, large model"] > measured["plug, large model"]
    assert measured["plug, 30 W"] <= measured["plug, 15 W"] * 1.02


def refresh_header() -> str:
    """Rewrite the figures table in the line's header from fresh runs; returns the table."""
    def figures(overrides: dict[str, Any]) -> list[float]:
        runs = replicate(PATH, lambda r: (
            r.kpis.line.throughput_per_hour, r.kpis.line.charges,
            sum(v.charging + v.waiting_charger + v.docking + v.to_charger
                for v in r.kpis.robots.values()) / len(r.kpis.robots),
        ), reps=3, hours=168, overrides=overrides)
        return [float(x) for x in runs.mean(axis=0)]

    rows = {"swap, 25 W (as written)": figures({}), "plug, 25 W": figures(PLUG)}
    rows.update({name: figures(ov) for name, ov in SCENARIOS.items()})
    table = ["#   scenario                 throughput   energy stops   robot time spent",
             "#                                          per week     charging/swapping"]
    for name, (tph, stops, share) in rows.items():
        table.append(f"#   {name + ':':24s} {tph:5.1f} per hour  {stops:5.0f}          "
                     f"{share * 100:4.1f}%")
    text = PATH.read_text(encoding="utf-8")
    start = text.index("# The answers (one week")
    end = text.index("# How each scenario is applied:")
    head = ("# The answers (one week, 3 seeds, 24 h warm-up; `pytest tests/lines -k charging` "
            "checks them):\n")
    PATH.write_text(text[:start] + head + "\n".join(table) + "\n" + text[end:], encoding="utf-8")
    return "\n".join(table)


if __name__ == "__main__":  # python tests/lines/test_charging_24_7.py: refresh the header
    print(refresh_header())
