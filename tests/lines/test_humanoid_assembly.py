"""The humanoid-assembly plant makes about 15 robots a day and loses output when kits run short."""

from __future__ import annotations

from typing import Any

import pytest
from lines_helpers import LINES, replicate

KIT_CUT = {"sources.kit_store.interarrival": {
    "dist": "empirical", "values": ["55 min", "4 h"], "weights": [0.9, 0.1]}}


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
