"""PyBullet physics of humanoid workers: worlds from a layout, gait, two-arm carry, docking.

Importing this package loads PyBullet lazily: only the modules that step physics import it.
"""

from __future__ import annotations

from twin.physics.settings import PhysicsSettings

__all__ = ["PhysicsSettings"]
