"""Small server-rendered SVG charts: no JavaScript, readable by screen readers.

Each chart carries a <title> and a <desc> with its figures in words, and the
page shows the same figures in a table beside it.
"""

from __future__ import annotations

from html import escape

from services.schemas import ImpactCheckpoint

WIDTH, HEIGHT, PAD = 320, 160, 28
COLOURS = {3: "#6b4c9a", 4: "#0b4f9c", 5: "#1b7f3b"}  # by Guskey level, contrast >= 4.5:1 on white


def impact_over_time(checkpoints: list[ImpactCheckpoint]) -> str:
    """Mean rating (1-5) at each checkpoint month, one line per Guskey level."""
    points = [cp for cp in checkpoints if cp.mean is not None]
    months = sorted({cp.month for cp in checkpoints}) or [0]
    span = max(months[-1] - months[0], 1)

    def x(month: int) -> float:
        return PAD + (month - months[0]) / span * (WIDTH - 2 * PAD)

    def y(mean: float) -> float:
        return HEIGHT - PAD - (mean - 1) / 4 * (HEIGHT - 2 * PAD)

    parts = []
    for n, level in enumerate(sorted({cp.guskey_level for cp in points})):
        series = [cp for cp in points if cp.guskey_level == level]
        coords = " ".join(f"{x(cp.month):.1f},{y(cp.mean or 1):.1f}" for cp in series)
        colour = COLOURS.get(level, "#333333")
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="3" points="{coords}"/>'
        )
        # Each line says which level it is in words at its end: colour is not the only key.
        # (Above the point, or below it for every other level, should two lines meet.)
        last = series[-1]
        label_y = y(last.mean or 1) + (16 if n % 2 else -8)
        parts.append(
            f'<text x="{min(x(last.month) + 6, WIDTH - 4):.1f}" y="{label_y:.1f}" '
            f'font-size="11" text-anchor="end" fill="{colour}">Level {level}</text>'
        )
        for cp in series:
            parts.append(
                f'<circle cx="{x(cp.month):.1f}" cy="{y(cp.mean or 1):.1f}" r="4" fill="{colour}">'
                f"<title>Level {level}, month {cp.month}: {cp.mean}</title></circle>"
            )
    axis = "".join(
        f'<text x="{x(m):.1f}" y="{HEIGHT - 8}" font-size="11" text-anchor="middle">{m}m</text>'
        for m in months
    ) + "".join(f'<text x="6" y="{y(v) + 4:.1f}" font-size="11">{v}</text>' for v in (1, 3, 5))
    baseline = (
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" '
        'stroke="#767676"/>'
    )
    words = "; ".join(f"level {cp.guskey_level} at {cp.month} months: {cp.mean}" for cp in points)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="impact-title impact-desc" style="max-width:100%;height:auto">'
        f'<title id="impact-title">Impact over time</title>'
        f'<desc id="impact-desc">{escape(words or "No ratings yet")}</desc>'
        f"{baseline}{axis}{''.join(parts)}</svg>"
    )
