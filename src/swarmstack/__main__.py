"""`python -m swarmstack` runs the CLI."""

from swarmstack.cli.entry import main

main()
