"""The floor as geometry: obstacles as shapely polygons, walkways, one-way aisles.

``build_walkways`` builds the navigation graph once per layout in near-linear time; shortest
paths are solved on demand, one source at a time, and cached.
"""

from twin.floor.aisles import OneWayBlock, one_way_blocks
from twin.floor.geometry import (
    FloorGeometry,
    blocked_location,
    floor_geometry,
    grown_polygons,
    obstacle_polygons,
)
from twin.floor.navigation import Walkways, build_walkways

__all__ = [
    "FloorGeometry",
    "OneWayBlock",
    "Walkways",
    "blocked_location",
    "build_walkways",
    "floor_geometry",
    "grown_polygons",
    "obstacle_polygons",
    "one_way_blocks",
]
