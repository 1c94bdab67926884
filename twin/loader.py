"""Reading lines and robots from YAML, with errors a planner can act on.

Every user mistake ends in one ``ConfigError`` whose message names the file, the YAML line
where known, the field path and what to do. Semantic checks that pydantic cannot do alone
(references between parts, reachability, payload limits, charging) live in ``twin.checks``.
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from twin.checks import check_line
from twin.config import Line
from twin.distributions import DIST_NAMES
from twin.robot import RobotSpec, robot_path


class ConfigError(ValueError):
    """A user mistake in a line, robot or study file; the message is the whole story."""


# --------------------------------------------------------------------------- YAML with lines


MAX_NODES = 200_000
"""Values a YAML document may hold once its aliases are expanded: the largest shipped line
(car_plant) has about 5,000; an alias bomb ("billion laughs") has billions."""
MAX_DEPTH = 64
"""Nesting depth a YAML document may have; a line needs about 8."""


class _LineLoader(yaml.SafeLoader):
    """Safe loader that remembers the line of every mapping key and sequence item.

    Before building anything it measures the document: aliases expanded and nesting depth are
    capped, so an alias bomb or a deep nest is one error instead of gigabytes or a crash.
    """

    def get_single_data(self) -> Any:
        node = self.get_single_node()
        if node is None:
            return None
        _measure(node)
        return self.construct_document(node)


class _TooBig(yaml.YAMLError):
    def __init__(self, problem: str, node: yaml.Node) -> None:
        super().__init__(problem)
        self.problem = problem
        self.problem_mark = node.start_mark


def _measure(root: yaml.Node) -> None:
    """Refuse a node graph too large once expanded, too deep, or referring to itself."""
    sizes: dict[int, int] = {}
    depths: dict[int, int] = {}
    open_: set[int] = set()

    def walk(node: yaml.Node, depth: int) -> tuple[int, int]:
        key = id(node)
        if key in sizes:
            return sizes[key], depths[key]
        if depth > MAX_DEPTH:
            raise _TooBig(f"nested deeper than {MAX_DEPTH} levels; a line needs about 8", node)
        if key in open_:
            raise _TooBig("an alias refers to the value that contains it", node)
        open_.add(key)
        size, below = 1, 0
        if isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        else:
            children = []
        for child in children:
            n, d = walk(child, depth + 1)
            size += n
            below = max(below, d + 1)
            if size > MAX_NODES:
                raise _TooBig(f"more than {MAX_NODES:,} values once its aliases (*name) are "
                              "expanded; write the values out or use fewer aliases", node)
            if depth + below > MAX_DEPTH:
                raise _TooBig(f"nested deeper than {MAX_DEPTH} levels; a line needs about 8",
                              child)
        open_.discard(key)
        sizes[key], depths[key] = size, below
        return size, below

    walk(root, 0)


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        try:
            first = seen.get(key)
            seen.setdefault(key, line)
        except TypeError:  # an unhashable key; SafeLoader reports it below
            continue
        if first is not None:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}: first on line {first}, again on line {line}"
                " (the second would silently replace the first); keep one", key_node.start_mark)
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


def read_yaml(path: Path, *, empty_ok: bool = False) -> Any:
    """Safe-load a YAML file keeping line numbers; ConfigError for unreadable or empty files
    (``empty_ok``: an empty file is an empty mapping)."""
    try:
        if path.is_dir():
            raise ConfigError(f"{path}: is a folder; give a YAML file")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ConfigError(f"{path}: larger than {MAX_FILE_BYTES // 2**20} MB; a line file "
                              "is a few kB")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: no such file") from exc
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}:{line}: not UTF-8 text (byte {exc.object[exc.start]:#04x} "
                          f"at offset {exc.start}); save the file as UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from exc
    doc = parse_yaml(text, str(path))
    if doc is None and empty_ok:
        return {}
    if doc is None:
        raise ConfigError(f"{path}: the file is empty; a line needs name, layout, products, "
                          "sources, sinks and stations (see lines/tote_line.yaml)")
    if not isinstance(doc, dict):
        raise ConfigError(f"{path}: expected a mapping of fields at the top, got "
                          f"{type(doc).__name__}")
    return doc


MAX_FILE_BYTES = 16 * 2**20


def parse_yaml(text: str, where: str) -> Any:
    """Safe-load YAML text with line numbers, aliases, depth and duplicate keys checked;
    ``where`` (a file, or an option like ``--set x``) starts every error."""
    try:
        doc = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f":{mark.line + 1}" if mark is not None and where[:2] != "--" else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        ours = isinstance(exc, _TooBig) or problem.startswith("duplicate key")
        raise ConfigError(f"{where}{at}: {'' if ours else 'malformed YAML: '}{problem}"
                          ) from None
    except RecursionError:
        raise ConfigError(f"{where}: nested too deep to read; a line needs about 8 levels"
                          ) from None
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
    "string_pattern_mismatch": "not a usable name",
}
_BOUNDS = {"greater_than", "greater_than_equal", "less_than", "less_than_equal", "finite_number",
           "string_pattern_mismatch", "int_parsing_size"}


@functools.cache
def _schema(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema(by_alias=True)


def _description(model: type[BaseModel] | None, loc: tuple[Any, ...]) -> str | None:
    """The field description (which states its bounds and why) at ``loc`` in ``model``."""
    if model is None:
        return None
    root = _schema(model)
    defs = root.get("$defs", {})

    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            node = defs.get(node["$ref"].rsplit("/", 1)[-1], {})
        return node

    def step(node: dict[str, Any], part: Any) -> dict[str, Any] | None:
        node = resolve(node)
        for option in node.get("anyOf", []) + node.get("oneOf", []):
            found = step(option, part)
            if found is not None:
                return found
        if isinstance(part, str) and part in node.get("properties", {}):
            return node["properties"][part]  # type: ignore[no-any-return]
        if isinstance(part, str) and isinstance(node.get("additionalProperties"), dict):
            return node["additionalProperties"]  # type: ignore[no-any-return]
        if isinstance(part, int) and isinstance(node.get("items"), dict):
            return node["items"]  # type: ignore[no-any-return]
        return None

    node: dict[str, Any] | None = root
    for part in loc:
        node = step(node, part) if node is not None else None
    if node is None:
        return None
    return node.get("description") or resolve(node).get("description")


_TAGS = frozenset({"one", "per_product", *DIST_NAMES})


def _user_loc(loc: tuple[Any, ...], doc: Any) -> tuple[Any, ...]:
    """``loc`` without pydantic's union tags ('one', 'exponential', 'function-before[...]')."""
    out: list[Any] = []
    node = doc
    for part in loc:
        if isinstance(part, str) and ("[" in part or "(" in part):
            continue
        if part in _TAGS and not (isinstance(node, dict) and part in node):
            continue
        out.append(part)
        node = node[part] if isinstance(node, (dict, list)) and _has(node, part) else None
    return tuple(out)


def _has(node: dict[Any, Any] | list[Any], part: Any) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(part, int) and 0 <= part < len(node)


def validation_message(exc: ValidationError, path: Path | str, doc: Any = None,
                       model: type[BaseModel] | None = None) -> str:
    """One readable message for a pydantic error, first problem first; a broken bound also
    quotes the field's description, which says what the bound is and why."""
    errors = exc.errors()
    # in a union ("24/7" or a calendar), the branch the planner meant is the one that is not
    # a mere type or literal mismatch
    vague = ("literal_error", "union_tag_invalid") + tuple(
        e["type"] for e in errors if e["type"].endswith("_type"))
    errors = [e for e in errors if e["type"] not in vague] or errors
    err = errors[0]
    loc = _user_loc(err["loc"], doc)
    line = _line_of(doc, loc) if doc is not None else None
    where = f"{path}:{line}" if line else f"{path}"
    msg = err["msg"].removeprefix("Value error, ")
    msg = _HINTS.get(err["type"], msg)
    if err["type"] == "extra_forbidden":
        msg = f"unknown field {loc[-1]!r}; check its spelling against `twin schema`"
    if err["type"] in _BOUNDS:
        about = _description(model, loc)
        if about:
            msg = f"{msg} ({about})"
    more = len(errors) - 1
    rest = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return f"{where}: {_format_loc(loc)}: {msg}{rest}"


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
        raise ConfigError(validation_message(exc, path, doc, RobotSpec)) from None


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
        raise ConfigError(validation_message(exc, path, doc, Line)) from None
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
        raise ConfigError(validation_message(exc, "overrides", model=Line)) from None
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
        out[key.strip()] = (_plain(parse_yaml(value, f"--set {item}")) if value.strip()
                            else None)
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
