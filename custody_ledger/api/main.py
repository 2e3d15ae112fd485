"""The FastAPI application: `create_app` wires settings, database, policy and clock into the routers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

from fastapi import FastAPI
from sqlalchemy.engine import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from custody_ledger import web
from custody_ledger.app.admin import open_engine
from custody_ledger.app.auth import LoginThrottle
from custody_ledger.domain.policy import Policy
from custody_ledger.policy import load_policy
from custody_ledger.settings import Settings, check_production, load_settings

from . import errors
from .routers import auth, commands, docs, interop, reads


def _utc_now() -> datetime:
    return datetime.now(UTC)


def create_app(settings: Settings | None = None, engine: Engine | None = None, policy: Policy | None = None,
               clock: Callable[[], datetime] | None = None) -> FastAPI:
    """Refuses to build (SettingsError) when production settings are unsafe."""
    settings = settings or load_settings()
    check_production(settings)
    app = FastAPI(title="Custody Ledger", version="0.1.0", responses=errors.PROBLEM_RESPONSES,
                  docs_url=None, redoc_url=None,  # served by routers/docs.py from vendored assets
                  description="Records, rules and oversight of the 287(g) program. Every write is a command of "
                              "the vocabulary; every error is RFC 9457 problem details.")
    app.state.settings = settings
    app.state.engine = engine if engine is not None else open_engine(settings.db)
    app.state.policy = policy or load_policy(settings.policy_file)
    app.state.clock = clock or _utc_now
    app.state.login_throttle = LoginThrottle()
    errors.install(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes, import_bytes=settings.max_import_bytes)
    app.add_middleware(BodyTimeout, seconds=settings.body_timeout_seconds)
    app.add_middleware(NoStore, prefixes=NO_STORE_PREFIXES)
    for module in (docs, auth, reads, commands, interop):
        app.include_router(module.router)
    app.mount(docs.STATIC_URL, docs.static_files(), name="docs-static")
    web.install(app)  # the pages people work in (web/): the log-in page at /
    return app


class BodyLimit:
    """Refuse bodies over the limit (413) by their declared length, or while a chunked body streams in."""

    def __init__(self, app: ASGIApp, max_bytes: int, import_bytes: int | None = None) -> None:
        self.app, self.max_bytes = app, max_bytes
        self.import_bytes = max_bytes if import_bytes is None else import_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # A file upload (an edition of ICE's list) is larger than any command body.
        limit = self.import_bytes if str(scope.get("path", "")).startswith("/imports/") else self.max_bytes
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        if not declared.isdigit() or int(declared) > limit:
            response = errors.problem({"kind": "too_large", "message": f"request body exceeds {limit} bytes"})
            await response(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise errors.BodyTooLarge(limit)
            return message

        await self.app(scope, counted, send)


class BodyTimeout:
    """A body must arrive in full within `seconds` of the first read, or the request is answered 408 and the
    connection closed: uvicorn's keep-alive timeout does not cover a body that trickles or never ends."""

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app, self.seconds = app, seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        deadline: float | None = None
        complete = False

        async def timed() -> Message:
            nonlocal deadline, complete
            if complete:  # after the body only a disconnect can come, and waiting for it is no one's cost
                return await receive()
            loop = asyncio.get_running_loop()
            if deadline is None:
                deadline = loop.time() + self.seconds
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline - loop.time()))
            except TimeoutError:
                raise errors.BodyTimeout(self.seconds) from None
            complete = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        await self.app(scope, timed, send)


# Routes whose answers carry a person's records, the access log, or a session token: never kept by a cache.
NO_STORE_PREFIXES = ("/bookings", "/warrants", "/holds", "/alerts", "/events", "/persons", "/access-log", "/auth",
                     "/exports", "/imports")


class NoStore:
    """Cache-Control: no-store on every answer (errors too) of a route under one of the prefixes."""

    def __init__(self, app: ASGIApp, prefixes: tuple[str, ...]) -> None:
        self.app, self.prefixes = app, prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not any(path == p or path.startswith(p + "/") for p in self.prefixes):
            await self.app(scope, receive, send)
            return

        async def no_store(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control"]
                message = {**message, "headers": [*headers, (b"cache-control", b"no-store")]}
            await send(message)

        await self.app(scope, receive, no_store)
