"""Batched linear solvers on matvec closures: GMRES, BiCGStab, CG and dense LU.

Every routine takes ``matvec(v) -> A v`` on tensors shaped like ``b`` (leading batch
dimensions, samples independent), and returns a :class:`LinearSolution` with the solution and
per-sample ``status``, ``iterations`` and ``residual``::

    sol = attractor.linalg.gmres(lambda v: v - 0.5 * torch.tanh(v), b, tol=1e-8)
    sol.x, sol.status, sol.iterations, sol.residual
"""

from attractor.linalg._result import LinearSolution
from attractor.linalg.bicgstab import bicgstab
from attractor.linalg.cg import cg
from attractor.linalg.dense import dense_solve, materialize
from attractor.linalg.gmres import gmres
from attractor.linalg.scan import affine_scan, associative_scan

__all__ = ["LinearSolution", "affine_scan", "associative_scan", "bicgstab", "cg", "dense_solve", "gmres", "materialize"]
