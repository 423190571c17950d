"""A client written to the Swarms API shape, pointed at a real `swarmstack up`: it sends
`x-api-key`, posts SwarmSpecs, and reads Swarms answers back. The agents run on the fake LLM
server through OPENAI_BASE_URL, as the OpenAI SDK would. On SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from swarmstack.testing import FakeLLM
from tests.process.conftest import Procs, wait_ready
from tests.support.net import free_port

pytestmark = pytest.mark.process
KEY = "ssk_swarms_client_test_key"
ORDERS = '{"plan": "p", "orders": [{"agent_name": "Analyst", "task": "size the market"}]}'


class SwarmsClient:
    """What a Swarms API client does: one base URL, the key in `x-api-key`."""

    def __init__(self, base_url: str, api_key: str) -> None:
        self.http = httpx.Client(base_url=base_url, headers={"x-api-key": api_key}, timeout=60)

    def run(self, spec: dict[str, Any]) -> httpx.Response:
        return self.http.post("/v1/swarm/completions", json=spec)

    def available(self) -> list[str]:
        return list(self.http.get("/v1/swarms/available").json()["swarms"])

    def close(self) -> None:
        self.http.close()


def test_a_swarms_client_gets_the_swarms_shape_back(
    procs: Procs, tmp_path: Path, own_store_url: str
) -> None:
    with FakeLLM() as fake:
        port = free_port()
        procs.start(
            "up",
            "--port",
            str(port),
            "--data-dir",
            str(tmp_path / "data"),
            name="up",
            env={
                "SWARMSTACK_SECURITY__ADMIN_KEY": KEY,
                "SWARMSTACK_SERVER__SWARMS_API": "true",
                "SWARMSTACK_STORE__URL": own_store_url,
                "OPENAI_BASE_URL": fake.base_url,
                "OPENAI_API_KEY": "sk-fake",
            },
        )
        url = f"http://127.0.0.1:{port}"
        wait_ready(url)
        client = SwarmsClient(url, KEY)
        try:
            assert "HierarchicalSwarm" in client.available()
            response = client.run(
                {
                    "name": "Market Board",
                    "description": "a director and an analyst",
                    "agents": [
                        {
                            "agent_name": "Chair",
                            "system_prompt": f"[[say:{ORDERS}]]",
                            "role": "director",
                        },
                        {"agent_name": "Analyst", "system_prompt": "[[say:big market]]"},
                    ],
                    "swarm_type": "HiearchicalSwarm",
                    "max_loops": 1,
                    "task": "Should we launch?",
                }
            )
        finally:
            client.close()
        assert response.status_code == 200, procs.logs()[-3000:]
        body = response.json()
        assert body["status"] == "success" and body["swarm_name"] == "Market Board"
        assert body["swarm_type"] == "HiearchicalSwarm"
        assert body["result"]["results"] == {"analyst": "big market"}
        assert {"role": "Analyst", "content": "big market"} in body["output"]
        per_agent = body["metadata"]["billing_info"]["cost_breakdown"]["token_counts"]["per_agent"]
        assert set(per_agent) == {"Chair", "Analyst"}
        assert body["usage"]["total_tokens"] > 0
        unauthorised = httpx.post(
            f"{url}/v1/swarm/completions", json={}, headers={"x-api-key": "nope"}
        )
        assert unauthorised.status_code == 401 and "detail" in unauthorised.json()
