"""BiCGStab for batches of non-symmetric systems."""

from __future__ import annotations

from typing import Any

import torch

from attractor._core.status import Status
from attractor.linalg._batch import row_dot, safe_divide
from attractor.linalg._problem import LinearProblem, Progress, max_iterations
from attractor.linalg._result import LinearSolution


def bicgstab(
    matvec: Any,
    b: torch.Tensor,
    x0: torch.Tensor | None = None,
    *,
    tol: Any = None,
    atol: float = 0.0,
    max_iters: int | None = None,
    batch_ndim: int | None = None,
) -> LinearSolution:
    r"""Solve ``A x = b`` per sample by BiCGStab (van der Vorst 1992).

    With the shadow residual :math:`\hat r = r_0`, each iteration (two matvecs) is

    .. math::
        \rho_k = \hat r^\top r_k,\quad
        p_k = r_k + \tfrac{\rho_k}{\rho_{k-1}}\tfrac{\alpha_{k-1}}{\omega_{k-1}}(p_{k-1} - \omega_{k-1} v_{k-1}),\quad
        v_k = A p_k,\quad \alpha_k = \rho_k / \hat r^\top v_k,\\
        s = r_k - \alpha_k v_k,\quad t = A s,\quad \omega_k = t^\top s / t^\top t,\quad
        x_{k+1} = x_k + \alpha_k p_k + \omega_k s,\quad r_{k+1} = s - \omega_k t .

    A sample that meets the tolerance at the half step ``s`` stops there. Vanishing
    :math:`\rho`, :math:`\hat r^\top v` or :math:`\omega` stops it with status ``BREAKDOWN``.
    Arguments and result are those of :func:`attractor.linalg.gmres` (without ``restart``);
    ``iterations`` counts full iterations.
    """
    prob = LinearProblem(matvec, b, x0, tol=tol, atol=atol, batch_ndim=batch_ndim)
    max_iters = max_iterations(max_iters, prob.b.shape[1])
    x = prob.initial_guess()
    r = prob.b if prob.x0 is None else prob.b - prob.matvec(x)
    progress = Progress(torch.linalg.vector_norm(r, dim=1), prob.threshold)
    shadow = r
    tiny = torch.finfo(r.dtype).tiny
    rho = alpha = omega = torch.ones_like(progress.residual)
    p = v = torch.zeros_like(r)
    for _ in range(max_iters):
        if not progress.running():
            break
        rho_next = row_dot(shadow, r)
        progress.fail(rho_next.abs() <= tiny, Status.BREAKDOWN)
        beta = safe_divide(rho_next * alpha, rho * omega)
        p = r + beta[:, None] * (p - omega[:, None] * v)
        v = prob.matvec(p)
        denom = row_dot(shadow, v)
        progress.fail(denom.abs() <= tiny, Status.BREAKDOWN)
        alpha = torch.where(progress.active, safe_divide(rho_next, denom), torch.zeros_like(rho))
        s = r - alpha[:, None] * v
        x = x + alpha[:, None] * p
        half_done = progress.record(torch.linalg.vector_norm(s, dim=1))
        t = prob.matvec(s)
        omega = torch.where(
            progress.active, safe_divide(row_dot(t, s), row_dot(t, t)), torch.zeros_like(rho)
        )
        progress.fail(progress.active & (omega == 0), Status.BREAKDOWN)
        x = x + omega[:, None] * s
        r = torch.where(half_done[:, None], s, s - omega[:, None] * t)
        progress.record(torch.linalg.vector_norm(r, dim=1), count=False)
        rho = rho_next
    return prob.solution(x, progress.status, progress.iterations, progress.residual)
