"""OEE never exceeds 1: effectiveness measures speed against a stated ideal cycle, and a
station with none stated has no speed loss (the mean of its process is not an ideal time)."""

from __future__ import annotations

import pytest
from line_helpers import REPO

import twin
from twin.loader import ConfigError, load_line

LINES = REPO / "lines"


def _bounded(kpis: twin.KPIs, line: twin.Line) -> None:
    for sid, st in kpis.stations.items():
        assert st.oee <= 1.0 and st.effectiveness <= 1.0, (sid, st.oee, st.effectiveness)
        if line.stations[sid].ideal_cycle is None and st.produced_units:
            # PRI x PQ is the measured processing time: no speed loss, effectiveness 1
            assert st.effectiveness == pytest.approx(1.0, abs=1e-12)
            assert st.losses_s["speed"] == pytest.approx(0.0, abs=1e-6)
        assert sum(st.losses_s.values()) == pytest.approx(st.servers * kpis.line.horizon_s)
    assert kpis.line.oee <= 1.0


@pytest.mark.parametrize("seed", range(5))
def test_a_week_of_samples_faster_than_their_mean_is_not_an_oee_over_1(seed: int) -> None:
    """rv_levelling makes about 60 vans a week at cv 0.25: with the process mean as the ideal
    cycle, a fast week gave electrics an effectiveness of 1.06."""
    line = load_line(LINES / "rv_levelling.yaml")
    _bounded(twin.simulate(line, hours=168, seed=seed).kpis, line)


def test_charging_24_7_week_with_its_warm_up() -> None:
    """The 24/7 loop's paced cells reported OEE 1.007 (units straddling the warm-up, samples
    faster than the mean)."""
    # three robots (the file has two, which now set the pace themselves): the cells set it
    line = load_line(LINES / "charging_24_7.yaml", {"fleet.count": 3})
    kpis = twin.simulate(line, hours=168, seed=1).kpis
    _bounded(kpis, line)
    assert kpis.line.oee > 0.95  # the cells set the pace: the bound is not met by collapse


def test_a_stated_ideal_cycle_over_the_mean_is_refused() -> None:
    path = LINES / "teaching" / "mm1.yaml"
    station = next(iter(load_line(path).stations))
    mean = load_line(path).stations[station].process.mean  # type: ignore[union-attr]
    with pytest.raises(ConfigError, match=rf"stations\.{station}\.ideal_cycle: .*OEE above 1"):
        load_line(path, {f"stations.{station}.ideal_cycle": mean * 1.5})
    load_line(path, {f"stations.{station}.ideal_cycle": mean * 0.9})
