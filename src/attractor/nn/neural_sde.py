"""``NeuralSDE``: a stochastic differential equation with learnable drift and diffusion."""

from __future__ import annotations

import torch
from torch import nn

from attractor.nn.neural_ode import _takes_time
from attractor.sde.sdeint import sdeint


class NeuralSDE(nn.Module):
    """``dy = f_\\theta(t, y) dt + g_\\theta(t, y) dW`` solved by :func:`attractor.sdeint`.

    ``drift`` and ``diffusion`` are modules called as ``module(t, y)``, or ``module(y)`` when
    their ``forward`` takes the state only (detected from the signature, as in
    :class:`NeuralODE`; override with ``time_dependent``); the diffusion's output shape follows
    ``noise`` (see :func:`attractor.sdeint`). ``forward(y0, t)`` returns the states
    at the times ``t`` (``(len(t), *y0.shape)``), differentiable by the chosen ``adjoint``
    (``"direct"``, ``"backsolve"`` -- the stochastic adjoint -- or ``"reversible"`` with the
    reversible Heun solver: exact gradients in O(1) memory). Remaining keyword arguments
    (``dt``, ``solver``, ``adaptive``, ...) are passed to ``sdeint``.

    Example::

        sde = NeuralSDE(Drift(), Diffusion(), noise="diagonal", sde_type="stratonovich",
                        solver="reversible_heun", adjoint="reversible", dt=0.05)
        ys = sde(y0, torch.linspace(0, 1, 21))
    """

    def __init__(self, drift: nn.Module, diffusion: nn.Module, *, noise: str = "diagonal",
                 sde_type: str = "ito", time_dependent: bool | None = None, **sdeint_kwargs):
        super().__init__()
        for name, module in (("drift", drift), ("diffusion", diffusion)):
            if not isinstance(module, nn.Module):
                raise TypeError(f"`{name}` must be an nn.Module; got {type(module).__name__}.")
        self.drift = drift
        self.diffusion = diffusion
        self._drift_t, self._diffusion_t = (
            (_takes_time(drift), _takes_time(diffusion)) if time_dependent is None
            else (bool(time_dependent),) * 2
        )
        self.noise = noise
        self.sde_type = sde_type
        self.sdeint_kwargs = sdeint_kwargs
        self.last_solution = None

    def f(self, t, y):
        return self.drift(t, y) if self._drift_t else self.drift(y)

    def g(self, t, y):
        return self.diffusion(t, y) if self._diffusion_t else self.diffusion(y)

    def forward(self, y0: torch.Tensor, t: torch.Tensor, *, bm=None, **overrides) -> torch.Tensor:
        kwargs = dict(self.sdeint_kwargs, **overrides)
        kwargs.setdefault("adjoint_params", tuple(self.parameters()))
        sol = sdeint(self.f, self.g, y0, t, noise=self.noise, sde_type=self.sde_type, bm=bm,
                     **kwargs)
        self.last_solution = sol
        return sol.ys
