"""The pure core: task states and transitions, retry policy, ids and clocks. No I/O."""
