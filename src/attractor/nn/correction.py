"""Fixed-point correction: supervise several iterates of the solve, not only the last.

Bai, Geng, Kolter & Koltun 2022, "Deep equilibrium optical flow estimation": a few states
``z_k`` are sampled along the solver's trajectory, each is refined by damped steps

    ẑ_k = (1 - τ) z_k + τ f(z_k, x)       (``z_k`` detached; gradient through f only)

and the task loss is applied to every ``ẑ_k`` with weights growing towards the equilibrium:

    L = Σ_k γ^(n-1-k) ℓ(ẑ_k),   k = 0, ..., n-1, the last state being the equilibrium.

This gives the cell a dense training signal that pushes the whole trajectory (not just its
end) towards the answer, which speeds up and stabilises convergence. :class:`attractor.nn.DEQ`
produces the states (``correction_samples=``); :func:`fixed_point_correction_loss` weights them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from attractor._core.validation import check_callable, check_in_range


def sample_indices(length: int, n: int) -> list[int]:
    """``n`` evenly spaced indices into ``range(length)`` (fewer when ``length < n``), increasing."""
    if length <= 0 or n <= 0:
        return []
    return sorted({min(length - 1, (k + 1) * length // (n + 1)) for k in range(n)})


def fixed_point_correction_loss(
    loss_fn: Callable[[torch.Tensor], torch.Tensor],
    states: Sequence[torch.Tensor],
    *,
    gamma: float = 0.8,
) -> torch.Tensor:
    """``Σ_k γ^(n-1-k) loss_fn(states[k])`` for states ordered from early iterates to the equilibrium.

    ``loss_fn`` maps a state to a scalar loss (e.g. ``lambda z: F.cross_entropy(head(z), y)``);
    ``states`` is typically ``DEQOutput.states``.
    """
    check_callable("loss_fn", loss_fn)
    gamma = check_in_range("gamma", gamma, 0.0, 1.0)
    if not isinstance(states, Sequence) or len(states) == 0:
        raise ValueError("`states` must be a non-empty sequence of tensors (e.g. DEQOutput.states).")
    n = len(states)
    total = None
    for k, state in enumerate(states):
        term = loss_fn(state) * gamma ** (n - 1 - k)
        total = term if total is None else total + term
    return total
