"""Shared by the viewer tests: a synthetic log of a known moment, and where a colour shows."""

from __future__ import annotations

import numpy as np

from twin.config import Line
from twin.events import EventLog
from viewer.style import rgb


def carrying_log(line: Line) -> EventLog:
    """R1 carries from S1 to S3 over 100..124 s; every station processing."""
    log = EventLog()
    log.add(0.0, "R1", "robot", "charging", 0, 0.5)
    names = list(line.layout.locations)
    pid = names.index("S1") * len(names) + names.index("S3")
    log.add_travel(100.0, "R1", "carrying", "S1", "S3", pid, 24.0, 4)
    for sid in line.stations:
        log.add(0.0, sid, "station", "processing", -1, 0.0)
    return log


def near(image: np.ndarray, colour: str, tol: float = 18.0) -> np.ndarray:
    """Mask of pixels showing a colour under some shading (a scaled copy of it, within tol)."""
    target = rgb(colour).astype(float)
    pixels = image.astype(float)
    scale = pixels @ target / (target @ target)
    residual = np.linalg.norm(pixels - scale[..., None] * target, axis=-1)
    return (scale > 0.55) & (scale < 1.25) & (residual < tol)
