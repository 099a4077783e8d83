"""Enrolled devices and the sync bookkeeping: applied mutations, conflicts (issue 6)."""
