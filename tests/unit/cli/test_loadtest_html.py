"""The HTML report is one page that needs nothing from the network."""

from __future__ import annotations

import re
from xml.etree import ElementTree

from swarmstack.cli.loadtest_html import MAX_POINTS, page, timeline_svg
from swarmstack.cli.loadtest_report import report_of
from swarmstack.client.load import LoadPlan, LoadResult, Sample

PLAN = LoadPlan("http://127.0.0.1:8080/<x>", requests=3)


def result(n: int) -> LoadResult:
    samples = [
        Sample(i / 100, 0.01 + i / 1000, "timeout" if i % 7 == 0 else None) for i in range(n)
    ]
    return LoadResult(samples, elapsed_s=1.0, cpu_s=0.1)


def test_the_page_is_self_contained_with_both_plots() -> None:
    run = result(50)
    html = page(report_of(PLAN, run, 0.0), run)
    assert not re.search(r"(src|href)=", html)  # no script, stylesheet or image to fetch
    assert "<script" not in html
    svgs = re.findall(r"<svg.*?</svg>", html, re.DOTALL)
    assert len(svgs) == 2
    for svg in svgs:
        ElementTree.fromstring(svg)  # well-formed
    assert "&lt;x&gt;" in html and "<x>" not in html  # the URL is escaped
    assert 'class="err"' in html and 'class="bar"' in html


def test_the_timeline_keeps_at_most_max_points_dots() -> None:
    svg = timeline_svg(result(3 * MAX_POINTS + 5))
    assert MAX_POINTS <= svg.count("<circle") <= MAX_POINTS + 5


def test_an_empty_run_says_so() -> None:
    empty = LoadResult([], 0.0, 0.0)
    html = page(report_of(PLAN, empty, 0.0), empty)
    assert "No successful request." in html and "No request was sent." in html
