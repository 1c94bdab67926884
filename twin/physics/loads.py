"""A watch on external pushes: every ``applyExternalForce`` / ``applyExternalTorque`` made while
it is open is measured, so a calibration can state the largest one (0 in normal operation:
only the joints, contacts and gravity move a robot)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pybullet as pb


@dataclass
class ExternalLoads:
    """Largest external force (N) and torque (N m) applied while watching, and how often."""

    force: float = 0.0
    torque: float = 0.0
    calls: int = 0

    @classmethod
    @contextmanager
    def watch(cls) -> Iterator[ExternalLoads]:
        """Measure every external force and torque applied inside the ``with`` block."""
        loads = cls()
        apply_force, apply_torque = pb.applyExternalForce, pb.applyExternalTorque

        def force(body: int, link: int, vector: Any, *args: Any, **kwargs: Any) -> Any:
            loads.calls += 1
            loads.force = max(loads.force, float(np.linalg.norm(vector)))
            return apply_force(body, link, vector, *args, **kwargs)

        def torque(body: int, link: int, vector: Any, *args: Any, **kwargs: Any) -> Any:
            loads.calls += 1
            loads.torque = max(loads.torque, float(np.linalg.norm(vector)))
            return apply_torque(body, link, vector, *args, **kwargs)

        pb.applyExternalForce, pb.applyExternalTorque = force, torque
        try:
            yield loads
        finally:
            pb.applyExternalForce, pb.applyExternalTorque = apply_force, apply_torque
