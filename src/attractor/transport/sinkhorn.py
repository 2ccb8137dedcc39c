"""Entropic optimal transport by log-domain Sinkhorn iteration, as a fixed point.

For a cost ``C (..., n, m)`` and marginals ``a``, ``b`` the entropic plan is
``pi_ij = a_i b_j exp((f_i + g_j - C_ij) / reg)`` with dual potentials satisfying

.. math:: f_i = -\\mathrm{reg} \\log \\sum_j b_j e^{(g_j - C_{ij})/\\mathrm{reg}}, \\qquad
          g_j = -\\mathrm{reg} \\log \\sum_i a_i e^{(f_i - C_{ij})/\\mathrm{reg}}

(Cuturi 2013; Peyre & Cuturi 2019, Remark 4.23). The composition of the two updates is a map
``g -> T(g)`` whose fixed point is solved by :func:`attractor.fixed_point` (Picard = Sinkhorn;
Anderson acceleration by default), per problem of a batch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch

from attractor._core.validation import check_positive, check_tensor
from attractor.equilibrium import fixed_point


@dataclass
class SinkhornResult:
    plan: torch.Tensor
    f: torch.Tensor
    g: torch.Tensor
    steps: torch.Tensor
    status: torch.Tensor


def sinkhorn(cost: torch.Tensor, reg: float, a: torch.Tensor | None = None, b: torch.Tensor | None = None,
             *, solver: Any = "anderson", tol: float | None = None, max_steps: int = 1000,
             on_failure: str = "raise") -> SinkhornResult:
    """The entropic OT plan for ``cost (..., n, m)`` with regularization ``reg``.

    ``a`` (``(..., n)``) and ``b`` (``(..., m)``) default to uniform weights. ``tol`` bounds the
    change of the potential ``g`` in one sweep (default ``1e-6 reg``: marginals then hold to
    about 1e-6 relative). Runs without gradients (couplings use the plan as data).
    """
    cost = check_tensor("cost", cost, min_dim=2)
    reg = check_positive("reg", reg)
    n, m = cost.shape[-2:]
    lead = cost.shape[:-2]
    log_a = _log_weights("a", a, lead + (n,), cost)
    log_b = _log_weights("b", b, lead + (m,), cost)
    tol = 1e-6 * reg if tol is None else check_positive("tol", tol)
    C = cost.detach() / reg

    def f_of(g):  # f / reg
        return -torch.logsumexp(g.unsqueeze(-2) - C + log_b.unsqueeze(-2), -1)

    def T(g):  # g / reg after a full sweep
        return -torch.logsumexp(f_of(g).unsqueeze(-1) - C + log_a.unsqueeze(-1), -2)

    with torch.no_grad():
        sol = fixed_point(T, torch.zeros(lead + (m,), dtype=cost.dtype, device=cost.device),
                          solver=solver, tol=tol / reg, max_steps=max_steps, norm="max",
                          batch_ndim=len(lead), backward="none", on_failure=on_failure)
        g = sol.value
        f = f_of(g)
        plan = torch.exp(f.unsqueeze(-1) + g.unsqueeze(-2) - C + log_a.unsqueeze(-1) + log_b.unsqueeze(-2))
    return SinkhornResult(plan, f * reg, g * reg, sol.steps, sol.status)


def _log_weights(name: str, w: torch.Tensor | None, shape: tuple[int, ...], like: torch.Tensor) -> torch.Tensor:
    if w is None:
        return torch.full(shape, -math.log(shape[-1]), dtype=like.dtype, device=like.device)
    w = check_tensor(name, w)
    if tuple(w.shape) != tuple(shape):
        raise ValueError(f"`{name}` must have shape {tuple(shape)}; got {tuple(w.shape)}.")
    if bool((w < 0).any()):
        raise ValueError(f"`{name}` must be non-negative.")
    w = w / w.sum(-1, keepdim=True)
    return torch.log(w.to(like.dtype))
