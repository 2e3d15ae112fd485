"""The browser tests' server and browser: the real application under uvicorn on a free port, in a thread, on a
seeded temporary SQLite database; Debian's Chromium driven by Playwright (never `playwright install`).

Without /usr/bin/chromium the tests skip on a developer's machine and fail in CI (CI=true), like PostgreSQL.
Every page is checked for console errors (a CSP violation is one) and with axe-core (vendored from npm).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from argon2 import PasswordHasher
from sqlalchemy.engine import Engine

from custody_ledger.api.main import create_app
from custody_ledger.app import auth
from custody_ledger.app.admin import open_engine
from custody_ledger.domain.policy import Policy
from custody_ledger.policy import default_policy
from custody_ledger.settings import Settings
from tests.e2e import scene
from tests.support.backends import in_ci

CHROMIUM = os.environ.get("CL_CHROMIUM", "/usr/bin/chromium")
HERE = Path(__file__).parent
SCREENS = HERE / "screens"
AXE = (HERE / "vendor" / "axe.min.js").read_text(encoding="utf-8")
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Site:
    url: str
    engine: Engine
    policy: Policy


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with pytest.MonkeyPatch.context() as patch:
        # argon2id still, at its lightest: six log-ins per test would otherwise cost seconds of CPU.
        patch.setattr(auth, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        url = f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'web.db'}"
        engine = open_engine(url)
        policy = default_policy()
        scene.build(engine, policy)
        settings = Settings(db=url, mfa_required=False, secret_key="e2e-" + "k" * 40)
        port = _free_port()
        server = uvicorn.Server(uvicorn.Config(create_app(settings, engine, policy), host="127.0.0.1", port=port,
                                               log_level="warning", lifespan="off"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            if time.monotonic() > deadline:
                pytest.fail("the web server did not start within 20 s")
            time.sleep(0.05)
        yield Site(f"http://127.0.0.1:{port}", engine, policy)
        server.should_exit = True
        thread.join(timeout=10)
        engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        message = f"Chromium is required for the browser tests and is missing at {CHROMIUM} (apt-get install chromium)"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message + "; set CI=true to make this a failure")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking"])
        yield chromium
        chromium.close()


@dataclass
class Tab:
    """One browser tab of one user, collecting console errors; `check` runs axe and saves screenshots."""

    page: Any
    site: Site
    errors: list[str] = field(default_factory=list)

    def go(self, path: str) -> Any:
        return self.page.goto(self.site.url + path)

    def login(self, user: str) -> None:
        self.go("/")
        self.page.fill("#username", user)
        self.page.fill("#password", scene.PASSWORD)
        self.page.click("form.login button")
        self.page.wait_for_url(lambda url: "/ui/" in url)

    def axe(self) -> list[dict[str, Any]]:
        # Evaluated through the debugging protocol, which the page's CSP does not govern: the page itself still
        # loads nothing inline.
        if not self.page.evaluate("typeof window.axe !== 'undefined'"):
            self.page.evaluate(AXE)
        result: dict[str, Any] = self.page.evaluate(
            "async () => await axe.run(document, {resultTypes: ['violations']})")
        return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]

    def check(self, name: str) -> None:
        """No serious or critical axe violation at desktop and phone width; a screenshot of each."""
        SCREENS.mkdir(exist_ok=True)
        for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
            self.page.set_viewport_size(size)
            found = self.axe()
            assert found == [], [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in found]
            self.page.screenshot(path=str(SCREENS / f"{name}-{label}.png"), full_page=True)
        self.page.set_viewport_size(DESKTOP)


@pytest.fixture
def tab(browser: Any, site: Site) -> Iterator[Tab]:
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(10_000)
    current = Tab(page, site)
    page.on("console", lambda msg: current.errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: current.errors.append(str(exc)))
    yield current
    context.close()
    # DESIGN.md: a browser test fails on any console error (a refused inline script or style is one).
    assert [e for e in current.errors if "status of 4" not in e] == []
