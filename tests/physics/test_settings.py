"""Rates of a physics run must divide evenly."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from twin.physics.settings import PhysicsSettings


def test_default_ratios_are_whole() -> None:
    s = PhysicsSettings()
    assert s.substeps == 2
    assert s.ticks_per_sync == 6


def test_uneven_control_period_is_refused() -> None:
    with pytest.raises(ValidationError, match="whole multiple"):
        PhysicsSettings(timestep=1 / 240, control_period=1 / 100)


def test_uneven_lockstep_is_refused() -> None:
    with pytest.raises(ValidationError, match="whole multiple"):
        PhysicsSettings(lockstep_interval=0.0123)
