"""Metrics for judging a reconstructed (learned or forecast) dynamical system against the
true one: the state-space divergence ``D_stsp`` (geometry of the attractor), the valid
prediction time (short-term forecast) and sMAPE. The power-spectrum distance ``D_H`` lives
in :mod:`attractor.analysis.spectra`.

All take time-first tensors: ``(T, d)`` (and ``(T, *batch, d)`` where noted).
"""

from __future__ import annotations

import math

import torch

from attractor._core.validation import check_choice, check_int, check_positive, check_tensor
from attractor.analysis._series import time_series


def state_space_divergence(
    x_true: torch.Tensor,
    x_gen: torch.Tensor,
    *,
    method: str = "auto",
    bins: int = 30,
    eps: float = 1e-7,
    sigma: float | None = None,
    n_samples: int = 2000,
    max_centers: int = 2000,
    seed: int = 0,
) -> torch.Tensor:
    """State-space divergence ``D_stsp = KL(p_true ‖ p_gen)`` between the occupation measures
    of two trajectories of shape ``(T, d)`` (Koppe et al., PLoS Comput. Biol. 2019; Brenner
    et al., ICML 2022). 0 for identical samples; grows as the generated attractor's geometry
    departs from the true one.

    ``method``:

    * ``"binning"``: ``bins`` equal bins per dimension over the true data's range (widened by
      5 % each side). Occupation probabilities get a floor ``eps`` per bin, ``p = (c/N + ε) /
      (1 + Bε)``, so empty bins stay finite; generated points outside the range count in
      ``N`` but in no bin, so escaping mass is penalised.
    * ``"gmm"``: each trajectory defines a Gaussian mixture with one isotropic component of
      width ``sigma`` per state (data standardised by the true mean and standard deviation,
      at most ``max_centers`` evenly spaced states; default ``σ = 0.25 √d``, following the
      growth of typical distances with dimension), and the KL divergence is estimated by
      Monte Carlo with ``n_samples`` draws from the true mixture (fixed ``seed``). Suited to
      high dimensions, where bins are empty.
    * ``"auto"``: binning for ``d ≤ 3``, else the Gaussian mixture.
    """
    x_true = time_series(x_true, "x_true")
    x_gen = time_series(x_gen, "x_gen")
    if x_true.shape[1] != x_gen.shape[1]:
        raise ValueError(
            f"`x_true` and `x_gen` must have the same dimension; got {tuple(x_true.shape)} "
            f"and {tuple(x_gen.shape)}."
        )
    method = check_choice("method", method, ["auto", "binning", "gmm"])
    if method == "auto":
        method = "binning" if x_true.shape[1] <= 3 else "gmm"
    if method == "binning":
        return _binned_kl(x_true, x_gen, check_int("bins", bins, minimum=2), check_positive("eps", eps))
    sigma = 0.25 * math.sqrt(x_true.shape[1]) if sigma is None else check_positive("sigma", sigma)
    return _gmm_kl(
        x_true, x_gen, sigma, check_int("n_samples", n_samples),
        check_int("max_centers", max_centers), seed,
    )


def _binned_kl(x_true, x_gen, bins, eps):
    d = x_true.shape[1]
    if bins**d > 50_000_000:
        raise ValueError(f"{bins}^{d} bins is too many; use method='gmm' or fewer bins.")
    lo, hi = x_true.amin(0), x_true.amax(0)
    pad = 0.05 * (hi - lo).clamp_min(torch.finfo(x_true.dtype).eps)
    lo, hi = lo - pad, hi + pad

    def occupancy(x):
        cell = ((x - lo) / (hi - lo) * bins).floor().long()
        inside = ((cell >= 0) & (cell < bins)).all(-1)
        weights = bins ** torch.arange(d - 1, -1, -1, device=x.device)
        flat = (cell[inside] * weights).sum(-1)
        counts = torch.bincount(flat, minlength=bins**d).to(x.dtype)
        return (counts / x.shape[0] + eps) / (1 + eps * bins**d)

    p, q = occupancy(x_true), occupancy(x_gen)
    return (p * (p / q).log()).sum()


def _gmm_kl(x_true, x_gen, sigma, n_samples, max_centers, seed):
    mean, std = x_true.mean(0), x_true.std(0).clamp_min(torch.finfo(x_true.dtype).eps)
    a = (x_true - mean) / std
    b = (x_gen - mean) / std

    def centers(z):
        if z.shape[0] <= max_centers:
            return z
        return z[torch.linspace(0, z.shape[0] - 1, max_centers, device=z.device).round().long()]

    ca, cb = centers(a), centers(b)
    gen = torch.Generator(device="cpu").manual_seed(seed)
    pick = torch.randint(ca.shape[0], (n_samples,), generator=gen).to(ca.device)
    noise = torch.randn(n_samples, ca.shape[1], generator=gen, dtype=ca.dtype).to(ca.device)
    samples = ca[pick] + sigma * noise

    def log_density(c):
        sq = torch.cdist(samples, c).pow(2)
        return torch.logsumexp(-sq / (2 * sigma**2), dim=1) - math.log(c.shape[0])

    # the Gaussian normalising constants are equal and cancel
    return (log_density(ca) - log_density(cb)).mean()


def valid_prediction_time(
    x_true: torch.Tensor,
    x_pred: torch.Tensor,
    *,
    dt: float = 1.0,
    lyapunov: float | torch.Tensor | None = None,
    threshold: float = 0.4,
    std: torch.Tensor | None = None,
) -> torch.Tensor:
    """Valid prediction time: how long a forecast stays within ``threshold`` normalised RMS
    error of the truth (Pathak et al., PRL 120, 024102, 2018; Vlachas et al., Neural Netw.
    2020).

    With ``e(t) = √(mean_i ((x̂_i(t) - x_i(t)) / σ_i)²)`` (``σ_i`` the standard deviation of the
    true coordinate over time, or ``std``), VPT is the first time at which ``e > threshold``
    (the whole horizon if never). Inputs are ``(T, *batch, d)``; the result has shape
    ``batch``, in time units of ``dt``, or in Lyapunov times when the largest exponent
    ``lyapunov`` is given (``VPT · λ_1``).
    """
    x_true = check_tensor("x_true", x_true, min_dim=2)
    x_pred = check_tensor("x_pred", x_pred, min_dim=2, finite=False)
    if x_true.shape != x_pred.shape:
        raise ValueError(f"`x_pred` must have the shape of `x_true` {tuple(x_true.shape)}; got {tuple(x_pred.shape)}.")
    check_positive("dt", dt)
    check_positive("threshold", threshold)
    sd = x_true.std(0, keepdim=True) if std is None else std
    err = ((x_pred - x_true) / sd.clamp_min(torch.finfo(x_true.dtype).eps)).pow(2).mean(-1).sqrt()
    err = torch.where(torch.isfinite(err), err, torch.full_like(err, math.inf))
    exceeded = err > threshold  # (T, *batch)
    n = x_true.shape[0]
    first = torch.where(
        exceeded.any(0), exceeded.to(torch.int8).argmax(0), torch.full(exceeded.shape[1:], n, device=err.device)
    )
    vpt = first.to(x_true.dtype) * dt
    return vpt * lyapunov if lyapunov is not None else vpt


def smape(x_true: torch.Tensor, x_pred: torch.Tensor) -> torch.Tensor:
    """Symmetric mean absolute percentage error (Makridakis 1993), in percent:
    ``100 · mean_{t,i} 2|x̂ - x| / (|x̂| + |x|)``, in ``[0, 200]``; inputs ``(T, *batch, d)``,
    result of shape ``batch`` (terms with ``x̂ = x = 0`` count as 0)."""
    x_true = check_tensor("x_true", x_true, min_dim=1)
    x_pred = check_tensor("x_pred", x_pred, min_dim=1, finite=False)
    if x_true.shape != x_pred.shape:
        raise ValueError(f"`x_pred` must have the shape of `x_true` {tuple(x_true.shape)}; got {tuple(x_pred.shape)}.")
    num = 2 * (x_pred - x_true).abs()
    den = x_pred.abs() + x_true.abs()
    ratio = torch.where(den > 0, num / den.clamp_min(torch.finfo(x_true.dtype).tiny), torch.zeros_like(num))
    if x_true.dim() == 1:
        return 100 * ratio.mean()
    return 100 * ratio.mean(dim=(0, -1))
