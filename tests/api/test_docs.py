"""The front door and the docs pages: served from the package, so they work on a network without internet."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from custody_ledger.api.main import create_app
from custody_ledger.ledger import db
from custody_ledger.settings import Settings

_REFERENCE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|\burl\s*:\s*["']([^"']+)["']""")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """No database is read by these pages: an empty SQLite file is enough."""
    path: Path = tmp_path_factory.mktemp("docs") / "empty.db"
    engine = db.make_engine(f"sqlite:///{path}")
    yield TestClient(create_app(Settings(mfa_required=False, secret_key=secrets.token_hex(20)), engine=engine))
    engine.dispose()


def _references(html: str) -> list[str]:
    return [src or url for src, url in _REFERENCE.findall(html)]


def test_the_front_door_is_the_web_ui_log_in_page(client: TestClient) -> None:
    # Issue 14: the web UI took the front door the docs held until it existed.
    answers = [client.request(method, "/", follow_redirects=False) for method in ("GET", "HEAD")]
    assert [r.status_code for r in answers] == [200, 200]
    assert 'name="password"' in answers[0].text


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_a_docs_page_references_only_assets_of_this_server(client: TestClient, page: str) -> None:
    references = _references(client.get(page).text)
    assert references and [r for r in references if not r.startswith("/") or r.startswith("//")] == []


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_every_asset_a_docs_page_references_is_served_and_not_empty(client: TestClient, page: str) -> None:
    served = {ref: client.get(ref) for ref in _references(client.get(page).text)}
    assert {ref: (r.status_code, len(r.content) > 0) for ref, r in served.items()} == {
        ref: (200, True) for ref in served}


def test_the_docs_pages_are_not_in_the_api_schema(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert [p for p in ("/", "/docs", "/redoc") if p in paths] == []
