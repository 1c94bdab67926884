"""Named random substreams: one generator per source of randomness, derived from the run seed.

Streams are keyed by name (``"station:weld:process"``), not by creation order, so adding a
robot or a station leaves every other stream untouched: common random numbers across scenarios.
"""

from __future__ import annotations

import zlib

import numpy as np


class RandomStreams:
    def __init__(self, seed: int) -> None:
        self.seed = int(seed)

    def stream(self, name: str) -> np.random.Generator:
        key = zlib.crc32(name.encode("utf-8"))
        return np.random.Generator(np.random.PCG64(np.random.SeedSequence([self.seed, key])))
