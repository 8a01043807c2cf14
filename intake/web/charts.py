"""Server-rendered SVG charts for the dashboard (no script, no external library).

Colours are SVG presentation attributes, not ``style``, so the page's
Content-Security-Policy (no inline style) lets them through. Each bar has a
``<title>`` that the browser shows on hover.
"""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import date
from html import escape

from markupsafe import Markup

KIND_COLOURS = {
    "problem_report": "#2563eb",
    "deferral_request": "#d97706",
    "spreadsheet_return": "#059669",
    "mycertif_access": "#7c3aed",
    "other": "#64748b",
    "auto_reply": "#cbd5e1",
    "bounce": "#dc2626",
    "error": "#111827",
}


def _nice_max(value: int) -> int:
    """A round top for a four-step axis with whole-number ticks: 4, 8, 20, 40, 80, 200..."""
    # Steps 1, 2, 5, 10, 20, 50, 100...: four of them reach the top.
    step, factors = 1, itertools.cycle((2, 2.5, 2))
    while step * 4 < value:
        step = int(step * next(factors))
    return step * 4


def stacked_days(
    days: list[date],
    counts: dict[date, Counter[str]],
    kinds: list[str],
    labels: dict[str, str],
    *,
    width: int = 960,
    height: int = 260,
) -> Markup:
    """Mails per day, stacked by kind, one bar per day in ``days``."""
    left, right, top, bottom = 36, 8, 10, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    highest = max((sum(counts.get(d, Counter()).values()) for d in days), default=0)
    ceiling = _nice_max(highest)
    slot = plot_w / max(len(days), 1)
    bar = max(slot * 0.72, 1.0)
    parts = [
        f'<svg viewBox="0 0 {width} {height}" role="img" xmlns="http://www.w3.org/2000/svg" '
        'aria-label="Messages reçus par jour et par type, 30 derniers jours">'
    ]
    for step in range(5):
        value = ceiling * step / 4
        y = top + plot_h - plot_h * step / 4
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
            f'stroke="#e4e7eb" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="#616e7c">{int(value)}</text>'
        )
    for index, day in enumerate(days):
        x = left + index * slot + (slot - bar) / 2
        y = top + plot_h
        day_counts = counts.get(day, Counter())
        total = sum(day_counts.values())
        for kind in kinds:
            number = day_counts.get(kind, 0)
            if not number:
                continue
            h = plot_h * number / ceiling
            y -= h
            tip = f"{day:%d/%m} · {labels.get(kind, kind)} : {number}"
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{KIND_COLOURS.get(kind, "#94a3b8")}"><title>{escape(tip)}</title></rect>'
            )
        if total:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle" font-size="10" '
                f'fill="#3e4c59">{total}</text>'
            )
        if index % 5 == 0 or index == len(days) - 1:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{height - 8}" text-anchor="middle" '
                f'font-size="11" fill="#616e7c">{day:%d/%m}</text>'
            )
    parts.append(
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" '
        'stroke="#9aa5b1" stroke-width="1"/></svg>'
    )
    return Markup("".join(parts))


def hbars(items: list[tuple[str, int, str]], *, width: int = 460, row: int = 26) -> Markup:
    """Horizontal bars: (label, value, colour) per line, value written at the end."""
    label_w, value_w = 150, 40
    plot_w = width - label_w - value_w
    highest = max((v for _, v, _ in items), default=0) or 1
    height = row * len(items) + 4
    parts = [
        f'<svg viewBox="0 0 {width} {height}" role="img" xmlns="http://www.w3.org/2000/svg" '
        'aria-label="Dossiers en attente par ancienneté">'
    ]
    for index, (label, value, colour) in enumerate(items):
        y = 2 + index * row
        w = plot_w * value / highest
        parts.append(
            f'<text x="{label_w - 8}" y="{y + row / 2 + 4:.1f}" text-anchor="end" font-size="12" '
            f'fill="#3e4c59">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y + 4}" width="{max(w, 1):.1f}" height="{row - 8}" rx="3" '
            f'fill="{colour}"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + row / 2 + 4:.1f}" font-size="12" '
            f'fill="#1f2933">{value}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
