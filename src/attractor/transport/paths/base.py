"""The interpolant (probability path) interface shared by every transport path.

A path joins a source sample ``x0`` to a target sample ``x1`` through

.. math:: x_t = \\alpha(t)\\, x_0 + \\beta(t)\\, x_1 + \\gamma(t)\\, z, \\qquad t \\in [0, 1],

with ``z ~ N(0, I)`` independent of ``(x0, x1)`` (Albergo, Boffi & Vanden-Eijnden 2023, whose
names the coefficients keep). Time runs from the source (``t = 0``, noise for generative
models) to the target (``t = 1``, data), the flow-matching convention; diffusion paths are
written in it with diffusion time ``tau = 1 - t``.

When the source is standard normal (``gaussian_source``), ``alpha x0 + gamma z`` is one
Gaussian ``s(t) eps`` and the path has the *Gaussian view*

.. math:: x_t = b(t)\\, x_1 + s(t)\\, \\varepsilon, \\qquad b = \\beta,\\quad
          s = \\sqrt{\\alpha^2 + \\gamma^2},

which is all that samplers and the conversions between parametrizations need: the
noise-to-signal ratio ``sigma = s / b`` and the log signal-to-noise ratio
``lambda = log(b / s)`` index the noise level.
"""

from __future__ import annotations

import abc
import math
from typing import Any

import torch

from attractor._core.validation import check_in_range


def as_time(t: Any, like: torch.Tensor | None = None) -> torch.Tensor:
    """``t`` as a floating tensor (a Python float becomes a float64 0-dim tensor)."""
    if isinstance(t, torch.Tensor):
        return t if t.is_floating_point() else t.to(torch.get_default_dtype())
    dtype = like.dtype if like is not None else torch.float64
    device = like.device if like is not None else None
    return torch.as_tensor(float(t), dtype=dtype, device=device)


def broadcast_to_state(c: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """A per-sample coefficient ``(B,)`` (or a scalar) shaped to broadcast against ``x (B, ...)``."""
    if c.dim() == 0 or c.dim() == x.dim():
        return c
    return c.reshape(c.shape + (1,) * (x.dim() - c.dim()))


class Path(abc.ABC):
    """A probability path ``x_t = alpha(t) x0 + beta(t) x1 + gamma(t) z`` on ``t in [0, 1]``.

    Subclasses give :meth:`coefficients` and their exact time :meth:`derivatives`; closed-form
    inverses of the noise level (:meth:`t_of_sigma`) where one exists (a bisection otherwise).

    Attributes
    ----------
    gaussian_source:
        Whether ``x0`` is standard normal noise, so the path has a Gaussian view and the
        velocity, score, noise and denoiser parametrizations convert into each other.
    """

    gaussian_source: bool = True

    # -------------------------------------------------------------- to implement
    @abc.abstractmethod
    def coefficients(self, t: Any) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(alpha(t), beta(t), gamma(t))``: the weights of ``x0``, ``x1`` and ``z``."""

    @abc.abstractmethod
    def derivatives(self, t: Any) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Exact time derivatives ``(alpha'(t), beta'(t), gamma'(t))``."""

    # -------------------------------------------------------------- sampling a path
    def interpolate(self, x0: torch.Tensor, x1: torch.Tensor, t: Any,
                    z: torch.Tensor | None = None) -> torch.Tensor:
        """``x_t`` for paired samples; ``t`` is a scalar or per sample ``(B,)``."""
        a, b, g = (broadcast_to_state(c, x1) for c in self.coefficients(as_time(t, x1)))
        out = a * x0 + b * x1
        if z is not None:
            out = out + g * z
        return out

    def velocity_target(self, x0: torch.Tensor, x1: torch.Tensor, t: Any,
                        z: torch.Tensor | None = None) -> torch.Tensor:
        """The conditional velocity ``d x_t / dt = alpha' x0 + beta' x1 + gamma' z``, whose
        conditional expectation given ``x_t`` is the marginal velocity field."""
        da, db, dg = (broadcast_to_state(c, x1) for c in self.derivatives(as_time(t, x1)))
        out = da * x0 + db * x1
        if z is not None:
            out = out + dg * z
        return out

    @property
    def stochastic(self) -> bool:
        """Whether the path has a latent term ``gamma(t) z`` that must be sampled."""
        return False

    def gamma_dgamma(self, t: Any) -> torch.Tensor:
        """``gamma(t) gamma'(t)`` (finite where ``gamma'`` alone may not be)."""
        t = as_time(t)
        return self.coefficients(t)[2] * self.derivatives(t)[2]

    # -------------------------------------------------------------- the Gaussian view
    def scales(self, t: Any) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(b, s, b', s')``: signal and noise scales of the Gaussian view and their derivatives."""
        self._require_gaussian("the Gaussian view (signal and noise scales)")
        t = as_time(t)
        a, b, _ = self.coefficients(t)
        da, db, _ = self.derivatives(t)
        return b, a, db, da  # x0 is the noise; stochastic paths override this

    def signal(self, t: Any) -> torch.Tensor:
        """``b(t)``, the weight of the data in the Gaussian view."""
        return self.scales(t)[0]

    def noise(self, t: Any) -> torch.Tensor:
        """``s(t)``, the standard deviation of the noise in the Gaussian view."""
        return self.scales(t)[1]

    def sigma(self, t: Any) -> torch.Tensor:
        """The noise-to-signal ratio ``s / b`` (``inf`` where the signal vanishes)."""
        b, s = self.scales(t)[:2]
        return s / b

    def log_snr(self, t: Any) -> torch.Tensor:
        """``lambda(t) = log(b / s)``, increasing from source to data."""
        b, s = self.scales(t)[:2]
        return torch.log(b) - torch.log(s)

    def t_of_sigma(self, sigma: Any) -> torch.Tensor:
        """The time at which the noise-to-signal ratio equals ``sigma`` (the inverse of
        :meth:`sigma`, which decreases in ``t``). Generic bisection; paths override it with
        their closed form."""
        sig = torch.as_tensor(sigma, dtype=torch.float64)
        lo = torch.zeros_like(sig)
        hi = torch.ones_like(sig)
        for _ in range(80):  # 2^-80: below float64 resolution on [0, 1]
            mid = 0.5 * (lo + hi)
            above = self.sigma(mid) > sig  # still too noisy: the answer lies later
            lo = torch.where(above, mid, lo)
            hi = torch.where(above, hi, mid)
        return 0.5 * (lo + hi)

    def prior(self, shape: tuple[int, ...], t: float = 0.0, *, generator: torch.Generator | None = None,
              dtype: torch.dtype = torch.float32, device: Any = None) -> torch.Tensor:
        """Samples to start generation from at time ``t``: ``N(0, s(t)^2 I)``, the noise part of
        the marginal (exact where the signal ``b(t)`` is 0, as at ``t = 0`` of the linear path;
        for VP/VE paths ``b(t) x1`` is neglected, as every diffusion sampler does)."""
        self._require_gaussian("a Gaussian prior")
        t = check_in_range("t", t, 0.0, 1.0)
        scale = float(self.noise(t))
        from attractor.transport import randomness

        return scale * randomness.randn(tuple(shape), dtype=dtype, device=device, generator=generator)

    def _require_gaussian(self, what: str) -> None:
        if not self.gaussian_source:
            raise ValueError(
                f"{self!r} has a non-Gaussian source (source='data'), so it has no {what}; the "
                "velocity and the score (or noise) are then independent fields to be learned "
                "separately."
            )

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({fields})"


HALF_PI = 0.5 * math.pi


def equivalent_state(x: torch.Tensor, t: Any, source: Path, target: Path) -> tuple[torch.Tensor, torch.Tensor]:
    """The state and time on ``target`` that carry the same information as ``(x, t)`` on
    ``source``: equal noise-to-signal ratio ``sigma`` and ``x / b`` (equivalently ``x / s``).

    Gaussian paths differ only by this change of variables, so a probability-flow solution
    on one maps onto the other; ``t`` is a float or per-sample ``(B,)``.
    """
    t = as_time(t, x).to(torch.float64)
    b, s = source.scales(t)[:2]
    sigma = s / b
    t_new = target.t_of_sigma(sigma).to(torch.float64)
    b2, s2 = target.scales(t_new)[:2]
    ratio = torch.where(b >= s, b2 / b, s2 / s)  # the better-conditioned of two equal ratios
    return x * broadcast_to_state(ratio.to(x.dtype), x), t_new
