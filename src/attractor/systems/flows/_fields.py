"""Small helpers shared by the vector fields."""

from __future__ import annotations

import math

import torch


def stack(*components: torch.Tensor | float) -> torch.Tensor:
    """Stack the components of a vector field along a new last dimension.

    Components may be tensors of the batch shape or plain numbers (a constant component);
    components of different shapes (numbers, or parameters shaped like part of the batch)
    are broadcast first.
    """
    first = components[0]
    if isinstance(first, torch.Tensor) and all(
        isinstance(c, torch.Tensor) and c.shape == first.shape for c in components[1:]
    ):
        return torch.stack(components, dim=-1)  # the common case: one op
    tensors = [c for c in components if isinstance(c, torch.Tensor)]
    ref = torch.broadcast_tensors(*tensors)[0]
    parts = [c if isinstance(c, torch.Tensor) else torch.full_like(ref, c) for c in components]
    return torch.stack(torch.broadcast_tensors(*parts), dim=-1)


def param(value, like: torch.Tensor) -> torch.Tensor:
    """A vector or matrix parameter (given as nested tuples or a tensor) as a tensor in the
    dtype and on the device of the state ``like``."""
    return torch.as_tensor(value, dtype=like.dtype, device=like.device)


def switch(s: torch.Tensor, tau, stiffness: float = 20.0) -> torch.Tensor:
    """Smoothed square wave of period ``tau`` in ``s``, between 0 and 1: the protocol that
    alternates two stirring fields in the blinking flows (dysts's smoothing, stiffness 20)."""
    return 0.5 + 0.5 * torch.tanh(tau * stiffness * torch.sin(2 * math.pi * s / tau))
