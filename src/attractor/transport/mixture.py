"""Gaussian mixtures with diagonal covariances: exact test targets for transport."""

from __future__ import annotations

import math
from typing import Any

import torch

from attractor._core.validation import check_int, check_positive, check_tensor
from attractor.transport import randomness


class GaussianMixture:
    r"""``p(x) = sum_k w_k N(x; mu_k, diag(v_k))`` in ``d`` dimensions.

    Parameters
    ----------
    weights:
        ``(K,)`` non-negative, normalized here.
    means:
        ``(K, d)``.
    variances:
        A positive scalar, ``(K,)`` (isotropic per component) or ``(K, d)`` (diagonal).

    The class is a plain distribution (``sample``, ``log_prob``, ``score``, ``mean``,
    ``covariance``); :class:`~attractor.transport.MixtureField` carries it along a path.
    """

    def __init__(self, weights: Any, means: Any, variances: Any = 1.0) -> None:
        means = check_tensor("means", torch.as_tensor(means), min_dim=2)
        if means.dim() != 2:
            raise ValueError(f"`means` must have shape (K, d); got {tuple(means.shape)}.")
        K, d = means.shape
        weights = check_tensor("weights", torch.as_tensor(weights, dtype=means.dtype))
        if tuple(weights.shape) != (K,):
            raise ValueError(f"`weights` must have shape ({K},) to match `means`; got {tuple(weights.shape)}.")
        if bool((weights < 0).any()) or float(weights.sum()) <= 0:
            raise ValueError("`weights` must be non-negative with a positive sum.")
        var = check_tensor("variances", torch.as_tensor(variances, dtype=means.dtype))
        if var.dim() == 0:
            var = var.expand(K, d)
        elif tuple(var.shape) == (K,):
            var = var[:, None].expand(K, d)
        elif tuple(var.shape) != (K, d):
            raise ValueError(f"`variances` must be a scalar, ({K},) or ({K}, {d}); got {tuple(var.shape)}.")
        if bool((var <= 0).any()):
            raise ValueError("`variances` must be positive.")
        self.weights = weights / weights.sum()
        self.means = means
        self.variances = var.contiguous()

    # ------------------------------------------------------------------ constructors
    @classmethod
    def standard_normal(cls, dim: int, dtype: torch.dtype = torch.float64) -> GaussianMixture:
        dim = check_int("dim", dim)
        return cls(torch.ones(1, dtype=dtype), torch.zeros(1, dim, dtype=dtype), 1.0)

    @classmethod
    def ring(cls, n: int = 8, radius: float = 4.0, std: float = 0.5, dim: int = 2,
             dtype: torch.dtype = torch.float64) -> GaussianMixture:
        """``n`` equal components on a circle in the first two coordinates (the "8 Gaussians"
        target); further coordinates have zero mean."""
        n, dim = check_int("n", n), check_int("dim", dim, minimum=2)
        radius, std = check_positive("radius", radius), check_positive("std", std)
        angle = torch.arange(n, dtype=dtype) * (2 * math.pi / n)
        means = torch.zeros(n, dim, dtype=dtype)
        means[:, 0], means[:, 1] = radius * torch.cos(angle), radius * torch.sin(angle)
        return cls(torch.ones(n, dtype=dtype), means, std**2)

    @classmethod
    def random(cls, n: int, dim: int, *, scale: float = 2.0, std: tuple[float, float] = (0.3, 0.8),
               seed: int = 0, dtype: torch.dtype = torch.float64) -> GaussianMixture:
        """A reproducible random mixture: means ``N(0, scale^2)``, per-coordinate standard
        deviations uniform in ``std``, Dirichlet(2) weights."""
        n, dim = check_int("n", n), check_int("dim", dim)
        gen = torch.Generator().manual_seed(seed)
        means = scale * torch.randn(n, dim, generator=gen, dtype=dtype)
        lo, hi = std
        sd = lo + (hi - lo) * torch.rand(n, dim, generator=gen, dtype=dtype)
        w = -torch.log(torch.rand(n, 2, generator=gen, dtype=dtype)).sum(1)  # Gamma(2) draws
        return cls(w, means, sd**2)

    # ------------------------------------------------------------------ properties
    @property
    def dim(self) -> int:
        return self.means.shape[1]

    @property
    def n_components(self) -> int:
        return self.means.shape[0]

    @property
    def is_standard_normal(self) -> bool:
        return (self.n_components == 1 and bool((self.means == 0).all())
                and bool((self.variances == 1).all()))

    def to(self, dtype: torch.dtype | None = None, device: Any = None) -> GaussianMixture:
        out = object.__new__(GaussianMixture)
        out.weights = self.weights.to(dtype=dtype, device=device)
        out.means = self.means.to(dtype=dtype, device=device)
        out.variances = self.variances.to(dtype=dtype, device=device)
        return out

    def mean(self) -> torch.Tensor:
        return self.weights @ self.means

    def covariance(self) -> torch.Tensor:
        m = self.mean()
        centred = self.means - m
        second = torch.einsum("k,ki,kj->ij", self.weights, centred, centred)
        return second + torch.diag(self.weights @ self.variances)

    # ------------------------------------------------------------------ density
    def sample(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        n = check_int("n", n, minimum=0)
        k = randomness.multinomial(self.weights, n, generator=generator) if n else \
            torch.zeros(0, dtype=torch.long, device=self.means.device)
        noise = randomness.randn((n, self.dim), dtype=self.means.dtype, device=self.means.device, generator=generator)
        return self.means[k] + noise * self.variances[k].sqrt()

    def component_log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """``log w_k + log N(x; mu_k, v_k)`` for every component: ``(..., K)``."""
        diff = x.unsqueeze(-2) - self.means
        quad = (diff * diff / self.variances).sum(-1)
        logdet = torch.log(self.variances).sum(-1)
        return torch.log(self.weights) - 0.5 * (quad + logdet + self.dim * math.log(2 * math.pi))

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        self._check_x(x)
        return torch.logsumexp(self.component_log_prob(x), -1)

    def score(self, x: torch.Tensor) -> torch.Tensor:
        """``grad log p(x)``."""
        self._check_x(x)
        r = torch.softmax(self.component_log_prob(x), -1)
        return -(r.unsqueeze(-1) * (x.unsqueeze(-2) - self.means) / self.variances).sum(-2)

    def cdf_1d(self, x: torch.Tensor) -> torch.Tensor:
        """The distribution function of a one-dimensional mixture."""
        if self.dim != 1:
            raise ValueError(f"cdf_1d needs a one-dimensional mixture; this one has dim={self.dim}.")
        z = (x.unsqueeze(-1) - self.means[:, 0]) / self.variances[:, 0].sqrt()
        return (self.weights * 0.5 * torch.erfc(-z / math.sqrt(2))).sum(-1)

    def _check_x(self, x: torch.Tensor) -> None:
        if not isinstance(x, torch.Tensor) or x.dim() < 1 or x.shape[-1] != self.dim:
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"`x` must have last dimension {self.dim} (the mixture's); got {shape}.")

    def __repr__(self) -> str:
        return f"GaussianMixture(n_components={self.n_components}, dim={self.dim})"
