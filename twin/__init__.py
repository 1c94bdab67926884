"""twin: a digital twin of factory lines worked by humanoid robots.

>>> import twin
>>> line = twin.load_line("lines/teaching/mm1.yaml")          # doctest: +SKIP
>>> result = twin.simulate(line, hours=100, seed=1)            # doctest: +SKIP
>>> result.kpis.line.throughput_per_hour                       # doctest: +SKIP

The names below load on first use, so that ``import twin.<part>`` stays light: the ``twin``
command holds Ctrl-C only once this file has run (``twin/__main__.py``), so it imports nothing
(``__future__``, ``importlib`` and ``typing`` would add about 0.5, 1 and over 10 ms of CPU).
"""

TYPE_CHECKING = False  # typing's would be imported
if TYPE_CHECKING:
    from typing import Any

    from twin.loader import ConfigError, apply_overrides, load_line
    from twin.sim import RunResult, simulate

__all__ = ["ConfigError", "RunResult", "apply_overrides", "load_line", "simulate"]
_HOME = {"ConfigError": "twin.loader", "apply_overrides": "twin.loader",
         "load_line": "twin.loader", "RunResult": "twin.sim", "simulate": "twin.sim"}


def __getattr__(name: str) -> "Any":
    if name in _HOME:
        from importlib import import_module

        value = getattr(import_module(_HOME[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'twin' has no attribute {name!r}")
