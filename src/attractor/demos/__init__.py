"""Parts of ``attractor demo``: each module provides ``TITLE`` and ``run(quick: bool) -> dict``.

``run`` does its work (showing a progress bar for anything long) and returns a flat dict of
figures for the report. ``PARTS`` lists the modules in the order the demo runs them.
"""

PARTS = [
    "deq_digits",
    "neural_ode_spiral",
    "chaos_invariants",
    "game_equilibria",
    "transport_flow_matching",
    "dsr_reconstruction",
]
