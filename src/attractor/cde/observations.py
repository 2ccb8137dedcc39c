"""From raw, irregular, partially observed series to a complete grid of values.

A batch of series is a tensor ``x`` of shape ``(*batch, length, channels)`` observed at times
``t`` (``(length,)`` shared, or ``(*batch, length)`` per series). Missing entries are ``NaN``
or marked ``False`` in an observation ``mask`` of ``x``'s shape. Before interpolation each
channel's gaps are filled (linearly between its observations, or by carrying the last one
forward), optionally after adding

* a **time channel** (``t`` itself, so the CDE sees how fast time passes), and
* **observation channels** (per channel, the cumulative number of observations so far divided
  by the series length: the "observational intensity" of Kidger, Morrill, Foster & Lyons,
  "Neural controlled differential equations for irregular time series", NeurIPS 2020,
  sec. 3.5, scaled to [0, 1]), so the model can tell a measured value from a filled-in one.
"""

from __future__ import annotations

import torch

from attractor._core.validation import check_choice


def check_series(x, t):
    """Validate ``x`` and ``t``; returns ``t`` as a tensor (default ``0, 1, ..., length-1``)."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"`x` must be a torch.Tensor of shape (*batch, length, channels); got "
                        f"{type(x).__name__}.")
    if not x.is_floating_point():
        raise ValueError(f"`x` must have a floating-point dtype; got {x.dtype}.")
    if x.dim() < 2 or x.shape[-2] < 2:
        raise ValueError(f"`x` must have shape (*batch, length >= 2, channels); got "
                         f"{tuple(x.shape)}.")
    length = x.shape[-2]
    if t is None:
        t = torch.arange(length, dtype=x.dtype, device=x.device)
    elif not isinstance(t, torch.Tensor):
        t = torch.as_tensor(t, dtype=x.dtype, device=x.device)
    if t.shape[-1:] != (length,) or not (t.dim() == 1 or tuple(t.shape[:-1]) == tuple(x.shape[:-2])):
        raise ValueError(f"`t` must have shape ({length},) or {tuple(x.shape[:-2]) + (length,)} to "
                         f"match `x` of shape {tuple(x.shape)}; got {tuple(t.shape)}.")
    t = t.to(dtype=x.dtype, device=x.device)
    if not bool(torch.isfinite(t).all()):
        raise ValueError("`t` must be finite (mark missing observations in `x`, not in `t`).")
    if not bool((t[..., 1:] > t[..., :-1]).all()):
        raise ValueError("`t` must be strictly increasing along the series.")
    return t


def apply_mask(x: torch.Tensor, mask) -> torch.Tensor:
    """``x`` with the entries where ``mask`` is False set to NaN (a copy; ``x`` is untouched)."""
    if mask is None:
        return x
    if not isinstance(mask, torch.Tensor) or mask.shape != x.shape:
        got = tuple(mask.shape) if isinstance(mask, torch.Tensor) else type(mask).__name__
        raise ValueError(f"`mask` must be a tensor of the shape of `x` {tuple(x.shape)}; got {got}.")
    return torch.where(mask.bool(), x, torch.full_like(x, float("nan")))


def observation_counts(x: torch.Tensor) -> torch.Tensor:
    """Cumulative number of observations per channel over the series length (shape of ``x``)."""
    return (~torch.isnan(x)).to(x.dtype).cumsum(dim=-2) / x.shape[-2]


def add_channels(x: torch.Tensor, t: torch.Tensor, *, time_channel: bool,
                 observation_channels: bool) -> torch.Tensor:
    """Prepend time and append observation-count channels (before any filling)."""
    parts = []
    if time_channel:
        parts.append(t.unsqueeze(-1).expand(*x.shape[:-1], 1))
    parts.append(x)
    if observation_channels:
        parts.append(observation_counts(x))
    return torch.cat(parts, dim=-1) if len(parts) > 1 else x


def fill_missing(x: torch.Tensor, t: torch.Tensor, method: str = "linear",
                 fill_value: float | None = None) -> torch.Tensor:
    """Fill NaNs channel by channel.

    ``method="linear"``: linear in time between the neighbouring observations, constant before
    the first and after the last. ``"forward"``: last observation carried forward (the first
    one carried backward over a leading gap). A channel with no observation in a series takes
    ``fill_value``, or raises ``ValueError`` when that is ``None``.
    """
    method = check_choice("method", method, ("linear", "forward"))
    missing = torch.isnan(x)
    if not bool(missing.any()):
        return x
    observed = ~missing
    empty = ~observed.any(dim=-2)  # (*batch, channels)
    if bool(empty.any()):
        if fill_value is None:
            where = empty.nonzero()[0].tolist()
            raise ValueError(
                f"`x` has a channel with no observation at all (first at batch/channel index "
                f"{where}); pass `fill_value=` to fill such channels with a constant."
            )
        x = torch.where(empty.unsqueeze(-2) & missing, torch.full_like(x, fill_value), x)
        missing = torch.isnan(x)
        observed = ~missing
    length = x.shape[-2]
    idx = torch.arange(length, device=x.device).view(*([1] * (x.dim() - 2)), length, 1)
    idx = idx.expand_as(x)
    big = length
    # index of the last observation at or before each position, and the next one at or after
    prev = torch.where(observed, idx, torch.full_like(idx, -1)).cummax(dim=-2).values
    nxt = torch.where(observed, idx, torch.full_like(idx, big)).flip(-2).cummin(dim=-2).values.flip(-2)
    prev_c = prev.clamp(min=0)
    nxt_c = nxt.clamp(max=length - 1)
    x0 = torch.nan_to_num(x)
    x_prev = x0.gather(-2, prev_c)
    x_next = x0.gather(-2, nxt_c)
    x_prev = torch.where(prev >= 0, x_prev, x_next)  # leading gap: carry the first observation back
    x_next = torch.where(nxt < big, x_next, x_prev)  # trailing gap: carry the last one forward
    if method == "forward":
        return torch.where(missing, x_prev, x)
    tt = t.unsqueeze(-1).expand(*x.shape[:-2], length, x.shape[-1]) if t.dim() > 1 else \
        t.view(length, 1).expand(*x.shape)
    t_prev, t_next = tt.gather(-2, prev_c), tt.gather(-2, nxt_c)
    span = t_next - t_prev
    weight = torch.where(span > 0, (tt - t_prev) / torch.where(span > 0, span, torch.ones_like(span)),
                         torch.zeros_like(span))
    weight = torch.where((prev >= 0) & (nxt < big), weight, torch.zeros_like(weight))
    return torch.where(missing, x_prev + weight * (x_next - x_prev), x)
