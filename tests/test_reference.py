"""The field reference in docs/ is generated from the models and must not drift."""

from pathlib import Path

from twin.reference import markdown

DOC = Path(__file__).resolve().parent.parent / "docs" / "fields.md"


def test_field_reference_is_up_to_date() -> None:
    assert DOC.read_text() == markdown() + "\n", "run: python -m twin.reference > docs/fields.md"


def test_reference_names_units_and_defaults() -> None:
    text = markdown()
    assert "| `process` | distribution or map str -> distribution | required |" in text
    assert "| `battery` | energy |" in text
    assert "| `go_charge_below` | float | `0.25` |" in text
