#!/usr/bin/env bash
# Set up (once) and start Custody Ledger on its embedded default: a SQLite file with demo data.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/custody-ledger ]; then
  python3 -m venv .venv
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e .
fi
# Demo data is anchored on the current time (open holds due in the next hours), so it is made anew
# on every start; point CUSTODY_LEDGER_DB elsewhere for data you keep.
export CUSTODY_LEDGER_DB="${CUSTODY_LEDGER_DB:-demo.db}"
if [ "$CUSTODY_LEDGER_DB" = "demo.db" ]; then
  rm -f demo.db demo.db-wal demo.db-shm
  echo "seeding two years of synthetic 287(g) history into demo.db (about half a minute) ..."
  .venv/bin/custody-ledger seed
fi
.venv/bin/custody-ledger verify
exec .venv/bin/custody-ledger board
