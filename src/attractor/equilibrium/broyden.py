"""Limited-memory "good" Broyden method in compact (low-rank) form."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from attractor._core.validation import check_int
from attractor.equilibrium._base import FixedPointSolver, Iterate
from attractor.equilibrium._history import Ring, SlotMatrix, write
from attractor.equilibrium._problem import Problem


@dataclass
class BroydenState:
    steps: Ring  # s_j = z_{j+1} - z_j
    sums: Ring  # s_j + y_j, y_j = r_{j+1} - r_j
    middle: SlotMatrix  # K = S^T Y + strictly-lower(S^T S) in time order, slot-indexed
    projection: torch.Tensor  # (B, m): S^T r at the current iterate, slot-indexed
    direction: torch.Tensor  # d_k = -H_k r_k


class Broyden(FixedPointSolver):
    r"""Broyden's "good" method (Broyden 1965), limited memory, in compact form.

    Solves :math:`r(z) = 0` (:math:`r = f(z) - z` for fixed points) with an approximation
    :math:`H_k \approx J_r(z_k)^{-1}` built by rank-one secant updates from :math:`H_0 = -I`
    (exact for ``f = 0``; the first step is a Picard step):

    .. math::
        z_{k+1} = z_k - H_k r_k,\qquad s_k = z_{k+1} - z_k,\quad y_k = r_{k+1} - r_k,\\
        H_{k+1} = H_k + \frac{(s_k - H_k y_k)\, s_k^\top H_k}{s_k^\top H_k y_k}.

    After ``k`` updates :math:`H_k` has the compact representation (Byrd, Nocedal & Schnabel
    1994, applied through the Sherman--Morrison--Woodbury formula to the direct update)

    .. math::
        H_k = -I + (S_k + Y_k)\, K_k^{-1} S_k^\top, \qquad
        K_k = S_k^\top Y_k + \mathrm{L}(S_k^\top S_k),

    with :math:`S_k, Y_k` the stored pairs as columns and :math:`\mathrm{L}` the strictly
    lower triangle in time order (older pairs first). Keeping only the last ``memory`` pairs
    is then a true limited-memory method: :math:`H_k` is the Broyden matrix built from
    :math:`H_0` by the retained pairs, which satisfies the latest secant condition exactly.
    Each step adds one row and one column to :math:`K` (the row :math:`s_k^\top (S + Y)` is one
    batched product; the column :math:`S^\top y_k = S^\top r_{k+1} - S^\top r_k` reuses the
    projection of the previous step), solves the small system, and forms the direction with one
    combination of the stored vectors: ``O(memory * n)`` per sample beyond the evaluation of
    ``f``. A sample whose small system is singular takes a Picard step instead (the safeguard).

    Parameters
    ----------
    memory:
        Number of secant pairs kept.
    """

    name = "broyden"

    def __init__(self, memory: int = 8) -> None:
        self.memory = check_int("memory", memory, minimum=1)

    def init(self, problem: Problem, it: Iterate) -> BroydenState:
        m = self.memory
        projection = it.z.new_zeros(it.z.shape[0], m)
        return BroydenState(Ring(it.z, m), Ring(it.z, m), SlotMatrix(it.z, m), projection, it.r)

    def step(
        self, problem: Problem, state: BroydenState, it: Iterate, active: torch.Tensor
    ) -> tuple[Iterate, Any]:
        s = state.direction
        z = it.z + s
        fz, r = problem.eval(z)
        slot = state.steps.push(s)
        state.sums.push_difference(r, it.r, plus=s)  # s_k + y_k
        projection = torch.bmm(r.unsqueeze(1), state.steps.transposed()).squeeze(1)  # S^T r_{k+1}
        # column `slot` of K: S^T y_k = S^T r_{k+1} - S^T r_k (the old projection, new slot refreshed)
        column = projection - write(state.projection, 1, slot, torch.linalg.vecdot(s, it.r))
        # row `slot`: s_k^T (s_j + y_j) for the older pairs; its diagonal entry (s_k^T y_k) is
        # the column's
        row = torch.bmm(s.unsqueeze(1), state.sums.transposed()).squeeze(1)
        state.middle.set(slot, row, column)
        state.projection = projection
        # the whole (zero-padded) memory from the first step on: empty slots get zero coefficients
        coefficients = state.middle.solve(projection.unsqueeze(2))
        # the next direction: -H_{k+1} r_{k+1} = r_{k+1} - (S + Y) K^{-1} S^T r_{k+1}
        state.direction = torch.baddbmm(
            r.unsqueeze(1), coefficients.transpose(1, 2), state.sums.data, alpha=-1
        ).squeeze(1)
        return Iterate(z, fz, r), state
