"""A state-coloured ball over each robot that keeps its size on screen at any zoom.

The balls are drawn over the scene (machines and labels do not hide them).
A humanoid is 1.76 m tall: at the overview of a 70 m hall it is a few pixels wide, too small
to see or to read its state colour. Each robot gets a ball drawn as a point sprite of a fixed
size in pixels above its head (so it shrinks in metres as the camera comes closer); once the
robot itself stands taller on screen than ``HIDE_ABOVE_PX`` the ball is dropped (level of
detail: close up the body and its state disc say it all).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyvista as pv

from viewer.style import ROBOT_COLOURS, rgb

BALL_PX = 18  # ball diameter in pixels at a 720-pixel-high window (scaled with the window)
HIDE_ABOVE_PX = 90  # a robot taller than this on screen needs no ball
LIFT_M = 0.45  # the ball's centre above the robot's head
HIDDEN_Z = -5.0  # where a dropped ball goes: under the floor slab


class RobotMarkers:
    """One point per robot, drawn as a shaded sphere sprite of ``size`` pixels."""

    def __init__(self, plotter: Any, count: int, height: float, window_height: int) -> None:
        self.count = count
        self.height = height
        self.size = max(6, round(BALL_PX * window_height / 720))
        self.mesh = pv.PolyData(np.zeros((count, 3)))
        self.mesh.point_data["rgb"] = np.zeros((count, 3), dtype=np.uint8)
        self._colours = {s: rgb(c) for s, c in ROBOT_COLOURS.items()}
        self.actor = plotter.add_mesh(self.mesh, scalars="rgb", rgb=True, name="robot_markers",
                                      render_points_as_spheres=True, point_size=self.size,
                                      pickable=False, reset_camera=False)
        # drawn in a layer over the scene, with its camera: a robot behind a machine or under
        # a label still shows its ball
        from vtkmodules.vtkRenderingCore import vtkRenderer

        plotter.remove_actor(self.actor, reset_camera=False, render=False)
        window = plotter.ren_win
        window.SetNumberOfLayers(max(window.GetNumberOfLayers(), 2))
        self.layer = vtkRenderer()
        self.layer.SetLayer(1)
        self.layer.InteractiveOff()
        self.layer.SetActiveCamera(plotter.renderer.GetActiveCamera())
        self.layer.AddActor(self.actor)
        window.AddRenderer(self.layer)

    def update(self, xy: np.ndarray, states: list[str], pixels_per_metre: np.ndarray) -> None:
        """Place the balls over the robots in their state colours; drop those not needed."""
        points: Any = self.mesh.points
        points[:, :2] = xy
        tall = pixels_per_metre * self.height > HIDE_ABOVE_PX
        points[:, 2] = np.where(tall, HIDDEN_Z, self.height + LIFT_M)
        colours: Any = self.mesh.point_data["rgb"]
        colours[:] = [self._colours.get(s, self._colours["idle"]) for s in states]
        self.mesh.Modified()


def pixels_per_metre(camera: Any, points: np.ndarray, window_height: int) -> np.ndarray:
    """How many pixels a metre spans at each point, facing the camera."""
    if camera.parallel_projection:
        return np.full(len(points), window_height / (2 * camera.parallel_scale))
    eye = np.asarray(camera.position, dtype=float)
    view = np.asarray(camera.focal_point, dtype=float) - eye
    view /= np.linalg.norm(view)
    depth = np.maximum((points - eye) @ view, 1e-3)
    return window_height / (2 * depth * math.tan(math.radians(camera.view_angle) / 2))
