"""Levelling the RV line halves its takt: about 40 -> about 20 min per vehicle."""

from __future__ import annotations

from lines_helpers import LINES, replicate

import twin


def takt_min(r: twin.RunResult) -> float:
    """On-shift minutes per good vehicle."""
    on_share = 1 - next(iter(r.kpis.stations.values())).off_shift
    return r.kpis.line.horizon_s * on_share / 60 / r.kpis.line.good_units


def test_takt_falls_from_about_40_to_about_20_min() -> None:
    before = replicate(LINES / "rv_levelling.yaml", lambda r: (takt_min(r),), reps=2,
                       hours=4 * 168)[:, 0].mean()
    after = replicate(LINES / "rv_levelled.yaml", lambda r: (takt_min(r),), reps=2,
                      hours=4 * 168)[:, 0].mean()
    assert 36 <= before <= 44, f"before levelling: {before:.1f} min per vehicle"
    assert 18 <= after <= 22, f"after levelling: {after:.1f} min per vehicle"
