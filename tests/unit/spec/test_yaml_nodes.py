"""YAML as people write it: merge keys work, and every YAML fault names file:line and a fix."""

from __future__ import annotations

import pytest

from swarmstack.errors import SpecError
from swarmstack.spec import parse_spec

MERGED = """\
name: demo
x-python: &python
  kind: python
  timeout: 2s
x-slow: &slow
  timeout: 9s
  description: slow
agents:
  a:
    <<: *python
    entrypoint: "m:f"
  b:
    <<: [*slow, *python]
    entrypoint: "m:g"
  c:
    entrypoint: "m:h"
    timeout: 5s
    <<: *python
flow: {type: sequential, steps: [a, b, c]}
"""


def error(text: str) -> str:
    with pytest.raises(SpecError) as info:
        parse_spec(text, "swarm.yaml", {})
    return info.value.render()


def test_merge_keys_fill_in_what_the_mapping_does_not_set() -> None:
    spec = parse_spec(MERGED, "swarm.yaml", {})
    a, b, c = (spec.agents[n] for n in "abc")
    assert (a.kind, a.timeout, a.entrypoint) == ("python", 2.0, "m:f")  # type: ignore[union-attr]
    assert (b.timeout, b.description) == (9.0, "slow")  # earlier merged mapping wins
    assert c.timeout == 5.0  # the mapping's own key wins, wherever `<<` stands


def test_errors_in_a_mapping_with_a_merge_key_name_their_own_line() -> None:
    text = MERGED.replace('    entrypoint: "m:g"\n', '    entrypoint: "m:g"\n    timout: 1\n')
    message = error(text)
    assert "swarm.yaml:15 agents.b.timout" in message
    assert "known keys here" in message


def test_an_error_in_a_merged_value_names_the_line_of_the_anchor() -> None:
    message = error(MERGED.replace("timeout: 2s", "timeout: soon"))
    assert "swarm.yaml:4 agents.a.timeout" in message


def test_own_keys_written_twice_are_still_errors_next_to_a_merge() -> None:
    text = MERGED.replace('    entrypoint: "m:f"\n', '    entrypoint: "m:f"\n    entrypoint: x:y\n')
    assert "swarm.yaml:12: key 'entrypoint' appears twice" in error(text)


@pytest.mark.parametrize(
    ("text", "where", "fix"),
    [
        ("name: x\nagents:\n\ta: 1\n", "swarm.yaml:3", "indent with spaces"),
        ("name: x\nagents: *nope\n", "swarm.yaml:2", "define the anchor"),
        ("name: &\n", "swarm.yaml:1", "anchors as `&name`"),
        ("name: x\nrelease: !!python/name:os.system x\n", "swarm.yaml:2", "remove the `!tag`"),
        ("name: x\n? [a, b]\n: 1\n", "swarm.yaml:2", "use a name as the key"),
        ("name: x\nbase: &b 1\nagents:\n  <<: *b\n", "swarm.yaml:4", "`<<: *anchor`"),
        ("name: x\nname: y\n", "swarm.yaml:2", "keep one of them"),
        ("name: x\nagents: [\n", "swarm.yaml:3", "check indentation"),
        ("name: x\n  agents: 1\n", "swarm.yaml:2", "space after `:`"),
    ],
)
def test_yaml_faults_name_file_line_and_a_fix(text: str, where: str, fix: str) -> None:
    message = error(text)
    assert message.startswith(f"{where}: ")
    assert fix in message
    assert "Traceback" not in message and "<unicode string>" not in message


def test_x_keys_at_the_top_are_ignored_and_other_unknown_keys_are_not() -> None:
    assert parse_spec(MERGED, "swarm.yaml", {}).name == "demo"
    assert "y-python" in error(MERGED.replace("x-python", "y-python"))
