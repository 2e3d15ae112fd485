#!/usr/bin/env bash
# Set up (once) and run the whole test suite: lint, types, layer contracts, tests on SQLite and PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/pytest ] || ! .venv/bin/python -c "import custody_ledger" 2>/dev/null; then
  python3 -m venv .venv
  .venv/bin/python -m pip install --quiet --upgrade pip
fi
.venv/bin/python -m pip install --quiet -e '.[dev]'
.venv/bin/ruff check custody_ledger tests bench
.venv/bin/mypy
.venv/bin/lint-imports
.venv/bin/pytest -n 2 "$@"
