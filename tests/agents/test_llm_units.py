"""Pure parts of LLM agents and flows: no server, no event loop where none is needed."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from swarmstack.agents.context import TaskContext
from swarmstack.agents.flow_concurrent import branch_keys, merge
from swarmstack.agents.flow_graph import graph_result, sinks
from swarmstack.agents.flow_router import read_answer
from swarmstack.agents.llm.accounting import TokenBuffer
from swarmstack.agents.llm.agent import first_messages
from swarmstack.agents.llm.client import Backoff, retry_after_s, server_wait_s
from swarmstack.agents.llm.pricing import cost_usd, estimate_tokens, price_of
from swarmstack.agents.llm.stream import StreamAssembler, parse_completion, parse_sse_line
from swarmstack.agents.llm.tools import make_tool, parse_docstring
from swarmstack.spec.agents import ModelPrice
from swarmstack.spec.flows import GraphFlow
from swarmstack.testing import plan_answer


def test_sse_lines() -> None:
    assert parse_sse_line('data: {"a": 1}') == {"a": 1}
    assert parse_sse_line("data: [DONE]") is None
    assert parse_sse_line(": keep-alive") is None
    assert parse_sse_line("") is None


def test_stream_assembler_joins_text_tool_deltas_and_usage() -> None:
    assembler = StreamAssembler()
    assert assembler.feed({"choices": [{"delta": {"content": "Hel"}}]}) == "Hel"
    assembler.feed(
        {
            "choices": [
                {
                    "delta": {
                        "content": "lo",
                        "tool_calls": [
                            {
                                "index": 0,
                                "id": "c1",
                                "function": {"name": "add", "arguments": '{"a"'},
                            }
                        ],
                    }
                }
            ]
        }
    )
    assembler.feed(
        {
            "choices": [
                {
                    "delta": {"tool_calls": [{"index": 0, "function": {"arguments": ": 1}"}}]},
                    "finish_reason": "tool_calls",
                }
            ]
        }
    )
    assembler.feed({"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 2}})
    result = assembler.finish()
    assert result.content == "Hello"
    assert result.tool_calls[0]["function"] == {"name": "add", "arguments": '{"a": 1}'}
    assert (result.finish_reason, result.prompt_tokens, result.completion_tokens) == (
        "tool_calls",
        3,
        2,
    )
    assert result.message()["tool_calls"][0]["id"] == "c1"


def test_whole_completion() -> None:
    result = parse_completion({"choices": [{"message": {"content": "hi"}}]})
    assert result.content == "hi"
    assert result.prompt_tokens is None


def test_backoff_and_retry_after() -> None:
    backoff = Backoff(attempts=5, base_delay_s=0.5, max_delay_s=3)
    assert [backoff.delay_s(n, None) for n in (1, 2, 3, 4)] == [0.5, 1, 2, 3]
    assert backoff.delay_s(1, 45) == 45, "the server's own wait is not capped"
    assert retry_after_s("1.5") == 1.5
    assert retry_after_s("-3") == 0
    assert retry_after_s("nan") is None
    assert retry_after_s("Wed, 21 Oct 2015 07:28:00 GMT") == 0
    assert retry_after_s("soon") is None
    assert retry_after_s(None) is None


def test_prices_match_the_longest_prefix_and_can_be_overridden() -> None:
    assert price_of("gpt-4o-mini-2024-07-18") == (0.15, 0.60)
    assert price_of("gpt-4o-2024-08-06") == (2.50, 10.00)
    assert price_of("llama3:8b") == (0.0, 0.0)
    assert cost_usd("gpt-4o", 1_000_000, 1_000_000) == 12.5
    assert cost_usd("llama3", 10, 10, ModelPrice(prompt_per_mtok=1, completion_per_mtok=2)) == (
        pytest.approx(30 / 1e6)
    )
    assert estimate_tokens("") == 0
    assert estimate_tokens("abcde") == 2


def test_tool_schema_from_hints_and_docstring() -> None:
    def search(query: str, limit: int = 5, tags: list[str] | None = None) -> list[str]:
        """Search the notes.

        Longer text that is not part of the summary.

        Args:
            query: words to look for
            limit (int): most results
        """
        return []

    schema = make_tool(search).schema()["function"]
    assert schema["name"] == "search"
    assert schema["description"] == "Search the notes."
    params = schema["parameters"]
    assert params["required"] == ["query"]
    assert params["properties"]["query"] == {
        "description": "words to look for",
        "title": "Query",
        "type": "string",
    }
    assert params["properties"]["limit"]["default"] == 5
    assert params["properties"]["limit"]["description"] == "most results"


def test_parse_docstring_without_args() -> None:
    assert parse_docstring("One line.") == ("One line.", {})


def test_first_messages() -> None:
    assert first_messages("", "hi") == [{"role": "user", "content": "hi"}]
    assert first_messages("sys", {"a": [1]})[1] == {"role": "user", "content": '{"a": [1]}'}


def test_token_buffer_flushes_on_size_and_age() -> None:
    emitted: list[dict[str, Any]] = []
    ctx = TaskContext("t", "s", 1, lambda kind, data: emitted.append(data))
    now = [0.0]
    buffer = TokenBuffer(ctx, "a", max_chars=5, max_delay_s=0.05, clock=lambda: now[0])
    buffer("ab")
    buffer("cd")
    assert emitted == []
    buffer("e")
    assert emitted == [{"agent": "a", "text": "abcde"}]
    buffer("f")
    now[0] = 0.06
    buffer("g")
    buffer.flush()
    buffer.flush()
    assert [e["text"] for e in emitted] == ["abcde", "fg"]


@pytest.mark.parametrize(
    ("answer", "route"),
    [
        ("writer", "writer"),
        (" 'Writer'. ", "writer"),
        ("I pick critic now", "critic"),
        ("DONE", None),
        ("writer or critic", None),
        ("something else", None),
        (None, None),
    ],
)
def test_router_reads_llm_answers(answer: Any, route: str | None) -> None:
    assert read_answer(answer, ["writer", "critic"]) == route


def test_concurrent_merge_shapes() -> None:
    keys = branch_keys(["a", "b", "a"])
    assert keys == ["a#0", "b", "a#2"]
    outputs, errors = {"a#0": 1, "a#2": 3}, {"b": "boom"}
    assert merge(keys, outputs, errors, "dict") == {"a#0": 1, "a#2": 3, "_errors": {"b": "boom"}}
    assert merge(keys, outputs, errors, "list") == [1, {"_error": "boom"}, 3]


def test_graph_sinks_and_result() -> None:
    flow = GraphFlow.model_validate(
        {
            "type": "graph",
            "nodes": {
                "a": {"agent": "x"},
                "b": {"agent": "x", "depends_on": ["a"]},
                "c": {"agent": "x"},
            },
        }
    )
    assert sinks(flow) == ["b", "c"]
    assert graph_result(flow, {"a": 1, "b": 2, "c": 3}) == {"b": 2, "c": 3}


def test_fake_plans_follow_the_directives() -> None:
    tools = [{"type": "function", "function": {"name": "add"}}]
    ask = {"messages": [{"role": "user", "content": '[[call:add {"a": 1}]] sum'}], "tools": tools}
    assert plan_answer(ask).tool_calls[0]["function"]["arguments"] == '{"a": 1}'
    after = {"messages": [*ask["messages"], {"role": "tool", "content": "2"}], "tools": tools}
    assert plan_answer(after).text == "tool results: 2"
    say = {
        "messages": [
            {"role": "system", "content": "[[say:yes]]"},
            {"role": "user", "content": "[[status:429:1]] [[slow:0.5]] q"},
        ]
    }
    plan = plan_answer(say)
    assert (plan.text, plan.status, plan.status_times, plan.slow_s) == ("yes", 429, 1, 0.5)


def test_server_wait_prefers_retry_after_ms() -> None:
    assert server_wait_s(httpx.Headers({"retry-after-ms": "1500", "retry-after": "2"})) == 1.5
    assert server_wait_s(httpx.Headers({"retry-after-ms": "soon", "retry-after": "2"})) == 2
    assert server_wait_s(httpx.Headers({})) is None
