"""A small glTF 2.0 writer: named nodes, meshes, PBR materials and keyframe animation, packed as
one binary .glb. Positions go in as twin's Z-up metres and come out Y-up, as glTF requires
(x, y, z) -> (x, z, -y): a rotation, so shapes and handedness are kept."""

from __future__ import annotations

import json
import struct
from typing import Any

import numpy as np

FLOAT, UINT32 = 5126, 5125
ARRAY_BUFFER, ELEMENT_ARRAY_BUFFER = 34962, 34963
_WIDTH = {"SCALAR": 1, "VEC3": 3, "VEC4": 4}


def y_up(points: np.ndarray) -> np.ndarray:
    """Twin's (x, y, z) with z up as glTF's (x, y, z) with y up."""
    p = np.asarray(points, dtype=float)
    return np.stack([p[..., 0], p[..., 2], -p[..., 1]], axis=-1)


class Gltf:
    """Accumulates a scene; ``glb()`` returns the file's bytes."""

    def __init__(self, generator: str = "twin") -> None:
        self.bin = bytearray()
        self.doc: dict[str, Any] = {
            "asset": {"version": "2.0", "generator": generator},
            "scene": 0, "scenes": [{"name": "scene", "nodes": []}], "nodes": [], "meshes": [],
            "materials": [], "accessors": [], "bufferViews": [],
        }
        self._materials: dict[str, int] = {}
        self._channels: list[dict[str, Any]] = []
        self._samplers: list[dict[str, Any]] = []

    def _view(self, data: bytes, target: int | None) -> int:
        while len(self.bin) % 4:
            self.bin.append(0)
        view: dict[str, Any] = {"buffer": 0, "byteOffset": len(self.bin), "byteLength": len(data)}
        if target is not None:
            view["target"] = target
        self.bin.extend(data)
        self.doc["bufferViews"].append(view)
        return len(self.doc["bufferViews"]) - 1

    def accessor(self, array: np.ndarray, kind: str, target: int | None = None,
                 bounds: bool = False) -> int:
        """A float32 (or, for indices, uint32) accessor over a new buffer view."""
        indices = target == ELEMENT_ARRAY_BUFFER
        data = np.ascontiguousarray(array, dtype=np.uint32 if indices else np.float32)
        acc: dict[str, Any] = {"bufferView": self._view(data.tobytes(), target),
                               "componentType": UINT32 if indices else FLOAT,
                               "count": int(data.size // _WIDTH[kind]), "type": kind}
        if bounds:
            flat = data.reshape(-1, _WIDTH[kind])
            acc["min"] = flat.min(axis=0).astype(float).tolist()
            acc["max"] = flat.max(axis=0).astype(float).tolist()
        self.doc["accessors"].append(acc)
        return len(self.doc["accessors"]) - 1

    def material(self, name: str, rgb: np.ndarray | tuple[int, int, int]) -> int:
        """A matte PBR material of an sRGB colour (0-255), once per name."""
        if name not in self._materials:
            linear = [float(((c / 255) + 0.055) / 1.055) ** 2.4 if c / 255 > 0.04045
                      else c / 255 / 12.92 for c in np.asarray(rgb, dtype=float)]
            self.doc["materials"].append({
                "name": name, "pbrMetallicRoughness": {
                    "baseColorFactor": [*linear, 1.0], "metallicFactor": 0.0,
                    "roughnessFactor": 0.85}})
            self._materials[name] = len(self.doc["materials"]) - 1
        return self._materials[name]

    def geometry(self, vertices_zup: np.ndarray, faces: np.ndarray) -> tuple[int, int]:
        """Accessors (positions, indices) of a triangle mesh given in twin's Z-up frame."""
        pos = self.accessor(y_up(vertices_zup), "VEC3", ARRAY_BUFFER, bounds=True)
        idx = self.accessor(np.asarray(faces).ravel(), "SCALAR", ELEMENT_ARRAY_BUFFER)
        return pos, idx

    def mesh(self, name: str, geometry: tuple[int, int], material: int) -> int:
        self.doc["meshes"].append({"name": name, "primitives": [
            {"attributes": {"POSITION": geometry[0]}, "indices": geometry[1],
             "material": material, "mode": 4}]})
        return len(self.doc["meshes"]) - 1

    def node(self, name: str, mesh: int | None = None, parent: int | None = None,
             translation_zup: tuple[float, float, float] | None = None) -> int:
        """A named node, a root of the scene unless it has a parent."""
        node: dict[str, Any] = {"name": name}
        if mesh is not None:
            node["mesh"] = mesh
        if translation_zup is not None:
            node["translation"] = y_up(np.array(translation_zup)).tolist()
        self.doc["nodes"].append(node)
        i = len(self.doc["nodes"]) - 1
        if parent is None:
            self.doc["scenes"][0]["nodes"].append(i)
        else:
            self.doc["nodes"][parent].setdefault("children", []).append(i)
        return i

    def animate(self, node: int, path: str, times: int, values: np.ndarray,
                step: bool = False) -> None:
        """Key ``path`` (translation, rotation or scale) of a node at the times accessor."""
        kind = "VEC4" if path == "rotation" else "VEC3"
        self._samplers.append({"input": times, "output": self.accessor(values, kind),
                               "interpolation": "STEP" if step else "LINEAR"})
        self._channels.append({"sampler": len(self._samplers) - 1,
                               "target": {"node": node, "path": path}})

    def glb(self, animation: str = "run") -> bytes:
        doc = dict(self.doc)
        if self._channels:
            doc["animations"] = [{"name": animation, "channels": self._channels,
                                  "samplers": self._samplers}]
        while len(self.bin) % 4:
            self.bin.append(0)
        doc["buffers"] = [{"byteLength": len(self.bin)}]
        text = json.dumps(doc, separators=(",", ":")).encode()
        text += b" " * (-len(text) % 4)
        total = 12 + 8 + len(text) + 8 + len(self.bin)
        return (struct.pack("<4sII", b"glTF", 2, total)
                + struct.pack("<I4s", len(text), b"JSON") + text
                + struct.pack("<I4s", len(self.bin), b"BIN\x00") + bytes(self.bin))
