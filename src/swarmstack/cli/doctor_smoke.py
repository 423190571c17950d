"""The end-to-end part of `swarmstack doctor`: a short-lived `swarmstack up` of the smallest
example (examples/triage: three Python agents, no LLM, so no model and no fake is involved) on
a temporary SQLite data directory and a free port; one task submitted with `?wait=`; its
answer and the timings recorded; the process stopped and the directory removed.

It is a separate process on purpose: that is how users run swarmstack, and it leaves the
settings, store and port of the deployment under examination untouched."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from swarmstack.cli.doctor_checks import Check

EXAMPLE = Path("examples/triage/swarm.yaml")
INPUT = {"text": "refund for invoice 12345 please"}
START_TIMEOUT_S = 60.0
HOW = "a short-lived `swarmstack up` of {spec} on a temporary SQLite store, port {port}"


def smoke(example: Path = EXAMPLE) -> Check:
    """Run the example end to end; `ok` with the timings when the task succeeded."""
    if not example.is_file():
        hint = "run doctor from a swarmstack checkout (it needs examples/triage)"
        return Check("end-to-end", "warn", f"skipped: no {example} here", hint)
    with tempfile.TemporaryDirectory(prefix="swarmstack-doctor-") as folder:
        return _run(example, Path(folder))


def _run(example: Path, folder: Path) -> Check:
    port, key = _free_port(), f"ssk_doctor_{secrets.token_hex(16)}"
    how = HOW.format(spec=example, port=port)
    log = folder / "up.log"
    began = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "swarmstack", "up", "--port", str(port)),
                *_data(folder, example),
            ],
            env=_env(key),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            return _exercise(f"http://127.0.0.1:{port}", key, how, began, proc)
        except Exception as exc:
            tail = log.read_text()[-600:]
            data = {"how": how, "log_tail": tail}
            hint = "run `swarmstack up` yourself and read its output (or --verbose)"
            return Check("end-to-end", "fail", f"{how}: {exc}", hint, data)
        finally:
            _stop(proc)


def _data(folder: Path, example: Path) -> list[str]:
    return ["--data-dir", str(folder / "data"), str(example)]


def _env(key: str) -> dict[str, str]:
    """The caller's environment without settings that point `up` at another store or port."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("SWARMSTACK_", "SWARM_"))}
    drop = ("DATABASE_URL", "REDIS_URL", "DB_HOST", "REDIS_HOST")
    for name in drop:
        keep.pop(name, None)
    return {**keep, "SWARMSTACK_SECURITY__ADMIN_KEY": key}


def _exercise(url: str, key: str, how: str, began: float, proc: subprocess.Popen[bytes]) -> Check:
    ready_s = _wait_ready(url, proc) - began
    sent = time.perf_counter()
    answer = httpx.post(
        f"{url}/api/v1/tasks",
        params={"wait": 10},
        json={"swarm": "triage", "input": INPUT},
        headers={"Authorization": f"Bearer {key}"},
        timeout=20,
    )
    result_s = time.perf_counter() - sent
    task = answer.json()
    data = {
        "how": how,
        "start_to_ready_s": round(ready_s, 3),
        "submit_to_result_s": round(result_s, 3),
        "http_status": answer.status_code,
        "task_status": task.get("status"),
        "result": task.get("result"),
    }
    detail = (
        f"{how}: ready in {ready_s:.2f} s; task {task.get('status')} in {result_s * 1000:.0f} ms "
        f"with result {task.get('result')}"
    )
    if task.get("status") != "succeeded":
        hint = "read the task's error in the JSON record (`--json`)"
        return Check("end-to-end", "fail", detail, hint, {**data, "task": task})
    return Check("end-to-end", "ok", detail, data=data)


def _wait_ready(url: str, proc: subprocess.Popen[bytes]) -> float:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"`swarmstack up` exited with code {proc.returncode}")
        try:
            if httpx.get(f"{url}/ready", timeout=1).status_code == 200:
                return time.perf_counter()
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"not ready within {START_TIMEOUT_S:.0f} s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
