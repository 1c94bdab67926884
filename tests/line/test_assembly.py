"""Assembly stations: a unit waits until every component is in stock, then consumes them."""

from __future__ import annotations

import pytest
from line_helpers import data_line

from twin.config import Line
from twin.loader import ConfigError, apply_overrides
from twin.sim import simulate


def test_output_is_limited_by_the_scarcest_component() -> None:
    line = data_line("assembly")
    # reducers: 40 an hour, 2 per robot -> 20 robots an hour, though final could make 60
    k = simulate(line, hours=400, seed=3, warmup_hours=5).kpis
    assert k.line.throughput_per_hour == pytest.approx(20.0, rel=0.04)
    final = k.stations["final"]
    assert final.starved == pytest.approx(2 / 3, abs=0.02)  # waiting for reducers
    assert final.processing == pytest.approx(1 / 3, abs=0.02)


def test_components_leave_as_part_of_units() -> None:
    k = simulate(data_line("assembly"), hours=50, seed=1, warmup_hours=0).kpis.line
    # one actuator and two reducers each, taken as the build starts (one may be in progress)
    assert 3 * k.good_units <= k.consumed_units <= 3 * (k.good_units + 1)
    assert k.started_units == k.good_units + k.scrap_units + k.consumed_units + k.wip_end


def test_a_kit_shortage_blocks_assembly() -> None:
    line = data_line("assembly")
    cut = apply_overrides(line, {"transport.legs.0.time.mean": "3 min"})
    full = simulate(line, hours=200, seed=2, warmup_hours=5).kpis.line.throughput_per_hour
    short = simulate(cut, hours=200, seed=2, warmup_hours=5).kpis.line.throughput_per_hour
    assert short == pytest.approx(full / 2, rel=0.08)


def test_component_stock_has_room_per_component() -> None:
    # the rack keeps actuators topped up to the limit; they never crowd the reducers out
    line = apply_overrides(data_line("assembly"), {"stations.final.kit_buffer": 2})
    k = simulate(line, hours=100, seed=4, warmup_hours=5).kpis
    assert k.line.throughput_per_hour == pytest.approx(20.0, rel=0.06)


def _broken(change: dict[str, object]) -> Line:
    return apply_overrides(data_line("assembly"), change)


def test_component_routing_must_end_at_the_assembly_station() -> None:
    with pytest.raises(ConfigError, match="routing must end at final"):
        data = data_line("assembly").model_dump(mode="json", by_alias=True)
        data["stations"]["check"] = {"process": 10}
        data["layout"]["locations"]["check"] = [15, 5]
        data["products"]["actuator"]["routing"] = ["final", "check"]
        simulate(Line.model_validate(data), hours=1)


def test_components_need_a_feeding_node_of_their_own() -> None:
    with pytest.raises(ConfigError, match="all come from"):
        _broken({"products.reducer.source": "actuators"})


def test_a_rack_cannot_feed_an_unlimited_kit_stock() -> None:
    with pytest.raises(ConfigError, match="finite kit_buffer"):
        _broken({"stations.final.kit_buffer": None})
