"""Parallel-in-time evaluation of recurrences: ``parallel_recurrence`` and its solvers.

The trajectory of ``s_t = f(s_{t-1}, x_t)`` is a root problem over all ``T`` states; these
solvers find it by iterations that each cost one evaluation of ``f`` at every step at once and
one parallel scan, driven by the equilibrium package's one loop (per-sample status, freezing
of converged samples, failure detection).
"""

from attractor.equilibrium.recurrence._linearized import (
    DEER,
    Jacobi,
    LinearizedSolver,
    Picard,
    QuasiDEER,
)
from attractor.equilibrium.recurrence.elk import ELK
from attractor.equilibrium.recurrence.parallel_recurrence import METHODS, parallel_recurrence

__all__ = ["DEER", "ELK", "METHODS", "Jacobi", "LinearizedSolver", "Picard", "QuasiDEER", "parallel_recurrence"]
