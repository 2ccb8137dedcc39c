"""Halpern's anchored iteration for nonexpansive maps."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from attractor.equilibrium._base import FixedPointSolver, Iterate
from attractor.equilibrium._problem import Problem


@dataclass
class HalpernState:
    anchor: torch.Tensor
    k: int


class Halpern(FixedPointSolver):
    r"""Halpern iteration (Halpern 1967) with Lieder's optimal anchoring (Lieder 2021).

    .. math:: z_{k+1} = \lambda_k z_0 + (1 - \lambda_k) f(z_k), \qquad \lambda_k = \frac{1}{k+2}.

    For a nonexpansive ``f`` (``||f(x) - f(y)|| <= ||x - y||``) with a fixed point, the
    iterates converge to the fixed point nearest to the anchor :math:`z_0`, with the optimal
    worst-case rate :math:`\|f(z_k) - z_k\| \le 2\|z_0 - z^\ast\| / (k + 1)` (Lieder 2021),
    where plain Picard iteration may cycle forever (e.g. for rotations). For roots the map is
    :math:`x + g(x)`.
    """

    name = "halpern"

    def init(self, problem: Problem, it: Iterate) -> HalpernState:
        return HalpernState(it.z, 0)

    def step(
        self, problem: Problem, state: HalpernState, it: Iterate, active: torch.Tensor
    ) -> tuple[Iterate, Any]:
        z = torch.lerp(it.fz, state.anchor, 1.0 / (state.k + 2))
        state.k += 1
        return Iterate(z, *problem.eval(z)), state
