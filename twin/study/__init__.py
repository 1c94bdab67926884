"""Capacity studies: plans, replications, intervals, a DuckDB store, executors, a report."""
