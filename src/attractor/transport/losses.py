"""Training objectives for every parametrization on every path.

With paired samples ``(x0, x1)`` (from a coupling), ``z ~ N(0, I)`` and ``t`` from a time
sampler, ``x_t = alpha x0 + beta x1 + gamma z`` and the network's prediction is regressed on

- ``"velocity"``: ``alpha' x0 + beta' x1 + gamma' z`` (conditional flow matching; Lipman et al.
  2023, Albergo & Vanden-Eijnden 2023, Liu et al. 2023);
- ``"noise"``: the Gaussian part ``eps = (alpha x0 + gamma z) / s`` (DDPM's epsilon objective;
  ``z`` itself for a non-Gaussian source);
- ``"data"``: ``x1`` (the denoiser);
- ``"score"``: ``-eps / s`` (denoising score matching; ``-z / gamma`` for a non-Gaussian source),

whose conditional expectations given ``x_t`` are the marginal fields. The loss is the mean
over the batch of ``w(t) ||prediction - target||^2 / dim``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from attractor._core.validation import check_callable, check_positive
from attractor.transport import randomness
from attractor.transport.couplings import Coupling, IndependentCoupling
from attractor.transport.field import batch_times
from attractor.transport.parametrization import check_prediction
from attractor.transport.paths.base import Path, broadcast_to_state
from attractor.transport.time_sampling import TimeSampler, UniformTime


class MinSNRWeighting:
    """Min-SNR-gamma weighting (Hang et al. 2023): in noise units ``w = min(SNR, gamma) / SNR``
    with ``SNR = (b / s)^2``, carried to the chosen prediction by the factor relating its error
    to the noise error (``SNR`` for data, ``s^2`` for score, ``1 / (s' - b' s / b)^2`` for
    velocity)."""

    def __init__(self, gamma: float = 5.0) -> None:
        self.gamma = check_positive("gamma", gamma)

    def __call__(self, t: torch.Tensor, path: Path, prediction: str) -> torch.Tensor:
        prediction = check_prediction("prediction", prediction)
        b, s, db, ds = path.scales(t)
        snr = (b / s) ** 2
        w = torch.clamp(self.gamma / snr, max=1.0)  # = min(snr, gamma) / snr, also at snr = 0
        if prediction == "data":
            return w * snr
        if prediction == "score":
            return w * s * s
        if prediction == "velocity":
            return w / (ds - db * s / b) ** 2
        return w


class TransportLoss:
    """The regression loss of a transport model on a path.

    Parameters
    ----------
    path:
        The :class:`~attractor.transport.Path`.
    prediction:
        What the network predicts: ``"velocity"``, ``"noise"``, ``"data"`` or ``"score"``.
    coupling:
        A :class:`~attractor.transport.couplings.Coupling` (default independent).
    time:
        A :class:`~attractor.transport.time_sampling.TimeSampler` (default ``UniformTime()``).
    weighting:
        ``None`` (uniform), :class:`MinSNRWeighting`, or a callable ``(t, path, prediction) ->
        (B,)`` weights.

    Call it as ``loss(net, x1, x0=None, cond=None, generator=None)``; ``x0`` defaults to standard
    normal noise (required explicitly for a non-Gaussian source). ``net(x, t)`` (or
    ``net(x, t, cond)``) gets ``t`` as a ``(B,)`` tensor.
    """

    def __init__(self, path: Path, prediction: str = "velocity", *, coupling: Coupling | None = None,
                 time: TimeSampler | None = None, weighting: Callable[..., torch.Tensor] | None = None) -> None:
        if not isinstance(path, Path):
            raise TypeError(f"`path` must be a transport Path; got {type(path).__name__}.")
        self.path = path
        self.prediction = check_prediction("prediction", prediction)
        if not path.gaussian_source and self.prediction == "data":
            raise ValueError(f"the 'data' prediction E[x1 | x_t] of {path!r} cannot drive a sampler "
                             "(its source is not Gaussian); train 'velocity' (and 'score' or 'noise').")
        if not path.gaussian_source and self.prediction in ("noise", "score") and not path.stochastic:
            raise ValueError(f"{path!r} has no Gaussian part to denoise.")
        self.coupling = IndependentCoupling() if coupling is None else coupling
        if not isinstance(self.coupling, Coupling):
            raise TypeError(f"`coupling` must be a Coupling; got {type(self.coupling).__name__}.")
        self.time = UniformTime() if time is None else time
        if not isinstance(self.time, TimeSampler):
            raise TypeError(f"`time` must be a TimeSampler; got {type(self.time).__name__}.")
        if weighting is not None:
            check_callable("weighting", weighting)
        self.weighting = weighting
        self._refuse_singular_ends()

    def _refuse_singular_ends(self) -> None:
        """A time the sampler can draw where the target (or its weight) is infinite would put
        ``inf`` into the loss: refuse it here rather than at the unlucky step."""
        for end in self.time.reachable_ends():
            one = torch.ones(1, 1, dtype=torch.float64)
            t = torch.tensor([end], dtype=torch.float64)
            with torch.no_grad():
                xt, target = self.targets(one, one, t, one if self.path.stochastic else None)
                weight = self.weighting(t, self.path, self.prediction) if self.weighting else one
            if not bool(torch.isfinite(xt).all() and torch.isfinite(target).all() and torch.isfinite(weight).all()):
                raise ValueError(
                    f"the {self.prediction!r} target of {self.path!r} is singular at t={end:g}, which "
                    f"`time`={self.time!r} can draw; use UniformTime({1e-3 if end == 0 else 0.0}, "
                    f"{1 - 1e-3 if end == 1 else 1.0}) or a LogitNormalTime()."
                )

    def targets(self, x0: torch.Tensor, x1: torch.Tensor, t: torch.Tensor, z: torch.Tensor | None):
        """``(x_t, target)`` for paired samples at per-sample times ``t``."""
        xt = self.path.interpolate(x0, x1, t, z)
        kind = self.prediction
        if kind == "velocity":
            return xt, self.path.velocity_target(x0, x1, t, z)
        if kind == "data":
            return xt, x1
        a, _, g = (broadcast_to_state(c, x1) for c in self.path.coefficients(t))
        if self.path.gaussian_source:
            s = broadcast_to_state(self.path.noise(t), x1)
            eps = (a * x0 + g * z) / s if z is not None else x0  # x0 is the noise itself
        else:
            eps, s = z, g
        return xt, (eps if kind == "noise" else -eps / s)

    def __call__(self, net: Any, x1: torch.Tensor, x0: torch.Tensor | None = None, cond: Any = None,
                 generator: torch.Generator | None = None) -> torch.Tensor:
        if x0 is None:
            if not self.path.gaussian_source:
                raise ValueError(f"{self.path!r} has a data source: pass the source batch `x0`.")
            x0 = randomness.randn_like(x1, generator)
        x0, x1, cond = self.coupling(x0, x1, cond, generator)
        B = x1.shape[0]
        t = self.time.sample(B, generator=generator, dtype=x1.dtype, device=x1.device)
        z = randomness.randn_like(x1, generator) if self.path.stochastic else None
        xt, target = self.targets(x0, x1, t, z)
        tb = batch_times(t, xt)
        pred = net(xt, tb) if cond is None else net(xt, tb, cond)
        if not isinstance(pred, torch.Tensor) or pred.shape != target.shape:
            got = tuple(pred.shape) if isinstance(pred, torch.Tensor) else type(pred).__name__
            raise ValueError(f"`net` returned {got}; expected a tensor of shape {tuple(target.shape)}.")
        err = (pred - target).pow(2).reshape(B, -1).mean(-1)
        if self.weighting is not None:
            err = err * self.weighting(t, self.path, self.prediction).to(err.dtype)
        return err.mean()

    def __repr__(self) -> str:
        return (f"TransportLoss(path={self.path!r}, prediction={self.prediction!r}, "
                f"coupling={self.coupling!r}, time={self.time!r})")
