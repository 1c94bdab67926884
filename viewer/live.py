"""Live mode: the line model stepped forward in chunks just ahead of the time on screen."""

from __future__ import annotations

import numpy as np

from twin.config import Line
from viewer.replay import Timeline
from viewer.run import Run, empty_events, normalise_events, path_ids_of


class LiveRun:
    """Runs a line's SimPy model as the viewer plays, like ``twin.simulate`` but in steps.

    The model runs ``chunk`` seconds ahead of the viewer so every walk on screen already has
    its arrival logged; the frame at T is the frame a replay of the finished run shows at T.
    """

    def __init__(self, line: Line, seed: int = 0, hours: float = 8.0,
                 chunk: float = 900.0) -> None:
        from twin.floor import build_walkways
        from twin.line.factory import Factory

        walkways = build_walkways(line.layout)
        self.walkways = walkways
        self.paths: dict[int, np.ndarray] = {}
        self.line = line
        self.factory = Factory(line, seed, log=True, walkways=walkways)
        # the warm-up is working time, as twin.simulate counts it
        cal = self.factory.calendar
        self.warmup = float(cal.advance(0.0, line.warmup)) if line.warmup > 0 else 0.0
        self.until = self.warmup + hours * 3600.0
        self.chunk = chunk
        self.simulated_to = 0.0
        self._warm = self.warmup <= 0
        self.factory.start()
        self.timeline = Timeline(Run(line=line, paths=self.paths, events=empty_events()))
        self.advance(0.0)

    def _run_to(self, t: float) -> None:
        env = self.factory.env
        if not self._warm and t >= self.warmup:
            env.run(until=self.warmup)  # as Factory.run: statistics restart after warm-up
            self.factory.reset_statistics()
            self._warm = True
        if t > env.now:
            env.run(until=t)
        self.simulated_to = t

    def advance(self, t: float) -> Timeline:
        """The timeline valid at t, simulating further first if t is near the model's clock."""
        if t + self.chunk / 3 <= self.simulated_to or self.simulated_to >= self.until:
            return self.timeline
        self._run_to(float(np.clip(t + self.chunk, self.simulated_to, self.until)))
        events = normalise_events(self.factory.log.to_table().to_pandas())
        self.paths.update(self.walkways.path_table(path_ids_of(events)))
        self.timeline = Timeline(Run(line=self.line, paths=self.paths, events=events))
        return self.timeline
