"""Judging a reconstruction as the literature does: long-term geometry and spectra of the
free-running model, short-term prediction, and the learned map's invariants."""

from __future__ import annotations

import math
from typing import Any

import torch

from attractor._core.validation import check_in_range, check_int
from attractor.dsr._data_checks import check_series
from attractor.dsr.models._base import ReconstructionModel


def free_run(model: ReconstructionModel, x0: torch.Tensor, steps: int, *, latent: bool = False) -> torch.Tensor:
    """The model's own trajectory from the latent state showing ``x0`` (``(*batch, N)``):
    ``x0`` followed by ``steps - 1`` generated observations, ``(steps, *batch, N)``, or the
    latent states ``(steps, *batch, M)`` with ``latent=True``."""
    steps = check_int("steps", steps, minimum=1)
    z0 = model.latent_from(x0)
    with torch.no_grad():
        z = torch.cat([z0.unsqueeze(0), model.generate(z0, steps - 1)]) if steps > 1 else z0.unsqueeze(0)
    return z if latent else model.observe(z)


def prediction_error(model: ReconstructionModel, x: torch.Tensor, n: int = 20, *, starts: int | None = None) -> torch.Tensor:
    r"""The ``n``-step prediction error :math:`PE_n` (Hess et al. 2023; Brenner et al. 2024):
    from every time ``t`` (or ``starts`` evenly spaced ones) the model starts at the latent
    state showing :math:`x_t` and runs ``n`` steps;
    :math:`PE_n = \operatorname{mean}_{t,i} (\hat x_{t+n,i} - x_{t+n,i})^2`."""
    (x,) = check_series("x", x, model.n_obs, min_length=check_int("n", n, minimum=1) + 1)
    t = torch.arange(x.shape[0] - n, device=x.device)
    if starts is not None and check_int("starts", starts, minimum=1) < t.numel():
        t = t[torch.linspace(0, t.numel() - 1, starts, device=x.device).round().long()]
    with torch.no_grad():
        z = model.latent_from(x[t])
        for _ in range(n):
            z = model.step(z)
        return (model.observe(z) - x[t + n]).pow(2).mean()


def learned_lyapunov(model: ReconstructionModel, z0: torch.Tensor, **kwargs: Any):
    """Lyapunov spectrum of the learned map (per step) by :func:`attractor.analysis.lyapunov_spectrum`,
    with the model's analytic Jacobian products where it has them; divide by the sampling
    step ``dt`` for exponents per unit time."""
    from attractor.analysis import lyapunov_spectrum

    kwargs.setdefault("on_failure", "status")
    return lyapunov_spectrum(model.step, z0.detach(), discrete=True, **kwargs)


def evaluate(
    model: ReconstructionModel,
    x: torch.Tensor,
    *,
    dt: float = 1.0,
    reference_lyapunov: float | None = None,
    burn_in: float = 0.25,
    n_ahead: int = 20,
    lyapunov: bool = True,
) -> dict[str, float]:
    r"""The reconstruction measures of Hess et al. (2023) and Brenner et al. (2024) on a test
    series ``x`` of ``T`` steps: the model free-runs ``(1 + burn_in) T`` steps from the
    latent state showing ``x[0]``; the first ``burn_in T`` are dropped and the rest compared
    with ``x``.

    Returns ``D_stsp`` and ``D_H`` (the published conventions,
    :func:`attractor.analysis.state_space_divergence`, :func:`~attractor.analysis.power_spectrum_distance`),
    ``PE_n`` (``n = n_ahead``), and with ``lyapunov=True`` the learned map's largest exponent
    ``lambda_1`` (per unit time: per step divided by ``dt``) and Kaplan--Yorke dimension
    ``D_KY``; with ``reference_lyapunov`` also ``lambda_1_error``, the relative error. A
    model whose free run leaves the finite numbers gets ``inf`` divergences.
    """
    (x,) = check_series("x", x, model.n_obs, min_length=max(n_ahead + 1, 16))
    check_in_range("burn_in", burn_in, 0.0, 10.0)
    T = x.shape[0]
    skip = round(burn_in * T)
    run = free_run(model, x[0], skip + T, latent=True)
    z_end, gen = run[-1], model.observe(run[skip:])
    out = geometry_scores(x, gen, diverged=math.inf)
    out[f"PE_{n_ahead}"] = float(prediction_error(model, x, n_ahead))
    if lyapunov:
        if bool(torch.isfinite(z_end).all()):
            res = learned_lyapunov(model, z_end, max_time=20_000)
            lam = res.exponents.reshape(-1)
            out["lambda_1"] = float(lam[0]) / dt
            out["D_KY"] = float(res.kaplan_yorke_dimension)
        else:
            out["lambda_1"] = out["D_KY"] = math.nan
        if reference_lyapunov is not None:
            out["lambda_1_error"] = abs(out["lambda_1"] - reference_lyapunov) / abs(reference_lyapunov)
    return out


def geometry_scores(x: torch.Tensor, gen: torch.Tensor, *, diverged: float) -> dict[str, float]:
    """``D_stsp`` and ``D_H`` of a generated series against the data; ``diverged`` for both
    when the generated series left the finite numbers."""
    from attractor.analysis import power_spectrum_distance, state_space_divergence

    if not bool(torch.isfinite(gen).all()):
        return {"D_stsp": diverged, "D_H": diverged}
    return {"D_stsp": float(state_space_divergence(x, gen)), "D_H": float(power_spectrum_distance(x, gen))}


def summarize(results: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    """Median and interquartile range of each measure over runs (seeds), ignoring NaN:
    ``{measure: {"median", "q25", "q75", "n"}}``."""
    if not results:
        raise ValueError("`results` must be a non-empty list of evaluate() dictionaries.")
    out = {}
    for key in results[0]:
        values = torch.tensor([r[key] for r in results], dtype=torch.float64)
        values = values[~torch.isnan(values)]
        if values.numel() == 0:
            out[key] = {"median": math.nan, "q25": math.nan, "q75": math.nan, "n": 0}
            continue
        q = torch.quantile(values, torch.tensor([0.25, 0.5, 0.75], dtype=torch.float64))
        out[key] = {"median": float(q[1]), "q25": float(q[0]), "q75": float(q[2]), "n": int(values.numel())}
    return out
