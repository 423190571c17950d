"""StreamAssembler and parse_completion on the tool-call shapes servers send (pure)."""

from __future__ import annotations

from typing import Any

import pytest

from swarmstack.agents.llm.stream import (
    LineSplitter,
    StreamAssembler,
    parse_completion,
    parse_sse_line,
)
from swarmstack.errors import LLMProviderError


def _fold(*calls: dict[str, Any]) -> list[dict[str, Any]]:
    assembler = StreamAssembler()
    for call in calls:
        assembler.feed({"choices": [{"delta": {"tool_calls": [call]}}]})
    return assembler.finish().tool_calls


def _fn(name: str | None = None, arguments: Any = None) -> dict[str, Any]:
    return {k: v for k, v in {"name": name, "arguments": arguments}.items() if v is not None}


def test_a_name_repeated_in_every_chunk_is_not_concatenated() -> None:
    calls = _fold(
        {"index": 0, "id": "c1", "function": _fn("note", '{"a"')},
        {"index": 0, "id": "c1", "function": _fn("note", ": 1}")},
    )
    assert calls == [
        {"id": "c1", "type": "function", "function": {"name": "note", "arguments": '{"a": 1}'}}
    ]


def test_a_null_index_continues_the_last_call_and_ids_are_made_up() -> None:
    calls = _fold(
        {"index": None, "function": _fn("a", "{")},
        {"index": None, "function": _fn(None, "}")},
    )
    assert [(c["id"], c["function"]["arguments"]) for c in calls] == [("call_0", "{}")]


def test_a_whole_json_text_repeated_replaces_instead_of_doubling() -> None:
    calls = _fold(
        {"index": 0, "id": "c1", "function": _fn("a", '{"x": 1}')},
        {"index": 0, "id": "c1", "function": _fn("a", '{"x": 1}')},
    )
    assert calls[0]["function"]["arguments"] == '{"x": 1}'


def test_a_name_sent_in_pieces_is_joined() -> None:
    calls = _fold({"index": 0, "function": _fn("no")}, {"index": 0, "function": _fn("te", "{}")})
    assert calls[0]["function"]["name"] == "note"


def test_whole_answers_get_string_arguments_ids_and_a_type() -> None:
    body = {"choices": [{"message": {"tool_calls": [{"function": _fn("a", {"x": 1})}, "junk"]}}]}
    assert parse_completion(body).tool_calls == [
        {"id": "call_0", "type": "function", "function": {"name": "a", "arguments": '{"x": 1}'}},
        {"id": "call_1", "type": "function", "function": {"name": "", "arguments": "{}"}},
    ]


def test_a_chunk_that_is_not_json_is_a_provider_error() -> None:
    with pytest.raises(LLMProviderError, match="not JSON"):
        parse_sse_line('data: {"choices": [')


@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"])
def test_lines_end_as_sse_allows_and_may_arrive_in_any_pieces(end: str) -> None:
    body = f"data: a{end}{end}: keep-alive{end}data: é{end}".encode()
    for size in (1, 2, 7, len(body)):
        splitter = LineSplitter()
        lines = [
            line for i in range(0, len(body), size) for line in splitter.feed(body[i : i + size])
        ]
        lines += splitter.finish()
        assert lines == ["data: a", "", ": keep-alive", "data: é"], (end, size)


def test_a_last_line_without_an_end_comes_out_at_the_finish() -> None:
    splitter = LineSplitter()
    assert splitter.feed(b"data: 1\ndata: 2") == ["data: 1"]
    assert splitter.finish() == ["data: 2"]
    assert splitter.finish() == []


def test_a_line_may_be_longer_than_any_buffer() -> None:
    splitter = LineSplitter()
    long = b"data: " + b"x" * 1_000_000
    assert [
        line for i in range(0, len(long), 65536) for line in splitter.feed(long[i : i + 65536])
    ] == []
    assert splitter.feed(b"\n") == [long.decode()]
