"""Reading lines and robots from YAML, with errors a planner can act on.

Every user mistake ends in one ``ConfigError`` whose message names the file, the YAML line
where known, the field path and what to do. Semantic checks that pydantic cannot do alone
(references between parts, reachability, payload limits, charging) live in ``twin.checks``.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from twin.checks import check_line
from twin.config import Line
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


def dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json", by_alias=True)
