"""Closed-form conversions between the four parametrizations of one transport model.

On a path with a Gaussian view ``x = b x1 + s eps`` (see :mod:`attractor.transport.paths`),
a model may predict

- ``"velocity"``: the marginal velocity ``v = E[dx_t/dt | x_t] = s' eps_hat + b' x_hat``;
- ``"score"``: ``grad log p_t(x) = -eps_hat / s`` (Tweedie's formula);
- ``"noise"``: ``eps_hat = E[eps | x_t]`` (the epsilon-prediction of DDPM);
- ``"data"``: the denoiser ``x_hat = E[x1 | x_t]`` (x0-prediction in diffusion notation),

and the identity ``x = s eps_hat + b x_hat`` ties them together, so each is an affine function
of ``x`` and any other: ``out = c_x x + c_p prediction`` with coefficients depending on ``t``.
From velocity, ``det = s b' - b s'`` (positive on every path that moves noise to data) gives
``eps_hat = (b' x - b v) / det`` and ``x_hat = (s v - s' x) / det``.

A path with a non-Gaussian source (``StochasticInterpolant(source="data")``) has no such
identity: its velocity and score are independent fields, and only ``noise`` (``E[z | x_t]``)
and ``score`` (``-E[z | x_t] / gamma``) convert into each other.
"""

from __future__ import annotations

from typing import Any

import torch

from attractor._core.validation import check_choice
from attractor.transport.paths.base import Path, as_time, broadcast_to_state

PREDICTIONS = ("velocity", "score", "noise", "data")


def check_prediction(name: str, value: Any) -> str:
    return check_choice(name, value, PREDICTIONS)


def _eps_and_data(kind: str, b, s, db, ds):
    """``(eps_hat, x_hat)`` as ``((e_x, e_p), (d_x, d_p))``: affine in ``(x, prediction)``."""
    zero, one = b * 0.0, b * 0.0 + 1.0
    if kind == "noise":
        return (zero, one), (1.0 / b, -s / b)
    if kind == "data":
        return (1.0 / s, -b / s), (zero, one)
    if kind == "score":
        return (zero, -s), (1.0 / b, s * s / b)
    det = s * db - b * ds
    return (db / det, -b / det), (-ds / det, s / det)


def conversion_coefficients(path: Path, t: Any, source: str, target: str):
    """``(c_x, c_p)`` with ``target = c_x x + c_p source_prediction`` at time(s) ``t``.

    Raises ``ValueError`` naming ``t`` where the conversion is singular (e.g. noise to data
    where the signal ``b(t)`` is 0), and for a path without a Gaussian view.
    """
    source = check_prediction("prediction", source)
    target = check_prediction("target", target)
    t = as_time(t)
    if source == target:
        return torch.zeros_like(t), torch.ones_like(t)
    if not path.gaussian_source:
        return _latent_conversion(path, t, source, target)
    b, s, db, ds = path.scales(t)
    (e_x, e_p), (d_x, d_p) = _eps_and_data(source, b, s, db, ds)
    if target == "noise":
        out = e_x, e_p
    elif target == "data":
        out = d_x, d_p
    elif target == "score":
        out = -e_x / s, -e_p / s
    else:
        out = ds * e_x + db * d_x, ds * e_p + db * d_p
    _check_finite(out, t, source, target, path)
    return out


def convert(path: Path, prediction: torch.Tensor, x: torch.Tensor, t: Any, source: str,
            target: str) -> torch.Tensor:
    """Turn a ``source``-kind prediction at ``(x, t)`` into the ``target`` kind (see module docs)."""
    source, target = check_prediction("source", source), check_prediction("target", target)
    if source == target:
        return prediction
    c_x, c_p = conversion_coefficients(path, t, source, target)
    c_x = broadcast_to_state(c_x.to(x.dtype), x)
    c_p = broadcast_to_state(c_p.to(x.dtype), x)
    return c_x * x + c_p * prediction


def _latent_conversion(path: Path, t: torch.Tensor, source: str, target: str):
    pair = {source, target}
    if pair != {"noise", "score"}:
        raise ValueError(
            f"cannot convert a {source!r} prediction to {target!r} on {path!r}: with a "
            "non-Gaussian source the velocity and the score are independent fields (only "
            "'noise' = E[z | x_t] and 'score' convert into each other); train a model for each."
        )
    g = path.coefficients(t)[2]
    out = (torch.zeros_like(t), -1.0 / g) if target == "score" else (torch.zeros_like(t), -g)
    _check_finite(out, t, source, target, path)
    return out


def _check_finite(coefficients, t: torch.Tensor, source: str, target: str, path: Path) -> None:
    c_x, c_p = coefficients
    bad = ~(torch.isfinite(c_x) & torch.isfinite(c_p))
    if bool(bad.any()):
        where = t.reshape(-1)[bad.reshape(-1)][0] if t.dim() else t
        a, b, g = (float(c) for c in path.coefficients(where))
        raise ValueError(
            f"cannot convert a {source!r} prediction to {target!r} at t={float(where):.6g}: the "
            f"conversion is singular there (alpha={a:.3g}, beta={b:.3g}, gamma={g:.3g}). Start or "
            "stop the sampler away from that time, or use a model of the needed kind."
        )
