"""Monotone operator deep equilibrium layer (Winston & Kolter 2020).

A :class:`attractor.nn.DEQ` whose cell is a :class:`attractor.nn.MonotoneCell` and whose solve
is an operator-splitting iteration (:mod:`attractor.nn.splitting`) handed to
:func:`attractor.fixed_point`. Its equilibrium exists and is unique for every input and every
value of the parameters, so the layer never meets a non-convergent solve by construction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from attractor._core.lookup import resolve
from attractor.nn.deq import DEQ, SolverProblem
from attractor.nn.monotone import MonotoneCell
from attractor.nn.splitting import SPLITTINGS, Splitting


class MonotoneDEQ(DEQ):
    """``z* = σ(W z* + U x + b)`` with ``W = (1 - m) I - AᵀA + B - Bᵀ``, found by operator splitting.

    Parameters
    ----------
    in_features, features, m, activation, init_scale, bias:
        The :class:`MonotoneCell` (available as ``self.f``); ``bias=False`` drops ``b``.
    splitting:
        ``"peaceman_rachford"`` (default; converges for any step size), ``"forward_backward"``,
        or a :class:`attractor.nn.splitting.Splitting` object with a chosen ``alpha``.
    solver:
        The iteration applied to the splitting map; ``"picard"`` (default) is the classical
        splitting algorithm with its convergence guarantee, ``"anderson"`` accelerates it.
    **kwargs:
        Everything else :class:`DEQ` accepts (``tol``, ``max_steps``, ``backward``, ...).

    ``forward(x, z0=None)`` returns a :class:`attractor.nn.DEQOutput`; ``solution`` and
    ``residual`` refer to the splitting variable, ``z`` is the equilibrium.
    """

    def __init__(
        self,
        in_features: int,
        features: int,
        *,
        m: float = 0.05,
        activation: str | Callable[[torch.Tensor, float], torch.Tensor] = "relu",
        init_scale: float = 0.3,
        bias: bool = True,
        splitting: str | Splitting = "peaceman_rachford",
        solver: Any = "picard",
        max_steps: int = 300,
        **kwargs: Any,
    ) -> None:
        cell = MonotoneCell(in_features, features, m=m, activation=activation, init_scale=init_scale,
                            bias=bias)
        kwargs.setdefault("z_init", (features,))
        super().__init__(cell, solver=solver, max_steps=max_steps, **kwargs)
        self.splitting = resolve("splitting", splitting, SPLITTINGS, Splitting)

    def problem(self, x: Any) -> SolverProblem:
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"`x` must be a tensor for MonotoneDEQ; got {type(x).__name__}.")
        cell: MonotoneCell = self.f
        return self.splitting.problem(cell.weight(), cell.input(x), cell.prox, cell.m)

    def extra_repr(self) -> str:
        return f"splitting={self.splitting!r}, " + super().extra_repr()
