"""The web UI: server-rendered pages (Jinja2) with htmx for the live parts, for the people who work holds,
agreements, officers and the ledger all day. Thin like the API: parse, authorize, call app, render."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from . import holds, ledger, public, registry, routes, serve
from .render import HERE, STATIC_URL


def install(app: FastAPI) -> None:
    """Add the pages and their static files (htmx vendored: no CDN at run time) to the application."""
    for module in (routes, holds, serve, registry, ledger, public):
        app.include_router(module.router)
    app.mount(STATIC_URL, StaticFiles(directory=HERE / "static"), name="web-static")
