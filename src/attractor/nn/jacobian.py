"""Jacobian Frobenius-norm penalty by Hutchinson's estimator.

Bai, Koltun & Kolter 2021, "Stabilizing equilibrium models by Jacobian regularization":
penalizing ``||∂f/∂z||_F²`` at the equilibrium keeps a DEQ's fixed-point map well conditioned,
so solvers need fewer steps and training does not drift towards instability. The squared
norm is estimated without forming the Jacobian J:

    ||J||_F² = tr(J Jᵀ) = E_v[ ||vᵀ J||² ],   E[v vᵀ] = I

with one vector-Jacobian product per probe ``v`` (Hutchinson 1989). Rademacher probes have
variance ``2(||JJᵀ||_F² - Σᵢ (JJᵀ)ᵢᵢ²)``, Gaussian probes ``2||JJᵀ||_F²``; both are unbiased.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from attractor._core.validation import (
    check_batch_ndim,
    check_callable,
    check_choice,
    check_int,
    check_tensor,
)


def _probe(like: torch.Tensor, distribution: str, generator: torch.Generator | None) -> torch.Tensor:
    v = torch.randn(like.shape, dtype=like.dtype, device=like.device, generator=generator)
    return v.sign() if distribution == "rademacher" else v


def jacobian_frobenius(
    f: Callable[..., torch.Tensor],
    z: torch.Tensor,
    args: Sequence[Any] = (),
    *,
    samples: int = 1,
    distribution: str = "rademacher",
    batch_ndim: int | None = None,
    normalize: bool = False,
    create_graph: bool = True,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Unbiased estimate of ``||∂f/∂z||_F²`` per sample, at ``z``.

    Parameters
    ----------
    f:
        The map ``f(z, *args)``, returning a tensor (same shape as z for a DEQ cell, but any
        shape with the same batch dimensions works).
    z:
        Where the Jacobian is taken (e.g. a DEQ's equilibrium). It is detached: the penalty's
        gradient flows to the parameters of ``f`` and to ``args``, not back through ``z``.
    samples:
        Number of probe vectors averaged.
    distribution:
        ``"rademacher"`` (±1 entries, lower variance) or ``"normal"`` (as in Bai et al. 2021).
    batch_ndim:
        Leading batch dims of ``z`` (default: 1 if ``z.dim() >= 2`` else 0). The samples are
        assumed independent (``f`` does not mix them), so the Jacobian is block diagonal and
        one vector-Jacobian product yields every sample's estimate.
    normalize:
        Divide by the number of state entries per sample, as Bai et al. do, so the penalty's
        scale does not depend on the width.
    create_graph:
        Keep the graph so the estimate can be minimized (set False for monitoring only).

    Returns
    -------
    A tensor of shape ``z.shape[:batch_ndim]``.
    """
    check_callable("f", f)
    check_tensor("z", z)
    samples = check_int("samples", samples, minimum=1)
    distribution = check_choice("distribution", distribution, ["rademacher", "normal"])
    nb = check_batch_ndim("z", z, batch_ndim)
    with torch.enable_grad():
        z = z.detach().requires_grad_(True)
        fz = f(z, *args)
        if not isinstance(fz, torch.Tensor) or fz.shape[:nb] != z.shape[:nb]:
            got = tuple(fz.shape) if isinstance(fz, torch.Tensor) else type(fz).__name__
            raise ValueError(f"`f` must return a tensor with batch shape {tuple(z.shape[:nb])}; got {got}.")
        dims = tuple(range(nb, z.dim()))
        total = torch.zeros(z.shape[:nb], dtype=z.dtype, device=z.device)
        for k in range(samples):
            v = _probe(fz, distribution, generator)
            (vjp,) = torch.autograd.grad(
                fz, z, v, retain_graph=create_graph or k + 1 < samples, create_graph=create_graph
            )
            sq = vjp.pow(2)
            total = total + (sq.sum(dim=dims) if dims else sq)
    estimate = total / samples
    if normalize:
        estimate = estimate / max(1, z[(0,) * nb].numel())
    return estimate
