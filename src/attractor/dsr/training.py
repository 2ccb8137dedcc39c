"""Training a reconstruction model on time series by teacher-forced backpropagation through time."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import torch

from attractor._core.progress import progress as progress_bar
from attractor._core.validation import check_int, check_positive
from attractor.dsr._data_checks import check_series
from attractor.dsr.forcing import TeacherForcing, resolve_forcing
from attractor.dsr.models._base import ReconstructionModel
from attractor.dsr.models.observation import IdentityObservation


@dataclass
class TrainingRecord:
    """Per-epoch ``loss`` (mean over its batches), forcing weight ``alpha`` and learning rate
    ``lr``; ``metrics`` holds ``{"epoch", "D_stsp", "D_H"}`` rows every ``eval_every`` epochs;
    ``wall_time`` in seconds."""

    loss: list[float] = field(default_factory=list)
    alpha: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    metrics: list[dict[str, float]] = field(default_factory=list)
    wall_time: float = 0.0
    solver_steps: list[int] = field(default_factory=list)


def forced_step(model: ReconstructionModel):
    """The forced recurrence :math:`z_{t+1} = F(z_t + a_t (\\hat z_t - z_t))` with inputs
    :math:`(x_t, a_t)` stacked as ``(..., N + 1)``."""
    n = model.n_obs

    def f(z: torch.Tensor, inp: torch.Tensor) -> torch.Tensor:
        x, a = inp[..., :n], inp[..., n:]
        return model.step(z + a * (model.latent_from(x, z) - z))

    return f


def forced_jacobian(model: ReconstructionModel):
    """The forced step's Jacobian from the model's analytic one, for identity observation
    (the forcing scales the observed columns by ``1 - a``); ``None`` otherwise (autograd)."""
    if not isinstance(model.observation, IdentityObservation) or type(model).jacobian is ReconstructionModel.jacobian:
        return None
    n = model.n_obs

    def jac(z: torch.Tensor, inp: torch.Tensor) -> torch.Tensor:
        x, a = inp[..., :n], inp[..., n:]
        forced = z + a * (model.latent_from(x, z) - z)
        scale = torch.cat([(1 - a).expand(*a.shape[:-1], n), a.new_ones(*a.shape[:-1], model.latent_dim - n)], -1)
        return model.jacobian(forced) * scale.unsqueeze(-2)

    return jac


def unroll(model: ReconstructionModel, x: torch.Tensor, weights: torch.Tensor, method: str = "sequential") -> torch.Tensor:
    """The forced latent trajectory ``z_1 .. z_T`` for data windows ``x`` of shape
    ``(T + 1, B, N)`` and per-step weights ``(T,)``: sequentially, or in parallel over time by
    :func:`attractor.parallel_recurrence` (same values, same gradients)."""
    T = x.shape[0] - 1
    z0 = model.latent_from(x[0])
    if method == "sequential" and isinstance(model.observation, IdentityObservation):
        # the forcing is z -> z * scale_t + shift_t: both precomputed, one fused op per step
        n, M = model.n_obs, model.latent_dim
        a = weights.reshape(T, 1, 1)
        scale = torch.cat([(1 - a).expand(T, 1, n), a.new_ones(T, 1, M - n)], dim=-1)
        shift = torch.cat([a * x[:-1], x.new_zeros(T, x.shape[1], M - n)], dim=-1)
        z, out = z0, []
        for t in range(T):
            z = model.step(torch.addcmul(shift[t], z, scale[t]))
            out.append(z)
        return torch.stack(out)
    from attractor.equilibrium.recurrence import parallel_recurrence

    inputs = torch.cat([x[:-1], weights.reshape(T, 1, 1).expand(T, x.shape[1], 1)], dim=-1)
    options = {} if method == "sequential" else {"jacobian": forced_jacobian(model)}
    return parallel_recurrence(forced_step(model), z0, inputs, method=method, **options).value


def train(
    model: ReconstructionModel,
    data: Any,
    *,
    forcing: Any = "gtf",
    epochs: int = 100,
    batches_per_epoch: int = 50,
    sequence_length: int = 200,
    batch_size: int = 16,
    lr: float = 1e-3,
    lr_end: float = 1e-5,
    optimizer: torch.optim.Optimizer | None = None,
    clip: float | None = 10.0,
    regularization: float = 0.0,
    method: str = "sequential",
    eval_every: int | None = None,
    generator: torch.Generator | None = None,
    progress: bool = False,
) -> TrainingRecord:
    r"""Fit ``model`` to time series by teacher-forced BPTT on random subsequences.

    Each batch draws ``batch_size`` windows of ``sequence_length + 1`` steps, starts each from
    the latent state that shows its first observation, runs the forced recurrence
    (:mod:`attractor.dsr.forcing`) and minimises the mean squared error of the observed
    predictions, :math:`\frac{1}{TBN}\sum \|G(z_t) - x_t\|^2`. Defaults follow the reference
    implementations (Hess et al. 2023; Brenner et al. 2024): RAdam at ``lr`` decayed
    exponentially to ``lr_end``, gradient norms clipped at ``clip``, adaptive generalized
    teacher forcing.

    Parameters
    ----------
    model:
        A :class:`~attractor.dsr.models.ReconstructionModel` (its ``n_obs`` is the data's width).
    data:
        A time-first ``(T, N)`` tensor or a list of them (trajectories of different lengths).
    forcing:
        ``"gtf"`` (:class:`~attractor.dsr.GeneralizedForcing`, adaptive), ``"sparse"``,
        ``"none"`` (plain BPTT), or a :class:`~attractor.dsr.TeacherForcing` object.
    regularization:
        Weight of the model's regularizer where it has one (the manifold-attractor
        regularization of a :class:`~attractor.dsr.PLRNN`); refused for models without one.
    method:
        ``"sequential"``, or a :func:`attractor.parallel_recurrence` method (``"deer"``,
        ``"quasi_deer"``, ...) to evaluate each window in parallel over time (GTF-DEER; Hess,
        Götz & Durstewitz 2026). Same loss and gradients, to the solver's tolerance.
    eval_every:
        Every this many epochs, free-run the model over the first series and record ``D_stsp``
        and ``D_H`` against it in ``record.metrics``.
    generator:
        Random generator for the windows (reproducible training).
    """
    if not isinstance(model, ReconstructionModel):
        raise TypeError(f"`model` must be an attractor.dsr ReconstructionModel; got {type(model).__name__}.")
    forcing: TeacherForcing = resolve_forcing(forcing)
    sequence_length = check_int("sequence_length", sequence_length, minimum=1)
    series = check_series("data", data, model.n_obs, min_length=sequence_length + 1)
    epochs = check_int("epochs", epochs, minimum=1)
    batches_per_epoch = check_int("batches_per_epoch", batches_per_epoch, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    check_positive("lr", lr)
    check_positive("lr_end", lr_end)
    if clip is not None:
        check_positive("clip", clip)
    check_positive("regularization", regularization, allow_zero=True)
    if regularization and not hasattr(model, "manifold_attractor_regularization"):
        raise ValueError(f"`regularization` applies to models with a regularizer (PLRNN); {type(model).__name__} has none.")
    if eval_every is not None:
        eval_every = check_int("eval_every", eval_every, minimum=1)
    if method != "sequential":
        from attractor.equilibrium.recurrence import METHODS

        if method not in METHODS:
            raise ValueError(f"`method` must be 'sequential' or one of {sorted(METHODS)}; got {method!r}.")
    like = series[0]
    model.to(dtype=like.dtype, device=like.device)
    opt = optimizer if optimizer is not None else torch.optim.RAdam(model.parameters(), lr=lr)
    decay = (lr_end / lr) ** (1.0 / epochs)
    schedule = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=decay) if optimizer is None else None
    record = TrainingRecord()
    lengths = torch.tensor([s.shape[0] - sequence_length for s in series], dtype=torch.float64)
    start = time.perf_counter()
    for epoch in progress_bar(range(epochs), desc="training", enable=progress):
        total = 0.0
        for b in range(batches_per_epoch):
            x = _windows(series, lengths, sequence_length, batch_size, generator)  # (T+1, B, N)
            weights = forcing.weights(sequence_length, (epoch + b / batches_per_epoch) / epochs, like)
            z = unroll(model, x, weights, method)
            loss = (model.observe(z) - x[1:]).pow(2).mean()
            if regularization:
                loss = loss + regularization * model.manifold_attractor_regularization()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if clip is not None:
                torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            opt.step()
            forcing.adapt(model, model.latent_from(x[1:], z))
            total += float(loss.detach())
        if schedule is not None:
            schedule.step()
        record.loss.append(total / batches_per_epoch)
        record.alpha.append(float(weights[1]) if sequence_length > 1 else 1.0)
        record.lr.append(opt.param_groups[0]["lr"])
        if eval_every and (epoch + 1) % eval_every == 0:
            record.metrics.append({"epoch": epoch + 1, **_quick_metrics(model, series[0])})
    record.wall_time = time.perf_counter() - start
    return record


def _windows(series, lengths, T, batch_size, generator) -> torch.Tensor:
    """``batch_size`` random windows of ``T + 1`` steps, time first."""
    which = torch.multinomial(lengths, batch_size, replacement=True, generator=generator)
    out = []
    for i in which.tolist():
        s = series[i]
        t0 = int(torch.randint(s.shape[0] - T, (1,), generator=generator))
        out.append(s[t0 : t0 + T + 1])
    return torch.stack(out, dim=1)


def _quick_metrics(model: ReconstructionModel, x: torch.Tensor) -> dict[str, float]:
    from attractor.dsr.evaluation import free_run, geometry_scores

    return geometry_scores(x, free_run(model, x[0], x.shape[0]), diverged=float("nan"))
