"""The soak charts: one polyline per series, every window a point, valid SVG."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from bench.plot import soak_svg


def soak(dead: int | None) -> dict[str, Any]:
    rows = [
        {
            "t_s": 30 * i,
            "store_mb": 10.0 + i,
            "rss_mb": [150, 120, 121],
            "p99_ms": 100.0 + i,
            "dead_tuples": None if dead is None else dead + i,
        }
        for i in range(1, 11)
    ]
    return {"windows": rows}


def test_each_series_is_a_polyline_through_every_window() -> None:
    svg = ET.fromstring(soak_svg(soak(None)))
    lines = svg.findall("{http://www.w3.org/2000/svg}polyline")
    assert len(lines) == 5  # store, three processes' RSS, p99
    assert all(len(line.attrib["points"].split()) == 10 for line in lines)
    texts = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert "store size" in texts and "resident memory" in texts
    assert "dead tuples" not in texts  # SQLite has none


def test_postgresql_adds_dead_tuples() -> None:
    svg = ET.fromstring(soak_svg(soak(400)))
    texts = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert "dead tuples" in texts
    assert len(svg.findall("{http://www.w3.org/2000/svg}polyline")) == 6
