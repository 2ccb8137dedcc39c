"""Time series for reconstruction: simulated, noisy, partially observed, embedded, standardised."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from attractor._core.validation import check_in_range, check_int, check_positive


@dataclass
class Dataset:
    """A standardised observation series split into ``train`` and ``test`` (time first,
    ``(T, N)``), with the ``mean`` and ``std`` used, the sampling step ``dt`` and the
    system's reference largest exponent ``lyapunov`` (per unit time, when known)."""

    train: torch.Tensor
    test: torch.Tensor
    mean: torch.Tensor
    std: torch.Tensor
    dt: float
    lyapunov: float | None = None
    name: str = ""


def observe_system(
    system: Any,
    n_train: int = 100_000,
    n_test: int = 100_000,
    *,
    dt: float | None = None,
    points_per_period: int | None = None,
    noise: float = 0.05,
    observe: list[int] | None = None,
    delay_dim: int | None = None,
    delay: int = 1,
    standardize: bool = True,
    transient: float | None = None,
    generator: torch.Generator | None = None,
) -> Dataset:
    """A reconstruction data set from a registry system: one long trajectory on the attractor,
    sampled every ``dt`` (default the system's; or ``points_per_period`` samples per dominant
    period, the dysts benchmark's granularity, for flows with a known period), with Gaussian observation noise of ``noise``
    times each coordinate's standard deviation, optionally only the coordinates ``observe``,
    optionally delay-embedded (``delay_dim`` copies ``delay`` samples apart, for partial
    observation), standardised by the training part's mean and standard deviation, and split
    into consecutive ``train`` and ``test`` parts (the dysts benchmark's split:
    the test part continues the training trajectory).
    """
    from attractor.analysis import delay_embed
    from attractor.systems import get
    from attractor.systems.simulate import trajectory

    sys = get(system) if isinstance(system, str) else system
    if points_per_period is not None:
        if dt is not None:
            raise ValueError("give `dt` or `points_per_period`, not both.")
        if sys.kind == "map" or sys.period is None:
            raise ValueError(f"`points_per_period` needs a flow with a known dominant period; {sys.name} has none.")
        dt = sys.period / check_int("points_per_period", points_per_period, minimum=2)
    n_train = check_int("n_train", n_train, minimum=2)
    n_test = check_int("n_test", n_test, minimum=2)
    check_positive("noise", noise, allow_zero=True)
    extra = 0 if delay_dim is None else (check_int("delay_dim", delay_dim, minimum=1) - 1) * check_int("delay", delay, minimum=1)
    n = n_train + n_test + extra
    kwargs = {} if sys.kind == "map" else {"dt": dt, "transient": transient if transient is not None else 0.0}
    x = trajectory(sys, n, noise=noise, generator=generator, **kwargs)
    if observe is not None:
        if not observe or any(not 0 <= i < sys.dim for i in observe):
            raise ValueError(f"`observe` must list coordinates in [0, {sys.dim}); got {observe!r}.")
        x = x[:, list(observe)]
    if delay_dim is not None and delay_dim > 1:
        if x.shape[1] != 1:
            raise ValueError("delay embedding takes one observed coordinate; give `observe=[i]`.")
        x = delay_embed(x[:, 0], delay_dim, delay)
    train, test = x[:n_train], x[n_train : n_train + n_test]
    if standardize:
        mean, std = train.mean(0), train.std(0)
    else:
        mean, std = torch.zeros(x.shape[1], dtype=x.dtype), torch.ones(x.shape[1], dtype=x.dtype)
    ref = sys.reference.max_lyapunov if sys.reference is not None else None
    step = 1.0 if sys.kind == "map" else (dt or sys.dt)
    return Dataset((train - mean) / std, (test - mean) / std, mean, std, step, ref, sys.name)


def split(x: torch.Tensor, test_fraction: float = 0.5) -> tuple[torch.Tensor, torch.Tensor]:
    """Consecutive train/test parts of a ``(T, N)`` series."""
    check_in_range("test_fraction", test_fraction, 0.0, 1.0, inclusive=False)
    cut = round((1 - test_fraction) * x.shape[0])
    return x[:cut], x[cut:]
