"""Supplies: catalog, stock-holding locations, the stock ledger, requisitions, loans (issue 5)."""
