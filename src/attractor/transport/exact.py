"""The exact transport field between Gaussian mixtures, for any path.

With independent ``x0 ~ sum_i w_i N(mu_i, S_i)``, ``x1 ~ sum_j u_j N(nu_j, T_j)`` and
``z ~ N(0, I)``, the marginal of ``x_t = alpha x0 + beta x1 + gamma z`` is the mixture over pairs
``(i, j)`` of ``N(m_ij, V_ij)`` with ``m_ij = alpha mu_i + beta nu_j`` and
``V_ij = alpha^2 S_i + beta^2 T_j + gamma^2`` (diagonal), and every conditional expectation is
Gaussian conditioning inside a pair, weighted by the pair's posterior responsibility
``r_ij(x)``:

- ``E[x1 | x] = sum r_ij (nu_j + beta T_j / V_ij (x - m_ij))`` (the denoiser),
- ``E[x0 | x] = sum r_ij (mu_i + alpha S_i / V_ij (x - m_ij))``, ``E[z | x] = sum r_ij gamma / V_ij (x - m_ij)``,
- the velocity ``E[alpha' x0 + beta' x1 + gamma' z | x]``, the score ``-sum r_ij (x - m_ij) / V_ij``,
  and the log-density in closed form.

These fields measure samplers without training: a sampler's error is its distance from the
exact probability-flow solution (:meth:`MixtureField.exact_flow`).
"""

from __future__ import annotations

import math
from typing import Any

import torch

from attractor.transport import randomness
from attractor.transport.field import TransportField
from attractor.transport.mixture import GaussianMixture
from attractor.transport.parametrization import check_prediction
from attractor.transport.paths.base import Path, as_time, equivalent_state
from attractor.transport.paths.linear import LinearPath


class MixtureField(TransportField):
    """The exact velocity, score, noise, denoiser and log-density of a mixture-to-mixture path.

    Parameters
    ----------
    path:
        Any :class:`~attractor.transport.Path`.
    target:
        The data distribution ``x1`` (a :class:`GaussianMixture`).
    source:
        The distribution of ``x0``; default (and required by paths with a Gaussian source)
        the standard normal. Any mixture with ``StochasticInterpolant(source="data")``.
    """

    def __init__(self, path: Path, target: GaussianMixture, source: GaussianMixture | None = None) -> None:
        if not isinstance(path, Path):
            raise TypeError(f"`path` must be a transport Path; got {type(path).__name__}.")
        if not isinstance(target, GaussianMixture):
            raise TypeError(f"`target` must be a GaussianMixture; got {type(target).__name__}.")
        if source is None:
            source = GaussianMixture.standard_normal(target.dim, target.means.dtype)
        if not isinstance(source, GaussianMixture) or source.dim != target.dim:
            raise ValueError(f"`source` must be a GaussianMixture of dimension {target.dim}.")
        if path.gaussian_source and not source.is_standard_normal:
            raise ValueError(
                f"{path!r} assumes a standard normal source; for another source use "
                "StochasticInterpolant(source='data')."
            )
        self.path, self.target, self.source = path, target, source
        self._cache: dict[tuple[torch.dtype, torch.device], tuple[torch.Tensor, ...]] = {}

    # ------------------------------------------------------------------ pair tables
    def _pairs(self, dtype: torch.dtype, device: torch.device):
        key = (dtype, device)
        if key not in self._cache:
            src, tgt = self.source.to(dtype, device), self.target.to(dtype, device)
            K0, K1 = src.n_components, tgt.n_components
            log_w = (torch.log(src.weights)[:, None] + torch.log(tgt.weights)[None, :]).reshape(-1)
            mu = src.means[:, None, :].expand(K0, K1, -1).reshape(K0 * K1, -1)
            S = src.variances[:, None, :].expand(K0, K1, -1).reshape(K0 * K1, -1)
            nu = tgt.means[None, :, :].expand(K0, K1, -1).reshape(K0 * K1, -1)
            T = tgt.variances[None, :, :].expand(K0, K1, -1).reshape(K0 * K1, -1)
            self._cache[key] = (log_w, mu, S, nu, T)
        return self._cache[key]

    def _posterior(self, x: torch.Tensor, t: Any):
        """Responsibilities ``r (B, K)``, standardized ``(x - m) / V (B, K, d)``, the pair log
        densities, and the coefficients at ``t`` (scalars or ``(B, 1, 1)``)."""
        self.target._check_x(x)
        if x.dim() != 2:
            raise ValueError(f"`x` must have shape (B, d); got {tuple(x.shape)}.")
        log_w, mu, S, nu, T = self._pairs(x.dtype, x.device)
        tt = as_time(t, x).to(x.dtype)
        if tt.dim() == 1:
            tt = tt[:, None, None]
        a, b, g = self.path.coefficients(tt)
        m = a * mu + b * nu
        V = a * a * S + b * b * T + g * g
        diff = x[:, None, :] - m
        white = diff / V
        logp = log_w - 0.5 * ((diff * white).sum(-1) + torch.log(V).sum(-1)
                              + x.shape[-1] * math.log(2 * math.pi))
        r = torch.softmax(logp, -1)
        return r, white, logp, tt, (mu, S, nu, T)

    @staticmethod
    def _expect(r: torch.Tensor, mean: torch.Tensor, gain: torch.Tensor, white: torch.Tensor) -> torch.Tensor:
        """``sum_k r_k (mean_k + gain_k * white_k)``."""
        if mean.dim() == 2:
            mean = mean.expand_as(white)
        return (r.unsqueeze(-1) * (mean + gain * white)).sum(-2)

    # ------------------------------------------------------------------ the field
    def predict(self, kind: str, x: torch.Tensor, t: Any, cond: Any = None) -> torch.Tensor:
        if cond is not None:
            raise ValueError("MixtureField is unconditional; `cond` must be None.")
        kind = check_prediction("kind", kind)
        r, white, _, tt, (mu, S, nu, T) = self._posterior(x, t)
        a, b, g = self.path.coefficients(tt)
        if kind == "score":
            return -(r.unsqueeze(-1) * white).sum(-2)
        if kind == "data":
            return self._expect(r, nu, b * T, white)
        if kind == "noise":
            if self.path.gaussian_source:  # E[(alpha x0 + gamma z) / s | x] = -s * score
                s = self.path.noise(tt)
                s = s.reshape(-1, 1) if s.dim() else s
                return s * (r.unsqueeze(-1) * white).sum(-2)
            return (r.unsqueeze(-1) * g * white).sum(-2)  # E[z | x]
        da, db, _ = self.path.derivatives(tt)
        gain = da * a * S + db * b * T + self.path.gamma_dgamma(tt)
        return self._expect(r, da * mu + db * nu, gain, white)

    def log_prob(self, x: torch.Tensor, t: Any) -> torch.Tensor:
        """``log p_t(x)`` of the marginal at time ``t`` (``(B,)``)."""
        return torch.logsumexp(self._posterior(x, t)[2], -1)

    def sample_marginal(self, n: int, t: float, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` draws of ``x_t`` (independent source, target and latent)."""
        x0 = self.source.sample(n, generator=generator)
        x1 = self.target.sample(n, generator=generator)
        z = randomness.randn_like(x1, generator) if self.path.stochastic else None
        return self.path.interpolate(x0, x1, t, z)

    # ------------------------------------------------------------------ reference solutions
    def exact_flow(self, x: torch.Tensor, t0: float, t1: float, *, rtol: float = 1e-10,
                   atol: float = 1e-12) -> torch.Tensor:
        """The probability-flow ODE ``dx/dt = v(x, t)`` solved from ``(x, t0)`` to ``t1`` at a tight
        tolerance in float64: the reference a sampler's samples are compared with.

        Paths with a Gaussian view are solved on the equivalent linear path (the same flow in
        other coordinates; its velocity is smooth up to the data, where VP velocities are not).
        """
        from attractor.ode import odeint

        x64 = x.detach().to(torch.float64)
        if self.path.gaussian_source and not isinstance(self.path, LinearPath):
            linear = MixtureField(LinearPath(), self.target)
            y, s0 = equivalent_state(x64, float(t0), self.path, linear.path)
            s1 = linear.path.t_of_sigma(self.path.sigma(float(t1)))
            y1 = linear.exact_flow(y, float(s0), float(s1), rtol=rtol, atol=atol)
            out, _ = equivalent_state(y1, float(s1), linear.path, self.path)
            return out.to(x.dtype)
        if t0 == t1:
            return x.detach().clone()
        ts = torch.tensor([float(t0), float(t1)], dtype=torch.float64)
        sol = odeint(lambda t, y: self.velocity(y, t), x64, ts, solver="dopri8", rtol=rtol, atol=atol,
                     max_steps=100_000)
        return sol.ys[-1].to(x.dtype)
