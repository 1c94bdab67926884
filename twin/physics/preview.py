"""ZMP preview control of a linear inverted pendulum (Kajita et al., ICRA 2003).

The centre of mass moves at a constant height ``zc``; its horizontal state (position, velocity,
acceleration) is driven by jerk. The zero-moment point of the pendulum is ``c - zc/g * c''``.
An LQ servo with integral action and a preview of the future ZMP reference gives the jerk that
makes the ZMP track the reference: the CoM starts moving before the support changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.linalg import solve_discrete_are

from twin.motion import GRAVITY


@dataclass(frozen=True)
class PreviewGains:
    """Discrete LIPM and its preview-servo gains for one CoM height and period."""

    dt: float
    zc: float
    a: np.ndarray  # (3, 3) state transition of (c, c', c'')
    b: np.ndarray  # (3,) jerk input
    c: np.ndarray  # (3,) state -> ZMP
    gi: float  # integral gain on the ZMP error
    gx: np.ndarray  # (3,) state feedback
    gd: np.ndarray  # (n,) preview gains on the reference 1..n periods ahead
    # c and gx as a stack of two (1, 3) rows: ``matmul(cg, x)`` runs the same BLAS
    # vector-matrix product for each as ``c @ x`` and ``gx @ x`` do, in one call
    cg: np.ndarray = field(init=False, repr=False, compare=False)
    b_floats: tuple[float, ...] = field(init=False, repr=False, compare=False)  # b, floats
    # the preview's weights moments over the reference's samples i = 0..n at t = i dt (the
    # sample now weighs 0, sample i >= 1 weighs gd[i - 1]): moments[p][i] is the sum of
    # weight * t**p over the samples before i (``WalkingPattern._preview_sums``)
    moments: tuple[list[float], ...] = field(init=False, repr=False, compare=False)
    # gx[0] plus the preview's weights: what the servo makes of a reference and state shifted
    # alike by one metre. Zero over an endless preview; over ``horizon`` it is not (about 200
    # here against gx[0] near 4e4), so ``advance`` works about the reference now
    shift_gain: float = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "cg", np.stack([self.c, self.gx])[:, None, :])
        object.__setattr__(self, "b_floats", tuple(self.b.tolist()))
        t = np.arange(len(self.gd) + 1) * self.dt
        w = np.concatenate([[0.0], self.gd])
        object.__setattr__(self, "shift_gain", float(self.gx[0] + self.gd.sum()))
        object.__setattr__(self, "moments", tuple(
            np.concatenate([[0.0], np.cumsum(w * t**p)]).tolist() for p in range(4)))

    @classmethod
    def design(cls, zc: float, dt: float, horizon: float = 1.6, qe: float = 1.0,
               r: float = 1e-6) -> PreviewGains:
        """Solve the servo's Riccati equation and roll out the preview gains."""
        a = np.array([[1.0, dt, dt * dt / 2], [0.0, 1.0, dt], [0.0, 0.0, 1.0]])
        b = np.array([dt**3 / 6, dt * dt / 2, dt])
        c = np.array([1.0, 0.0, -zc / GRAVITY])
        # augmented with the ZMP error integral: state (e_sum, c, c', c'')
        aa = np.zeros((4, 4))
        aa[0, 0] = 1.0
        aa[0, 1:] = c @ a
        aa[1:, 1:] = a
        bb = np.concatenate([[c @ b], b]).reshape(4, 1)
        q = np.diag([qe, 0.0, 0.0, 0.0])
        p = solve_discrete_are(aa, bb, q, np.array([[r]]))
        inv = 1.0 / (r + float((bb.T @ p @ bb)[0, 0]))
        k = inv * (bb.T @ p @ aa).ravel()
        closed = aa - bb @ k.reshape(1, 4)
        n = max(2, round(horizon / dt))
        gd = np.empty(n)
        gd[0] = -k[0]
        x = -closed.T @ p @ np.array([1.0, 0.0, 0.0, 0.0])
        for j in range(1, n):
            gd[j] = inv * float(bb.ravel() @ x)
            x = closed.T @ x
        return cls(dt, zc, a, b, c, float(k[0]), k[1:].copy(), gd)

    @property
    def samples(self) -> int:
        """Future reference samples the preview looks at."""
        return len(self.gd)


@dataclass
class PreviewState:
    """The planned CoM in x and y: state (3, 2) and the ZMP error integral (x, y), floats
    (updated each period on floats, not as a two-element array)."""

    x: np.ndarray
    error: tuple[float, float]

    @classmethod
    def at_rest(cls, point: np.ndarray) -> PreviewState:
        """CoM at rest above ``point`` (x, y)."""
        x = np.zeros((3, 2))
        x[0] = point
        return cls(x, (0.0, 0.0))

    def step(self, gains: PreviewGains, reference: np.ndarray) -> None:
        """Advance one period; ``reference`` (n + 1, 2) is the ZMP reference from now on."""
        rx, ry = reference[0].tolist()
        px, py = (gains.gd @ reference[1:gains.samples + 1]).tolist()
        self.advance(gains, rx, ry, px, py)

    def advance(self, gains: PreviewGains, rx: float, ry: float, px: float, py: float
                ) -> None:
        """Advance one period with the reference now at (``rx``, ``ry``) and the preview's
        weighted sum of the reference ahead, ``gd @ reference[1:]``, (``px``, ``py``)."""
        # the pairs (x, y) on floats: error += c @ x - reference[0];
        # u = -gi * error - gx @ x - gd @ reference[1:]
        g, x = gains, self.x
        ((zx, zy),), ((fx, fy),) = np.matmul(g.cg, x).tolist()  # c @ x, gx @ x
        ex, ey = self.error
        ex, ey = ex + (zx - rx), ey + (zy - ry)
        self.error = (ex, ey)
        gi = -g.gi
        # about the reference now, not the world's origin: the preview's finite horizon
        # leaves its gains a residual (``shift_gain``) that, taken about the origin, pushed
        # a plan at rest by its distance from it. Robots standing still 14 m from the origin
        # fell within 2 s at some headings, 36 m away at every heading (3 December)
        k = g.shift_gain
        ux, uy = gi * ex - fx - px + k * rx, gi * ey - fy - py + k * ry
        # x = a @ x + np.outer(b, u): the outer product's six products on floats (numpy's
        # elementwise values), added to the matrix product in place
        b0, b1, b2 = g.b_floats
        nxt = g.a @ x
        nxt += np.array((b0 * ux, b0 * uy, b1 * ux, b1 * uy, b2 * ux, b2 * uy)).reshape(3, 2)
        self.x = nxt

    def zmp(self, gains: PreviewGains) -> np.ndarray:
        """The pendulum's ZMP (x, y)."""
        return gains.c @ self.x
