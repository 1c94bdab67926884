"""twin: a digital twin of factory lines worked by humanoid robots.

>>> import twin
>>> line = twin.load_line("lines/teaching/mm1.yaml")          # doctest: +SKIP
>>> result = twin.simulate(line, hours=100, seed=1)            # doctest: +SKIP
>>> result.kpis.line.throughput_per_hour                       # doctest: +SKIP
"""

from twin.loader import ConfigError, apply_overrides, load_line
from twin.sim import RunResult, simulate

__all__ = ["ConfigError", "RunResult", "apply_overrides", "load_line", "simulate"]
