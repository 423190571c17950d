"""The console's template filters and page rendering."""

from __future__ import annotations

from swarmstack.server.console.pages import ENV, clip, duration, pretty, usd, when


def test_filters_format_times_durations_and_costs() -> None:
    assert when(0) == "1970-01-01 00:00:00" and when(None) == "-"
    assert duration(0.25) == "250 ms" and duration(2.34) == "2.3 s"
    assert duration(245) == "4 min 5 s" and duration(None) == "-"
    assert usd(0.0012) == "$0.0012" and usd(None) == "-"
    assert pretty({"a": 1}) == '{\n  "a": 1\n}' and pretty("text") == "text"


def test_templates_escape_what_they_show() -> None:
    html = ENV.from_string("<p>{{ text }}</p>").render(text="<script>alert(1)</script>")
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_long_values_are_clipped_with_a_count_of_what_was_left_out() -> None:
    assert clip("abc", 5) == "abc" and clip(None) == ""
    assert clip("x" * 12, 5).startswith("xxxxx\n… 7 more characters not shown")
    assert len(pretty({"t": "y" * 100_000})) < 21_000
