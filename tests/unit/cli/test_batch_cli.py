"""Reading a JSON Lines file of tasks for `tasks submit-batch`."""

from __future__ import annotations

from pathlib import Path

import pytest

from swarmstack.cli.batch_cli import read_tasks
from swarmstack.errors import InvalidInput


def test_tasks_are_read_one_per_line_skipping_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text('{"input": 1}\n\n{"swarm": "s", "input": {"a": [1]}, "idempotency_key": "k"}\n')
    assert read_tasks(str(path)) == [
        {"input": 1},
        {"swarm": "s", "input": {"a": [1]}, "idempotency_key": "k"},
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"input": 1}\n{oops\n', "line 2 is not JSON"),
        ("[1, 2]\n", "line 1 is not a task object"),
        ('{"swarm": "s"}\n', "line 1 is not a task object with an `input`"),
        ("\n\n", "no tasks in it"),
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
