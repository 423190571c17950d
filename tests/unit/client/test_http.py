"""What the CLI says when the URL does not lead to a swarmstack manager, or the key is missing:
real HTTP servers (a static one from the standard library), the client as users run it."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import httpx
import pytest

from swarmstack.client.http import _problem
from tests.unit.cli.test_cli import run

URL_FIX = "check SWARMSTACK_URL / --url (the manager's base URL"


class _Page(http.server.BaseHTTPRequestHandler):
    """Any web server that is not a manager: HTML for every path, 200 at / and 404 elsewhere."""

    def do_GET(self) -> None:
        status = 200 if self.path == "/api/v1/cluster" else 404
        body = b"<html><body><h1>It works</h1></body></html>"
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def web_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("args", "status"),
    [(["status"], 200), (["tasks", "list"], 404), (["tasks", "show", "t_x"], 404)],
)
def test_a_server_that_is_not_a_manager_is_named_as_such(
    web_server: str, args: list[str], status: int
) -> None:
    done = run(*args, "--url", web_server, "--api-key", "k")
    assert done.returncode == 1
    assert (
        f"the server at {web_server} answered HTTP {status} text/html, not like a swarmstack "
        "manager" in done.stderr
    )
    assert URL_FIX in done.stderr
    assert "<html>" not in done.stderr + done.stdout


def test_a_401_without_a_key_says_how_to_set_one() -> None:
    body = b'{"status": 401, "detail": "missing or invalid API key"}'
    response = httpx.Response(
        401, content=body, headers={"content-type": "application/problem+json"}
    )
    error = _problem(response, "http://m", has_key=False)
    assert error.fix is not None and "set SWARMSTACK_API_KEY or pass --api-key" in error.fix
    assert _problem(response, "http://m", has_key=True).fix != error.fix


def test_path_arguments_stay_one_segment() -> None:
    """A name with `/`, `?`, `#` or `%` can never reach another route."""
    from swarmstack.client.http import _seg

    assert _seg("../users/bob/disable?x=") == "..%2Fusers%2Fbob%2Fdisable%3Fx%3D"
    assert _seg("h#x") == "h%23x" and _seg("pc%2Fx") == "pc%252Fx"
