"""Per-sample norms over all but the leading batch dimensions."""

from __future__ import annotations

import torch


def flat_batch(x: torch.Tensor, batch_ndim: int) -> torch.Tensor:
    """View ``x`` as a matrix (batch_size, features); an unbatched ``x`` becomes (1, features)."""
    batch = 1
    for n in x.shape[:batch_ndim]:
        batch *= n
    return x.reshape(batch, -1)


def batch_norm(x: torch.Tensor, batch_ndim: int, kind: str = "l2") -> torch.Tensor:
    """Norm of each sample: reduces every dimension after the first ``batch_ndim``.

    ``kind`` is ``"l2"`` (Euclidean), ``"rms"`` (root mean square) or ``"max"`` (infinity norm).
    Returns a tensor of shape ``x.shape[:batch_ndim]``.
    """
    dims = tuple(range(batch_ndim, x.dim()))
    if not dims:
        return x.abs()
    if kind == "l2":
        return torch.linalg.vector_norm(x, dim=dims)
    if kind == "rms":
        return x.pow(2).mean(dim=dims).sqrt() if not x.is_complex() else x.abs().pow(2).mean(dim=dims).sqrt()
    if kind == "max":
        return x.abs().amax(dim=dims)
    raise ValueError(f"`norm` must be one of ['l2', 'rms', 'max']; got {kind!r}.")


def expand_to(mask: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Reshape a per-sample tensor of shape batch_shape so it broadcasts against ``x``."""
    return mask.reshape(mask.shape + (1,) * (x.dim() - mask.dim()))
