"""Validation of the time series a reconstruction is trained or judged on."""

from __future__ import annotations

from typing import Any

import torch


def check_series(name: str, data: Any, n_obs: int | None = None, min_length: int = 2) -> list[torch.Tensor]:
    """One ``(T, N)`` tensor or a list of them, finite, each at least ``min_length`` long."""
    series = list(data) if isinstance(data, (list, tuple)) else [data]
    if not series:
        raise ValueError(f"`{name}` must be a (T, N) tensor or a non-empty list of them; got an empty list.")
    out = []
    for i, x in enumerate(series):
        label = name if len(series) == 1 else f"{name}[{i}]"
        if not isinstance(x, torch.Tensor) or not x.is_floating_point():
            raise TypeError(f"`{label}` must be a floating-point tensor of shape (T, N); got {type(x).__name__}.")
        if x.dim() != 2:
            raise ValueError(f"`{label}` must have shape (T, N) (time first); got {tuple(x.shape)}.")
        bad = ~torch.isfinite(x)
        if bool(bad.any()):
            t = int(bad.any(-1).nonzero()[0, 0])
            raise ValueError(f"`{label}` contains NaN or inf (first at time index {t}); clean or interpolate it first.")
        if x.shape[0] < min_length:
            raise ValueError(f"`{label}` has {x.shape[0]} time steps; at least {min_length} are needed here.")
        if n_obs is not None and x.shape[1] != n_obs:
            raise ValueError(f"`{label}` has {x.shape[1]} observed dimensions; the model observes n_obs={n_obs}.")
        out.append(x)
    return out
