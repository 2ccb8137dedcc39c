"""Continuous-time systems, grouped by family; importing a module registers its flows."""
