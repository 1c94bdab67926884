"""Floor benchmark: building the walkways of halls from 10 to 1000 obstacles.

Run: ``.venv/bin/python benchmarks/floor_bench.py [--sizes 10 30 100 300 1000]
[--plant-rows 100] [--pairs 200]``. For each generated hall (rows of racks and machines, some
of them polygons, with aisles between them and one location per obstacle) prints the build
time of ``twin.floor.build_walkways``, the time of the first 100 ``dist`` queries, node and
edge counts, and, up to ``--baseline-max`` obstacles, the old cubic visibility-graph builder
measured in the same run (copied below) with the speed-up and how much longer the new paths
are than its exact ones (mean and worst). Target: 1000 obstacles build in well under 10 s.

Then, on a generated car plant (``twin.plant.plant(rows, 3, 5)``), the time to answer
``--pairs`` random (source, target) ``dist`` and ``path`` queries, as a run asks them, beside
the solver that pulled every location of a source's row at once (``pull_strings`` with its
bulk ``blocked``, copied below) measured in the same run on the same graph, with the time of
a ``dist`` already known and whether both give the same lengths and waypoints, bit for bit.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from twin.config import Layout, Line
from twin.floor import Walkways, build_walkways
from twin.floor.geometry import EPS, FloorGeometry
from twin.floor.graph import NavGraph
from twin.plant import plant

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


def old_blocked(geo: FloorGeometry, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Baseline: ``FloorGeometry.blocked`` before the one-segment test and the leaner clip."""
    out = np.zeros(len(a), dtype=bool)
    if len(a) == 0 or len(geo.walls) == 0:
        return out
    segs = shapely.linestrings(np.stack([a, b], axis=1))
    seg, ob = geo.wall_tree.query(segs)
    hit = old_meets_box(a[seg], b[seg], geo.bounds[ob])
    sure = hit & geo.is_box[ob]
    out[seg[sure]] = True
    maybe = np.flatnonzero(hit & ~geo.is_box[ob] & ~out[seg])
    if len(maybe):
        touch = shapely.intersects(segs[seg[maybe]], geo.walls[ob[maybe]])
        out[seg[maybe[touch]]] = True
    on = np.zeros(len(a), dtype=bool)
    for axis, value in ((0, 0.0), (0, geo.width), (1, 0.0), (1, geo.depth)):
        on |= (np.abs(a[:, axis] - value) <= EPS) & (np.abs(b[:, axis] - value) <= EPS)
    edge = np.flatnonzero(~out & on)
    if len(edge):
        seg, ob = geo.tree.query(segs[edge], predicate="dwithin", distance=2 * EPS)
        along = shapely.length(shapely.intersection(segs[edge][seg], geo.grown[ob]))
        out[edge[seg[along > 2 * EPS]]] = True
    return out


def old_meets_box(a: np.ndarray, b: np.ndarray, box: np.ndarray) -> np.ndarray:
    """Baseline: the Liang-Barsky clip as ``old_blocked`` ran it."""
    d = b - a
    t0 = np.zeros(len(a))
    t1 = np.ones(len(a))
    ok = np.ones(len(a), dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        for p, q in ((-d[:, 0], a[:, 0] - box[:, 0]), (d[:, 0], box[:, 2] - a[:, 0]),
                     (-d[:, 1], a[:, 1] - box[:, 1]), (d[:, 1], box[:, 3] - a[:, 1])):
            flat = p == 0
            ok &= ~(flat & (q < 0))
            r = q / p
            t0 = np.where(p < 0, np.maximum(t0, r), t0)
            t1 = np.where(p > 0, np.minimum(t1, r), t1)
    return ok & (t0 <= t1)


def old_walkable(graph: NavGraph, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ok = ~old_blocked(graph.geometry, a, b)
    if len(graph.rules.aisles) and ok.any():
        idx = np.flatnonzero(ok)
        ok[idx[graph.rules.forbidden(a[idx], b[idx])]] = False
    return ok


def pull_strings(graph: NavGraph, source: int, pred: np.ndarray,
                 targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Baseline: the old solver pulled a source's whole row, level by level of its tree."""
    n = len(graph.points)
    pts = graph.points
    anchor = np.full(n, -1, dtype=np.int64)
    length = np.full(n, np.inf)
    anchor[source], length[source] = source, 0.0
    depth = _depths(pred, source, targets[(pred[targets] >= 0) | (targets == source)])
    if len(depth) == 0:
        return anchor, length
    nodes = np.flatnonzero(depth > 0)
    order = nodes[np.argsort(depth[nodes], kind="stable")]
    levels = np.split(order, np.flatnonzero(np.diff(depth[order])) + 1) if len(order) else []
    for v in levels:
        u = pred[v]
        c1 = anchor[u]
        c2 = anchor[c1]
        ok1 = np.zeros(len(v), dtype=bool)
        ok2 = np.zeros(len(v), dtype=bool)
        try1, try2 = np.flatnonzero(c1 != u), np.flatnonzero(c2 != c1)
        if len(try1) or len(try2):
            ok = old_walkable(graph, pts[np.concatenate([c1[try1], c2[try2]])],
                              pts[np.concatenate([v[try1], v[try2]])])
            ok1[try1], ok2[try2] = ok[:len(try1)], ok[len(try1):]
        best = np.where(ok2, c2, np.where(ok1, c1, u))
        anchor[v] = best
        length[v] = length[best] + np.hypot(*(pts[v] - pts[best]).T)
    return anchor, length


def _depths(pred: np.ndarray, source: int, targets: np.ndarray) -> np.ndarray:
    n = len(pred)
    need = np.zeros(n, dtype=bool)
    frontier = np.unique(targets)
    while len(frontier):
        need[frontier] = True
        parents = pred[frontier]
        parents = parents[parents >= 0]
        frontier = np.unique(parents[~need[parents]])
    depth = np.full(n, -1, dtype=np.int64)
    depth[source] = 0
    todo = np.flatnonzero(need)
    todo = todo[todo != source]
    while len(todo):
        ready = depth[pred[todo]] >= 0
        if not ready.any():
            break
        depth[todo[ready]] = depth[pred[todo[ready]]] + 1
        todo = todo[~ready]
    return depth


def old_paths(graph: NavGraph, pairs: list[tuple[int, int]]
              ) -> dict[tuple[int, int], tuple[float, np.ndarray | None]]:
    """Baseline answers (length, waypoints) for location pairs: one whole row per source."""
    rows: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    out = {}
    for i, j in pairs:
        if i not in rows:
            _, pred = dijkstra(graph.arcs, directed=True, indices=i, return_predecessors=True)
            rows[i] = pull_strings(graph, i, pred, np.arange(graph.n_loc))
        anchor, length = rows[i]
        if i == j or not np.isfinite(length[j]):
            out[i, j] = (0.0 if i == j else math.inf, None)
            continue
        chain = [j]
        while chain[-1] != i:
            chain.append(int(anchor[chain[-1]]))
        out[i, j] = (float(length[j]), graph.points[chain[::-1]])
    return out


def plant_queries(rows: int, pairs: int, seed: int = 1) -> None:
    """Time ``pairs`` random (source, target) queries on a generated plant, old and new."""
    layout = Line.model_validate(plant(rows, 3, 5)).layout
    start = time.perf_counter()
    ways = build_walkways(layout)
    build = time.perf_counter() - start
    n = len(ways.names)
    rng = np.random.default_rng(seed)
    ask = [(int(i), int(j)) for i, j in rng.integers(0, n, (pairs, 2))]
    start = time.perf_counter()
    old = old_paths(ways.graph, ask)
    old_s = time.perf_counter() - start
    start = time.perf_counter()
    new = {(i, j): (ways.dist(ways.names[i], ways.names[j]), _path(ways, i, j)) for i, j in ask}
    new_s = time.perf_counter() - start
    named = [(ways.names[i], ways.names[j]) for i, j in ask]
    start = time.perf_counter()
    for a, b in named * 10:
        ways.dist(a, b)
    known_ns = (time.perf_counter() - start) / (10 * len(named)) * 1e9
    same = all(new[k][0] == old[k][0] and (new[k][1] is None) == (old[k][1] is None)
               and (new[k][1] is None or np.array_equal(new[k][1], old[k][1])) for k in ask)
    print(f"\nplant of {rows} rows: {n} locations, {len(layout.obstacles)} obstacles, "
          f"{len(ways.graph.points)} nodes, built in {build:.2f} s")
    print(f"{'pairs':>6} {'sources':>7} {'old s':>7} {'new s':>7} {'speed-up':>8} "
          f"{'known dist ns':>13} {'same paths':>10}")
    print(f"{len(ask):>6} {len({i for i, _ in ask}):>7} {old_s:>7.2f} {new_s:>7.3f} "
          f"{old_s / new_s:>7.0f}x {known_ns:>13.0f} {'yes' if same else 'NO':>10}", flush=True)


def _path(ways: Walkways, i: int, j: int) -> np.ndarray | None:
    if i == j or not math.isfinite(ways.dist(ways.names[i], ways.names[j])):
        return None
    return ways.path(ways.names[i], ways.names[j])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 30, 100, 300, 1000])
    parser.add_argument("--baseline-max", type=int, default=100)
    parser.add_argument("--plant-rows", type=int, default=100,
                        help="rows of the generated plant queried at the end (0: skip)")
    parser.add_argument("--pairs", type=int, default=200,
                        help="random (source, target) queries on the plant")
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
    if args.plant_rows > 0:
        plant_queries(args.plant_rows, args.pairs)


if __name__ == "__main__":
    main()
