"""Conjugate gradients for batches of symmetric positive-definite systems."""

from __future__ import annotations

from typing import Any

import torch

from attractor._core.status import Status
from attractor.linalg._batch import row_dot, safe_divide
from attractor.linalg._problem import LinearProblem, Progress, max_iterations
from attractor.linalg._result import LinearSolution


def cg(
    matvec: Any,
    b: torch.Tensor,
    x0: torch.Tensor | None = None,
    *,
    tol: Any = None,
    atol: float = 0.0,
    max_iters: int | None = None,
    batch_ndim: int | None = None,
) -> LinearSolution:
    r"""Solve ``A x = b`` per sample by conjugate gradients (Hestenes & Stiefel 1952).

    For symmetric positive-definite ``A``:

    .. math::
        \alpha_k = \frac{r_k^\top r_k}{p_k^\top A p_k},\quad
        x_{k+1} = x_k + \alpha_k p_k,\quad r_{k+1} = r_k - \alpha_k A p_k,\quad
        p_{k+1} = r_{k+1} + \frac{r_{k+1}^\top r_{k+1}}{r_k^\top r_k} p_k .

    A sample stops when ``||r|| <= max(tol ||b||, atol)``; a non-positive curvature
    :math:`p^\top A p \le 0` (``A`` not positive definite) stops it with status ``BREAKDOWN``.
    Arguments and result are those of :func:`attractor.linalg.gmres` (without ``restart``).
    """
    prob = LinearProblem(matvec, b, x0, tol=tol, atol=atol, batch_ndim=batch_ndim)
    max_iters = max_iterations(max_iters, prob.b.shape[1])
    x = prob.initial_guess()
    r = prob.b if prob.x0 is None else prob.b - prob.matvec(x)
    rr = row_dot(r, r)
    progress = Progress(rr.sqrt(), prob.threshold)
    p = r
    for _ in range(max_iters):
        if not progress.running():
            break
        Ap = prob.matvec(p)
        curvature = row_dot(p, Ap)
        progress.fail(curvature <= 0, Status.BREAKDOWN)
        alpha = torch.where(progress.active, safe_divide(rr, curvature), torch.zeros_like(rr))
        x = x + alpha[:, None] * p
        r = r - alpha[:, None] * Ap
        rr_next = row_dot(r, r)
        progress.record(rr_next.sqrt())
        p = r + safe_divide(rr_next, rr)[:, None] * p
        rr = rr_next
    return prob.solution(x, progress.status, progress.iterations, progress.residual)
