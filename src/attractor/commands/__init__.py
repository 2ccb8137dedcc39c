"""Sub-commands of the ``attractor`` CLI, one module each."""
