"""Reading a JSON Lines file of tasks for `tasks submit-batch`."""

from __future__ import annotations

from pathlib import Path

import pytest

from swarmstack.cli.batch_cli import chunks, read_tasks
from swarmstack.errors import InvalidInput


def test_tasks_are_read_one_per_line_skipping_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text('{"input": 1}\n\n{"swarm": "s", "input": {"a": [1]}, "idempotency_key": "k"}\n')
    assert read_tasks(str(path)) == [
        (1, {"input": 1}),
        (3, {"swarm": "s", "input": {"a": [1]}, "idempotency_key": "k"}),
    ]  # the file's own line numbers, blank lines counted


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"input": 1}\n{oops\n', "line 2 is not JSON"),
        ("[1, 2]\n", "line 1 is not a task object"),
        ('{"swarm": "s"}\n', "line 1 is not a task object with an `input`"),
        ("\n\n", "no tasks in it"),
        ('{"input": 1}\n\n{"input": NaN}\n', "line 3 holds a value JSON cannot carry"),
        ('{"input": "\\ud800"}\n', "line 1 holds a value JSON cannot carry"),
    ],
)
def test_a_malformed_file_names_the_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text(text)
    with pytest.raises(InvalidInput, match=message) as caught:
        read_tasks(str(path))
    assert caught.value.fix


def test_an_unreadable_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="cannot read"):
        read_tasks(str(tmp_path / "missing.jsonl"))
    binary = tmp_path / "b.jsonl"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(InvalidInput, match="not UTF-8"):
        read_tasks(str(binary))


def test_chunks_hold_at_most_the_batch_size_and_the_byte_budget() -> None:
    lines = [(n, {"input": "x" * 90}) for n in range(1, 11)]  # 105 bytes of JSON each
    assert [len(c) for c in chunks(lines, batch_size=4, max_bytes=10_000)] == [4, 4, 2]
    assert [len(c) for c in chunks(lines, batch_size=100, max_bytes=300)] == [2] * 5
    big = [(1, {"input": "y" * 5000}), (2, {"input": 1})]
    assert [[n for n, _ in c] for c in chunks(big, batch_size=10, max_bytes=1024)] == [[1], [2]]
