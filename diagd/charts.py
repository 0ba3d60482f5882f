"""Small inline SVG charts for the history page, drawn on the server (no scripts, nothing fetched).

Two shapes are enough to see a slow or growing gateway at a glance: stacked bars (time spent in each phase of each
reconfiguration) and lines (memory of each process over time, against the container's limit). Every label and
value is escaped; each bar and point carries a ``<title>`` so hovering shows the number.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

from markupsafe import Markup

__all__ = ["stacked_bars", "lines", "PALETTE"]

PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f")
_W, _H, _LEFT, _BOTTOM, _TOP, _RIGHT = 760, 240, 56, 28, 12, 150


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    step = 10 ** (len(str(int(value))) - 1)
    return float(((int(value) // step) + 1) * step)


def _frame(top: float, unit: str) -> list[str]:
    plot_h = _H - _TOP - _BOTTOM
    out = [f'<line x1="{_LEFT}" y1="{_TOP}" x2="{_LEFT}" y2="{_H - _BOTTOM}" stroke="#999"/>',
           f'<line x1="{_LEFT}" y1="{_H - _BOTTOM}" x2="{_W - _RIGHT}" y2="{_H - _BOTTOM}" stroke="#999"/>']
    for i in range(5):
        value = top * i / 4
        y = _H - _BOTTOM - plot_h * i / 4
        out.append(f'<line x1="{_LEFT - 4}" y1="{y:.1f}" x2="{_W - _RIGHT}" y2="{y:.1f}" stroke="#eee"/>')
        out.append(f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{value:g}</text>')
    out.append(f'<text x="4" y="{_TOP + 4}" class="unit">{escape(unit)}</text>')
    return out


def _legend(names: Sequence[str]) -> list[str]:
    out = []
    for i, name in enumerate(names):
        y = _TOP + 14 * i
        color = PALETTE[i % len(PALETTE)]
        out.append(f'<rect x="{_W - _RIGHT + 12}" y="{y}" width="10" height="10" fill="{color}"/>')
        out.append(f'<text x="{_W - _RIGHT + 26}" y="{y + 9}">{escape(name)}</text>')
    return out


def _svg(body: list[str], label: str) -> Markup:
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {_W} {_H}" role="img" '
            f'aria-label="{escape(label)}"><style>text{{font:11px sans-serif;fill:#444}}</style>')
    return Markup(head + "".join(body) + "</svg>")


def stacked_bars(categories: Sequence[str], series: Mapping[str, Sequence[float | None]], *, unit: str,
                 label: str) -> Markup:
    """One bar per category, stacked from the series in order (missing values count as zero)."""
    if not categories:
        return _svg([f'<text x="{_LEFT}" y="{_H / 2}">no data yet</text>'], label)
    totals = [sum(s[i] or 0 for s in series.values()) for i in range(len(categories))]
    top = _nice_max(max(totals))
    plot_w, plot_h = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM
    slot = plot_w / len(categories)
    width = max(1.0, slot * 0.7)
    body = _frame(top, unit)
    for i, category in enumerate(categories):
        base = 0.0
        x = _LEFT + slot * i + (slot - width) / 2
        for j, (name, values) in enumerate(series.items()):
            value = values[i] or 0
            if value <= 0:
                continue
            h = plot_h * value / top
            y = _H - _BOTTOM - plot_h * base / top - h
            body.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{h:.1f}" '
                        f'fill="{PALETTE[j % len(PALETTE)]}"><title>{escape(category)} {escape(name)}: '
                        f'{value:g} {escape(unit)}</title></rect>')
            base += value
        if len(categories) <= 30 or i % max(1, len(categories) // 15) == 0:
            body.append(f'<text x="{x + width / 2:.1f}" y="{_H - _BOTTOM + 14}" text-anchor="middle">'
                        f'{escape(category)}</text>')
    return _svg(body + _legend(list(series)), label)


def lines(times: Sequence[float], series: Mapping[str, Sequence[float | None]], *, unit: str, label: str,
          limit: float | None = None, time_labels: Sequence[str] = ()) -> Markup:
    """One line per series over ``times``; an optional dashed ``limit`` line (the container's memory limit)."""
    if len(times) < 1:
        return _svg([f'<text x="{_LEFT}" y="{_H / 2}">no data yet</text>'], label)
    peak = max((v for s in series.values() for v in s if v is not None), default=0.0)
    top = _nice_max(max(peak, limit or 0) * 1.05)
    plot_w, plot_h = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM
    start, span = times[0], max(times[-1] - times[0], 1e-9)

    def xy(t: float, v: float) -> str:
        x = _LEFT + (plot_w * (t - start) / span if len(times) > 1 else plot_w / 2)
        return f"{x:.1f},{_H - _BOTTOM - plot_h * v / top:.1f}"

    body = _frame(top, unit)
    if limit:
        y = _H - _BOTTOM - plot_h * limit / top
        body.append(f'<line x1="{_LEFT}" y1="{y:.1f}" x2="{_W - _RIGHT}" y2="{y:.1f}" stroke="#c00" '
                    f'stroke-dasharray="6 4"><title>limit {limit:g} {escape(unit)}</title></line>')
    for j, (name, values) in enumerate(series.items()):
        points = [xy(t, v) for t, v in zip(times, values) if v is not None]
        color = PALETTE[j % len(PALETTE)]
        if points:
            body.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{" ".join(points)}">'
                        f'<title>{escape(name)}: last {next((v for v in reversed(values) if v is not None), 0):g} '
                        f'{escape(unit)}</title></polyline>')
    for i in (0, len(time_labels) - 1) if time_labels else ():
        anchor = "start" if i == 0 else "end"
        x = _LEFT if i == 0 else _W - _RIGHT
        body.append(f'<text x="{x}" y="{_H - _BOTTOM + 14}" text-anchor="{anchor}">{escape(time_labels[i])}</text>')
    return _svg(body + _legend(list(series)), label)
