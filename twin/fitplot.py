"""The picture of a fit as a small self-contained SVG (no plotting library needed): a histogram
with the fitted densities, the empirical (or Kaplan-Meier) CDF with the fitted CDFs, and a Q-Q
plot of the best fit."""

from __future__ import annotations

from html import escape

import numpy as np

from twin.fit import Fit, Sample, kaplan_meier

W, H = 330, 260
PAD_L, PAD_R, PAD_T, PAD_B = 48, 12, 28, 36
COLOURS = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd")
CURVES = 3


class _Panel:
    def __init__(self, x0: float, title: str, xr: tuple[float, float],
                 yr: tuple[float, float], xlabel: str, ylabel: str,
                 xscale: float = 1.0, yscale: float = 1.0) -> None:
        self.x0, self.xr, self.yr = x0, xr, yr
        self.xscale, self.yscale = xscale, yscale
        self.parts = [f'<text x="{x0 + W / 2:.1f}" y="16" text-anchor="middle" '
                      f'font-weight="bold">{escape(title)}</text>']
        self._axes(xlabel, ylabel)

    def px(self, x: np.ndarray) -> np.ndarray:
        lo, hi = self.xr
        return self.x0 + PAD_L + (x - lo) / (hi - lo or 1) * (W - PAD_L - PAD_R)

    def py(self, y: np.ndarray) -> np.ndarray:
        lo, hi = self.yr
        return H - PAD_B - (y - lo) / (hi - lo or 1) * (H - PAD_T - PAD_B)

    def _axes(self, xlabel: str, ylabel: str) -> None:
        x0, x1 = self.x0 + PAD_L, self.x0 + W - PAD_R
        y0, y1 = H - PAD_B, PAD_T
        self.parts.append(f'<rect x="{x0}" y="{y1}" width="{x1 - x0}" height="{y0 - y1}" '
                          'fill="none" stroke="#444"/>')
        for frac in (0, 0.5, 1):
            xv = self.xr[0] + frac * (self.xr[1] - self.xr[0])
            yv = self.yr[0] + frac * (self.yr[1] - self.yr[0])
            self.parts.append(f'<text x="{self.px(np.array(xv)):.1f}" y="{y0 + 14}" '
                              f'text-anchor="middle">{xv / self.xscale:.3g}</text>')
            self.parts.append(f'<text x="{x0 - 4}" y="{self.py(np.array(yv)) + 4:.1f}" '
                              f'text-anchor="end">{yv / self.yscale:.3g}</text>')
        self.parts.append(f'<text x="{(x0 + x1) / 2:.1f}" y="{H - 6}" '
                          f'text-anchor="middle">{escape(xlabel)}</text>')
        self.parts.append(f'<text x="{self.x0 + 10}" y="{(y0 + y1) / 2:.1f}" '
                          f'transform="rotate(-90 {self.x0 + 10} {(y0 + y1) / 2:.1f})" '
                          f'text-anchor="middle">{escape(ylabel)}</text>')

    def line(self, x: np.ndarray, y: np.ndarray, colour: str, dash: bool = False) -> None:
        ok = np.isfinite(x) & np.isfinite(y)
        pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in
                       zip(self.px(x[ok]), self.py(np.clip(y[ok], *self.yr)), strict=True))
        style = ' stroke-dasharray="4 3"' if dash else ""
        self.parts.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" '
                          f'stroke-width="1.5"{style}/>')

    def dots(self, x: np.ndarray, y: np.ndarray, colour: str) -> None:
        for a, b in zip(self.px(x), self.py(y), strict=True):
            self.parts.append(f'<circle cx="{a:.1f}" cy="{b:.1f}" r="1.6" fill="{colour}"/>')

    def bars(self, edges: np.ndarray, heights: np.ndarray) -> None:
        for a, b, h in zip(edges[:-1], edges[1:], heights, strict=True):
            xa, xb = self.px(np.array(a)), self.px(np.array(b))
            yt, yb = self.py(np.array(h)), self.py(np.array(0.0))
            self.parts.append(f'<rect x="{xa:.1f}" y="{yt:.1f}" width="{xb - xa:.1f}" '
                              f'height="{yb - yt:.1f}" fill="#ccc" stroke="#999"/>')


def svg(s: Sample, fits: list[Fit], title: str) -> str:
    """The three panels (two for censored data: a histogram of the failures alone would
    mislead) with a legend of the families drawn."""
    shown = fits[:CURVES]
    x = s.observed
    hi = float(max(s.times.max(), *(f.ppf(np.array(0.995)) for f in shown[:1])))
    grid = np.linspace(0, hi, 300)
    unit, k = ("h", 3600.0) if hi >= 3 * 3600 else ("min", 60.0) if hi >= 600 else ("s", 1.0)
    panels: list[_Panel] = []
    if not s.censored:
        edges = np.histogram_bin_edges(x, bins="fd")[:61]
        heights, edges = np.histogram(x, bins=edges, density=True)
        ymax = max(float(heights.max()), *(float(np.nanmax(f.pdf(grid))) for f in shown))
        p = _Panel(0, "histogram and fitted densities", (0, hi), (0, ymax * 1.05),
                   f"time ({unit})", f"density (per {unit})", k, 1 / k)
        p.bars(edges, heights)
        for f, colour in zip(shown, COLOURS, strict=False):
            p.line(grid, f.pdf(grid), colour)
        panels.append(p)
    label = "Kaplan-Meier CDF" if s.censored else "empirical CDF"
    p = _Panel(W * len(panels), f"{label} and fitted CDFs", (0, hi), (0, 1), f"time ({unit})",
               "probability", k)
    if s.censored:
        t, surv = kaplan_meier(s)
        ex, ey = np.repeat(np.concatenate([[0.0], t]), 2)[1:], np.repeat(
            np.concatenate([[0.0], 1 - surv]), 2)[:-1]
    else:
        xs = np.sort(x)
        ex = np.repeat(xs, 2)
        ey = np.repeat(np.arange(xs.size + 1) / xs.size, 2)[1:-1]
    p.line(ex, ey, "#000")
    for f, colour in zip(shown, COLOURS, strict=False):
        p.line(grid, f.cdf(grid), colour, dash=True)
    panels.append(p)
    if shown:
        best = shown[0]
        if s.censored:
            t, surv = kaplan_meier(s)
            prev = np.concatenate([[0.0], 1 - surv[:-1]])
            qx, qy = best.ppf((prev + 1 - surv) / 2), t
        else:
            qy = np.sort(x)
            qx = best.ppf((np.arange(qy.size) + 0.5) / qy.size)
        lim = (0.0, float(max(np.nanmax(qx), qy.max())))
        p = _Panel(W * len(panels), f"Q-Q plot: {best.family}", lim, lim,
                   f"{best.family} quantile ({unit})", f"observed ({unit})", k, k)
        p.line(np.array(lim), np.array(lim), "#888", dash=True)
        p.dots(qx, qy, COLOURS[0])
        panels.append(p)
    width = W * len(panels)
    legend = [f'<text x="8" y="{H + 16}" font-weight="bold">{escape(title)}</text>']
    for i, (f, colour) in enumerate(zip(shown, COLOURS, strict=False)):
        legend.append(f'<rect x="{8 + 200 * i}" y="{H + 24}" width="14" height="4" '
                      f'fill="{colour}"/><text x="{26 + 200 * i}" y="{H + 30}">'
                      f'{escape(f.family)} (p = {f.p_value:.2f})</text>')
    body = "\n".join(part for panel in panels for part in panel.parts)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{H + 40}" '
            f'font-family="sans-serif" font-size="11">\n<rect width="100%" height="100%" '
            f'fill="white"/>\n{body}\n' + "\n".join(legend) + "\n</svg>\n")
