"""The peer of the throughput benchmark: a bare Starlette endpoint that parses the same body.

It does what any JSON endpoint must (parse the request, answer JSON) and nothing else: no
store, no queue, no worker. swarmstack's end-to-end task rate is quoted as a ratio of its rate.
"""

from __future__ import annotations

import itertools

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

_ids = itertools.count()


async def submit(request: Request) -> JSONResponse:
    body = await request.json()
    return JSONResponse({"id": f"t_{next(_ids)}", "status": "queued", "input": body}, 202)


app = Starlette(routes=[Route("/api/v1/tasks", submit, methods=["POST"])])
