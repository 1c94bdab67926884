"""Reading lines and robots from YAML, with errors a planner can act on.

Every user mistake ends in one ``ConfigError`` whose message names the file, the YAML line
where known, the field path and what to do. Semantic checks that pydantic cannot do alone
(references between parts, reachability, payload limits, charging) live in ``check_line``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from twin.config import Line, Transport
from twin.layout import Walkways, blocked_location, build_walkways
from twin.robot import RobotSpec, robot_path


class ConfigError(ValueError):
    """A user mistake in a line, robot or study file; the message is the whole story."""


# --------------------------------------------------------------------------- YAML with lines


class _LineLoader(yaml.SafeLoader):
    """Safe loader that remembers the line of every mapping key and sequence item."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    mapping = yaml.SafeLoader.construct_mapping(loader, node, deep=True)
    lines = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, (str, int, float)):
            lines[key] = key_node.start_mark.line + 1
    return _Mapping(mapping, lines)


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode, deep: bool = False) -> Any:
    items = yaml.SafeLoader.construct_sequence(loader, node, deep=True)
    return _Sequence(items, [n.start_mark.line + 1 for n in node.value])


class _Mapping(dict):  # type: ignore[type-arg]
    def __init__(self, data: dict[Any, Any], lines: dict[Any, int]) -> None:
        super().__init__(data)
        self.lines = lines


class _Sequence(list):  # type: ignore[type-arg]
    def __init__(self, data: list[Any], lines: list[int]) -> None:
        super().__init__(data)
        self.lines = lines


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _line_of(doc: Any, loc: tuple[Any, ...]) -> int | None:
    """The YAML line of the deepest part of ``loc`` found in ``doc``."""
    found = None
    node = doc
    for part in loc:
        if isinstance(node, _Mapping) and part in node:
            found = node.lines.get(part, found)
            node = node[part]
        elif isinstance(node, _Sequence) and isinstance(part, int) and part < len(node):
            found = node.lines[part]
            node = node[part]
        else:
            break
    return found


def read_yaml(path: Path) -> Any:
    """Safe-load a YAML file keeping line numbers; ConfigError for unreadable or empty files."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: no such file") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from exc
    try:
        doc = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{path}{where}: malformed YAML: {problem}") from exc
    if doc is None:
        raise ConfigError(f"{path}: the file is empty; a line needs name, layout, products, "
                          "sources, sinks and stations (see lines/tote_line.yaml)")
    if not isinstance(doc, dict):
        raise ConfigError(f"{path}: expected a mapping of fields at the top, got "
                          f"{type(doc).__name__}")
    return doc


def _format_loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


_HINTS = {
    "extra_forbidden": "unknown field; check its spelling against `twin schema`",
    "missing": "required field is missing",
}


def validation_message(exc: ValidationError, path: Path | str, doc: Any = None) -> str:
    """One readable message for a pydantic error, first problem first."""
    lines = []
    for err in exc.errors()[:5]:
        # drop pydantic's union tags (e.g. 'exponential', 'function-before[...]') from paths
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and ("[" in p or "(" in p)))
        line = _line_of(doc, loc) if doc is not None else None
        where = f"{path}:{line}" if line else f"{path}"
        msg = err["msg"].removeprefix("Value error, ")
        msg = _HINTS.get(err["type"], msg)
        if err["type"] == "extra_forbidden":
            msg = f"unknown field {loc[-1]!r}; check its spelling against `twin schema`"
        lines.append(f"{where}: {_format_loc(loc)}: {msg}")
    more = len(exc.errors()) - 5
    if more > 0:
        lines.append(f"... and {more} more")
    return "\n".join(lines)


# --------------------------------------------------------------------------- robots


def load_robot(ref: str | RobotSpec, base: Path | None = None) -> RobotSpec:
    if isinstance(ref, RobotSpec):
        return ref
    path = robot_path(ref, base)
    if not path.exists():
        raise ConfigError(
            f"fleet.robot: no robot {ref!r}: {path} does not exist "
            "(give a name under assets/robots/ or a path to a robot YAML)"
        )
    doc = read_yaml(path)
    try:
        return RobotSpec.model_validate(_plain(doc))
    except ValidationError as exc:
        raise ConfigError(validation_message(exc, path, doc)) from None


# --------------------------------------------------------------------------- lines


def load_line(path: str | Path, overrides: dict[str, Any] | None = None) -> Line:
    """Load, validate and check a line YAML; ``overrides`` are dotted paths -> values."""
    path = Path(path)
    doc = read_yaml(path)
    data = _plain(doc)
    if overrides:
        robot = (data.get("fleet") or {}).get("robot") if isinstance(data.get("fleet"),
                                                                     dict) else None
        if isinstance(robot, str) and any(k.startswith("fleet.robot.") for k in overrides):
            # --set fleet.robot.power.compute=60: open the robot YAML so its fields exist
            spec = load_robot(robot, path.parent)
            data["fleet"]["robot"] = spec.model_dump(mode="json", by_alias=True)
        data = _apply(data, overrides, path)
    try:
        line = Line.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(validation_message(exc, path, doc)) from None
    if line.fleet is not None and isinstance(line.fleet.robot, str):
        spec = load_robot(line.fleet.robot, path.parent)
        line = line.model_copy(update={"fleet": line.fleet.model_copy(update={"robot": spec})})
    problems = check_line(line)
    if problems:
        first = problems[0]
        line_no = _line_of(doc, tuple(_split(first.field)))
        where = f"{path}:{line_no}" if line_no else str(path)
        more = len(problems) - 1
        rest = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        raise ConfigError(f"{where}: {first.field}: {first.message}{rest}")
    return line


def apply_overrides(line: Line, overrides: dict[str, Any]) -> Line:
    """A new line with dotted-path fields replaced, validated and checked again."""
    if not overrides:
        return line
    data = _apply(line.model_dump(mode="json", by_alias=True), overrides, "overrides")
    try:
        new = Line.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(validation_message(exc, "overrides")) from None
    problems = check_line(new)
    if problems:
        raise ConfigError(f"overrides: {problems[0].field}: {problems[0].message}")
    return new


def parse_set(items: list[str]) -> dict[str, Any]:
    """``["fleet.count=6", "stations.s1.servers=2"]`` -> dict, values read as YAML scalars."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set {item!r}: write it as path=value, e.g. fleet.count=6")
        out[key.strip()] = yaml.safe_load(value) if value.strip() else None
    return out


def _split(dotted: str) -> list[Any]:
    parts: list[Any] = []
    for part in dotted.split("."):
        parts.append(int(part) if part.isdigit() else part)
    return parts


def _apply(data: dict[str, Any], overrides: dict[str, Any], where: Path | str) -> dict[str, Any]:
    data = copy.deepcopy(data)
    for dotted, value in overrides.items():
        parts = _split(dotted)
        node: Any = data
        for i, part in enumerate(parts[:-1]):
            ok = (isinstance(node, dict) and part in node) or (
                isinstance(node, list) and isinstance(part, int) and part < len(node)
            )
            if not ok:
                known = ", ".join(map(str, node)) if isinstance(node, dict) else "list index"
                raise ConfigError(
                    f"{where}: --set {dotted}: no field {'.'.join(map(str, parts[: i + 1]))!r}"
                    f" (known here: {known})"
                )
            node = node[part]
        last = parts[-1]
        if isinstance(node, list) and isinstance(last, int) and last < len(node):
            node[last] = value
        elif isinstance(node, dict):
            node[last] = value
        else:
            raise ConfigError(f"{where}: --set {dotted}: cannot set {last!r} here")
    return data


# --------------------------------------------------------------------------- semantic checks


@dataclass(frozen=True)
class Problem:
    field: str
    message: str


def leg_transport(line: Line, src: str, dst: str) -> Transport:
    for leg in line.transport.legs:
        if leg.src == src and leg.dst == dst:
            return leg
    return line.transport.default


def routes(line: Line) -> dict[str, list[str]]:
    """Product -> node sequence [source, stations..., sink]."""
    only_source = next(iter(line.sources)) if len(line.sources) == 1 else None
    only_sink = next(iter(line.sinks)) if len(line.sinks) == 1 else None
    out = {}
    for name, product in line.products.items():
        src = product.source or only_source or ""
        snk = product.sink or only_sink or ""
        out[name] = [src, *product.routing, snk]
    return out


def node_location(line: Line, node: str) -> str:
    if node in line.stations:
        return line.stations[node].location or node
    if node in line.sources:
        return line.sources[node].location
    if node in line.sinks:
        return line.sinks[node].location
    raise KeyError(node)


def check_line(line: Line, walkways: Walkways | None = None) -> list[Problem]:
    """Everything that would make a run impossible or meaningless, found before it starts."""
    out: list[Problem] = []
    locs = line.layout.locations
    names = set(line.stations) | set(line.sources) | set(line.sinks)
    for kind, group in (("sources", line.sources), ("sinks", line.sinks)):
        for key in group:
            if key in line.stations:
                out.append(Problem(f"{kind}.{key}", "has the same id as a station; rename it"))
    known = ", ".join(sorted(locs))
    for sid, st in line.stations.items():
        loc = st.location or sid
        if loc not in locs:
            field = f"stations.{sid}.location" if st.location else f"stations.{sid}"
            out.append(Problem(field, f"no location {loc!r} in layout.locations (known: {known})"))
        if isinstance(st.process, dict):
            for prod in st.process:
                if prod not in line.products:
                    out.append(Problem(f"stations.{sid}.process.{prod}", "unknown product"))
    for kind, group in (("sources", line.sources), ("sinks", line.sinks)):
        for key, item in group.items():
            if item.location not in locs:
                out.append(Problem(f"{kind}.{key}.location",
                                   f"no location {item.location!r} in layout.locations"))
    for cid, ch in line.chargers.items():
        if ch.location not in locs:
            out.append(Problem(f"chargers.{cid}.location",
                               f"no location {ch.location!r} in layout.locations"))
    for pname, product in line.products.items():
        for i, sid in enumerate(product.routing):
            if sid not in line.stations:
                out.append(Problem(f"products.{pname}.routing.{i}",
                                   f"unknown station {sid!r} (stations: "
                                   f"{', '.join(line.stations)})"))
        if product.source is None and len(line.sources) > 1:
            out.append(Problem(f"products.{pname}.source", "several sources: name one"))
        if product.source is not None and product.source not in line.sources:
            out.append(Problem(f"products.{pname}.source", f"unknown source {product.source!r}"))
        if product.sink is None and len(line.sinks) > 1:
            out.append(Problem(f"products.{pname}.sink", "several sinks: name one"))
        if product.sink is not None and product.sink not in line.sinks:
            out.append(Problem(f"products.{pname}.sink", f"unknown sink {product.sink!r}"))
        st_process = [line.stations[s].process for s in product.routing if s in line.stations]
        for sid, proc in zip(product.routing, st_process, strict=False):
            if isinstance(proc, dict) and pname not in proc:
                out.append(Problem(f"stations.{sid}.process",
                                   f"no processing time for product {pname!r}"))
    for i, leg in enumerate(line.transport.legs):
        for end, node in (("from", leg.src), ("to", leg.dst)):
            if node not in names:
                out.append(Problem(f"transport.legs.{i}.{end}", f"unknown node {node!r}"))
    for problem in blocked_location(line.layout).items():
        out.append(Problem(f"layout.locations.{problem[0]}", problem[1]))
    if out:
        return out
    # transport feasibility
    route_map = routes(line)
    humanoid_legs = set()
    for route in route_map.values():
        for a, b in zip(route, route[1:], strict=False):
            t = leg_transport(line, a, b)
            if t.kind == "humanoid":
                humanoid_legs.add((a, b))
    for a, b in sorted({(a, b) for r in route_map.values() for a, b in zip(r, r[1:],
                                                                             strict=False)}):
        t = leg_transport(line, a, b)
        if t.kind == "conveyor" and a in line.stations and line.stations[a].output_buffer < 1:
            out.append(Problem(f"stations.{a}.output_buffer",
                               f"is 0 but units leave {a} by conveyor to {b}: give it at least 1 "
                               "place to set a unit down"))
    fleet = line.fleet
    robot = fleet.robot if fleet is not None and isinstance(fleet.robot, RobotSpec) else None
    if humanoid_legs and (fleet is None or fleet.count == 0):
        a, b = sorted(humanoid_legs)[0]
        out.append(Problem("fleet.count", f"transport {a} -> {b} is by humanoid but the line has "
                                          "no robots; add a fleet or make the leg instant"))
    for a, b in sorted(humanoid_legs):
        t = leg_transport(line, a, b)
        field = _leg_field(line, a, b)
        if robot is not None and t.payload(t.tote_units) > robot.max_payload + 1e-9:
            mass = t.payload(t.tote_units)
            out.append(Problem(field + ".tote_units",
                               f"a full tote {a} -> {b} weighs {mass:g} kg, over {robot.name}'s "
                               f"{robot.max_payload:g} kg payload; use smaller totes or lighter "
                               "units"))
        if a in line.stations and line.stations[a].output_buffer < t.load:
            out.append(Problem(f"stations.{a}.output_buffer",
                               f"is {line.stations[a].output_buffer} but a humanoid trip to {b} "
                               f"waits for {t.load} units: raise it to at least {t.load}"))
        cap = line.stations[b].input_buffer if b in line.stations else None
        if cap is not None and cap < t.load:
            out.append(Problem(f"stations.{b}.input_buffer",
                               f"is {cap} but a humanoid brings {t.load} units a trip from {a}: "
                               f"raise it to at least {t.load}"))
    for a, b in sorted({(a, b) for r in route_map.values() for a, b in zip(r, r[1:],
                                                                             strict=False)}):
        rack = a in line.sources and line.sources[a].kind == "rack"
        if rack and b in line.stations and line.stations[b].input_buffer is None:
            out.append(Problem(f"stations.{b}.input_buffer",
                               f"is unlimited but {b} is fed from the always-stocked rack {a!r}: "
                               "give it a finite input_buffer (the rack pulls to fill it)"))
    if fleet is not None and fleet.count > 0:
        points = sum(ch.count for ch in line.chargers.values())
        if points == 0:
            out.append(Problem("chargers", f"the fleet of {fleet.count} robots needs charging but "
                                           "the line has no charger points; add one"))
        if fleet.home is not None and fleet.home not in locs:
            out.append(Problem("fleet.home", f"no location {fleet.home!r}"))
    if out:
        return out
    # reachability on the walkways
    if humanoid_legs or (fleet is not None and fleet.count):
        ways = walkways or build_walkways(line.layout)
        must = {node_location(line, n) for leg in humanoid_legs for n in leg}
        must |= {ch.location for ch in line.chargers.values() if ch.count}
        start = _home(line)
        for loc in sorted(must):
            if ways.dist(start, loc) == float("inf"):
                out.append(Problem(f"layout.locations.{loc}",
                                   f"cannot be reached on foot from {start!r}: obstacles close "
                                   "it off (check walls and layout.clearance)"))
    return out


def _leg_field(line: Line, a: str, b: str) -> str:
    for i, leg in enumerate(line.transport.legs):
        if leg.src == a and leg.dst == b:
            return f"transport.legs.{i}"
    return "transport.default"


def _home(line: Line) -> str:
    if line.fleet is not None and line.fleet.home:
        return line.fleet.home
    for ch in line.chargers.values():
        return ch.location
    return next(iter(line.layout.locations))


def dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json", by_alias=True)
