"""Loading lines: broken files fail early with one message naming file, line and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from twin.config import Line
from twin.loader import ConfigError, apply_overrides, load_line, parse_set

DATA = Path(__file__).resolve().parent / "data"
BROKEN = DATA / "broken"

# file -> (field path named in the message, words that say what is wrong, text on the YAML
# line the message should point at, or None where no line applies)
CASES: dict[str, tuple[str, str, str | None]] = {
    "unknown_field": ("stations.s1.proces", "unknown field", "proces: 50 s"),
    "negative_time": ("stations.s1.process", "greater than or equal to 0", "process: -5 s"),
    "unknown_distribution": ("stations.s1.process", "unknown distribution 'poisson'",
                             "dist: poisson"),
    "negative_buffer": ("stations.s1.input_buffer", "greater than or equal to 0",
                        "input_buffer: -1"),
    "unreachable": ("layout.locations.s2", "cannot be reached", "s2: [15, 6]"),
    "payload": ("transport.default.tote_units", "payload", "tote_units: 4"),
    "no_chargers": ("chargers", "charg", "chargers: {dock"),
    "malformed": ("", "malformed YAML", "locations: {in"),
    "empty": ("", "empty", None),
}
# pydantic reports every branch of `Distribution | dict[str, Distribution]`: a second,
# misleading line follows the real one ("Input should be a valid dictionary", "cannot read
# 'poisson' as a duration")
UNION_NOISE = {"negative_time", "unknown_distribution"}


def test_every_broken_file_has_a_case() -> None:
    assert {p.stem for p in BROKEN.glob("*.yaml")} == set(CASES)


def _error(name: str) -> str:
    path = BROKEN / f"{name}.yaml"
    with pytest.raises(ConfigError) as info:
        load_line(path)
    return str(info.value)


@pytest.mark.parametrize("name", sorted(CASES))
def test_broken_line_names_file_field_and_problem(name: str) -> None:
    field, words, marker = CASES[name]
    path = BROKEN / f"{name}.yaml"
    first = _error(name).splitlines()[0]
    assert first.startswith(str(path)), first
    assert field in first, first
    assert words in first, first
    if marker is not None:
        lines = path.read_text().splitlines()
        line_no = next(i for i, text in enumerate(lines, 1) if marker in text)
        assert first.startswith(f"{path}:{line_no}:"), (first, line_no)
    assert "Traceback" not in first


@pytest.mark.parametrize("name", sorted(CASES))
def test_broken_line_gives_one_message(name: str) -> None:
    message = _error(name)
    assert len(message.strip().splitlines()) == 1, message


def test_zero_buffer_is_valid() -> None:
    line = load_line(BROKEN / "negative_buffer.yaml", {"stations.s1.input_buffer": 0})
    assert line.stations["s1"].input_buffer == 0


def test_overrides_on_load_and_after() -> None:
    line = load_line(DATA / "tote.yaml", {"fleet.count": 7, "stations.a1.servers": 2})
    assert line.fleet is not None and line.fleet.count == 7
    assert line.stations["a1"].servers == 2
    again = apply_overrides(line, {"fleet.count": 2, "stations.a3.scrap": 0.1})
    assert again.fleet is not None and again.fleet.count == 2
    assert again.stations["a3"].scrap == 0.1
    assert line.fleet.count == 7  # the original is untouched


@pytest.mark.parametrize(("overrides", "words"), [
    ({"fleet.cuont": 3}, "unknown field 'cuont'"),
    ({"stations.nope.servers": 2}, "no field 'stations.nope'"),
    ({"fleet.count": -1}, "fleet.count"),
    ({"stations.a1.scrap": 0.7, "stations.a1.rework": 0.6}, "scrap + rework"),
    # a rack is always stocked: an arrival time or shift pause there would change nothing
    ({"sources.rack.interarrival": "90 s"}, "does not use 'interarrival': set kind: arrivals"),
    ({"sources.rack.follows_shifts": True}, "does not use 'follows_shifts'"),
])
def test_bad_overrides_are_config_errors(overrides: dict[str, object], words: str) -> None:
    line = load_line(DATA / "tote.yaml")
    with pytest.raises(ConfigError, match=words.replace("+", r"\+")):
        apply_overrides(line, overrides)


def test_parse_set_reads_yaml_scalars() -> None:
    assert parse_set(["fleet.count=6", "stations.s1.process=3 min", "a.b=true", "x=0.5"]) == {
        "fleet.count": 6, "stations.s1.process": "3 min", "a.b": True, "x": 0.5}
    with pytest.raises(ConfigError, match="path=value"):
        parse_set(["fleet.count"])


def test_references_are_checked() -> None:
    with pytest.raises(ConfigError, match=r"products\.door\.routing\.1.*unknown station 'a9'"):
        load_line(DATA / "tote.yaml", {"products.door.routing": ["a1", "a9"]})
    with pytest.raises(ConfigError, match=r"no location 'nowhere'"):
        load_line(DATA / "tote.yaml", {"sinks.out.location": "nowhere"})


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_line(tmp_path / "missing.yaml")


def test_a_list_at_the_top_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="mapping"):
        load_line(path)


def test_schema_is_json_and_forbids_unknown_fields() -> None:
    schema = Line.model_json_schema(by_alias=True)
    json.dumps(schema)
    assert {"layout", "stations", "fleet", "chargers", "shifts"} <= set(schema["properties"])
    assert schema.get("additionalProperties") is False


def test_every_shipped_line_loads() -> None:
    repo = DATA.parents[1]
    for path in sorted((repo / "lines").rglob("*.yaml")):
        line = load_line(path)
        assert line.name


def test_charger_inside_a_wall_is_found_at_load() -> None:
    with pytest.raises(ConfigError, match=r"layout\.locations\.dock.*inside wall"):
        load_line(DATA / "tote.yaml", {"layout.locations.dock": [14.1, 5]})


def test_location_outside_the_floor_is_found_at_load() -> None:
    with pytest.raises(ConfigError, match=r"layout\.locations\.a4.*outside the floor"):
        load_line(DATA / "tote.yaml", {"layout.locations.a4": [40, 12]})


def test_walkways_go_around_walls() -> None:
    from math import dist

    from twin.floor import build_walkways

    line = load_line(DATA / "tote.yaml")
    ways = build_walkways(line.layout)
    locs = line.layout.locations
    for a in locs:
        for b in locs:
            d = ways.dist(a, b)
            straight = dist((locs[a].x, locs[a].y), (locs[b].x, locs[b].y))
            assert d >= straight - 1e-9, (a, b)
            assert d == pytest.approx(ways.dist(b, a)), (a, b)
    # a3 (18, 12) -> dock (10, 2) crosses the wall x = 14..14.3, y = 0..10: walk around it
    a3, dock = locs["a3"], locs["dock"]
    clearance = line.layout.clearance
    around = (dist((a3.x, a3.y), (14.3 + clearance, 10 + clearance))
              + dist((14.3 + clearance, 10 + clearance), (14 - clearance, 10 + clearance))
              + dist((14 - clearance, 10 + clearance), (dock.x, dock.y)))
    assert ways.dist("a3", "dock") == pytest.approx(around, rel=0.02)
    assert ways.dist("a3", "dock") > dist((a3.x, a3.y), (dock.x, dock.y)) + 1.0


def test_humanoid_legs_need_robots() -> None:
    with pytest.raises(ConfigError, match=r"fleet\.count.*no robots"):
        load_line(DATA / "tote.yaml", {"fleet.count": 0})
