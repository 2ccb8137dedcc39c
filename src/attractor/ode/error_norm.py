"""The scaled error ratio that decides whether a trial step is accepted.

For a trial step ``y -> y1`` with local error estimate ``e`` (per estimator row), sample ``b``'s
ratio is the RMS over its entries

.. math::
    r_b = \\Big\\| \\frac{e}{\\mathrm{atol} + \\mathrm{rtol}\\,\\max(|y|, |y_1|)} \\Big\\|_{rms},

(combined across estimators by the stepper, e.g. DOP853's 5th/3rd-order blend). The step is
accepted when ``r <= 1``; a NaN or infinite ratio is a non-finite trial and is rejected.
When the batch shares a step its ratio is the maximum over samples (every sample meets its
tolerance) or, with ``batch_error="rms"``, the RMS over the whole batch (torchdiffeq's norm).
"""

from __future__ import annotations

import math

import torch

from attractor.ode.stepper import AbstractStepper


class ErrorNorm:
    """Computes per-sample error ratios; ``entries`` restricts the norm to a leading part of
    each sample's entries (a seminorm, used by the backsolve adjoint)."""

    def __init__(
        self,
        stepper: AbstractStepper,
        rtol: float,
        atol: torch.Tensor,
        batch: int,
        entries: int | None = None,
    ) -> None:
        self.stepper = stepper
        self.rtol = float(rtol)
        self.atol = atol
        self.batch = batch
        self.entries = entries

    def __call__(
        self, error: torch.Tensor, abs_y: torch.Tensor, y1: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-sample ratios ``(B,)`` and ``|y1|`` (to reuse as the next step's ``|y|``)."""
        abs_y1 = y1.detach().abs()
        scale = torch.add(self.atol, torch.maximum(abs_y, abs_y1), alpha=self.rtol)
        q = error.detach() / scale
        E = q.shape[0]
        q = q.view(E, self.batch, -1)
        if self.entries is not None:
            q = q[..., : self.entries]
        norms = q.square().mean(-1).sqrt()
        return self.stepper.combine_error_norms(norms), abs_y1


    def shared(
        self, error: torch.Tensor, abs_y: torch.Tensor, y1: torch.Tensor, how: str,
        active: torch.Tensor | None = None,
    ) -> tuple[float, torch.Tensor]:
        """The batch's one ratio as a Python float (the step's single host sync), and ``|y1|``.

        ``active`` (``(B,)`` bool) leaves stopped samples out. Same value as
        ``reduce_batch(self(...)[0], how)``, computed with fewer operations.
        """
        if error.requires_grad or y1.requires_grad:
            error, y1 = error.detach(), y1.detach()
        abs_y1 = y1.abs()
        q = error / torch.add(self.atol, torch.maximum(abs_y, abs_y1), alpha=self.rtol)
        E = q.shape[0]
        sq = (q * q).view(E, self.batch, -1)
        if self.entries is not None:
            sq = sq[..., : self.entries]
        D = sq.shape[-1]
        if E == 1 and active is None:
            if how == "max":
                return math.sqrt(sq.sum(-1).amax().item() / D), abs_y1
            return math.sqrt(sq.sum().item() / (D * self.batch)), abs_y1
        ratios = self.stepper.combine_error_norms((sq.sum(-1) / D).sqrt())
        if active is not None:
            ratios = torch.where(active, ratios, 0.0)
        return reduce_batch(ratios, how).item(), abs_y1


def reduce_batch(ratios: torch.Tensor, how: str) -> torch.Tensor:
    """One ratio for a step shared by the whole batch."""
    if how == "max":
        return ratios.amax()
    return ratios.square().mean().sqrt()
