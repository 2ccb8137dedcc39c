"""Tangent propagators: advance a state ``y`` and a set of tangent vectors ``Q`` together.

A propagator maps ``(t, y, Q)`` over a span to ``(y', W)`` with ``W = Dφ(y) Q``, the tangent
vectors pushed forward by the linearised dynamics. The Benettin loop
(:mod:`attractor.analysis.lyapunov`) re-orthonormalises ``W`` between spans.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from attractor.analysis.tangent import linearization


class FlowPropagator:
    """The variational equation of a flow, integrated with :func:`attractor.odeint`:

    .. math::  \\dot y = f(t, y), \\qquad \\dot Q = J_f(t, y)\\, Q,

    as one augmented ODE on ``z = (y, vec Q)``; ``J_f Q`` comes from the system's analytic
    tangent map or one batched autograd pass per right-hand-side evaluation
    (:func:`~attractor.analysis.tangent.linearization`).
    ``solver``, ``dt``, ``rtol`` and ``atol`` go to ``odeint``.
    """

    def __init__(
        self,
        f: Callable[..., torch.Tensor],
        *,
        solver: Any = "rk4",
        dt: float | None = None,
        rtol: float = 1e-8,
        atol: float = 1e-10,
        args: tuple = (),
        jvp_mode: str = "auto",
        max_steps: int = 10_000_000,
    ) -> None:
        self.f = f
        self.solver = solver
        self.dt = dt
        self.rtol = rtol
        self.atol = atol
        self.args = tuple(args)
        self.max_steps = max_steps
        self.lin = linearization(f, discrete=False, mode=jvp_mode, args=self.args)
        self.nfe = 0

    def _field(self, t, z):
        d = self._d
        y = z[..., :d]
        q = z[..., d:].unflatten(-1, (d, -1))
        fy, jq = self.lin(t, y, q)
        return torch.cat([fy, jq.flatten(-2)], dim=-1)

    def __call__(self, t0: float, y: torch.Tensor, q: torch.Tensor, span: float):
        from attractor.ode import odeint

        self._d = y.shape[-1]
        z = torch.cat([y, q.flatten(-2)], dim=-1)
        t = torch.tensor([t0, t0 + span], dtype=y.dtype, device=y.device)
        kwargs: dict[str, Any] = {
            "solver": self.solver, "rtol": self.rtol, "atol": self.atol, "max_steps": self.max_steps,
            "on_failure": "status",  # a blown-up sample is detected and frozen by the caller
        }
        if self.dt is not None:
            kwargs["dt"] = self.dt
        sol = odeint(self._field, z, t, **kwargs)
        self.nfe += int(sol.stats["nfe"])
        z1 = sol.ys[-1]
        d = self._d
        return z1[..., :d], z1[..., d:].unflatten(-1, (d, -1))


class MapPropagator:
    """Tangent dynamics of a map over ``span`` iterations:

    .. math::  y_{n+1} = F(y_n), \\qquad Q_{n+1} = J_F(y_n)\\, Q_n,

    the image and the Jacobian product coming from one forward-mode pass per iteration.
    """

    def __init__(
        self, f: Callable[..., torch.Tensor], *, args: tuple = (), jvp_mode: str = "auto"
    ) -> None:
        self.f = f
        self.args = tuple(args)
        self.lin = linearization(f, discrete=True, mode=jvp_mode, args=self.args)
        self.nfe = 0

    def __call__(self, t0: float, y: torch.Tensor, q: torch.Tensor, span: float):
        for _ in range(round(span)):
            y, q = self.lin(t0, y, q)
        self.nfe += round(span)
        return y, q
