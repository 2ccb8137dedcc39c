"""``NeuralODE``: a layer whose output is the solution of ``dy/dt = f_theta(t, y)``."""

from __future__ import annotations

import inspect
from typing import Any

import torch
from torch import nn

from attractor.ode.odeint import odeint
from attractor.ode.solution import ODESolution


def _takes_time(module: nn.Module) -> bool:
    """Whether ``module.forward`` takes ``(t, y)`` rather than ``(y)``."""
    params = [
        p for p in inspect.signature(module.forward).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]
    return len(params) >= 2


class NeuralODE(nn.Module):
    """Neural ordinary differential equation (Chen, Rubanova, Bettencourt & Duvenaud, NeurIPS 2018).

    .. math:: \\frac{dy}{dt} = f_\\theta(t, y), \\qquad y(t_0) = y_0,

    ``forward(y0, t)`` returns ``y`` at the times ``t`` (time first: ``(len(t), *y0.shape)``), so
    ``model(y0)[-1]`` is the state at the end of the default interval ``[0, 1]``.

    Parameters
    ----------
    vector_field:
        An ``nn.Module`` computing ``f(t, y)``, or ``f(y)`` for an autonomous field (detected
        from its ``forward`` signature; override with ``time_dependent``).
    t:
        Default output times (``[0, 1]``).
    solver, rtol, atol, adjoint, **odeint_kwargs:
        Passed to :func:`attractor.odeint` (``"direct"``, ``"checkpoint"`` or ``"backsolve"``
        gradients; ``per_sample``, ``dt``, ``max_steps``, ...).

    Attributes
    ----------
    stats:
        Statistics of the last solve: ``nfe`` (forward evaluations of ``f``), ``accepted``,
        ``rejected``, and after a backsolve backward pass ``nfe_backward``.
    solution:
        The last :class:`attractor.ode.ODESolution`.
    """

    def __init__(
        self,
        vector_field: nn.Module,
        *,
        t: torch.Tensor | None = None,
        solver: Any = "tsit5",
        rtol: float = 1e-6,
        atol: float = 1e-8,
        adjoint: str = "direct",
        time_dependent: bool | None = None,
        **odeint_kwargs: Any,
    ) -> None:
        super().__init__()
        if not isinstance(vector_field, nn.Module):
            raise TypeError(f"`vector_field` must be an nn.Module; got {type(vector_field).__name__}.")
        self.vector_field = vector_field
        self.time_dependent = _takes_time(vector_field) if time_dependent is None else bool(time_dependent)
        self.register_buffer("t", torch.tensor([0.0, 1.0]) if t is None else torch.as_tensor(t).clone())
        self.solver = solver
        self.rtol = rtol
        self.atol = atol
        self.adjoint = adjoint
        self.odeint_kwargs = odeint_kwargs
        self.solution: ODESolution | None = None

    def field(self, t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """``f(t, y)`` in the ``odeint`` convention."""
        return self.vector_field(t, y) if self.time_dependent else self.vector_field(y)

    def forward(self, y0: torch.Tensor, t: torch.Tensor | None = None) -> torch.Tensor:
        times = (self.t if t is None else torch.as_tensor(t, device=y0.device)).to(y0.dtype)
        kwargs = dict(self.odeint_kwargs)
        if self.adjoint != "direct":
            kwargs.setdefault("adjoint_params", tuple(p for p in self.parameters() if p.requires_grad))
        self.solution = odeint(
            self.field, y0, times, solver=self.solver, rtol=self.rtol, atol=self.atol,
            adjoint=self.adjoint, **kwargs,
        )
        return self.solution.ys

    @property
    def stats(self) -> dict[str, Any]:
        return {} if self.solution is None else self.solution.stats

    @property
    def nfe(self) -> int:
        """Forward evaluations of ``f`` in the last solve."""
        nfe = self.stats.get("nfe", 0)
        return int(nfe.max()) if isinstance(nfe, torch.Tensor) else int(nfe)

    def extra_repr(self) -> str:
        return f"solver={self.solver!r}, rtol={self.rtol}, atol={self.atol}, adjoint={self.adjoint!r}"
