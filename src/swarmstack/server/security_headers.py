"""Security headers on every response, and CORS only when origins are configured.

`create_app` wraps the whole application in `SecurityHeaders` (outside even the handler of
unexpected errors, so a 500 carries the headers too) and adds `cors()` when
`server.cors_origins` lists origins. A header a route sets itself is kept.

- every response: `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`,
  `X-Frame-Options: DENY`, and a `Content-Security-Policy` that lets a browser load nothing
  (`default-src 'none'`) and frame nothing;
- the Swagger UI and ReDoc pages get a policy that loads their scripts and styles from the CDN
  FastAPI takes them from, runs only the page's own inline scripts (by hash), and connects only
  back to this server;
- the web console (`/console`): a policy that loads scripts, styles, images and connections
  from this origin only ('self': no inline script or style, no CDN, no eval), posts forms only
  here, and is never framed; `Referrer-Policy: same-origin` there, because under `no-referrer`
  browsers send `Origin: null` with form posts and the console checks that header (CSRF);
- `/api/` and console page responses: `Cache-Control: no-store` (tasks' inputs and results,
  keys, tokens); the console's static files may be cached;
- with TLS on: `Strict-Transport-Security: max-age=31536000`.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COMMON = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}
API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
CONSOLE_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)
CONSOLE = "/console"
HSTS = "max-age=31536000"
CDN = "https://cdn.jsdelivr.net"  # where FastAPI's Swagger UI and ReDoc pages load from
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)

# What a browser calling the API from another origin may send and read.
CORS_HEADERS = [
    "Authorization",
    "Content-Type",
    "Idempotency-Key",
    "Last-Event-ID",
    "X-Swarm-Version",
]
CORS_EXPOSED = ["Location", "Retry-After", "RateLimit", "RateLimit-Policy"]


class SecurityHeaders:
    """Pure ASGI: add the headers above to every HTTP response start."""

    def __init__(self, app: ASGIApp, *, hsts: bool, pages: Mapping[str, str]) -> None:
        self.app = app
        self.hsts = hsts
        self.pages = pages  # path -> Content-Security-Policy of the documentation pages

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        console = path == CONSOLE or path.startswith(CONSOLE + "/")
        policy = CONSOLE_POLICY if console else self.pages.get(path, API_POLICY)
        no_store = path.startswith("/api/") or (
            console and not path.startswith(CONSOLE + "/static/")
        )

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if console:  # with no-referrer, browsers post forms with `Origin: null`
                    headers.setdefault("referrer-policy", "same-origin")
                for name, value in COMMON.items():
                    headers.setdefault(name, value)
                headers.setdefault("content-security-policy", policy)
                if no_store:
                    headers.setdefault("cache-control", "no-store")
                if self.hsts:
                    headers.setdefault("strict-transport-security", HSTS)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def docs_policies(app: FastAPI) -> dict[str, str]:
    """The Content-Security-Policy of each documentation page `app` serves, by path.

    The inline scripts are hashed from FastAPI's own page generators with the app's settings,
    so the policy names exactly the scripts those pages hold (served without a root path)."""
    paths: list[str] = []
    scripts = ""
    if app.docs_url and app.openapi_url:
        paths.append(app.docs_url)
        scripts = bytes(
            get_swagger_ui_html(
                openapi_url=app.openapi_url,
                title=f"{app.title} - Swagger UI",
                oauth2_redirect_url=app.swagger_ui_oauth2_redirect_url,
                init_oauth=app.swagger_ui_init_oauth,
                swagger_ui_parameters=app.swagger_ui_parameters,
            ).body
        ).decode()
        if app.swagger_ui_oauth2_redirect_url:
            paths.append(app.swagger_ui_oauth2_redirect_url)
            scripts += bytes(get_swagger_ui_oauth2_redirect_html().body).decode()
    if app.redoc_url and app.openapi_url:
        paths.append(app.redoc_url)
    return dict.fromkeys(paths, docs_policy(_INLINE_SCRIPT.findall(scripts)))


def docs_policy(inline_scripts: list[str]) -> str:
    """A policy for a documentation page whose inline scripts are `inline_scripts`."""
    hashes = " ".join(f"'{script_hash(s)}'" for s in inline_scripts)
    return "; ".join(
        [
            "default-src 'none'",
            f"script-src {CDN} {hashes}".rstrip(),
            f"style-src {CDN} https://fonts.googleapis.com 'unsafe-inline'",
            "font-src https://fonts.gstatic.com",
            "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly",
            "connect-src 'self'",
            "worker-src blob:",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'self'",
        ]
    )


def script_hash(script: str) -> str:
    """A CSP source expression for one inline script: `sha256-<base64 of its digest>`."""
    digest = hashlib.sha256(script.encode()).digest()
    return "sha256-" + base64.b64encode(digest).decode()


def cors(origins: list[str]) -> Middleware:
    """Starlette's CORS middleware for `origins`: bearer credentials (no cookies), the
    request headers the API reads, and the response headers a client needs to read."""
    return Middleware(
        CORSMiddleware,
        allow_origins=origins,
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        allow_headers=CORS_HEADERS,
        expose_headers=CORS_EXPOSED,
        allow_credentials=False,
        max_age=600,
    )
