"""`group_chat` flows: agents take turns on one shared transcript.

Speakers speak in list order, round after round, until `max_turns` messages are posted or a
speaker answers nothing (or DONE). Each speaker reads the whole transcript so far with a header
that says who it is and who spoke before. Each turn is a `turn<N>:<agent>` step. The result is
the transcript, `[{"role": agent, "content": text}, ...]`, without the task itself.
"""

from __future__ import annotations

from typing import Any

from swarmstack.agents.context import TaskContext
from swarmstack.agents.flow_env import FlowEnv
from swarmstack.agents.llm.agent import as_text
from swarmstack.spec.flows import GroupChatFlow

STOP = frozenset({"", "done"})


async def run_group_chat(flow: GroupChatFlow, env: FlowEnv, data: Any, ctx: TaskContext) -> Any:
    """Post up to `flow.max_turns` messages, one speaker at a time."""
    transcript: list[dict[str, str]] = [{"role": "user", "content": as_text(data)}]
    for turn in range(1, flow.max_turns + 1):
        speaker = flow.speakers[(turn - 1) % len(flow.speakers)]
        prompt = chat_prompt(transcript, speaker, turn)
        answer = as_text(await env.step(speaker, prompt, ctx, step=f"turn{turn}:{speaker}"))
        if answer.strip().lower() in STOP:
            break
        transcript.append({"role": speaker, "content": answer})
    return transcript[1:]


def chat_prompt(transcript: list[dict[str, str]], speaker: str, turn: int) -> str:
    """What a speaker reads on its turn. Pure."""
    lines = "\n\n".join(f"{m['role']}: {m['content']}" for m in transcript)
    return (
        f"You are {speaker} in a group chat, turn {turn}. Add one message that moves the "
        f"work on; answer DONE if it is finished.\n\nTranscript:\n{lines}"
    )
