"""The scene for other tools: the layout as glTF, a run as animated glTF (viewer.animation), a
moment of a run as HTML."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from twin.config import Line
from viewer import style
from viewer.gltf import Gltf
from viewer.replay import Snapshot
from viewer.scene import Piece, static_pieces, station_meshes


def layout_pieces(line: Line, paths: list[np.ndarray],
                  snapshot: Snapshot | None = None) -> list[Piece]:
    """Static pieces plus one machine per station, coloured by state if a snapshot is given."""
    pieces = static_pieces(line, paths)
    for sid, mesh in zip(line.stations, station_meshes(line), strict=True):
        state = snapshot.stations.get(sid, "processing") if snapshot else None
        colour = style.STATION_COLOURS[state] if state else "#5f8fbf"
        pieces.append(Piece(f"station {sid}", mesh, colour))
    return pieces


def write_glb(line: Line, paths: list[np.ndarray], out: Path) -> Path:
    """Write the layout as a binary glTF scene, Y-up, one named node and material per part."""
    g = Gltf()
    for piece in layout_pieces(line, paths):
        material = g.material(piece.name, style.rgb(piece.colour))
        mesh = g.mesh(piece.name, g.geometry(piece.mesh.vertices, piece.mesh.faces), material)
        g.node(piece.name, mesh)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(g.glb())
    return out


def write_html(line: Line, paths: list[np.ndarray], out: Path, snapshot: Snapshot | None = None,
               robots: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
               title: str = "") -> Path:
    """Write a self-contained interactive 3D page (plotly) of the layout at one moment.

    ``robots`` is (points, triangles, rgb per point) of the posed robot batch, if any.
    """
    import plotly.graph_objects as go

    traces = []
    for piece in layout_pieces(line, paths, snapshot):
        v, f = piece.mesh.vertices, piece.mesh.faces
        traces.append(go.Mesh3d(x=v[:, 0], y=v[:, 1], z=v[:, 2], i=f[:, 0], j=f[:, 1],
                                k=f[:, 2], color=piece.colour, name=piece.name, flatshading=True,
                                hoverinfo="name"))
    if robots is not None:
        rv, rf, rgb = robots
        colours = [f"rgb({r},{g},{b})" for r, g, b in rgb[rf[:, 0]]]
        traces.append(go.Mesh3d(x=rv[:, 0], y=rv[:, 1], z=rv[:, 2], i=rf[:, 0], j=rf[:, 1],
                                k=rf[:, 2], facecolor=colours, name="robots", flatshading=True,
                                hoverinfo="name"))
    w, d = line.layout.floor.width, line.layout.floor.depth
    fig = go.Figure(traces)
    fig.update_layout(
        title=title or line.name, showlegend=False, margin={"l": 0, "r": 0, "t": 40, "b": 0},
        scene={"aspectmode": "data", "xaxis": {"range": [0, w]}, "yaxis": {"range": [0, d]},
               "camera": {"eye": {"x": 0.0, "y": -1.1, "z": 0.9}}},
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.write_html(out, include_plotlyjs=True, full_html=True)
    return out
