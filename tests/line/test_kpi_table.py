"""One KPI table: every line KPI has a meaning in twin.kpi, and docs/kpi.md shows that table."""

from __future__ import annotations

from line_helpers import REPO

from twin.kpi import LINE_KPI_TABLE, LineKPIs, kpi_table_markdown


def test_every_line_kpi_has_a_meaning_and_only_those() -> None:
    assert set(LINE_KPI_TABLE) == set(LineKPIs.model_fields)
    for name, (unit, text) in LINE_KPI_TABLE.items():
        assert unit and len(text) > 10, name


def test_the_docs_show_the_table_of_the_code() -> None:
    docs = (REPO / "docs" / "kpi.md").read_text(encoding="utf-8")
    assert kpi_table_markdown() in docs, "docs/kpi.md: paste twin.kpi.kpi_table_markdown()"
