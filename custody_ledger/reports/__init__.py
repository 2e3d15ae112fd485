"""Read-only reports (issue 15): oversight in full, transparency for the public, what-if replay.

Nothing here writes to the ledger. Reports read the ledger's events through a columnar copy kept current
(reports/columnar.py) and name the ledger range and chain head they were computed from.
"""
