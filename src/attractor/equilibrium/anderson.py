"""Anderson acceleration (type II) with a regularised, safeguarded least-squares step."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from attractor._core.validation import check_in_range, check_int, check_positive
from attractor.equilibrium._base import FixedPointSolver, Iterate
from attractor.equilibrium._history import Ring, SlotMatrix, write
from attractor.equilibrium._problem import Problem


@dataclass
class AndersonState:
    d_residual: Ring  # columns Δr_i = r_{i+1} - r_i
    d_update: Ring  # columns Δz_i + β Δr_i
    gram: SlotMatrix  # Gram matrix of the Δr columns (regularised diagonal), slot-indexed
    projection: torch.Tensor  # (B, m): ΔR^T r at the current iterate, slot-indexed
    previous: Iterate | None


class Anderson(FixedPointSolver):
    r"""Anderson acceleration, type II (Anderson 1965; Walker & Ni 2011).

    With residuals :math:`r_i = f(z_i) - z_i` and the last :math:`m_k = \min(m, k)` differences
    :math:`\Delta R_k = [\Delta r_{k-m_k}, \dots, \Delta r_{k-1}]`,
    :math:`\Delta Z_k = [\Delta z_{k-m_k}, \dots]` (:math:`\Delta r_i = r_{i+1} - r_i`):

    .. math::
        \gamma_k = \arg\min_\gamma \|r_k - \Delta R_k \gamma\|_2^2 + \lambda_k \|\gamma\|_2^2,
        \qquad
        z_{k+1} = z_k + \beta r_k - (\Delta Z_k + \beta \Delta R_k)\, \gamma_k .

    This is the difference form of Walker & Ni (2011), equivalent to mixing the last
    :math:`m_k + 1` iterates with weights that sum to one. The least-squares problem is solved
    by its normal equations :math:`(G + \lambda\,\mathrm{diag}\,G)\gamma = \Delta R_k^\top r_k`,
    :math:`G = \Delta R_k^\top \Delta R_k`, whose diagonal (Levenberg--Marquardt) regularisation
    is invariant to the scale of the problem and keeps the small system well posed when the
    history is nearly collinear. Where the small solve still fails or is not finite, the
    sample takes the plain damped step :math:`z_k + \beta r_k` instead (the safeguard).
    Histories live in preallocated per-sample buffers and the Gram matrix is updated by one
    row and column per step; a step is one evaluation of ``f`` plus two batched products with
    the histories, ``O(m n)`` work per sample.

    Parameters
    ----------
    m:
        History size (number of differences kept).
    beta:
        Mixing (damping) parameter :math:`\beta \in (0, 1]`.
    regularization:
        Relative diagonal regularisation :math:`\lambda`; ``None`` picks ``1e-10`` for float64
        and ``1e-6`` otherwise.
    """

    name = "anderson"

    def __init__(self, m: int = 5, beta: float = 1.0, regularization: float | None = None) -> None:
        self.m = check_int("m", m, minimum=1)
        self.beta = check_in_range("beta", beta, 0.0, 1.0)
        if self.beta == 0.0:
            raise ValueError("`beta` must be positive; got 0.0.")
        self.regularization = (
            None if regularization is None else check_positive("regularization", regularization)
        )

    def _lambda(self, dtype: torch.dtype) -> float:
        if self.regularization is not None:
            return self.regularization
        return 1e-10 if dtype == torch.float64 else 1e-6

    def init(self, problem: Problem, it: Iterate) -> AndersonState:
        m = self.m
        return AndersonState(
            Ring(it.z, m),
            Ring(it.z, m),
            SlotMatrix(it.z, m),
            it.z.new_zeros(it.z.shape[0], m),
            None,
        )

    def step(
        self, problem: Problem, state: AndersonState, it: Iterate, active: torch.Tensor
    ) -> tuple[Iterate, Any]:
        z = it.fz if self.beta == 1.0 else torch.add(it.z, it.r, alpha=self.beta)
        if state.previous is not None:
            # the whole (zero-padded) history from the first step on: empty slots get γ = 0
            gamma = state.gram.solve(self._remember(state, it))  # (B, m, 1)
            z = torch.baddbmm(
                z.unsqueeze(1), gamma.transpose(1, 2), state.d_update.data, alpha=-1
            ).squeeze(1)
        state.previous = it
        return Iterate(z, *problem.eval(z)), state

    def _remember(self, state: AndersonState, it: Iterate) -> torch.Tensor:
        """Push the newest differences, update the Gram matrix by one row and column, and
        return the right-hand side ``p_k = ΔR_k^T r_k`` as ``(B, m, 1)``.

        The new Gram row is ``ΔR_k^T Δr = p_k - ΔR_k^T r_{k-1}``, and ``ΔR_k^T r_{k-1}`` is the
        previous ``p`` except in the new slot, where it is ``Δr^T r_k - ||Δr||^2``: one norm of
        the vector just written instead of ``m`` new inner products. The diagonal entry is
        stored already regularised, ``(1 + λ) ||Δr||^2``, so the stored matrix is the system.
        """
        prev = state.previous
        slot = state.d_residual.push_difference(it.r, prev.r)
        if self.beta == 1.0:
            state.d_update.push_difference(it.fz, prev.fz)
        else:
            d_residual = state.d_residual.slot(slot)
            state.d_update.push_difference(it.z, prev.z, plus=self.beta * d_residual)
        projection = torch.bmm(it.r.unsqueeze(1), state.d_residual.transposed()).squeeze(1)
        size = torch.linalg.vector_norm(state.d_residual.slot(slot), dim=1)
        # ΔR_k^T r_{k-1} in the new slot (written into the old projection, which is not reused)
        cross = torch.addcmul(
            projection[:, slot], size, size, value=-(1.0 + self._lambda(size.dtype))
        )
        row = projection - write(state.projection, 1, slot, cross)
        state.gram.set(slot, row, row)
        state.projection = projection
        return projection.unsqueeze(2)
