"""Electrical energy from joint torques: positive mechanical power over drive efficiency, copper
loss, and the constant draws of the robot YAML."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from twin.motion import GRAVITY
from twin.robot import RobotSpec

COPPER_LOSS_AT_LIMIT = 25.0  # W drawn by one joint holding its full torque limit


@dataclass
class EnergyMeter:
    """Integrates electrical energy (J), mechanical work, time and distance."""

    efficiency: float
    constant_w: float
    torque_limits: np.ndarray
    mass: float
    energy_j: float = 0.0
    mechanical_j: float = 0.0
    time_s: float = 0.0
    distance_m: float = 0.0
    history: list[float] = field(default_factory=list)

    @classmethod
    def for_robot(cls, spec: RobotSpec, torque_limits: np.ndarray) -> EnergyMeter:
        """Meter with the robot's drive efficiency and constant draws (standing electronics,
        compute, radio)."""
        p = spec.power
        return cls(spec.drive_efficiency, p.standing + p.constant, torque_limits, spec.mass)

    def add(self, torques: np.ndarray, speeds: np.ndarray, dt: float) -> float:
        """Account one control period; returns the electrical power (W)."""
        mech = float(np.clip(torques * speeds, 0.0, None).sum())
        copper = COPPER_LOSS_AT_LIMIT * float(((torques / self.torque_limits) ** 2).sum())
        power = mech / self.efficiency + copper + self.constant_w
        self.energy_j += power * dt
        self.mechanical_j += mech * dt
        self.time_s += dt
        return power

    def soc(self, initial: float, battery_j: float) -> float:
        """State of charge after drawing this meter's energy from a battery at ``initial``."""
        return max(initial - self.energy_j / battery_j, 0.0)

    def cost_of_transport(self) -> float:
        """Energy / (mass g distance); inf if the robot did not move."""
        if self.distance_m <= 0:
            return float("inf")
        return self.energy_j / (self.mass * GRAVITY * self.distance_m)
