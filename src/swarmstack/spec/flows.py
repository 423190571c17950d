"""How agents cooperate on one task: sequential, concurrent, router, graph, hierarchical and
group-chat flows."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from swarmstack.spec.base import SpecModel


class SequentialFlow(SpecModel):
    """Each step's output is the next step's input."""

    type: Literal["sequential"] = Field(description="`sequential`.")
    steps: list[str] = Field(min_length=1, description="Agent names, in order.")


class ConcurrentFlow(SpecModel):
    """Fan out to several agents at once, fan in by an aggregator agent or a merge."""

    type: Literal["concurrent"] = Field(description="`concurrent`.")
    branches: list[str] = Field(min_length=1, description="Agent names run in parallel.")
    aggregator: str | None = Field(None, description="Agent that receives all branch outputs.")
    merge: Literal["dict", "list"] = Field("dict", description="Fan-in shape without aggregator.")
    on_error: Literal["fail", "continue"] = Field(
        "fail", description="`continue` keeps sibling outputs when one branch fails."
    )


class RouterFlow(SpecModel):
    """A router picks the next agent, up to `max_hops` times."""

    type: Literal["router"] = Field(description="`router`.")
    router: str = Field(description="Agent name, or `module:function` rule, that picks a route.")
    routes: list[str] = Field(min_length=1, description="Agent names the router may choose.")
    max_hops: int = Field(3, gt=0, le=50, description="Most routing decisions per task.")


class GraphNode(SpecModel):
    """One step of a graph flow."""

    agent: str = Field(description="Agent name that runs this node.")
    depends_on: list[str] = Field(default_factory=list, description="Nodes that run first.")


class GraphFlow(SpecModel):
    """A DAG of steps; a node runs when all its dependencies are done."""

    type: Literal["graph"] = Field(description="`graph`.")
    nodes: dict[str, GraphNode] = Field(min_length=1, description="Nodes by name.")
    output: str | None = Field(None, description="Node whose output is the task result.")


class HierarchicalFlow(SpecModel):
    """A director plans and gives orders to workers, then reviews their results, for `loops`
    rounds (`agents/flow_hierarchical.py`)."""

    type: Literal["hierarchical"] = Field(description="`hierarchical`.")
    director: str = Field(description="Agent that plans, assigns orders and gives feedback.")
    workers: list[str] = Field(min_length=1, description="Agents the director may give orders.")
    loops: int = Field(1, gt=0, le=20, description="Plan-execute-feedback rounds.")
    feedback: bool = Field(True, description="Ask the director to review each round's results.")


class GroupChatFlow(SpecModel):
    """Agents take turns on a shared transcript, up to `max_turns` messages
    (`agents/flow_group_chat.py`)."""

    type: Literal["group_chat"] = Field(description="`group_chat`.")
    speakers: list[str] = Field(min_length=1, description="Agents, in speaking order.")
    max_turns: int = Field(4, gt=0, le=100, description="Most messages posted.")


Flow = Annotated[
    SequentialFlow | ConcurrentFlow | RouterFlow | GraphFlow | HierarchicalFlow | GroupChatFlow,
    Field(discriminator="type"),
]
