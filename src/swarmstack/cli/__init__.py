"""The `swarmstack` command line."""
