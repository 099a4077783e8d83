"""Demo data builders: deterministic (seeded), loaded by `make run` and `seed-demo`."""
