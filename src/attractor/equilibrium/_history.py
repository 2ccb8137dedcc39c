"""Fixed-size per-sample histories for quasi-Newton and acceleration methods."""

from __future__ import annotations

import torch


class Ring:
    """``capacity`` slots of ``(B, n)`` vectors in one preallocated ``(B, capacity, n)`` tensor.

    Slots are filled in order and then overwritten oldest first; :meth:`view` returns the
    filled ones in slot order (the methods using a ring do not depend on the order of its
    columns, or track it themselves). When autograd records, writes are out of place so that
    tensors saved for backward are never modified; otherwise they go straight into the buffer
    and no memory is allocated per step.
    """

    def __init__(self, like: torch.Tensor, capacity: int) -> None:
        self.data = like.new_zeros(like.shape[0], capacity, like.shape[1])
        self.capacity = capacity
        self.filled = 0
        self.next = 0
        self._transposed: torch.Tensor | None = None

    def push(self, value: torch.Tensor) -> int:
        """Store ``value`` in the next slot; returns the slot used."""
        slot = self._advance()
        self.data = write(self.data, 1, slot, value)
        return slot

    def push_difference(
        self, a: torch.Tensor, b: torch.Tensor, plus: torch.Tensor | None = None
    ) -> int:
        """Store ``a - b`` (``+ plus``) in the next slot, computed in place when autograd is off."""
        if torch.is_grad_enabled():
            return self.push(a - b if plus is None else a - b + plus)
        slot = self._advance()
        target = self.data[:, slot]
        torch.sub(a, b, out=target)
        if plus is not None:
            target.add_(plus)
        return slot

    def slot(self, index: int) -> torch.Tensor:
        return self.data[:, index]

    def transposed(self) -> torch.Tensor:
        """All slots as ``(B, n, capacity)`` (a view, kept while the buffer is written in place)."""
        if torch.is_grad_enabled():
            return self.data.transpose(1, 2)
        if self._transposed is None:
            self._transposed = self.data.transpose(1, 2)
        return self._transposed

    def view(self) -> torch.Tensor:
        """The filled slots, ``(B, filled, n)``."""
        return self.data if self.filled == self.capacity else self.data[:, : self.filled]

    def _advance(self) -> int:
        slot = self.next
        self.next = (slot + 1) % self.capacity
        self.filled = min(self.filled + 1, self.capacity)
        return slot


def write(buffer: torch.Tensor, dim: int, index: int, value: torch.Tensor) -> torch.Tensor:
    """``buffer`` with ``buffer.select(dim, index) = value``: in place unless autograd records."""
    if torch.is_grad_enabled():
        return buffer.index_copy(
            dim, torch.tensor([index], device=buffer.device), value.unsqueeze(dim)
        )
    buffer.select(dim, index).copy_(value)
    return buffer


def small_system(like: torch.Tensor, m: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Zero ``(B, m, m)`` matrix and ``(B, m)`` right-hand side for a slot-indexed small system."""
    return like.new_zeros(like.shape[0], m, m), like.new_zeros(like.shape[0], m)


def small_solve(matrix: torch.Tensor, rhs: torch.Tensor) -> torch.Tensor:
    """Batched ``matrix^{-1} rhs`` for ``(B, k, k)`` and ``(B, k, 1)``; failed samples get zeros.

    A singular system makes LU produce inf/NaN, which become zeros: the caller's step then
    falls back to its plain (Picard) part.
    """
    solution = torch.linalg.solve_ex(matrix, rhs)[0]
    return torch.nan_to_num(solution, nan=0.0, posinf=0.0, neginf=0.0)
