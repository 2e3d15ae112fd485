"""A fresh, migrated SQLite database for each example of a hypothesis state machine.

The schema is migrated once per process into a template (tests/support/backends.py); every example
copies it, runs commands through the real write path, and deletes its copy when it ends. Files go
to /dev/shm when there is one: the write path syncs every commit, and a state machine makes hundreds.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import uuid
from functools import cache
from pathlib import Path

from sqlalchemy.engine import Engine

from custody_ledger.ledger import db

from .backends import SqliteTemplate


@cache
def _template() -> SqliteTemplate:
    shm = Path("/dev/shm")
    folder = Path(tempfile.mkdtemp(prefix="cl-machines-", dir=shm if shm.is_dir() else None))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return SqliteTemplate(folder)


class ScratchDatabase:
    """One example's database: `engine` to run commands on, `close()` to dispose of it and its files."""

    def __init__(self) -> None:
        template = _template()
        self.path = template.path.with_name(f"example_{uuid.uuid4().hex[:10]}.db")
        shutil.copyfile(template.path, self.path)
        self.engine: Engine = db.make_engine(str(self.path))

    def close(self) -> None:
        self.engine.dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)
