"""Running agents and flows for one task.

Public API: `SwarmRuntime` (built once per swarm version, runs a task's input through the flow),
`TaskContext` (what an agent may use while it runs), `Usage`.
"""

from swarmstack.agents.context import TaskContext, Usage
from swarmstack.agents.runtime import SwarmRuntime

__all__ = ["SwarmRuntime", "TaskContext", "Usage"]
