"""Restarted GMRES for batches of linear systems given by a matvec."""

from __future__ import annotations

from typing import Any

import torch

from attractor._core import small_linalg
from attractor._core.status import Status, new_status
from attractor._core.validation import check_int
from attractor.linalg._batch import combine, project, safe_divide
from attractor.linalg._krylov_basis import KrylovBasis
from attractor.linalg._problem import LinearProblem, max_iterations
from attractor.linalg._result import LinearSolution


def gmres(
    matvec: Any,
    b: torch.Tensor,
    x0: torch.Tensor | None = None,
    *,
    tol: Any = None,
    atol: float = 0.0,
    restart: int = 20,
    max_iters: int | None = None,
    batch_ndim: int | None = None,
) -> LinearSolution:
    r"""Solve ``A x = b`` per sample with restarted GMRES (Saad & Schultz 1986).

    Each cycle builds an orthonormal basis :math:`V_k` of the Krylov space
    :math:`\mathcal K_k(A, r_0) = \mathrm{span}\{r_0, A r_0, \dots, A^{k-1} r_0\}` by Arnoldi
    (classical Gram--Schmidt applied twice, which is as stable as modified Gram--Schmidt and
    vectorises over the batch), giving :math:`A V_k = V_{k+1} \bar H_k`, and picks

    .. math:: x_k = x_0 + V_k y_k, \qquad y_k = \arg\min_y \big\| \beta e_1 - \bar H_k y \big\|_2,
              \quad \beta = \|r_0\|.

    The least-squares problem is kept in triangular form by Givens rotations, whose accumulated
    product also gives the residual norm :math:`\|b - A x_k\|` at every step for free. After
    ``restart`` steps the cycle restarts from the current iterate.

    Everything is per sample: each sample stops at the first step where
    ``||b - A x|| <= max(tol * ||b||, atol)`` and later steps do not change it, so a batch gives
    the same answers as its samples solved one by one.

    Parameters
    ----------
    matvec:
        ``v -> A v`` on tensors shaped like ``b`` (samples must not interact).
    b:
        Right-hand sides with leading batch dimensions (see ``batch_ndim``).
    x0:
        Initial guess (default zeros).
    tol, atol:
        Relative and absolute tolerances; ``tol`` may also be a per-sample tensor.
        ``tol=None`` uses the dtype default (1e-5 for float32, 1e-10 for float64).
    restart:
        Krylov dimension per cycle.
    max_iters:
        Total Arnoldi steps (matvecs, not counting restarts). Default ``min(10 n, 1000)``.
    batch_ndim:
        Number of leading batch dimensions (default 1 when ``b.dim() >= 2``, else 0).

    Returns
    -------
    LinearSolution with ``x``, per-sample ``status`` (SUCCESS, MAX_STEPS, NONFINITE, BREAKDOWN),
    ``iterations`` and ``residual``.
    """
    prob = LinearProblem(matvec, b, x0, tol=tol, atol=atol, batch_ndim=batch_ndim)
    restart = check_int("restart", restart, minimum=1)
    batch, n = prob.b.shape
    max_iters = max_iterations(max_iters, n)
    cycle_len = min(restart, n)

    x = prob.initial_guess()
    r = prob.b if prob.x0 is None else prob.b - prob.matvec(x)
    beta = torch.linalg.vector_norm(r, dim=1)
    residual = beta
    status = new_status((batch,), device=b.device)
    status = torch.where(beta <= prob.threshold, int(Status.SUCCESS), status)
    status = torch.where(torch.isfinite(beta), status, int(Status.NONFINITE))
    active = status == int(Status.MAX_STEPS)
    iterations = torch.zeros(batch, dtype=torch.long, device=b.device)

    done = 0
    while done < max_iters and bool(active.any()):
        steps = min(cycle_len, max_iters - done)
        cycle = _Cycle(prob, r, beta, active, steps)
        done += cycle.run()
        x = cycle.update(x)
        iterations = iterations + cycle.used
        status = torch.where(cycle.failed, cycle.failure_code, status)
        active = active & ~cycle.failed
        if bool((cycle.converged | ~active).all()):
            # every sample met the tolerance by the recursive estimate: no need for a true residual
            residual = torch.where(active, cycle.residual, residual)
            status = torch.where(active, int(Status.SUCCESS), status)
            active = torch.zeros_like(active)
            break
        r = prob.b - prob.matvec(x)
        beta = torch.linalg.vector_norm(r, dim=1)
        residual = torch.where(active, beta, residual)
        converged = active & (beta <= prob.threshold)
        status = torch.where(converged, int(Status.SUCCESS), status)
        active = active & ~converged
    return prob.solution(x, status, iterations, residual)


class _Cycle:
    """One GMRES cycle (up to ``steps`` Arnoldi steps) for the samples in ``active``."""

    def __init__(
        self,
        prob: LinearProblem,
        r: torch.Tensor,
        beta: torch.Tensor,
        active: torch.Tensor,
        steps: int,
    ) -> None:
        self.prob, self.beta, self.steps = prob, beta, steps
        self.running = active
        self.basis = KrylovBasis(safe_divide(r, beta[:, None]), steps + 1)
        batch = r.shape[0]
        self.eye = torch.eye(steps + 1, dtype=r.dtype, device=r.device)
        # rows of Q^T, the accumulated Givens rotations: Q^T Hbar_k = R_k (upper triangular)
        self.q_rows = [self.eye[0].expand(batch, -1)]
        self.r_cols: list[torch.Tensor] = []
        self.used = torch.zeros(batch, dtype=torch.long, device=r.device)
        self.residual = beta
        self.converged = torch.zeros_like(active)
        self.failed = torch.zeros_like(active)
        self.failure_code = torch.full_like(self.used, int(Status.MAX_STEPS))

    def run(self) -> int:
        """Arnoldi + Givens steps until every running sample converged; returns steps taken."""
        threshold = self.prob.threshold
        for k in range(self.steps):
            h, h_next = self._arnoldi(k)
            self._rotate(k, h, h_next)
            estimate = (self.beta * self.q_rows[k + 1][:, 0]).abs()
            self.residual = torch.where(self.running, estimate, self.residual)
            nonfinite = self.running & ~torch.isfinite(estimate)
            newly = self.running & (estimate <= threshold)
            self.used = torch.where(self.running & ~nonfinite, k + 1, self.used)
            self.converged = self.converged | newly
            self.failed = self.failed | nonfinite
            self.failure_code = torch.where(nonfinite, int(Status.NONFINITE), self.failure_code)
            self.running = self.running & ~newly & ~nonfinite
            if not bool(self.running.any()):
                return k + 1
        return self.steps

    def _arnoldi(self, k: int) -> tuple[torch.Tensor, torch.Tensor]:
        w = self.prob.matvec(self.basis.vector(k))
        V = self.basis.matrix(k + 1)
        h = project(V, w)
        w = combine(h, V, w, alpha=-1.0)
        correction = project(V, w)  # second Gram-Schmidt pass
        w = combine(correction, V, w, alpha=-1.0)
        h = h + correction
        h_next = torch.linalg.vector_norm(w, dim=1)
        self.basis.append(safe_divide(w, h_next[:, None]))
        return h, h_next

    def _rotate(self, k: int, h: torch.Tensor, h_next: torch.Tensor) -> None:
        """Apply the previous rotations to the new Hessenberg column and add one that zeroes h_next."""
        q = torch.stack(self.q_rows, dim=1)[:, :, : k + 1]
        rotated = project(q, h)
        rho = rotated[:, k]
        r_kk = torch.hypot(rho, h_next)
        c = torch.where(r_kk > 0, safe_divide(rho, r_kk), torch.ones_like(rho))
        s = safe_divide(h_next, r_kk)
        last = self.q_rows[k]
        e_next = self.eye[k + 1]
        self.q_rows[k] = c[:, None] * last + s[:, None] * e_next
        self.q_rows.append(c[:, None] * e_next - s[:, None] * last)
        self.r_cols.append(torch.cat([rotated[:, :k], r_kk[:, None]], dim=1))

    def update(self, x: torch.Tensor) -> torch.Tensor:
        """``x + V y`` with ``R y = g`` solved on each sample's own number of steps."""
        k = len(self.r_cols)
        pad = torch.nn.functional.pad
        R = torch.stack([pad(col, (0, k - j - 1)) for j, col in enumerate(self.r_cols)], dim=2)
        g = self.beta[:, None] * torch.stack([row[:, 0] for row in self.q_rows[:k]], dim=1)
        use = torch.arange(k, device=x.device)[None, :] < self.used[:, None]
        diag = torch.diagonal(R, dim1=1, dim2=2)
        singular = (use & (diag == 0)).any(dim=1)
        self.failed = self.failed | singular
        self.failure_code = torch.where(singular, int(Status.BREAKDOWN), self.failure_code)
        use = use & ~self.failed[:, None]
        # columns past a sample's own step count become identity columns, so its y ends in zeros
        R = torch.where(use[:, None, :], R, self.eye[:k, :k])
        g = torch.where(use, g, torch.zeros_like(g))
        y = small_linalg.solve_triangular(R, g.unsqueeze(2), upper=True)
        return combine(y.squeeze(2), self.basis.matrix(k), x)
