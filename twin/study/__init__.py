"""Capacity studies: plans, replications, intervals, a DuckDB store, executors, a report.

>>> import twin
>>> from twin.study.executors import make_executor
>>> from twin.study.plan import StudyPlan
>>> from twin.study.runner import run_study
>>> from twin.study.store import Store
>>> line = twin.load_line("lines/tote_line.yaml")                          # doctest: +SKIP
>>> plan = StudyPlan(factors={"robots.count": [2, 3, 4]}, replications=10,
...                  hours=168, warmup="auto", target="throughput_per_hour>=40")
>>> with Store("study.duckdb") as store:                                   # doctest: +SKIP
...     run_study(line, plan, store, make_executor())  # local pool, all cores
>>> from twin.study.report import write_report
>>> write_report(Path("study.duckdb"), Path("report.html"))                # doctest: +SKIP
"""
