"""Picture checks shared by the viewer tests: where on screen a colour shows."""

from __future__ import annotations

import numpy as np

from viewer.style import rgb


def near(image: np.ndarray, colour: str, tol: float = 18.0) -> np.ndarray:
    """Mask of pixels showing a colour under some shading (a scaled copy of it, within tol)."""
    target = rgb(colour).astype(float)
    pixels = image.astype(float)
    scale = pixels @ target / (target @ target)
    residual = np.linalg.norm(pixels - scale[..., None] * target, axis=-1)
    return (scale > 0.55) & (scale < 1.25) & (residual < tol)
