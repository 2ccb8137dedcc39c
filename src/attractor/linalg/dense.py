"""Dense batched solves: materialise the per-sample matrices of a matvec, then LU."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from attractor._core import small_linalg
from attractor._core.status import Status
from attractor.linalg._problem import LinearProblem
from attractor.linalg._result import LinearSolution


def materialize(
    apply: Callable[[torch.Tensor], torch.Tensor], batch: int, n: int, like: torch.Tensor
) -> torch.Tensor:
    """The ``(B, n, n)`` matrices of a block-diagonal linear map on ``(B, n)`` batches.

    ``apply(E_i)``, with ``E_i`` the ``i``-th unit vector repeated for every sample, is column
    ``i`` of every sample's matrix. All ``n`` columns are computed in one vectorised call
    (``torch.func.vmap``); maps that vmap cannot batch fall back to ``n`` separate calls.
    """
    eye = torch.eye(n, dtype=like.dtype, device=like.device)
    basis = eye.unsqueeze(1).expand(n, batch, n)
    try:
        columns = torch.func.vmap(apply)(basis)
    except (RuntimeError, NotImplementedError, ValueError):  # ops without batching rules
        columns = torch.stack([apply(basis[i]) for i in range(n)])
    # (a 0-d complex64 state meets Python scalars as 0-d float64 tensors under vmap/jvp, which
    # promotes the columns to complex128: the matrix keeps the state's dtype)
    return columns.permute(1, 2, 0).to(like.dtype)


def dense_solve(
    matvec: Any,
    b: torch.Tensor,
    *,
    tol: Any = None,
    atol: float = 0.0,
    batch_ndim: int | None = None,
) -> LinearSolution:
    """Solve ``A x = b`` per sample by building each ``A`` (``n`` matvecs, vectorised) and LU.

    For small systems (up to a few hundred unknowns) this is exact and often faster than a
    Krylov method. ``residual`` is the true ``||b - A x||``; ``status`` is ``SUCCESS`` when it
    is at most ``max(tol ||b||, atol)`` and ``LINEAR_SOLVE_FAILED`` otherwise (singular or
    badly conditioned matrices). ``iterations`` is ``n`` (the matvecs used).
    """
    prob = LinearProblem(matvec, b, None, tol=tol, atol=atol, batch_ndim=batch_ndim)
    batch, n = prob.b.shape
    A = materialize(prob.matvec, batch, n, prob.b)
    prob.matvecs = n
    x, info = small_linalg.solve_ex(A, prob.b.unsqueeze(2))
    x = x.squeeze(2)
    residual = torch.linalg.vector_norm(prob.b - torch.bmm(A, x.unsqueeze(2)).squeeze(2), dim=1)
    solved = (info == 0) & (residual <= prob.threshold)
    status = torch.where(solved, int(Status.SUCCESS), int(Status.LINEAR_SOLVE_FAILED))
    return prob.solution(x, status, torch.full_like(status, n), residual)
