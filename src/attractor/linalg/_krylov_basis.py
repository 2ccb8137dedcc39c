"""Storage for a growing set of Krylov vectors, in place when autograd is off."""

from __future__ import annotations

import torch


class KrylovBasis:
    """Columns ``v_0, v_1, ...`` of a batched Krylov basis, each of shape ``(B, n)``.

    Without autograd the vectors go into one preallocated ``(B, capacity, n)`` buffer (no copies);
    when autograd is recording they are kept in a list and stacked on demand, so that no tensor
    saved for backward is ever overwritten.
    """

    def __init__(self, first: torch.Tensor, capacity: int) -> None:
        self.functional = torch.is_grad_enabled()
        self.count = 1
        if self.functional:
            self.vectors = [first]
        else:
            self.buffer = first.new_empty(first.shape[0], capacity, first.shape[1])
            self.buffer[:, 0] = first

    def append(self, v: torch.Tensor) -> None:
        if self.functional:
            self.vectors.append(v)
        else:
            self.buffer[:, self.count] = v
        self.count += 1

    def vector(self, k: int) -> torch.Tensor:
        return self.vectors[k] if self.functional else self.buffer[:, k]

    def matrix(self, k: int) -> torch.Tensor:
        """The first ``k`` vectors as a ``(B, k, n)`` tensor."""
        return torch.stack(self.vectors[:k], dim=1) if self.functional else self.buffer[:, :k]
