"""Metrics for judging a reconstructed (learned or forecast) dynamical system against the
true one: the state-space divergence ``D_stsp`` (geometry of the attractor), the valid
prediction time (short-term forecast), sMAPE and MASE. The power-spectrum distance ``D_H``
lives in :mod:`attractor.analysis.spectra`.

All take time-first tensors: ``(T, d)`` (and ``(T, *batch, d)`` where noted).
"""

from __future__ import annotations

import math

import torch

from attractor._core.validation import check_choice, check_int, check_positive, check_tensor
from attractor.analysis._series import time_series

_BINNING_DEFAULTS = {
    "bins": 30, "smoothing": None, "eps": None, "padding": 0.1, "padding_unit": "std", "outside": "drop",
}
_GMM_DEFAULTS = {
    "sigma": None, "n_samples": 1000, "max_centers": 10_000, "centers": "first", "standardize": False, "seed": 0,
}
_LAPLACE = 1e-5  # the reference's smoothing of the counts


def state_space_divergence(
    x_true: torch.Tensor,
    x_gen: torch.Tensor,
    *,
    method: str = "auto",
    bins: int = 30,
    eps: float | None = None,
    sigma: float | None = None,
    n_samples: int = 1000,
    max_centers: int = 10_000,
    seed: int = 0,
    smoothing: float | None = None,
    padding: float = 0.1,
    padding_unit: str = "std",
    outside: str = "drop",
    centers: str = "first",
    standardize: bool = False,
    binning_below: int = 6,
) -> torch.Tensor:
    r"""State-space divergence ``D_stsp = KL(p_true ‖ p_gen)`` between the occupation measures
    of two trajectories of shape ``(T, d)`` (Koppe et al., PLoS Comput. Biol. 2019; Brenner
    et al., ICML 2022; Hess et al., ICML 2023; Brenner et al., NeurIPS 2024). 0 for identical
    samples; grows as the generated attractor's geometry departs from the true one.

    The defaults are the conventions of the reference code of Hess et al. (2023) and Brenner
    et al. (2024) (``src/measures/stsp_measure.jl`` in github.com/DurstewitzLab/GTF-shPLRNN and
    github.com/DurstewitzLab/ALRNN-DSR), so the numbers compare with those papers' tables.

    ``method``:

    * ``"binning"``: ``bins`` equal bins per dimension over the box
      ``[min_i - padding·s_i, max_i + padding·s_i]`` of the true data, with ``s_i`` its
      standard deviation in dimension ``i`` (``padding_unit="std"``, default padding 0.1:
      the reference's box) or its range (``padding_unit="range"``). With the counts ``c_k`` of
      the ``B = bins^d`` cells, the occupation probabilities are Laplace-smoothed,
      ``p_k = (c_k + α) / (N + α B)`` with ``α = smoothing`` (default ``1e-5``, as the
      reference), and ``D_stsp = Σ_k p_true,k log(p_true,k / p_gen,k)`` (natural logarithm).
      ``outside`` says what happens to points outside the box: ``"drop"`` (default, the
      reference) leaves them out, so ``N`` is each trajectory's count inside the box, and the
      result is NaN when no generated point is inside (the reference's answer); ``"penalize"``
      keeps them in ``N`` but in no cell, so mass that escapes the box raises ``D_stsp``.
      Instead of ``smoothing``, ``eps`` gives a floor on the probabilities,
      ``p_k = (c_k / N + ε) / (1 + B ε)`` (give one of the two). Only occupied cells are
      stored, so the cost does not grow with ``B``.
    * ``"gmm"``: each trajectory defines a Gaussian mixture with one isotropic component of
      standard deviation ``sigma`` (default 1, the reference's ``σ² = 1``) at each of its first
      ``max_centers`` states (``centers="first"``, the reference's 10 000; ``"spaced"``: that
      many evenly spaced states), optionally after standardising both by the true data's mean
      and standard deviation (``standardize``). ``D_stsp`` is estimated by Monte Carlo with
      ``n_samples`` draws ``s_j`` from the true mixture (Hershey & Olsen, ICASSP 2007):
      ``mean_j [log p_true(s_j) - log p_gen(s_j)]``, in log space. The draws come from a CPU
      ``torch.Generator`` seeded with ``seed``: component indices
      ``randint(T_c, (n_samples,))``, then standard normal noise ``randn(n_samples, d)``
      scaled by ``sigma``. (The reference evaluates the densities in float32 and drops the
      samples whose density underflows, those more than about 13–14 σ from every generated
      state; in log space none is lost, which matters only for grossly wrong reconstructions.)
      Suited to high dimensions, where bins are empty.
    * ``"auto"``: binning for ``d < binning_below`` (default 6, the reference's rule), else
      the Gaussian mixture.

    The previous defaults of this function stay available: ``eps=1e-7, padding=0.05,
    padding_unit="range", outside="penalize"`` for binning, ``sigma=0.25·√d,
    standardize=True, centers="spaced", max_centers=2000, n_samples=2000`` for the mixture,
    and ``binning_below=4``.
    """
    x_true = time_series(x_true, "x_true")
    x_gen = time_series(x_gen, "x_gen")
    if x_true.shape[1] != x_gen.shape[1]:
        raise ValueError(
            f"`x_true` and `x_gen` must have the same dimension; got {tuple(x_true.shape)} "
            f"and {tuple(x_gen.shape)}."
        )
    method = check_choice("method", method, ["auto", "binning", "gmm"])
    given = {
        "bins": bins, "smoothing": smoothing, "eps": eps, "padding": padding, "padding_unit": padding_unit,
        "outside": outside, "sigma": sigma, "n_samples": n_samples, "max_centers": max_centers,
        "centers": centers, "standardize": standardize, "seed": seed,
    }
    if method != "auto":
        if binning_below != 6:
            raise ValueError(f"`binning_below` applies to method='auto' only; got method={method!r}.")
        for name, default in (_GMM_DEFAULTS if method == "binning" else _BINNING_DEFAULTS).items():
            if given[name] != default:
                raise ValueError(f"`{name}` does not apply to method={method!r}; got {name}={given[name]!r}.")
    if smoothing is not None and eps is not None:
        raise ValueError(
            "give `smoothing` (Laplace smoothing of the counts) or `eps` (a floor on the "
            f"probabilities), not both; got smoothing={smoothing!r}, eps={eps!r}."
        )
    binning = {
        "bins": check_int("bins", bins, minimum=2),
        "alpha": None if eps is not None else _LAPLACE if smoothing is None else check_positive("smoothing", smoothing),
        "floor": None if eps is None else check_positive("eps", eps),
        "padding": check_positive("padding", padding, allow_zero=True),
        "padding_unit": check_choice("padding_unit", padding_unit, ["std", "range"]),
        "outside": check_choice("outside", outside, ["drop", "penalize"]),
    }
    if not isinstance(standardize, bool):
        raise TypeError(f"`standardize` must be a bool; got {type(standardize).__name__}.")
    mixture = {
        "sigma": 1.0 if sigma is None else check_positive("sigma", sigma),
        "n_samples": check_int("n_samples", n_samples),
        "max_centers": check_int("max_centers", max_centers),
        "centers": check_choice("centers", centers, ["first", "spaced"]),
        "standardize": standardize,
        "seed": check_int("seed", seed, minimum=0),
    }
    if method == "auto":
        method = "binning" if x_true.shape[1] < check_int("binning_below", binning_below) else "gmm"
    if method == "binning":
        return _binned_kl(x_true, x_gen, **binning)
    return _gmm_kl(x_true, x_gen, **mixture)


def _binned_kl(x_true, x_gen, *, bins, alpha, floor, padding, padding_unit, outside):
    d = x_true.shape[1]
    n_cells = bins**d
    if n_cells >= 2**62:
        raise ValueError(f"{bins}^{d} cells do not fit a 64-bit index; use method='gmm' or fewer `bins`.")
    lo, hi = x_true.amin(0), x_true.amax(0)
    scale = x_true.std(0) if padding_unit == "std" else hi - lo
    flat = (hi - lo) <= 0
    if bool(flat.any()):
        raise ValueError(
            f"`x_true` is constant in dimension(s) {flat.nonzero().flatten().tolist()}: it spans no box to bin."
        )
    lo, hi = lo - padding * scale, hi + padding * scale
    weights = bins ** torch.arange(d - 1, -1, -1, device=x_true.device)

    def cells(x):
        cell = ((x - lo) / (hi - lo) * bins).floor()
        inside = ((cell >= 0) & (cell < bins)).all(-1)
        return (cell[inside].long() * weights).sum(-1)

    ct, cg = cells(x_true), cells(x_gen)
    if outside == "drop":
        if cg.numel() == 0:
            return torch.full((), math.nan, dtype=x_true.dtype, device=x_true.device)
        n_true, n_gen = ct.numel(), cg.numel()
    else:
        n_true, n_gen = x_true.shape[0], x_gen.shape[0]

    def affine(n):  # p_k = a c_k + b
        if alpha is not None:
            return 1 / (n + alpha * n_cells), alpha / (n + alpha * n_cells)
        return 1 / (n * (1 + floor * n_cells)), floor / (1 + floor * n_cells)

    keys, inverse = torch.unique(torch.cat([ct, cg]), return_inverse=True)
    count_t = torch.bincount(inverse[: ct.numel()], minlength=keys.numel()).to(x_true.dtype)
    count_g = torch.bincount(inverse[ct.numel():], minlength=keys.numel()).to(x_true.dtype)
    (at, bt), (ag, bg) = affine(n_true), affine(n_gen)
    p, q = at * count_t + bt, ag * count_g + bg
    empty = n_cells - keys.numel()  # cells that neither trajectory visits
    return (p * (p / q).log()).sum() + empty * bt * math.log(bt / bg)


def _gmm_kl(x_true, x_gen, *, sigma, n_samples, max_centers, centers, standardize, seed):
    if standardize:
        mean, std = x_true.mean(0), x_true.std(0).clamp_min(torch.finfo(x_true.dtype).eps)
        x_true, x_gen = (x_true - mean) / std, (x_gen - mean) / std

    def pick(z):
        if z.shape[0] <= max_centers:
            return z
        if centers == "first":
            return z[:max_centers]
        return z[torch.linspace(0, z.shape[0] - 1, max_centers, device=z.device).round().long()]

    ca, cb = pick(x_true), pick(x_gen)
    gen = torch.Generator(device="cpu").manual_seed(seed)
    index = torch.randint(ca.shape[0], (n_samples,), generator=gen).to(ca.device)
    noise = torch.randn(n_samples, ca.shape[1], generator=gen, dtype=ca.dtype).to(ca.device)
    samples = ca[index] + sigma * noise

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


def mase(
    x_true: torch.Tensor,
    x_pred: torch.Tensor,
    *,
    train: torch.Tensor | None = None,
    m: int = 1,
) -> torch.Tensor:
    r"""Mean absolute scaled error (Hyndman & Koehler, Int. J. Forecast. 22, 679, 2006): the
    forecast's mean absolute error divided by the in-sample mean absolute error of the naive
    ``m``-step forecast (``ŷ_t = y_{t-m}``; ``m > 1`` for the seasonal naive forecast) on the
    training series ``y = train`` (default: ``x_true`` itself),

    ``MASE = mean_{t,i} |x̂_{t,i} - x_{t,i}| / s_i``, ``s_i = mean_{t>m} |y_{t,i} - y_{t-m,i}|``,

    each coordinate ``i`` scaled by its own ``s_i``. Below 1 the forecast beats the naive one
    in sample; scale-free, and defined where sMAPE is not (values near 0). Inputs are
    ``(T, *batch, d)`` (or ``(T,)``); ``train`` is ``(T', ...)`` with the remaining
    dimensions of ``x_true`` (or ones that broadcast to them); the result has shape ``batch``.
    """
    x_true = check_tensor("x_true", x_true, min_dim=1)
    x_pred = check_tensor("x_pred", x_pred, min_dim=1, finite=False)
    if x_true.shape != x_pred.shape:
        raise ValueError(f"`x_pred` must have the shape of `x_true` {tuple(x_true.shape)}; got {tuple(x_pred.shape)}.")
    m = check_int("m", m)
    y = x_true if train is None else check_tensor("train", train, min_dim=1)
    name = "x_true" if train is None else "train"
    if y.shape[0] <= m:
        raise ValueError(
            f"`{name}` needs more than m={m} time steps for the naive {m}-step forecast; got shape {tuple(y.shape)}."
        )
    scale = (y[m:] - y[:-m]).abs().mean(0)
    try:
        fits = torch.broadcast_shapes(scale.shape, x_true.shape[1:]) == x_true.shape[1:]
    except RuntimeError:
        fits = False
    if not fits:
        raise ValueError(
            f"`train` must have the dimensions of `x_true` after time, {tuple(x_true.shape[1:])} "
            f"(or ones that broadcast to them); got shape {tuple(y.shape)}."
        )
    if bool((scale == 0).any()):
        raise ValueError(
            f"the naive {m}-step forecast of `{name}` is exact in some coordinate (in-sample MAE 0): "
            "MASE is undefined there."
        )
    scaled = (x_pred - x_true).abs() / scale
    if x_true.dim() == 1:
        return scaled.mean()
    return scaled.mean(dim=(0, -1))
