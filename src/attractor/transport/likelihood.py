"""Log-likelihoods of flows by the instantaneous change of variables (Chen et al. 2018).

Along the probability flow ``dx/dt = v(x, t)`` the density obeys
``d/dt log p_t(x_t) = -div v(x_t, t)``, so

.. math:: \\log p_{t_1}(x) = \\log p_{t_0}(x_{t_0}) - \\int_{t_0}^{t_1} \\nabla\\cdot v(x_t, t)\\, dt,

computed by integrating ``(x, l)`` with ``dl/dt = div v`` backwards from ``(x, 0)`` at ``t_1``
to ``t_0`` with :func:`attractor.odeint`. The divergence is exact (one vector-Jacobian product
per dimension) or Hutchinson's estimate ``E[eps^T J eps]`` with probes fixed over the solve
(FFJORD, Grathwohl et al. 2019).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from attractor._core.validation import check_choice, check_int, check_tensor
from attractor.ode import odeint
from attractor.transport import randomness
from attractor.transport.paths.base import Path
from attractor.transport.sample import as_field, check_span
from attractor.transport.samplers.ode import check_velocity_span


@dataclass
class LikelihoodResult:
    """``log_prob`` (nats, per sample), ``bits_per_dim``, the latent ``z`` at ``t_start``, and
    the solve's statistics (``nfe`` counts evaluations of the augmented field)."""

    log_prob: torch.Tensor
    bits_per_dim: torch.Tensor
    z: torch.Tensor
    stats: dict[str, Any] = field(default_factory=dict)


def gaussian_log_prob(z: torch.Tensor, scale: float) -> torch.Tensor:
    """``log N(z; 0, scale^2 I)`` summed over all but the first dimension."""
    flat = z.reshape(z.shape[0], -1)
    d = flat.shape[1]
    return -0.5 * (flat / scale).pow(2).sum(-1) - d * math.log(scale) - 0.5 * d * math.log(2 * math.pi)


def log_likelihood(model: Any, x: torch.Tensor, *, path: Path | None = None, prediction: str | None = None,
                   t_start: float = 0.0, t_end: float = 1.0, divergence: str = "exact", probes: int = 1,
                   solver: Any = "dopri5", rtol: float = 1e-5, atol: float = 1e-5,
                   prior_log_prob: Callable[[torch.Tensor], torch.Tensor] | None = None,
                   cond: Any = None, generator: torch.Generator | None = None,
                   **odeint_kwargs: Any) -> LikelihoodResult:
    """``log p(x)`` of samples ``x`` at ``t_end`` under the flow of ``model``.

    Parameters
    ----------
    model, path, prediction:
        As for :func:`attractor.transport.sample` (converted to a velocity).
    divergence:
        ``"exact"`` (``d`` vector-Jacobian products per evaluation: small dimensions) or
        ``"hutchinson"`` (``probes`` Rademacher probes, fixed for the whole solve: an unbiased
        estimate for large dimensions).
    prior_log_prob:
        ``log p_{t_start}``; default the Gaussian ``N(0, s(t_start)^2 I)`` of the path (exact
        where the signal vanishes at ``t_start``, as at ``t = 0`` of the linear and cosine paths).
    solver, rtol, atol, **odeint_kwargs:
        Passed to :func:`attractor.odeint`.

    When grad mode is on, the result is differentiable (maximum-likelihood training of a
    continuous normalizing flow); otherwise no graph is kept. The batch shares its adaptive
    steps unless ``per_sample=True`` is passed on to ``odeint``.
    """
    field_ = as_field(model, path, prediction)
    x = check_tensor("x", x, min_dim=1)
    t_start, t_end = check_span(t_start, t_end)
    check_velocity_span(field_.path, t_start, t_end)
    divergence = check_choice("divergence", divergence, ("exact", "hutchinson"))
    probes = check_int("probes", probes)
    if divergence == "exact" and probes != 1:
        raise ValueError("`probes` applies to divergence='hutchinson' only.")
    if prior_log_prob is None:
        if not field_.path.gaussian_source:
            raise ValueError(f"{field_.path!r} has a data source: pass `prior_log_prob`, the log-density "
                             "of the source distribution.")
        scale = float(field_.path.noise(t_start))
        prior_log_prob = lambda z: gaussian_log_prob(z, scale)
    shape = x.shape
    B = shape[0]
    D = math.prod(shape[1:])
    differentiable = torch.is_grad_enabled()
    eps = None
    if divergence == "hutchinson":
        signs = randomness.randint(2, (probes, *shape), device=x.device, generator=generator)
        eps = (2 * signs - 1).to(x.dtype)
    calls = [0]

    def augmented(t, y):
        state = y[:, :D].reshape(shape)
        with torch.enable_grad():
            xs = state if state.requires_grad else state.detach().requires_grad_()
            v = field_.velocity(xs, t, cond)
            div = _divergence(v, xs, eps, differentiable)
        calls[0] += 1
        if not differentiable:
            v = v.detach()
        return torch.cat([v.reshape(B, D), div.reshape(B, 1)], -1)

    y1 = torch.cat([x.reshape(B, D), x.new_zeros(B, 1)], -1)
    ts = torch.tensor([t_end, t_start], dtype=x.dtype, device=x.device)
    sol = odeint(augmented, y1, ts, solver=solver, rtol=rtol, atol=atol, **odeint_kwargs)
    y0 = sol.ys[-1]
    z = y0[:, :D].reshape(shape)
    log_prob = prior_log_prob(z) + y0[:, D]
    bpd = -log_prob / (D * math.log(2.0))
    stats = {"nfe": calls[0], "accepted": sol.stats["accepted"], "rejected": sol.stats["rejected"]}
    return LikelihoodResult(log_prob, bpd, z, stats)


def _divergence(v: torch.Tensor, x: torch.Tensor, eps: torch.Tensor | None, create_graph: bool) -> torch.Tensor:
    """``div v`` per sample: exact (a VJP per coordinate) or Hutchinson with the probes ``eps``."""
    B = x.shape[0]
    if eps is None:
        flat_v = v.reshape(B, -1)
        total = x.new_zeros(B)
        for i in range(flat_v.shape[1]):
            (g,) = torch.autograd.grad(flat_v[:, i].sum(), x, create_graph=create_graph, retain_graph=True)
            total = total + g.reshape(B, -1)[:, i]
        return total
    total = x.new_zeros(B)
    for e in eps:
        (g,) = torch.autograd.grad((v * e).sum(), x, create_graph=create_graph, retain_graph=True)
        total = total + (g * e).reshape(B, -1).sum(-1)
    return total / eps.shape[0]
