"""Server-rendered SVG bar charts for the reports (no script, no CDN: the network is closed).

Heights are integer arithmetic on the integer values (fen, tickets); labels are escaped
by the template engine's Markup building here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

HEIGHT, LEFT, BOTTOM, TOP = 260, 70, 28, 12


def _nice_ceiling(value: int) -> int:
    """The smallest 1/2/5 x 10^n at or above ``value`` (the axis maximum)."""
    step = 1
    while True:
        for m in (1, 2, 5):
            if m * step >= value:
                return m * step
        step *= 10


def bar_chart(
    bars: Sequence[tuple[str, int]],
    *,
    value_text: Callable[[int], str],
    title: str,
    label_every: int = 1,
    width: int = 960,
) -> Markup:
    """A bar per (label, value >= 0); the y axis shows 0, half and the top in ``value_text``.
    ``width`` is the drawing's own width: a smaller one draws larger text in a narrow column."""
    top = _nice_ceiling(max([v for _, v in bars] + [1]))
    plot_w, plot_h = width - LEFT - 10, HEIGHT - BOTTOM - TOP
    slot = plot_w // max(len(bars), 1)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {HEIGHT}" role="img" aria-label="{escape(title)}" '
        'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for fraction in (0, 1, 2):  # grid lines at 0, top/2, top
        y = TOP + plot_h - plot_h * fraction // 2
        parts.append(f'<line class="grid" x1="{LEFT}" y1="{y}" x2="{width - 10}" y2="{y}"/>')
        parts.append(f'<text class="axis" x="{LEFT - 6}" y="{y + 4}" text-anchor="end">'
                     f"{escape(value_text(top * fraction // 2))}</text>")  # fmt: skip
    for i, (label, value) in enumerate(bars):
        h = plot_h * max(value, 0) // top
        x = LEFT + i * slot + slot // 8
        parts.append(
            f'<rect class="bar" x="{x}" y="{TOP + plot_h - h}" width="{max(slot * 3 // 4, 1)}" height="{h}">'
            f"<title>{escape(label)}: {escape(value_text(value))}</title></rect>"
        )
        if i % label_every == 0:
            parts.append(f'<text class="axis" x="{x + slot * 3 // 8}" y="{HEIGHT - 8}" text-anchor="middle">'
                         f"{escape(label)}</text>")  # fmt: skip
    parts.append("</svg>")
    return Markup("".join(parts))
