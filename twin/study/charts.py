"""Small inline SVG charts for the study report: no JavaScript, a few kB each, any browser.

Each function returns one ``<figure>`` with an ``<svg>`` and a caption. Every text is escaped.
Axes whose values are counts (robots, chargers) get integer ticks only.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

W, H = 720, 320
LEFT, RIGHT, TOP, BOTTOM = 64, 150, 36, 48
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#17becf", "#bcbd22", "#7f7f7f")


def esc(value: object) -> str:
    """HTML-escape any text that came from a user."""
    return html.escape(str(value), quote=True)


@dataclass
class Curve:
    """One line of a chart: points, an optional band (low, high) and a colour."""

    name: str
    x: list[float]
    y: list[float]
    low: list[float] | None = None
    high: list[float] | None = None
    colour: str = ""
    step: bool = False
    dash: bool = False
    extra: dict[str, str] = field(default_factory=dict)


def nice_ticks(lo: float, hi: float, n: int = 5, integer: bool = False) -> list[float]:
    """Round tick values covering [lo, hi]; whole numbers only when ``integer``."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return [0.0, 1.0]
    if hi <= lo:
        hi = lo + (1.0 if lo == 0 else abs(lo) * 0.1)
    raw = (hi - lo) / max(n, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    if integer:
        step = max(1.0, math.ceil(step))
    first = math.floor(lo / step) * step
    ticks = []
    v = first
    while v <= hi + step * 1e-9:
        ticks.append(round(v, 10))
        v += step
    if ticks[-1] < hi:
        ticks.append(round(v, 10))
    return ticks


def _label(v: float, percent: bool = False) -> str:
    if percent:
        return f"{v * 100:.0f}%"
    if abs(v) >= 1e4:
        return f"{v:,.0f}"
    return f"{v:g}"


class _Frame:
    """Maps data to pixels inside the plotting area."""

    def __init__(self, xs: Sequence[float], ys: Sequence[float], *, integer_x: bool = False,
                 zero_y: bool = False, percent_y: bool = False) -> None:
        fx = [v for v in xs if math.isfinite(v)] or [0.0, 1.0]
        fy = [v for v in ys if math.isfinite(v)] or [0.0, 1.0]
        lo_y = min(0.0, min(fy)) if zero_y else min(fy)
        self.xt = nice_ticks(min(fx), max(fx), 6, integer_x)
        if integer_x:
            self.xt = [t for t in self.xt if min(fx) - 0.5 <= t <= max(fx) + 0.5] or self.xt
        self.yt = nice_ticks(lo_y, max(fy), 5)
        self.x0, self.x1 = (min(fx) - 0.5, max(fx) + 0.5) if integer_x else (self.xt[0],
                                                                             self.xt[-1])
        if self.x1 == self.x0:
            self.x1 = self.x0 + 1
        self.y0, self.y1 = self.yt[0], self.yt[-1]
        self.percent_y = percent_y

    def px(self, x: float) -> float:
        return LEFT + (x - self.x0) / (self.x1 - self.x0) * (W - LEFT - RIGHT)

    def py(self, y: float) -> float:
        return H - BOTTOM - (y - self.y0) / (self.y1 - self.y0) * (H - TOP - BOTTOM)

    def axes(self, x_label: str, y_label: str) -> list[str]:
        out = [f'<line x1="{LEFT}" y1="{H - BOTTOM}" x2="{W - RIGHT}" y2="{H - BOTTOM}" '
               'stroke="#444"/>',
               f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{H - BOTTOM}" stroke="#444"/>']
        for t in self.xt:
            x = self.px(t)
            if LEFT - 1 <= x <= W - RIGHT + 1:
                out.append(f'<text class="xt" x="{x:.1f}" y="{H - BOTTOM + 16}" '
                           f'text-anchor="middle">{esc(_label(t))}</text>')
        for t in self.yt:
            y = self.py(t)
            out.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{W - RIGHT}" y2="{y:.1f}" '
                       'stroke="#e4e4e4"/>')
            out.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
                       f"{esc(_label(t, self.percent_y))}</text>")
        out.append(f'<text x="{(LEFT + W - RIGHT) / 2}" y="{H - 10}" text-anchor="middle">'
                   f"{esc(x_label)}</text>")
        out.append(f'<text transform="translate(14,{(TOP + H - BOTTOM) / 2}) rotate(-90)" '
                   f'text-anchor="middle">{esc(y_label)}</text>')
        return out


def _figure(title: str, body: list[str], caption: str = "", height: float = H) -> str:
    svg = (f'<svg class="chart" viewBox="0 0 {W} {height:.0f}" width="{W}" '
           f'height="{height:.0f}" role="img" '
           f'xmlns="http://www.w3.org/2000/svg"><title>{esc(title)}</title>'
           f'<text x="{LEFT}" y="20" class="t">{esc(title)}</text>{"".join(body)}</svg>')
    cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    return f"<figure>{svg}{cap}</figure>"


def wrapped(text: str, x: float, y: float, width_px: float, anchor: str = "middle",
            line_px: float = 13.0, max_lines: int = 3) -> str:
    """A label broken into lines that fit ``width_px`` (about 6.2 px a character)."""
    per_line = max(4, int(width_px / 6.2))
    lines: list[str] = []
    for word in str(text).split():
        if lines and len(lines[-1]) + 1 + len(word) <= per_line:
            lines[-1] += " " + word
        else:
            lines.append(word)
    if len(lines) > max_lines:
        lines = [*lines[:max_lines - 1], " ".join(lines[max_lines - 1:])[:per_line - 1] + "…"]
    spans = "".join(f'<tspan x="{x:.1f}" dy="{0 if k == 0 else line_px}">{esc(line)}</tspan>'
                    for k, line in enumerate(lines))
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}">{spans}</text>'


def _legend(names: Sequence[tuple[str, str]]) -> list[str]:
    out = []
    for i, (name, colour) in enumerate(names):
        y = TOP + 14 + 18 * i
        out.append(f'<rect x="{W - RIGHT + 10}" y="{y - 9}" width="10" height="10" '
                   f'fill="{colour}"/><text x="{W - RIGHT + 24}" y="{y}">{esc(name)}</text>')
    return out


def _path(points: Sequence[tuple[float, float]], step: bool) -> str:
    parts: list[str] = []
    prev_y = None
    for k, (x, y) in enumerate(points):
        if step and prev_y is not None:
            parts.append(f"L{x:.1f},{prev_y:.1f}")
        parts.append(f"{'M' if k == 0 else 'L'}{x:.1f},{y:.1f}")
        prev_y = y
    return "".join(parts)


def line_chart(title: str, curves: Sequence[Curve], x_label: str, y_label: str, *,
               integer_x: bool = False, hline: tuple[float, str] | None = None,
               percent_y: bool = False, caption: str = "") -> str:
    """Lines (or steps) with optional confidence bands and a dashed reference line."""
    xs = [v for c in curves for v in c.x]
    ys = [v for c in curves for v in (*c.y, *(c.low or []), *(c.high or []))]
    if hline is not None:
        ys.append(hline[0])
    frame = _Frame(xs, ys, integer_x=integer_x, percent_y=percent_y)
    body = frame.axes(x_label, y_label)
    names = []
    for i, c in enumerate(curves):
        colour = c.colour or PALETTE[i % len(PALETTE)]
        names.append((c.name, colour))
        if c.low is not None and c.high is not None:
            band = [(frame.px(x), frame.py(h)) for x, h in zip(c.x, c.high, strict=True)
                    if math.isfinite(h)]
            band += [(frame.px(x), frame.py(lo)) for x, lo in
                     reversed(list(zip(c.x, c.low, strict=True))) if math.isfinite(lo)]
            if band:
                body.append(f'<path d="{_path(band, False)}Z" fill="{colour}" '
                            'fill-opacity="0.18" stroke="none"/>')
        pts = [(frame.px(x), frame.py(y)) for x, y in zip(c.x, c.y, strict=True)
               if math.isfinite(y)]
        if pts:
            dash = ' stroke-dasharray="5,3"' if c.dash else ""
            body.append(f'<path d="{_path(pts, c.step)}" fill="none" stroke="{colour}" '
                        f'stroke-width="{1.2 if c.step else 2}"{dash}/>')
            if not c.step:
                body += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>'
                         for x, y in pts]
    if hline is not None:
        y = frame.py(hline[0])
        body.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{W - RIGHT}" y2="{y:.1f}" '
                    'stroke="#d62728" stroke-dasharray="6,4"/>')
        body.append(f'<text x="{W - RIGHT - 4}" y="{y - 5:.1f}" text-anchor="end" '
                    f'fill="#d62728">{esc(hline[1])}</text>')
    body += _legend(names)
    return _figure(title, body, caption)


def bar_chart(title: str, labels: Sequence[str], values: Sequence[float],
              errors: Sequence[float] | None, y_label: str, *, colour: str = "#9467bd",
              colours: Sequence[str] | None = None, caption: str = "") -> str:
    """One bar per label, with error bars (confidence half-widths) when given."""
    errs = list(errors) if errors is not None else [0.0] * len(values)
    errs = [e if math.isfinite(e) else 0.0 for e in errs]
    tops = [v + e for v, e in zip(values, errs, strict=True) if math.isfinite(v)]
    frame = _Frame([0.0, float(max(len(labels), 1))], [0.0, *tops], zero_y=True)
    frame.x0, frame.x1 = 0.0, float(max(len(labels), 1))
    frame.xt = []
    body = frame.axes("", y_label)
    slot = (W - LEFT - RIGHT) / max(len(labels), 1)
    for i, (label, v, e) in enumerate(zip(labels, values, errs, strict=True)):
        x = LEFT + slot * i + slot * 0.2
        body.append(wrapped(label, x + slot * 0.3, H - BOTTOM + 14, slot * 0.95))
        if not math.isfinite(v):
            continue
        y, y0 = frame.py(v), frame.py(0.0)
        fill = colours[i] if colours is not None else colour
        body.append(f'<rect x="{x:.1f}" y="{min(y, y0):.1f}" width="{slot * 0.6:.1f}" '
                    f'height="{abs(y0 - y):.1f}" fill="{fill}"/>')
        if e > 0:
            cx = x + slot * 0.3
            body.append(f'<line x1="{cx:.1f}" y1="{frame.py(v - e):.1f}" x2="{cx:.1f}" '
                        f'y2="{frame.py(v + e):.1f}" stroke="#222"/>')
    return _figure(title, body, caption)


def stacked_bars(title: str, labels: Sequence[str], stacks: Mapping[str, Sequence[float]],
                 colours: dict[str, str], *, caption: str = "") -> str:
    """Horizontal bars of shares (each adds up to 1), one segment per state; 34 px a bar at
    least, so two-line labels fit."""
    height = max(H, TOP + BOTTOM + 34 * len(labels))
    row = (height - TOP - BOTTOM) / max(len(labels), 1)
    width = W - LEFT - RIGHT
    left = LEFT + 110
    body = []
    for t in (0.0, 0.25, 0.5, 0.75, 1.0):
        x = left + t * (width - 110)
        body.append(f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{height - BOTTOM}" '
                    f'stroke="#e4e4e4"/><text x="{x:.1f}" y="{height - BOTTOM + 16}" '
                    f'text-anchor="middle">{t * 100:.0f}%</text>')
    for i, label in enumerate(labels):
        y = TOP + row * i + row * 0.15
        lines = max(1, min(3, int(row * 0.8 // 12)))
        body.append(wrapped(label, left - 6, y + row * 0.35 - 6 * (lines - 1) + 4, left - 10,
                            anchor="end", line_px=12, max_lines=lines))
        x = float(left)
        for state, shares in stacks.items():
            w = max(float(shares[i]), 0.0) * (width - 110)
            if w > 0:
                body.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" '
                            f'height="{row * 0.7:.1f}" fill="{colours.get(state, "#999")}">'
                            f"<title>{esc(state)}: {float(shares[i]) * 100:.1f}%</title></rect>")
            x += w
    body += _legend([(s, colours.get(s, "#999")) for s in stacks])
    return _figure(title, body, caption, height)
