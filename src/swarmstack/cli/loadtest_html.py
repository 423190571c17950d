"""`swarmstack loadtest --html OUT`: one self-contained page (inline SVG, no script, no CDN)
with the summary, the latency histogram and each request's latency over the run."""

from __future__ import annotations

import json
from html import escape
from typing import Any

from swarmstack.cli.loadtest_report import NO_SUCCESS
from swarmstack.client.load import LoadResult

WIDTH, HEIGHT, MARGIN = 720, 260, 48
MAX_POINTS = 5000  # more dots only slow the browser; they are spread evenly over the run
STYLE = """body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse}td,th{padding:2px 10px;text-align:left;border-bottom:1px solid #ddd}
svg{background:#fafafa;border:1px solid #ddd;margin:1em 0}text{font-size:11px;fill:#444}
.ok{fill:#2b6cb0}.err{fill:#c53030}.bar{fill:#2b6cb0}"""


def page(record: dict[str, Any], result: LoadResult) -> str:
    """The HTML page of a run (UTF-8 text)."""
    title = f"swarmstack loadtest of {record['target']['url']}"
    return "\n".join(
        [
            "<!doctype html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>",
            f"<h1>{escape(title)}</h1>",
            _summary(record),
            "<h2>Latency histogram (succeeded requests)</h2>",
            histogram_svg(record["histogram"]),
            "<h2>Latency over the run</h2>",
            "<p>Each dot is a request at the time it was due; red ones failed.</p>",
            timeline_svg(result),
            "<h2>Full record</h2>",
            f"<pre>{escape(json.dumps(record, indent=2))}</pre>",
            "</body></html>",
        ]
    )


def _summary(record: dict[str, Any]) -> str:
    rows = [
        ("requests", f"{record['requests']:,} ({record['succeeded']:,} succeeded)"),
        ("errors", f"{record['errors']['total']:,} ({record['errors']['rate']:.2%})"),
        ("throughput", f"{record['throughput_rps']:,.1f} requests/s"),
        ("elapsed", f"{record['elapsed_s']:.2f} s"),
        ("client CPU", f"{record['client']['cpu_ms_per_request']:.3f} ms per request"),
    ]
    for name, f in record["latency"].items():
        figures = f"p50 {f['p50_ms']:.1f}, p90 {f['p90_ms']:.1f}, p99 {f['p99_ms']:.1f}"
        shown = f"{figures}, max {f['max_ms']:.1f} ms" if f["count"] else NO_SUCCESS
        rows.append((f"{name} latency", shown))
    rows += [(f"error: {kind}", f"{n:,}") for kind, n in record["errors"]["by_kind"].items()]
    cells = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows)
    return f"<table>{cells}</table>"


def histogram_svg(buckets: list[dict[str, float]]) -> str:
    """Bars of the buckets' counts, labelled with each bucket's upper edge in ms."""
    if not buckets:
        return "<p>No successful request.</p>"
    most = max(b["count"] for b in buckets) or 1
    step = (WIDTH - 2 * MARGIN) / len(buckets)
    parts = [_svg_open(), _axes()]
    for i, b in enumerate(buckets):
        h = (HEIGHT - 2 * MARGIN) * b["count"] / most
        x, y = MARGIN + i * step, HEIGHT - MARGIN - h
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{step * 0.9:.1f}" '
            f'height="{h:.1f}"><title>{b["low_ms"]:.3g}-{b["high_ms"]:.3g} ms: '
            f"{int(b['count'])}</title></rect>"
        )
        label_x = x + step * 0.45
        parts.append(_text(label_x, HEIGHT - MARGIN + 14, f"{b['high_ms']:.3g}", "middle"))
    parts.append(_text(WIDTH / 2, HEIGHT - 8, "latency, ms (bucket upper edge)", "middle"))
    parts.append(_text(MARGIN - 6, MARGIN, f"{int(most)}", "end"))
    return "".join([*parts, "</svg>"])


def timeline_svg(result: LoadResult) -> str:
    """A dot per request: x the time it was due (s), y its latency (ms, linear)."""
    samples = result.samples
    if not samples:
        return "<p>No request was sent.</p>"
    stride = max(1, len(samples) // MAX_POINTS)
    shown = sorted(samples, key=lambda s: s.due_s)[::stride]
    span_s = max(max(s.due_s for s in shown), 1e-3)
    top_ms = max(max(s.latency_s for s in shown) * 1000, 1e-3)
    plot_w, plot_h = WIDTH - 2 * MARGIN, HEIGHT - 2 * MARGIN
    parts = [_svg_open(), _axes()]
    for s in shown:
        x = MARGIN + plot_w * s.due_s / span_s
        y = HEIGHT - MARGIN - plot_h * s.latency_s * 1000 / top_ms
        kind = "ok" if s.error is None else "err"
        parts.append(f'<circle class="{kind}" cx="{x:.1f}" cy="{y:.1f}" r="1.5"/>')
    parts.append(_text(MARGIN - 6, MARGIN, f"{top_ms:.3g} ms", "end"))
    parts.append(_text(WIDTH - MARGIN, HEIGHT - MARGIN + 14, f"{span_s:.3g} s", "end"))
    parts.append(_text(WIDTH / 2, HEIGHT - 8, "time the request was due, s", "middle"))
    return "".join([*parts, "</svg>"])


def _svg_open() -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img">'
    )


def _axes() -> str:
    bottom, right = HEIGHT - MARGIN, WIDTH - MARGIN
    return (
        f'<path d="M{MARGIN} {MARGIN} V{bottom} H{right}" stroke="#888" fill="none"/>'
        f'<text x="{MARGIN - 6}" y="{bottom}" text-anchor="end">0</text>'
    )


def _text(x: float, y: float, text: str, anchor: str) -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}">{escape(text)}</text>'
