"""Named rates of a physics run: physics timestep, control period and SimPy lock-step interval."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


def _ratio(long: float, short: float, what: str) -> int:
    ratio = long / short
    n = round(ratio)
    if n < 1 or abs(ratio - n) > 1e-6 * max(n, 1):
        raise ValueError(f"{what} must be a whole multiple (got ratio {ratio:.6g})")
    return n


class PhysicsSettings(BaseModel):
    """Physics at ``timestep``; controllers every ``control_period``; SimPy syncs every
    ``lockstep_interval``. Each must divide the next evenly."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timestep: float = Field(1.0 / 240.0, gt=0, description="physics step (s)")
    control_period: float = Field(1.0 / 120.0, gt=0, description="joint targets update (s)")
    lockstep_interval: float = Field(0.05, gt=0, description="SimPy-PyBullet sync interval (s)")
    solver_iterations: int = Field(50, ge=1)
    pose_rate: float = Field(10.0, gt=0, description="pose table rows per second per robot")

    @model_validator(mode="after")
    def _whole_ratios(self) -> PhysicsSettings:
        _ratio(self.control_period, self.timestep, "control_period / timestep")
        _ratio(self.lockstep_interval, self.control_period, "lockstep_interval / control_period")
        return self

    @property
    def substeps(self) -> int:
        """Physics steps per control period."""
        return _ratio(self.control_period, self.timestep, "control_period / timestep")

    @property
    def ticks_per_sync(self) -> int:
        """Control periods per lock-step interval."""
        return _ratio(self.lockstep_interval, self.control_period,
                      "lockstep_interval / control_period")
