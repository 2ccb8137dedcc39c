"""Small helpers shared by the vector fields."""

from __future__ import annotations

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
