"""Commands in the docs work when pasted into a fresh checkout: the project's interpreter and
CLI are `.venv/bin/python` and `.venv/bin/swarmstack` (`make install`), not whatever is on PATH."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.conftest import REPO

DOCS = sorted([REPO / "README.md", *REPO.glob("docs/*.md"), *REPO.glob("examples/*/README.md")])
BARE = re.compile(r"^(?:[A-Z_]+=\S+ )*(python|swarmstack) ", re.MULTILINE)
# their scale-out commands run on other hosts, where swarmstack is installed (an image, pip)
ON_OTHER_HOSTS = {"scale-out.md", "README.md"}


def shell_blocks(text: str) -> str:
    return "\n".join(re.findall(r"```(?:bash|sh|console)\n(.*?)```", text, re.DOTALL))


@pytest.mark.parametrize("doc", DOCS, ids=[str(d.relative_to(REPO)) for d in DOCS])
def test_shell_commands_name_the_project_interpreter(doc: object) -> None:
    path = REPO / str(doc)
    found = BARE.findall(shell_blocks(path.read_text()))
    if path.name in ON_OTHER_HOSTS:
        found = [f for f in found if f != "swarmstack"]
    assert found == [], f"{path.name}: use .venv/bin/{found[0] if found else ''}"


def test_the_fake_llm_runs_as_a_module_without_a_warning() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-W", "error", "-m", "swarmstack.testing.fake_llm", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()  # printed once it is about to serve
    proc.terminate()
    _, err = proc.communicate(timeout=30)
    assert first.startswith("fake LLM on http://127.0.0.1"), err
    assert "RuntimeWarning" not in err
