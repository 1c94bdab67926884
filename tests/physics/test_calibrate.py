"""The calibration fit recovers known parameters, and the shipped calibration is physics-made."""

from __future__ import annotations

import json

import numpy as np

from twin.calibrate import Runs, fit
from twin.motion import Calibration, calibration_path, load_calibration
from twin.robot import RobotSpec


def test_fit_recovers_synthetic_parameters(spec: RobotSpec) -> None:
    rng = np.random.default_rng(1)
    runs = Runs()
    for d in (3.0, 6.0, 10.0):
        for m in (0.0, 7.5, 15.0):
            for f in (0.8, 1.0):
                v = spec.speed(m) * f * (0.95 - 0.002 * m)
                turn = rng.uniform(1.5, 4.5)  # rad turned on the spot at the two ends
                manoeuvre = 3.0 + 2.0 * turn  # s setting off, stopping and turning
                cruising = 200.0 + 150.0 * v + 5.0 * m  # W
                standing = 120.0 + 4.0 * m  # W while setting off, stopping and turning
                runs.walk.append({"distance": d, "payload": m, "factor": f,
                                  "speed": spec.speed(m) * f, "cruise": v, "turn": turn,
                                  "duration": manoeuvre + d / v,
                                  "energy": cruising * d / v + standing * manoeuvre, "ok": 1.0})
    for m in (0.5, 7.5, 15.0):
        for table, (a, b) in ((runs.pick, (6.0, 0.1)), (runs.place, (4.0, 0.05)),
                              (runs.dock, (3.0, 0.0))):
            table.append({"payload": m, "duration": a + b * m + 0.01 * rng.standard_normal(),
                          "energy": 900.0 + 20.0 * m, "ok": 1.0})
    cal, errors = fit(spec, runs)
    assert cal.source == "physics"
    assert np.allclose(cal.walk.speed_ratio, (0.95, -0.002), atol=1e-6)
    assert abs(cal.walk.overhead_s - 3.0) < 1e-6
    assert abs(cal.walk.turn_s_per_rad - 2.0) < 1e-6
    assert np.allclose(cal.walk.power_w, (200.0, 150.0, 5.0), atol=1e-6)
    assert cal.walk.manoeuvre_w is not None
    assert np.allclose(cal.walk.manoeuvre_w, (120.0, 4.0), atol=1e-6)
    assert errors["walk"]["energy_cv"] < 1e-9
    assert abs(cal.pick.duration_s[1] - 0.1) < 0.01
    assert cal.pick.success == 1.0


def test_shipped_calibration_comes_from_physics(spec: RobotSpec) -> None:
    path = calibration_path(spec.name)
    raw = json.loads(path.read_text())
    cal = Calibration.model_validate(raw)
    assert cal.source == "physics"
    assert cal.provenance["pybullet"]
    assert load_calibration(spec).source == "physics"
    # fitted on a robot moved by its joints, contacts and gravity alone
    assert cal.provenance["external_force_max_n"] == 0.0
    assert cal.provenance["external_torque_max_nm"] == 0.0
