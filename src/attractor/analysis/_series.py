"""The time-series argument convention of the analysis functions."""

from __future__ import annotations

import torch

from attractor._core.validation import check_tensor


def time_series(x: torch.Tensor, name: str = "x") -> torch.Tensor:
    """``x`` of shape ``(T,)`` or ``(T, d)`` (time first), returned as ``(T, d)``."""
    x = check_tensor(name, x, min_dim=1)
    if x.dim() == 1:
        x = x.unsqueeze(-1)
    if x.dim() != 2:
        raise ValueError(f"`{name}` must have shape (T,) or (T, d); got {tuple(x.shape)}.")
    return x
