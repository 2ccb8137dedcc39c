"""Named elementwise activations for the parametrized cells.

All of them are nondecreasing and 1-Lipschitz, which is what both guarantees need: a
contraction composed with a 1-Lipschitz map stays a contraction, and a scalar nondecreasing
1-Lipschitz function is the proximal operator of a convex function (what monDEQ requires).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "relu": torch.relu,
    "tanh": torch.tanh,
    "hardtanh": lambda x: x.clamp(-1.0, 1.0),
    "identity": lambda x: x,
}


def get_activation(name: str | Callable[[torch.Tensor], torch.Tensor]) -> Callable[[torch.Tensor], torch.Tensor]:
    """An activation by name (one of :data:`ACTIVATIONS`) or a callable, returned as is."""
    if callable(name):
        return name
    if isinstance(name, str) and name.lower() in ACTIVATIONS:
        return ACTIVATIONS[name.lower()]
    raise ValueError(f"`activation` must be one of {sorted(ACTIVATIONS)} or a callable; got {name!r}.")
