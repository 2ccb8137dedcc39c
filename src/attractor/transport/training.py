"""A small training loop for transport models, with a progress bar."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from attractor._core.progress import progress as progress_bar
from attractor._core.validation import check_int, check_positive
from attractor.transport import randomness
from attractor.transport.losses import TransportLoss
from attractor.transport.mixture import GaussianMixture


@dataclass
class TrainingHistory:
    """``losses`` per step and the wall time of the loop (seconds)."""

    losses: list[float] = field(default_factory=list)
    wall_time: float = 0.0


def _minibatches(data: Any, batch_size: int, generator: torch.Generator | None):
    """A function ``() -> (x1, cond)`` drawing minibatches from ``data``."""
    if isinstance(data, GaussianMixture):
        return lambda: (data.sample(batch_size, generator=generator), None)
    if callable(data) and not isinstance(data, torch.Tensor):
        return lambda: (data(batch_size), None)
    x, cond = (data if isinstance(data, tuple) else (data, None))
    if not isinstance(x, torch.Tensor) or x.dim() < 2:
        raise TypeError("`data` must be a (N, ...) tensor, a (data, cond) tuple, a GaussianMixture or "
                        "a callable n -> samples.")
    if cond is not None and (not isinstance(cond, torch.Tensor) or cond.shape[0] != x.shape[0]):
        raise ValueError("`cond` must be a tensor with one row per data sample.")
    n = x.shape[0]

    def draw():
        idx = randomness.randint(n, (batch_size,), device=x.device, generator=generator)
        return x[idx], (cond[idx] if cond is not None else None)
    return draw


def train(net: torch.nn.Module, loss: TransportLoss, data: Any, *, steps: int, batch_size: int = 256,
          optimizer: torch.optim.Optimizer | None = None, lr: float | None = None,
          source: Callable[[int], torch.Tensor] | None = None, generator: torch.Generator | None = None,
          progress: bool = False, callback: Callable[[int, float], None] | None = None) -> TrainingHistory:
    """Minimize ``loss(net, x1, x0, cond)`` over ``steps`` minibatches.

    Parameters
    ----------
    data:
        The target samples: a ``(N, ...)`` tensor (or ``(tensor, cond)``), a
        :class:`GaussianMixture`, or a callable ``n -> (n, ...)`` samples.
    source:
        ``n -> x0`` (default standard normal noise, drawn by the loss).
    optimizer, lr:
        Default ``Adam(net.parameters(), lr)`` with ``lr=1e-3``; ``lr`` is refused beside an
        ``optimizer`` of your own.
    progress:
        Show a progress bar (tqdm) with the running loss.
    callback:
        Called as ``callback(step, loss)`` after each step.
    """
    steps = check_int("steps", steps)
    batch_size = check_int("batch_size", batch_size)
    if not isinstance(loss, TransportLoss):
        raise TypeError(f"`loss` must be a TransportLoss; got {type(loss).__name__}.")
    if optimizer is None:
        optimizer = torch.optim.Adam(net.parameters(), lr=1e-3 if lr is None else check_positive("lr", lr))
    elif lr is not None:
        raise ValueError("`lr` sets the default Adam optimizer; with your own `optimizer` it does not apply.")
    draw = _minibatches(data, batch_size, generator)
    history = TrainingHistory()
    start = time.perf_counter()
    bar = progress_bar(range(steps), total=steps, desc="training", enable=progress)
    for step in bar:
        x1, cond = draw()
        x0 = source(x1.shape[0]) if source is not None else None
        value = loss(net, x1, x0, cond, generator)
        optimizer.zero_grad(set_to_none=True)
        value.backward()
        optimizer.step()
        v = float(value.detach())
        history.losses.append(v)
        if progress and hasattr(bar, "set_postfix") and step % 50 == 0:
            bar.set_postfix(loss=f"{v:.4g}")
        if callback is not None:
            callback(step, v)
    history.wall_time = time.perf_counter() - start
    return history
