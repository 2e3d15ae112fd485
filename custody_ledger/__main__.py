"""`python -m custody_ledger`: the same command line as the `custody-ledger` script."""

from custody_ledger.cli import main

main()
