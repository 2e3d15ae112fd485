from custody_ledger.cli import main

main()
