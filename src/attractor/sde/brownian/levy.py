"""Approximate space-space Levy area from an increment and its space-time Levy area.

The Levy area of channels ``i, j`` over a step of length ``h`` is
``A_{ij} = (1/2) \\int_s^t (W^i_u - W^i_s) dW^j_u - (W^j_u - W^j_s) dW^i_u`` (antisymmetric,
variance ``h^2/4``). Given ``W`` and the space-time Levy area ``H`` its conditional mean is
``H_i W_j - W_i H_j``; the rest is approximated by independent Gaussian noise ``\\lambda_{ij}``:

* ``"davie"`` (A. Davie, "KMT theory applied to approximations of SDE", 2014):
  ``Var \\lambda_{ij} = h^2/12``, matching the unconditional variance.
* ``"foster"`` (J. Foster, PhD thesis, Oxford 2020, sec. 5.4): the exact conditional variance
  given ``H``, ``Var \\lambda_{ij} = h^2/20 + (h/5)(H_i^2 + H_j^2)``.

Both are exact in mean and covariance (so Milstein-type schemes using them converge weakly
faster), not strongly. ``tests/sde/test_brownian.py`` checks the conditional-variance formula
against areas of finely simulated paths.
"""

from __future__ import annotations

import torch

from attractor._core.validation import check_choice


def space_space_levy_area(W: torch.Tensor, H: torch.Tensor, h, z: torch.Tensor,
                          kind: str = "foster") -> torch.Tensor:
    """Approximate ``A`` of shape ``(..., m, m)`` from ``W, H`` of shape ``(..., m)``.

    ``z``: standard normals of shape ``(..., m, m)`` (only the strict upper triangle is used).
    ``h``: the step length (float or tensor broadcastable to ``(..., 1, 1)``).
    """
    kind = check_choice("levy_area", kind, ("davie", "foster"))
    mean = H.unsqueeze(-1) * W.unsqueeze(-2) - W.unsqueeze(-1) * H.unsqueeze(-2)
    upper = torch.triu(z, diagonal=1)
    noise = upper - upper.transpose(-1, -2)
    if kind == "davie":
        std = (h * h / 12.0) ** 0.5 if not isinstance(h, torch.Tensor) else (h * h / 12.0).sqrt()
        return mean + std * noise
    h2 = H * H
    var = h * h / 20.0 + (h / 5.0) * (h2.unsqueeze(-1) + h2.unsqueeze(-2))
    return mean + var.sqrt() * noise
