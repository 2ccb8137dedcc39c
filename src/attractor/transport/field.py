"""Transport fields: what samplers and likelihoods evaluate.

A field knows its :class:`~attractor.transport.Path` and answers ``predict(kind, x, t, cond)``
for the four parametrizations (``"velocity"``, ``"score"``, ``"noise"``, ``"data"``; see
:mod:`attractor.transport.parametrization`). :class:`TransportModel` wraps a network that
predicts one kind and converts in closed form; :class:`~attractor.transport.MixtureField` is
the exact field of a Gaussian-mixture problem.
"""

from __future__ import annotations

import abc
from typing import Any

import torch
from torch import nn

from attractor._core.validation import check_callable
from attractor.transport.parametrization import check_prediction, conversion_coefficients, convert
from attractor.transport.paths.base import Path, as_time


def batch_times(t: Any, x: torch.Tensor) -> torch.Tensor:
    """``t`` as a per-sample ``(B,)`` tensor in ``x``'s dtype (the convention for networks)."""
    n = x.shape[0] if x.dim() else 1
    if isinstance(t, torch.Tensor) and t.dim() == 1 and t.shape[0] == n:
        return t.to(dtype=x.dtype, device=x.device)
    if isinstance(t, torch.Tensor):
        if t.numel() != 1:
            raise ValueError(f"`t` must be a scalar or have shape ({n},); got {tuple(t.shape)}.")
        return t.reshape(1).to(dtype=x.dtype, device=x.device).expand(n)
    return x.new_full((n,), float(t))


def _coefficient_dtype(x: torch.Tensor) -> torch.dtype:
    """float64 for the path's coefficients, except where the device has none (MPS)."""
    return torch.float32 if x.device.type == "mps" else torch.float64


class TransportField(abc.ABC):
    """A velocity / score / noise / denoiser field on a path: the interface of the samplers."""

    path: Path

    @abc.abstractmethod
    def predict(self, kind: str, x: torch.Tensor, t: Any, cond: Any = None) -> torch.Tensor:
        """The ``kind`` prediction at ``x`` (``(B, ...)``) and time ``t`` (a float or ``(B,)``)."""

    def velocity(self, x: torch.Tensor, t: Any, cond: Any = None) -> torch.Tensor:
        return self.predict("velocity", x, t, cond)

    def score(self, x: torch.Tensor, t: Any, cond: Any = None) -> torch.Tensor:
        return self.predict("score", x, t, cond)

    def noise(self, x: torch.Tensor, t: Any, cond: Any = None) -> torch.Tensor:
        return self.predict("noise", x, t, cond)

    def data(self, x: torch.Tensor, t: Any, cond: Any = None) -> torch.Tensor:
        return self.predict("data", x, t, cond)


class TransportModel(nn.Module, TransportField):
    """A network ``net(x, t)`` (or ``net(x, t, cond)``) predicting one parametrization on a path.

    ``t`` reaches the network as a ``(B,)`` tensor in ``x``'s dtype. The other
    parametrizations follow in closed form (``model.score(x, t)``, ...). Conversions at a
    Python-float time (what the samplers use) are cached.

    Parameters
    ----------
    net:
        Any callable, usually an ``nn.Module``; its parameters become this module's.
    path:
        The :class:`~attractor.transport.Path` the network was trained on.
    prediction:
        What ``net`` predicts: ``"velocity"`` (flow matching), ``"noise"`` (epsilon, DDPM),
        ``"data"`` (the denoiser / x0), or ``"score"``.
    """

    def __init__(self, net: Any, path: Path, prediction: str = "velocity") -> None:
        super().__init__()
        check_callable("net", net)
        if not isinstance(path, Path):
            raise TypeError(f"`path` must be a transport Path; got {type(path).__name__}.")
        self.net = net
        self.path = path
        self.prediction = check_prediction("prediction", prediction)
        self._coefficients: dict[tuple[float, str], tuple[float, float]] = {}

    def forward(self, x: torch.Tensor, t: Any, cond: Any = None) -> torch.Tensor:
        tb = batch_times(t, x)
        out = self.net(x, tb) if cond is None else self.net(x, tb, cond)
        if not isinstance(out, torch.Tensor) or out.shape != x.shape:
            got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
            raise ValueError(f"`net` must return a tensor shaped like `x` {tuple(x.shape)} (its "
                             f"{self.prediction} prediction); got {got}.")
        return out

    def predict(self, kind: str, x: torch.Tensor, t: Any, cond: Any = None) -> torch.Tensor:
        out = self(x, t, cond)
        if kind == self.prediction:
            return out
        if isinstance(t, torch.Tensor):
            return convert(self.path, out, x, t.to(_coefficient_dtype(x)), self.prediction, kind)
        key = (float(t), kind)
        coef = self._coefficients.get(key)
        if coef is None:
            if len(self._coefficients) >= 4096:  # adaptive solvers ask at ever new times
                self._coefficients.clear()
            c_x, c_p = conversion_coefficients(self.path, as_time(float(t)), self.prediction, kind)
            coef = self._coefficients[key] = (float(c_x), float(c_p))
        c_x, c_p = coef
        return torch.add(out * c_p, x, alpha=c_x) if c_x else out * c_p
