"""Picard (fixed-point) iteration with damping."""

from __future__ import annotations

from typing import Any

import torch

from attractor._core.validation import check_in_range
from attractor.equilibrium._base import FixedPointSolver, Iterate
from attractor.equilibrium._problem import Problem


class Picard(FixedPointSolver):
    r"""Damped fixed-point iteration (Picard / Krasnosel'skii--Mann).

    .. math:: z_{k+1} = (1 - \alpha) z_k + \alpha f(z_k) = z_k + \alpha\, r(z_k).

    Converges linearly, with rate the contraction factor of :math:`(1-\alpha) I + \alpha f`,
    when ``f`` is a contraction (Banach); damping :math:`\alpha < 1` also converges for
    nonexpansive ``f`` (Krasnosel'skii 1955, Mann 1953), only slowly. For roots
    ``g(x) = 0`` the iteration is :math:`x_{k+1} = x_k + \alpha g(x_k)` (Richardson), which
    converges when the eigenvalues of :math:`\alpha J_g` lie inside the unit disc centred at -1.

    Parameters
    ----------
    damping:
        :math:`\alpha \in (0, 1]`; 1 is plain fixed-point iteration.
    """

    name = "picard"

    def __init__(self, damping: float = 1.0) -> None:
        self.damping = check_in_range("damping", damping, 0.0, 1.0)
        if self.damping == 0.0:
            raise ValueError("`damping` must be positive; got 0.0.")

    def step(
        self, problem: Problem, state: Any, it: Iterate, active: torch.Tensor
    ) -> tuple[Iterate, Any]:
        z = it.fz if self.damping == 1.0 else torch.add(it.z, it.r, alpha=self.damping)
        return Iterate(z, *problem.eval(z)), state
