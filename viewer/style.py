"""Colours and sizes of the viewer, in one place, so legend, HUD and scene agree."""

from __future__ import annotations

import numpy as np

STATION_COLOURS: dict[str, str] = {
    "processing": "#2ca02c",
    "setup": "#3b7dd8",
    "starved": "#f2c200",
    "blocked": "#ff7f0e",
    "down": "#d62728",
    "off_shift": "#8c8c8c",
}
ROBOT_COLOURS: dict[str, str] = {
    "carrying": "#3f7fff",
    "walking_empty": "#9cc7f0",
    "picking": "#8e44ad",
    "placing": "#b27cd0",
    "to_charger": "#e69b00",
    "waiting_charger": "#ff5ea8",
    "docking": "#e6c200",
    "charging": "#f5d800",
    "idle": "#e0e0e0",
    "down": "#d62728",
    "off_shift": "#505050",
    "waiting_spot": "#ff8c42",
    "waiting_traffic": "#c0392b",
}
FLOOR = "#d8d6cf"
GRID = "#b8b5aa"
AISLE = "#f2c200"
CONGESTION = ("#ffd59e", "#ff9f43", "#e8372c")  # robots held by traffic: little, more, most
WALL = "#a7adb5"
RACK_FRAME = "#2f5d9e"
RACK_SHELF = "#e88a1a"
TOTE = "#1f8a8a"
CONVEYOR_FRAME = "#9aa3ad"
CONVEYOR_BELT = "#3a3d42"
CHARGER = "#3a3f47"
CHARGER_PAD = "#f2c200"
LIMB = "#3c3f44"
HEAD = "#c8ccd2"
BACKGROUND = "#f4f5f7"
SOC_BACK = "#202020"


def rgb(colour: str) -> np.ndarray:
    """A '#rrggbb' colour as a uint8 triple."""
    value = colour.lstrip("#")
    return np.array([int(value[i:i + 2], 16) for i in (0, 2, 4)], dtype=np.uint8)


def soc_colour(soc: np.ndarray) -> np.ndarray:
    """Battery bar colour: green above 50 %, amber above 25 %, red below."""
    out = np.empty((len(soc), 3), dtype=np.uint8)
    out[:] = rgb("#2ca02c")
    out[soc < 0.5] = rgb("#f0a000")
    out[soc < 0.25] = rgb("#d62728")
    return out
