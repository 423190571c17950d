"""`python -m swarmstack` runs the CLI."""

from swarmstack.cli.main import main

main()
