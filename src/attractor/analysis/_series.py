"""The time-series argument convention of the analysis functions."""

from __future__ import annotations

import torch

from attractor._core.validation import check_tensor


def time_series(
    x: torch.Tensor, name: str = "x", *, min_length: int = 1, channels: str = "flat"
) -> torch.Tensor:
    """``x`` of shape ``(T,)`` or ``(T, d)`` (time first), returned as ``(T, d)``.

    ``channels="any"`` also accepts ``(T, ...)`` with several channel dimensions (returned as
    given, a 1-D series as ``(T, 1)``); ``min_length`` is the fewest time steps accepted.
    """
    x = check_tensor(name, x, min_dim=1)
    if x.dim() == 1:
        x = x.unsqueeze(-1)
    if channels == "flat" and x.dim() != 2:
        raise ValueError(f"`{name}` must have shape (T,) or (T, d); got {tuple(x.shape)}.")
    if x.shape[0] < min_length:
        raise ValueError(f"`{name}` needs at least {min_length} time steps; got shape {tuple(x.shape)}.")
    return x


def reject_constant(x: torch.Tensor, name: str, why: str) -> None:
    """Raise if every entry of ``x`` is the same: ``why`` says what a constant series lacks."""
    if x.numel() and bool((x == x.reshape(-1)[0]).all()):
        raise ValueError(f"`{name}` is constant: {why}.")
