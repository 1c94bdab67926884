"""The humanoid-assembly plant makes about 15 robots a day and loses output when kits run short."""

from __future__ import annotations

from typing import Any

import pytest
from lines_helpers import LINES, replicate

# the header's reducer shortage: reducers from the supplier instead of stock, 0.8 an hour
KIT_CUT = {"sources.reducers.kind": "arrivals",
           "sources.reducers.interarrival": {"dist": "exponential", "mean": "75 min"},
           "sources.reducers.follows_shifts": True}


def _per_day(overrides: dict[str, Any] | None = None) -> float:
    runs = replicate(LINES / "humanoid_assembly.yaml",
                     lambda r: (r.kpis.line.throughput_per_hour * 24,),
                     reps=3, hours=28 * 24, overrides=overrides)
    return float(runs[:, 0].mean())


@pytest.mark.timeout(120)
def test_about_fifteen_a_day_and_a_kit_cut_costs_output() -> None:
    base = _per_day()
    cut = _per_day(KIT_CUT)
    assert 14.0 <= base <= 16.0, f"{base:.1f} robots a day, the plant makes about 15"
    assert cut < base * 0.9, f"kit cut: {cut:.1f} a day vs {base:.1f}: no measurable loss"
    assert 11.0 <= cut <= 13.5, f"kit cut: {cut:.1f} a day, the header says about 12"


def test_a_missing_part_family_starves_final_assembly() -> None:
    from twin import load_line, simulate

    line = load_line(LINES / "humanoid_assembly.yaml")
    base = simulate(line, hours=336, seed=1).kpis
    cut = simulate(line, hours=336, seed=1, overrides=KIT_CUT).kpis
    assert cut.stations["final"].starved > base.stations["final"].starved + 0.05
    assert cut.line.consumed_units == pytest.approx(4 * cut.line.good_units, abs=40)
