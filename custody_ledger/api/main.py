"""The FastAPI application: `create_app` wires settings, database, policy and clock into the routers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from fastapi import FastAPI
from sqlalchemy.engine import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from custody_ledger.app.admin import open_engine
from custody_ledger.domain.policy import Policy
from custody_ledger.policy import load_policy
from custody_ledger.settings import Settings, check_production, load_settings

from . import errors
from .routers import auth, commands, docs, reads


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
    errors.install(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    for module in (docs, auth, reads, commands):
        app.include_router(module.router)
    app.mount(docs.STATIC_URL, docs.static_files(), name="docs-static")
    return app


class BodyLimit:
    """Refuse bodies over the limit (413) by their declared length, or while a chunked body streams in."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        if not declared.isdigit() or int(declared) > self.max_bytes:
            response = errors.problem({"kind": "too_large", "message": f"request body exceeds {self.max_bytes} bytes"})
            await response(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise errors.BodyTooLarge(self.max_bytes)
            return message

        await self.app(scope, counted, send)
