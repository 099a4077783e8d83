"""The sync simulator's parts: setup and checks, faults, simulated devices."""
