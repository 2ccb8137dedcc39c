"""One call from a registry system to a trained, evaluated reconstruction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from attractor._core.validation import check_int
from attractor.dsr.data import Dataset, observe_system
from attractor.dsr.evaluation import evaluate
from attractor.dsr.models import ALRNN, PLRNN, DendriticPLRNN, ReconstructionModel, ShallowPLRNN
from attractor.dsr.training import TrainingRecord, train

MODELS = {
    "shplrnn": lambda M, N, width: ShallowPLRNN(M, N, hidden=width),
    "clipped_shplrnn": lambda M, N, width: ShallowPLRNN(M, N, hidden=width, clipped=True),
    "plrnn": lambda M, N, width: PLRNN(M, N),
    "dendplrnn": lambda M, N, width: DendriticPLRNN(M, N, bases=width),
    "alrnn": lambda M, N, width: ALRNN(M, N, relu_units=width),
}
DEFAULT_WIDTH = {"shplrnn": 50, "clipped_shplrnn": 50, "plrnn": 0, "dendplrnn": 10, "alrnn": 2}


@dataclass
class Reconstruction:
    """The trained ``model``, its training ``record``, the ``data`` and the ``metrics`` of
    :func:`~attractor.dsr.evaluate` on the test part."""

    model: ReconstructionModel
    record: TrainingRecord
    data: Dataset
    metrics: dict[str, float]


def reconstruct(
    system: Any,
    *,
    model: str = "shplrnn",
    latent_dim: int | None = None,
    width: int | None = None,
    n_train: int = 20_000,
    n_test: int = 10_000,
    noise: float = 0.05,
    forcing: Any = None,
    epochs: int = 60,
    lr: float = 3e-3,
    method: str = "sequential",
    seed: int = 0,
    dtype: torch.dtype = torch.float32,
    progress: bool = False,
    **train_kwargs: Any,
) -> Reconstruction:
    """Simulate ``system`` (noisy, standardised), train a ``model`` (``"shplrnn"``,
    ``"clipped_shplrnn"``, ``"plrnn"``, ``"dendplrnn"``, ``"alrnn"``) of ``latent_dim`` units
    (default the system's dimension) and ``width`` (hidden units of the shPLRNN, ReLU units
    of the AL-RNN, bases of the dendritic PLRNN) on the training part, and evaluate it on the
    test part against the system's reference Lyapunov exponent.

    The defaults are tuned for a budget of minutes on a CPU, not the reference code's 5000
    epochs: generalized teacher forcing with a fixed ``alpha = 0.1`` (``forcing=None``) and a
    learning rate of ``3e-3`` decayed to ``1e-5``. With ``epochs=100`` a Lorenz-63
    reconstruction's largest exponent comes within 5 % of the true one
    (``benchmarks/results/dsr.md``).
    """
    from attractor.dsr.forcing import GeneralizedForcing

    if forcing is None:
        forcing = GeneralizedForcing(0.1)
    if model not in MODELS:
        raise ValueError(f"`model` must be one of {sorted(MODELS)}; got {model!r}.")
    seed = check_int("seed", seed, minimum=0)
    generator = torch.Generator().manual_seed(seed)
    data = observe_system(system, n_train, n_test, noise=noise, generator=generator)
    N = data.train.shape[1]
    M = N if latent_dim is None else check_int("latent_dim", latent_dim, minimum=1)
    torch.manual_seed(seed)
    net = MODELS[model](M, N, DEFAULT_WIDTH[model] if width is None else check_int("width", width, minimum=0))
    train_data = data.train.to(dtype)
    record = train(net, train_data, forcing=forcing, epochs=epochs, method=method, generator=generator,
                   lr=lr, progress=progress, **train_kwargs)
    metrics = evaluate(net, data.test.to(dtype), dt=data.dt, reference_lyapunov=data.lyapunov)
    metrics["train_seconds"] = record.wall_time
    return Reconstruction(net, record, data, metrics)
