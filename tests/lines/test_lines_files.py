"""Every shipped line validates and passes the checks; every fact it names exists in seeds/."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from lines_helpers import LINES, ROBOTS, SEEDS, all_lines, fact_ids

import twin
from twin.config import Line

LINE_FILES = all_lines()
FACT_FILES = LINE_FILES + sorted(ROBOTS.glob("*.yaml"))
EXPECTED = {
    "tote_line.yaml", "humanoid_assembly.yaml", "rv_levelling.yaml", "rv_levelled.yaml",
    "charging_24_7.yaml", "teaching/mm1.yaml", "teaching/tandem.yaml",
    "teaching/breakdowns.yaml", "teaching/six_losses.yaml", "teaching/moving_bottleneck.yaml",
    "teaching/charger_queue.yaml",
}


@pytest.fixture(scope="module")
def ids() -> set[str]:
    return fact_ids()


def _rel(path: Path) -> str:
    return path.relative_to(LINES).as_posix()


def test_the_promised_lines_are_there() -> None:
    assert {_rel(p) for p in LINE_FILES} >= EXPECTED


@pytest.mark.parametrize("path", LINE_FILES, ids=_rel)
def test_line_validates_and_passes_check(path: Path) -> None:
    Line.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    line = twin.load_line(path)  # schema, references, payload, reachability, chargers
    assert line.name == path.stem


@pytest.mark.parametrize("path", LINE_FILES, ids=_rel)
def test_line_header_says_what_and_why(path: Path) -> None:
    header = []
    for text in path.read_text(encoding="utf-8").splitlines():
        if not text.startswith("#"):
            break
        header.append(text)
    words = " ".join(header).lower()
    assert len(header) >= 8, "the header comment should explain the model and the answer"
    assert "question" in words and "answer" in words


def _has_path(doc: Any, dotted: str) -> bool:
    node = doc
    for part in dotted.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    return True


@pytest.mark.parametrize("path", FACT_FILES, ids=lambda p: p.name)
def test_named_facts_exist_in_seeds(path: Path, ids: set[str]) -> None:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    facts = doc.get("facts", {})
    for field, fact in facts.items():
        assert fact in ids, f"{path.name}: facts.{field} names {fact!r}, not in seeds/facts.csv"
        assert _has_path(doc, field), f"{path.name}: facts names field {field!r}, not in the file"


def test_seed_table_is_well_formed() -> None:
    with (SEEDS / "facts.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows, "seeds/facts.csv is empty"
    seen: set[str] = set()
    for row in rows:
        assert set(row) == {"id", "fact", "value", "unit", "source", "line", "used_in"}
        assert row["id"] and row["id"] not in seen, f"duplicate or empty id {row['id']!r}"
        seen.add(row["id"])
        assert row["fact"], row["id"]
        src = row["source"]
        assert src.endswith(".txt") or src.startswith("https://"), (row["id"], src)
        if src.endswith(".txt"):
            assert row["line"], f"{row['id']}: a fact from a document needs its line"
    # the published humanoid specs the brief asks for
    specs = [r for r in rows if r["id"].startswith("spec_")]
    words = " ".join(r["fact"].lower() for r in specs)
    for what in ("payload", "battery", "runtime", "swap", "speed", "recharge"):
        assert what in words, f"no published humanoid spec about {what}"


def test_seed_documents_are_listed_in_readme() -> None:
    readme = (SEEDS / "README.md").read_text(encoding="utf-8")
    with (SEEDS / "facts.csv").open(encoding="utf-8") as fh:
        docs = {r["source"] for r in csv.DictReader(fh) if r["source"].endswith(".txt")}
    for doc in docs:
        assert doc in readme, f"seeds/README.md does not describe {doc}"


@pytest.mark.parametrize("path", LINE_FILES, ids=_rel)
def test_twin_check_passes(path: Path) -> None:
    from typer.testing import CliRunner

    from twin.cli import app

    result = CliRunner().invoke(app, ["check", str(path)])
    assert result.exit_code == 0, result.output


def test_seed_uses_point_at_real_files() -> None:
    with (SEEDS / "facts.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            for name in re.findall(r"(?:lines|assets)/[\w/]+\.yaml", row["used_in"]):
                assert (LINES.parent / name).exists(), f"{row['id']}: used_in names {name}"
