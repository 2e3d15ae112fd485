from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from custody_ledger.domain.policy import Policy
from custody_ledger.ledger import db
from custody_ledger.policy import default_policy
from tests.support.backends import PostgresTemplate, SqliteTemplate


@pytest.fixture(scope="session", autouse=True)
def report_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The reports' copies of PostgreSQL test databases go to a temporary cache folder, not the user's."""
    folder = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(folder))
        yield folder


@pytest.fixture(scope="session")
def policy() -> Policy:
    return default_policy()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> SqliteTemplate:
    return SqliteTemplate(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(scope="session")
def postgresql_template() -> Iterator[PostgresTemplate]:
    template = PostgresTemplate()
    yield template
    template.drop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database of each backend: the same test runs on both."""
    template: Any = request.getfixturevalue(f"{request.param}_template")
    with template.copy(tmp_path) as url:
        yield url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = db.make_engine(db_url)
    yield eng
    eng.dispose()
