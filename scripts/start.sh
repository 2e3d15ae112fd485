#!/usr/bin/env bash
# Set up (once) and start Custody Ledger on its embedded default: a SQLite file with demo data.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/custody-ledger ]; then
  python3 -m venv .venv
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e .
fi
export CUSTODY_LEDGER_DB="${CUSTODY_LEDGER_DB:-demo.db}"
if [ ! -s "$CUSTODY_LEDGER_DB" ]; then
  echo "seeding demo data into $CUSTODY_LEDGER_DB (about a minute) ..."
  .venv/bin/custody-ledger seed
fi
.venv/bin/custody-ledger verify
exec .venv/bin/custody-ledger board
