"""Fixed-size per-sample histories for quasi-Newton and acceleration methods.

Both containers write in place while autograd is off (the common case: the solve runs under
``no_grad`` unless ``backward="unroll"``), so a step allocates nothing for its history. When
autograd records, every write is out of place, so that tensors saved for backward are never
modified.

On CPU, ring buffers are also kept between solves (:class:`_BufferPool`): a fresh
``(B, m, n)`` buffer costs a page fault per 4 KiB on first touch, which on the benchmark
machine (a VM) is ~4 us each: ~1.3 ms per 1.3 MB history, ~3 ms (10-15 % of the solve) for
the two histories of an Anderson solve of a 256 x 256 batch. A DEQ layer solves with the same
shapes at every forward, so reusing the memory removes that cost.
"""

from __future__ import annotations

import threading
import weakref

import torch

from attractor._core import small_linalg


class _BufferPool:
    """Zeroed CPU buffers handed out to rings and taken back when the ring is collected.

    Only used while autograd is off (a buffer autograd may have saved is never reused) and
    only on CPU (the CUDA caching allocator already reuses memory). A buffer is checked out
    for the lifetime of one ring, so nested or concurrent solves never share one. At most
    ``max_bytes`` are kept; larger buffers are not pooled.
    """

    def __init__(self, max_bytes: int = 64 * 2**20) -> None:
        self.max_bytes = max_bytes
        self._free: list[torch.Tensor] = []
        self._lock = threading.Lock()

    def zeros(self, like: torch.Tensor, shape: tuple[int, ...]) -> torch.Tensor:
        # a buffer made under inference mode cannot be written outside it (and vice versa we
        # keep them apart too), so the mode is part of the key
        inference = torch.is_inference_mode_enabled()
        with self._lock:
            for i, buffer in enumerate(self._free):
                if (
                    buffer.shape == shape
                    and buffer.dtype == like.dtype
                    and buffer.is_inference() == inference
                ):
                    del self._free[i]
                    break
            else:
                buffer = None
        if buffer is None:
            buffer = like.new_zeros(shape)
        else:
            buffer.zero_()
        return buffer

    def give_back(self, buffer: torch.Tensor) -> None:
        size = buffer.numel() * buffer.element_size()
        with self._lock:
            if size > self.max_bytes:
                return
            self._free.append(buffer)
            # keep the most recent buffers within the byte budget
            while sum(b.numel() * b.element_size() for b in self._free) > self.max_bytes:
                self._free.pop(0)


_POOL = _BufferPool()


class Ring:
    """``capacity`` slots of ``(B, n)`` vectors in one preallocated ``(B, capacity, n)`` tensor.

    Slots are filled in order and then overwritten oldest first. Unfilled slots hold zeros,
    so products with the whole buffer simply see zero columns there (the methods using a ring
    do not depend on the order of its columns, or track it themselves).
    """

    def __init__(self, like: torch.Tensor, capacity: int) -> None:
        shape = (like.shape[0], capacity, like.shape[1])
        if torch.is_grad_enabled() or like.device.type != "cpu":
            self.data = like.new_zeros(shape)
        else:
            self.data = _POOL.zeros(like, shape)
            weakref.finalize(self, _POOL.give_back, self.data)
        self.capacity = capacity
        self.count = 0  # pushes so far

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
        target = torch.sub(a, b, out=self.data.select(1, slot))
        if plus is not None:
            target.add_(plus)
        return slot

    def slot(self, index: int) -> torch.Tensor:
        return self.data.select(1, index)

    def transposed(self) -> torch.Tensor:
        """All slots as ``(B, n, capacity)``."""
        return self.data.transpose(1, 2)

    def _advance(self) -> int:
        slot = self.count % self.capacity
        self.count += 1
        return slot


class SlotMatrix:
    """A ``(B, m, m)`` matrix whose rows and columns belong to the slots of a :class:`Ring`.

    Empty slots hold rows and columns of the identity: with the zero columns of an unfilled
    ring, the system then solves to zero coefficients there, so the full ``m x m`` system is
    solved from the first step on, with no per-fill-level slicing (block-diagonal LU with
    partial pivoting never pivots across the blocks, so this equals solving the filled block).
    """

    def __init__(self, like: torch.Tensor, m: int) -> None:
        eye = torch.eye(m, dtype=like.dtype, device=like.device)
        self.data = eye.expand(like.shape[0], m, m).clone()

    def set(self, slot: int, row: torch.Tensor, column: torch.Tensor) -> None:
        """Replace row and column ``slot`` (``(B, m)`` each; the diagonal entry comes from ``column``)."""
        self.data = write(write(self.data, 1, slot, row), 2, slot, column)

    def solve(self, rhs: torch.Tensor) -> torch.Tensor:
        """``data^{-1} rhs`` for ``(B, m, 1)``; samples whose system is singular get zeros."""
        return small_solve(self.data, rhs)


def write(buffer: torch.Tensor, dim: int, index: int, value: torch.Tensor) -> torch.Tensor:
    """``buffer`` with ``buffer.select(dim, index) = value``: in place unless autograd records."""
    if torch.is_grad_enabled():
        return buffer.index_copy(
            dim, torch.tensor([index], device=buffer.device), value.unsqueeze(dim)
        )
    buffer.select(dim, index).copy_(value)
    return buffer


def small_solve(matrix: torch.Tensor, rhs: torch.Tensor) -> torch.Tensor:
    """Batched ``matrix^{-1} rhs`` for ``(B, k, k)`` and ``(B, k, 1)``; failed samples get zeros.

    A singular system makes LU produce inf/NaN, which become zeros: the caller's step then
    falls back to its plain (Picard) part. (LAPACK's batched LU is the cheapest small solve on
    CPU here: a hand-written elimination or Cholesky takes more ops than it saves.)
    """
    solution = small_linalg.solve_ex(matrix, rhs)[0]
    if torch.is_grad_enabled():
        return torch.nan_to_num(solution, nan=0.0, posinf=0.0, neginf=0.0)
    return solution.nan_to_num_(nan=0.0, posinf=0.0, neginf=0.0)
