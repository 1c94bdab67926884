"""Floor benchmark: building the walkways of halls from 10 to 1000 obstacles.

Run: ``.venv/bin/python benchmarks/floor_bench.py [--sizes 10 30 100 300 1000]``. For each
generated hall (rows of racks and machines, some of them polygons, with aisles between them
and one location per obstacle) prints the build time of ``twin.floor.build_walkways``, the
time of the first 100 ``dist`` queries, node and edge counts, and, up to ``--baseline-max``
obstacles, the old cubic visibility-graph builder measured in the same run (copied below) with
the speed-up and how much longer the new paths are than its exact ones (mean and worst).
Target: 1000 obstacles build in well under 10 s.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from twin.config import Layout
from twin.floor import build_walkways

CELL_X, CELL_Y = 8.0, 5.0  # one obstacle per cell; aisles 2-4 m wide between them


def hall(obstacles: int, seed: int = 0) -> Layout:
    """A hall of racks and machines in rows with aisles between, a location before each."""
    rng = np.random.default_rng(seed)
    cols = max(int(math.ceil(math.sqrt(obstacles * CELL_Y / CELL_X))), 1)
    rows = int(math.ceil(obstacles / cols))
    obs: list[dict[str, object]] = []
    locs: dict[str, list[float]] = {}
    for k in range(obstacles):
        r, c = divmod(k, cols)
        x, y = 2.0 + c * CELL_X, 2.0 + r * CELL_Y
        kind = rng.choice(["rack", "rack", "machine", "polygon"])
        if kind == "rack":
            w = float(rng.uniform(4.5, 6.0))
            obs.append({"kind": "rack", "x0": x + 0.5, "y0": y + 1.5, "x1": x + 0.5 + w,
                        "y1": y + 2.7})
        elif kind == "machine":
            obs.append({"kind": "machine", "x0": x + 1.5, "y0": y + 1.2, "x1": x + 4.5,
                        "y1": y + 3.4})
        else:
            cx, cy, rad = x + 3.5, y + 2.4, float(rng.uniform(0.8, 1.2))
            sides = int(rng.integers(3, 7))
            turn = float(rng.uniform(0, 2 * math.pi))
            pts = [[cx + rad * math.cos(turn + 2 * math.pi * i / sides),
                    cy + rad * math.sin(turn + 2 * math.pi * i / sides)] for i in range(sides)]
            obs.append({"kind": "machine", "points": pts})
        locs[f"p{k}"] = [x + 3.0 + float(rng.uniform(-1, 1)), y + 0.45]
    return Layout.model_validate({
        "floor": {"width": cols * CELL_X + 4, "depth": rows * CELL_Y + 4},
        "obstacles": obs, "locations": locs,
    })


def old_distances(layout: Layout) -> np.ndarray:
    """Baseline: the old builder (twin/layout.py before twin.floor), box obstacles only,
    all-pairs over a full visibility graph; polygons enter as their bounding boxes."""
    c, eps = layout.clearance, 1e-6
    boxes = [(o.bounds[0] - c, o.bounds[1] - c, o.bounds[2] + c, o.bounds[3] + c)
             for o in layout.obstacles]

    def contains(b: tuple[float, ...], x: float, y: float) -> bool:
        return b[0] + eps < x < b[2] - eps and b[1] + eps < y < b[3] - eps

    def blocks(b: tuple[float, ...], ax: float, ay: float, bx: float, by: float) -> bool:
        dx, dy = bx - ax, by - ay
        t0, t1 = 0.0, 1.0
        for p, q in ((-dx, ax - (b[0] + eps)), (dx, (b[2] - eps) - ax),
                     (-dy, ay - (b[1] + eps)), (dy, (b[3] - eps) - ay)):
            if abs(p) < 1e-12:
                if q < 0:
                    return False
                continue
            r = q / p
            if p < 0:
                t0 = max(t0, r)
            else:
                t1 = min(t1, r)
            if t0 > t1:
                return False
        return t1 - t0 > 1e-9

    pts = [(loc.x, loc.y) for loc in layout.locations.values()]
    n_loc = len(pts)
    w, d = layout.floor.width, layout.floor.depth
    for b in boxes:
        for x, y in ((b[0], b[1]), (b[2], b[1]), (b[2], b[3]), (b[0], b[3])):
            if 0 <= x <= w and 0 <= y <= d and not any(contains(o, x, y) for o in boxes):
                pts.append((x, y))
    p = np.asarray(pts, dtype=float)
    n = len(p)
    rows, cols, vals = [], [], []
    for i in range(n):
        for j in range(i + 1, n):
            (ax, ay), (bx, by) = p[i], p[j]
            if any(blocks(b, ax, ay, bx, by) for b in boxes):
                continue
            length = max(math.hypot(bx - ax, by - ay), 1e-9)
            rows += [i, j]
            cols += [j, i]
            vals += [length, length]
    graph = csr_matrix((vals, (rows, cols)), shape=(n, n))
    dist = dijkstra(graph, directed=False, indices=list(range(n_loc)))
    return dist[:, :n_loc]


def boxed(layout: Layout) -> Layout:
    """The same hall with every polygon replaced by its bounding box (what the baseline sees)."""
    obs = [o.model_copy(update={"points": None, "x0": o.bounds[0], "y0": o.bounds[1],
                                "x1": o.bounds[2], "y1": o.bounds[3]})
           for o in layout.obstacles]
    return layout.model_copy(update={"obstacles": obs})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 30, 100, 300, 1000])
    parser.add_argument("--baseline-max", type=int, default=100)
    args = parser.parse_args()
    print(f"{'obstacles':>9} {'nodes':>6} {'edges':>7} {'build s':>8} {'100 dist s':>10} "
          f"{'old build s':>11} {'speed-up':>8} {'longer mean':>11} {'worst':>6}")
    for size in args.sizes:
        layout = hall(size)
        start = time.perf_counter()
        ways = build_walkways(layout)
        build = time.perf_counter() - start
        names = ways.names
        rng = np.random.default_rng(1)
        pairs = [(names[i], names[j]) for i, j in rng.integers(0, len(names), (100, 2))]
        start = time.perf_counter()
        for a, b in pairs:
            ways.dist(a, b)
        query = time.perf_counter() - start
        old = ""
        if size <= args.baseline_max:
            box_layout = boxed(layout)
            start = time.perf_counter()
            exact = old_distances(box_layout)
            old_s = time.perf_counter() - start
            start = time.perf_counter()
            new = build_walkways(box_layout)
            new_s = time.perf_counter() - start
            got = np.array([[new.dist(a, b) for b in names] for a in names])
            finite = np.isfinite(exact) & (exact > 0)
            assert (np.isfinite(got) == np.isfinite(exact)).all(), "reachability differs"
            excess = got[finite] / exact[finite] - 1
            old = (f"{old_s:>11.2f} {old_s / new_s:>7.0f}x {100 * excess.mean():>10.2f}% "
                   f"{100 * excess.max():>5.1f}%")
        print(f"{size:>9} {len(ways.graph.points):>6} {ways.graph.n_edges:>7} {build:>8.3f} "
              f"{query:>10.3f} {old}", flush=True)


if __name__ == "__main__":
    main()
