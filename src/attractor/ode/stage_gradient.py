"""Exact derivatives of an implicit stage ``G(Y) = Y - base - gh f(t, Y) = 0`` (implicit function theorem).

Backpropagating through simplified Newton iterates with a frozen iteration matrix
``M = I - gh J_0`` converges to the stage's derivative only as fast as the iterates contract, and a
Newton solve that stops after one or two iterations leaves a derivative error of order
``||I - M^{-1} G_Y||``. Instead the stage is solved without a graph and its derivative attached
afterwards:

.. math::
    \\tilde Y = Y^* - \\big(M^{-1} G(Y^*) - \\mathrm{sg}[M^{-1} G(Y^*)]\\big),

whose value is exactly ``Y^*`` (``sg`` stops gradients) and whose backward pass, fed the
cotangent ``u``, returns ``-(M^{-T} u)^T G_\\theta``. A hook on ``\\tilde Y`` replaces the incoming
cotangent ``v`` by ``u = M^T w`` with ``G_Y^T w = v``, so the result is the implicit-function
derivative ``-v^T G_Y^{-1} G_\\theta`` (as in the implicit backward of
:mod:`attractor.equilibrium`). ``w`` is found by Richardson iteration preconditioned by the
factorised ``M``,

.. math::
    w_{k+1} = w_k + M^{-T} (v - G_Y^T w_k), \\qquad G_Y^T w = w - gh J(Y^*)^T w,

one vector-Jacobian product of ``f`` per iteration; it contracts at the Newton rate (``J(Y^*)``
is close to ``J_0``), and is exact after one iteration when ``f`` is linear. Samples whose Newton
solve failed (their step is rejected) keep ``v``. Gradients reach parameters closed over by
``f`` as well as explicit arguments, since ``G_\\theta`` is ordinary autograd.
"""

from __future__ import annotations

import numpy as np
import torch

from attractor._core.errors import refuse_second_order

MAX_ITERS = 50


def attach_stage_gradient(residual, Y: torch.Tensor, M, failed: np.ndarray) -> torch.Tensor:
    """``Y (B, D)`` (a converged stage, no graph) returned with the implicit-function derivative.

    ``residual`` is the stage's ``G`` (with ``.field``, ``.t``, ``.gh``); ``M`` the
    :class:`~attractor.ode.implicit_base.IterationMatrix` Newton used.
    """
    Ys = Y.detach()
    correction = M.solve(residual(Ys))
    if not correction.requires_grad:
        return Ys
    attached = Ys - (correction - correction.detach())
    keep = torch.from_numpy(failed).to(Y.device).unsqueeze(-1) if failed.any() else None
    attached.register_hook(_CotangentMap(residual, Ys, M, keep))
    return attached


class _CotangentMap:
    """``v -> M^T G_Y^{-T} v`` at the converged stage (see the module docstring)."""

    def __init__(self, residual, Ys: torch.Tensor, M, keep) -> None:
        self.residual, self.Ys, self.M, self.keep = residual, Ys, M, keep

    def __call__(self, v: torch.Tensor | None) -> torch.Tensor | None:
        if v is None:  # an undefined cotangent stays undefined
            return None
        refuse_second_order("the implicit (ESDIRK) stages' derivative",
                            "Use a Rosenbrock ('rodas5') or explicit solver for exact second derivatives.")
        res, M = self.residual, self.M
        gh = res.gh
        with torch.enable_grad():
            Y = self.Ys.clone().requires_grad_(True)
            F = res.field(res.t, Y.view(res.field.shape)).reshape(Y.shape)

        def GT(w):  # G_Y^T w = w - gh J^T w
            (JTw,) = torch.autograd.grad(F, Y, w, retain_graph=True)
            return w - gh * JTw

        w = M.solve_transposed(v)
        scale = torch.linalg.vector_norm(v, dim=-1, keepdim=True)
        eps = 64 * torch.finfo(v.dtype).eps
        for _ in range(MAX_ITERS):
            dw = M.solve_transposed(v - GT(w))
            w = w + dw
            if not self.keep_going(dw, scale, eps):
                break
        u = M.transposed_product(w)
        if self.keep is not None:
            u = torch.where(self.keep, v, u)
        return u

    def keep_going(self, dw, scale, eps) -> bool:
        size = torch.linalg.vector_norm(dw, dim=-1, keepdim=True)
        done = (size <= eps * scale) | ~torch.isfinite(size)
        if self.keep is not None:
            done = done | self.keep
        return not bool(done.all())
