"""Data in and out of the product: ICE's public lists (ice_agreements.py), exports (export.py). Every write goes
through app.execute; nothing here opens a transaction of its own."""
