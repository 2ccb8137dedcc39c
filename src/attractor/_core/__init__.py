"""Shared machinery: result codes, errors, input validation, norms and solver lookup.

Every front end (equilibrium, ode, sde, cde, games, ...) uses these pieces so that
status codes, error messages and per-sample bookkeeping look the same everywhere.
"""

from attractor._core.errors import ConvergenceError
from attractor._core.status import Status, status_names

__all__ = ["ConvergenceError", "Status", "status_names"]
