"""Soak results as one SVG of three line charts against time: store size, RSS of each process,
submit-to-result p99 (and dead tuples on PostgreSQL). Self-contained SVG, no dependencies.

    python bench/plot.py bench/results/soak-sqlite.json docs/img/soak-sqlite.svg
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

W, H, PAD_L, PAD_R, PAD_T, PAD_B = 760, 170, 64, 150, 26, 30
COLORS = ["#1f5fbf", "#c0392b", "#27864a", "#8e44ad"]


def chart(title: str, t: list[float], series: dict[str, list[float]], y0: float, unit: str) -> str:
    """One chart: each series a polyline over `t` (seconds), its y axis from 0, labelled."""
    top = max(max(v) for v in series.values()) * 1.1 or 1.0
    span_t = max(t) or 1.0
    width, height = W - PAD_L - PAD_R, H - PAD_T - PAD_B

    def xy(x: float, y: float) -> str:
        return f"{PAD_L + x / span_t * width:.1f},{y0 + PAD_T + height - y / top * height:.1f}"

    out = [
        f'<text x="{PAD_L}" y="{y0 + 16}" font-weight="bold">{title}</text>',
        f'<line x1="{PAD_L}" y1="{y0 + PAD_T + height}" x2="{PAD_L + width}" '
        f'y2="{y0 + PAD_T + height}" stroke="#999"/>',
        f'<line x1="{PAD_L}" y1="{y0 + PAD_T}" x2="{PAD_L}" y2="{y0 + PAD_T + height}" '
        'stroke="#999"/>',
    ]
    for frac in (0.0, 0.5, 1.0):
        value = top / 1.1 * frac
        y = y0 + PAD_T + height - value / top * height
        out.append(f'<text x="{PAD_L - 6}" y="{y + 4:.1f}" text-anchor="end">{value:,.0f}</text>')
    for minute in range(0, int(span_t // 60) + 1, 5):
        x = PAD_L + minute * 60 / span_t * width
        out.append(f'<text x="{x:.1f}" y="{y0 + H - 8}" text-anchor="middle">{minute} min</text>')
    for i, (name, values) in enumerate(series.items()):
        color = COLORS[i % len(COLORS)]
        points = " ".join(xy(x, y) for x, y in zip(t, values, strict=True))
        out.append(f'<polyline fill="none" stroke="{color}" stroke-width="1.6" points="{points}"/>')
        ly = y0 + PAD_T + 14 * i + 8
        out.append(f'<text x="{W - PAD_R + 10}" y="{ly}" fill="{color}">{name} ({unit})</text>')
    return "\n".join(out)


def soak_svg(soak: dict[str, Any]) -> str:
    """The soak's charts stacked in one SVG document."""
    rows = soak["windows"]
    t = [float(r["t_s"]) for r in rows]
    charts = [
        ("store size", {"store": [r["store_mb"] for r in rows]}, "MB"),
        (
            "resident memory",
            {
                name: [r["rss_mb"][i] if i < len(r["rss_mb"]) else 0 for r in rows]
                for i, name in enumerate(["up", "worker 1", "worker 2"])
            },
            "MB",
        ),
        ("submit-to-result latency", {"p99": [r["p99_ms"] for r in rows]}, "ms"),
    ]
    if rows[0]["dead_tuples"] is not None:
        charts.append(("dead tuples", {"dead": [r["dead_tuples"] for r in rows]}, "rows"))
    body = "\n".join(chart(title, t, s, i * H, unit) for i, (title, s, unit) in enumerate(charts))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H * len(charts)}" '
        f'font-family="sans-serif" font-size="12"><rect width="100%" height="100%" '
        f'fill="white"/>\n{body}\n</svg>\n'
    )


def main() -> None:
    source, target = Path(sys.argv[1]), Path(sys.argv[2])
    report = json.loads(source.read_text())
    target.write_text(soak_svg(report["soak"]))
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
