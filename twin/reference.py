"""The field reference of line and robot YAMLs, generated from the pydantic models.

``python -m twin.reference > docs/fields.md`` rewrites it; a test keeps the file in step, so
the docs never drift from the one source of truth.
"""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from twin.config import Line
from twin.robot import RobotSpec

UNITS = {"parse_duration": "duration", "parse_mass": "mass", "parse_length": "length",
         "parse_power": "power", "parse_energy": "energy", "parse_speed": "speed",
         "parse_angle": "angle", "_shorthand": "distribution"}


def _unit(meta: list[Any]) -> str | None:
    for m in meta:
        name = getattr(getattr(m, "func", None), "__name__", "")
        if name in UNITS:
            return UNITS[name]
    return None


def _type_name(annotation: Any, meta: list[Any] | None = None) -> str:
    unit = _unit(meta or [])
    if unit is not None:
        return unit
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        inner, *inner_meta = typing.get_args(annotation)
        return _type_name(inner, list(inner_meta))
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        text = " or ".join(dict.fromkeys(_type_name(a) for a in args))
        return text + (" or null" if len(args) < len(typing.get_args(annotation)) else "")
    if origin is typing.Literal:
        return " / ".join(f"`{a}`" for a in typing.get_args(annotation))
    if origin in (list, tuple):
        items = typing.get_args(annotation)
        return f"list of {_type_name(items[0])}" if items else "list"
    if origin is dict:
        key, value = typing.get_args(annotation)
        return f"map {_type_name(key)} -> {_type_name(value)}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation.__name__
    return getattr(annotation, "__name__", str(annotation))


def _default(field: Any) -> str:
    if field.default is PydanticUndefined and field.default_factory is None:
        return "required"
    value = field.default_factory() if field.default_factory is not None else field.default
    if isinstance(value, BaseModel):
        return "see below" if type(value).model_fields else type(value).__name__
    if value in ({}, []):
        return "empty"
    return f"`{value}`"


def _models(root: type[BaseModel]) -> list[type[BaseModel]]:
    seen: list[type[BaseModel]] = []

    def visit(model: type[BaseModel]) -> None:
        if model in seen:
            return
        seen.append(model)
        for field in model.model_fields.values():
            for sub in _nested(field.annotation):
                visit(sub)

    visit(root)
    return seen


def _nested(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation.__module__.startswith("twin.distributions"):
            return []
        return [annotation]
    return [m for a in typing.get_args(annotation) for m in _nested(a)]


def markdown() -> str:
    """Markdown tables of every field of a line and a robot, with types and defaults."""
    out = ["# Field reference", "",
           "Generated from the pydantic models by `python -m twin.reference`; do not edit.",
           "Durations accept `\"90 s\"`, `\"3 min\"`, `\"8 h\"` or seconds; a distribution is a",
           "bare duration (constant) or `{dist: exponential, mean: ...}` and the like.", ""]
    for root in (Line, RobotSpec):
        for model in _models(root):
            out += [f"## {model.__name__}", ""]
            doc = (model.__doc__ or "").strip().splitlines()
            if doc:
                out += [doc[0], ""]
            out += ["| field | type | default | meaning |", "|---|---|---|---|"]
            for name, field in model.model_fields.items():
                key = field.alias or name
                text = (field.description or "").replace("|", "\\|")
                kind = _type_name(field.annotation, field.metadata).replace("|", "\\|")
                out.append(f"| `{key}` | {kind} | {_default(field)} | {text} |")
            out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    print(markdown())
