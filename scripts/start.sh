#!/usr/bin/env bash
# Set up (once) and start Custody Ledger on its embedded default: a SQLite file with demo data, the web UI
# at http://127.0.0.1:8000/ and the HTTP API (docs at /docs) with its watchdog, and one demo log-in per role.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/custody-ledger ] || ! .venv/bin/python -c "import fastapi" 2>/dev/null; then
  python3 -m venv .venv
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e .
fi
# Demo data is anchored on the current time (open holds due in the next hours), so it is made anew
# on every start; point CUSTODY_LEDGER_DB elsewhere for data you keep.
# The CLI reads custody_ledger.db unless told otherwise: this line, printed first, makes it read the demo.
export CUSTODY_LEDGER_DB="${CUSTODY_LEDGER_DB:-$PWD/demo.db}"
echo "To use the command line on this database, run first:"
echo "  export CUSTODY_LEDGER_DB=$CUSTODY_LEDGER_DB"
if [ "$CUSTODY_LEDGER_DB" = "$PWD/demo.db" ]; then
  rm -f demo.db demo.db-wal demo.db-shm demo.db.watch.lock demo.db.reports.duckdb demo.db.reports.duckdb.*
  .venv/bin/custody-ledger init
  echo "seeding two years of synthetic 287(g) history into demo.db (about half a minute) ..."
  .venv/bin/custody-ledger seed
fi
.venv/bin/custody-ledger verify
.venv/bin/custody-ledger demo-accounts
echo "Open the web UI at http://127.0.0.1:${PORT:-8000}/ and log in with one of the accounts above"
echo "(records: holds board; wso: serve a warrant; supervisor: holds and alerts; admin: agreements; auditor: ledger)."
# The demo turns the second factor off so the published log-ins work; production refuses that.
export CUSTODY_LEDGER_MFA_REQUIRED="${CUSTODY_LEDGER_MFA_REQUIRED:-false}"
exec .venv/bin/custody-ledger serve --host 127.0.0.1 --port "${PORT:-8000}"
