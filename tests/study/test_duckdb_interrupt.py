"""A Ctrl-C inside a DuckDB call is an interrupt however DuckDB words it (issue 12): DuckDB 2.0
raises a plain ``RuntimeError: Query interrupted`` from a query, which a study used to report
as an internal error with exit 1 (benchmarks/study_interrupts.py, 1 in 20 Ctrl-Cs)."""

import duckdb

from twin.study.store import interrupted


def test_duckdb_interrupts_in_both_words_are_interrupts() -> None:
    assert interrupted(duckdb.InterruptException("INTERRUPT Error: Interrupted!"))
    assert interrupted(RuntimeError("Query interrupted"))


def test_other_errors_are_not() -> None:
    assert not interrupted(RuntimeError("Catalog Error: Table with name runs does not exist"))
    assert not interrupted(duckdb.IOException("IO Error: Could not set lock on file"))
    assert not interrupted(KeyError("Query interrupted"))
