"""The shared front half of every interpolation constructor."""

from __future__ import annotations

from attractor.cde.observations import add_channels, apply_mask, check_series, fill_missing


def prepare(x, t, *, mask, time_channel: bool, observation_channels: bool, fill: str,
            fill_value):
    """Validate, add channels and fill gaps; returns ``(values, knots)``."""
    t = check_series(x, t)
    x = apply_mask(x, mask)
    x = add_channels(x, t, time_channel=time_channel, observation_channels=observation_channels)
    reject_infinities(x)
    return fill_missing(x, t, fill, fill_value), t


def reject_infinities(x):
    """NaN marks a missing value; an infinity is an error."""
    if bool(x.isinf().any()):
        raise ValueError("`x` must not contain infinities (use NaN to mark missing values).")


def differences(x, t):
    """Per-interval ``(x_{k+1} - x_k, h_k)`` with ``h_k`` broadcastable against ``x``'s channels."""
    h = (t[..., 1:] - t[..., :-1]).unsqueeze(-1)
    return x[..., 1:, :] - x[..., :-1, :], h
