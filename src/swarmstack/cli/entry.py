"""The `swarmstack` console script and `python -m swarmstack`: imports the CLI, then runs it.

Importing the CLI (FastAPI, SQLAlchemy, ...) takes a second or more; a ^C meanwhile used to end
in a KeyboardInterrupt traceback from deep inside an import. Here it ends as a ^C during a
command does (`cli.main.main`): exit code 130 and no traceback. This module imports nothing
heavy itself.
"""

from __future__ import annotations

import sys

INTERRUPTED = 130


def main() -> None:
    """Import the CLI (a ^C meanwhile: exit 130, quietly), then run it."""
    try:
        from swarmstack.cli.main import main as run
    except KeyboardInterrupt:
        sys.exit(INTERRUPTED)
    run()
