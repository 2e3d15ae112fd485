"""The front door and the API's documentation pages, with Swagger UI and ReDoc served from the package.

The assets are vendored (api/static/README.md names their versions and licenses) so the pages work on a
network without internet; the pages reference no other host.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
STATIC_URL = "/static/docs"
TITLE = "Custody Ledger"

router = APIRouter(include_in_schema=False)


def static_files() -> StaticFiles:
    """Mounted at STATIC_URL by create_app."""
    return StaticFiles(directory=STATIC_DIR)


@router.get("/docs")
def swagger_ui() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/openapi.json", title=f"{TITLE} — API",
        swagger_js_url=f"{STATIC_URL}/swagger-ui/swagger-ui-bundle.js",
        swagger_css_url=f"{STATIC_URL}/swagger-ui/swagger-ui.css",
        swagger_favicon_url=f"{STATIC_URL}/swagger-ui/favicon-32x32.png",
        # No call to validator.swagger.io from an offline network.
        swagger_ui_parameters={"validatorUrl": None},
    )


@router.get("/redoc")
def redoc() -> HTMLResponse:
    return get_redoc_html(openapi_url="/openapi.json", title=f"{TITLE} — API reference",
                          redoc_js_url=f"{STATIC_URL}/redoc/redoc.standalone.js",
                          redoc_favicon_url=f"{STATIC_URL}/swagger-ui/favicon-32x32.png", with_google_fonts=False)
