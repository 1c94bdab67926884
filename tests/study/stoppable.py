"""Stand-in simulators for the stop tests: the M/M/1 stand-in, made slow or made to hang.

Same answers as ``study_standin.simulate`` (so the same rows), after a pause of
``TWIN_TEST_RUN_PAUSE_S`` seconds (environment; default none), so a test can stop a study
between its runs. The hanging ones hang in the scenario where the station has two servers.
"""

from __future__ import annotations

import os
import time
from typing import Any

from study_standin import Result
from study_standin import simulate as standin

from twin.config import Line
from twin.loader import apply_overrides

PAUSE = "TWIN_TEST_RUN_PAUSE_S"


def simulate(line: Line, *, hours: float, **options: Any) -> Result:
    """The stand-in, after a pause."""
    time.sleep(float(os.environ.get(PAUSE, "0")))
    return standin(line, hours=hours, **options)


def _hangs(line: Line, overrides: dict[str, Any] | None) -> bool:
    model = apply_overrides(line, overrides) if overrides else line
    return next(iter(model.stations.values())).servers == 2


def hang_in_python(line: Line, *, hours: float, **options: Any) -> Result:
    """Loops for ever in Python with two servers (like a model whose clock stops)."""
    if _hangs(line, options.get("overrides")):
        clock = 0.0
        while clock >= 0:
            clock += 0.0
    return standin(line, hours=hours, **options)


def hang_in_c(line: Line, *, hours: float, **options: Any) -> Result:
    """Stuck in one C call with two servers (no Python instruction runs to stop it)."""
    if _hangs(line, options.get("overrides")):
        time.sleep(3600)
    return standin(line, hours=hours, **options)
