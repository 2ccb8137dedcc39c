"""Validation and flattening shared by the batched linear solvers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from attractor._core.status import Status
from attractor._core.validation import check_batch_ndim, check_callable, check_int, check_tensor
from attractor.linalg._batch import batch_size, check_tol
from attractor.linalg._result import LinearSolution


class LinearProblem:
    """``A x = b`` for a batch, seen as ``(B, n)`` matrices; ``A`` is given by a matvec closure.

    The matvec receives and returns tensors shaped like ``b``. Samples must not interact: the
    matvec of a batch is the batch of the samples' matvecs (``A`` is block diagonal).
    """

    def __init__(
        self,
        matvec: Any,
        b: Any,
        x0: Any,
        *,
        tol: Any,
        atol: Any,
        batch_ndim: Any,
    ) -> None:
        check_callable("matvec", matvec)
        check_tensor("b", b)
        self.batch_ndim = check_batch_ndim("b", b, batch_ndim)
        self.shape = b.shape
        self.batch_shape = b.shape[: self.batch_ndim]
        batch = batch_size(b.shape, self.batch_ndim)
        self.b = b.reshape(batch, -1)
        if x0 is not None:
            check_tensor("x0", x0)
            if x0.shape != b.shape:
                raise ValueError(
                    f"`x0` must have the shape of `b` {tuple(b.shape)}; got {tuple(x0.shape)}."
                )
            if x0.dtype != b.dtype:
                raise ValueError(f"`x0` must have the dtype of `b` ({b.dtype}); got {x0.dtype}.")
            x0 = x0.reshape(batch, -1)
        self.x0 = x0
        self._matvec = matvec
        self.matvecs = 0
        self.bnorm = torch.linalg.vector_norm(self.b, dim=1)
        self.threshold = self._threshold(tol, atol)

    def _threshold(self, tol: Any, atol: Any) -> torch.Tensor:
        """Per-sample target ``max(tol * ||b||, atol)``; ``tol`` may be a per-sample tensor."""
        if isinstance(tol, torch.Tensor) and tol.numel() > 1:
            if tol.shape != self.batch_shape:
                raise ValueError(
                    f"`tol` must be a number or have the batch shape {tuple(self.batch_shape)}; "
                    f"got shape {tuple(tol.shape)}."
                )
            rel = tol.reshape(-1).to(self.b.dtype)
        else:
            rel = check_tol("tol", tol, self.b.dtype)
        atol = check_tol("atol", atol, self.b.dtype, allow_zero=True)
        return torch.clamp(rel * self.bnorm, min=atol)

    def matvec(self, x: torch.Tensor) -> torch.Tensor:
        """Apply ``A`` to a flat ``(B, n)`` batch."""
        self.matvecs += 1
        out = self._matvec(x.reshape(self.shape))
        if not isinstance(out, torch.Tensor) or out.shape != self.shape:
            got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
            raise ValueError(
                f"`matvec` must return a tensor of shape {tuple(self.shape)}; got {got}."
            )
        return out.reshape(self.b.shape)

    def initial_guess(self) -> torch.Tensor:
        return torch.zeros_like(self.b) if self.x0 is None else self.x0

    def solution(
        self,
        x: torch.Tensor,
        status: torch.Tensor,
        iterations: torch.Tensor,
        residual: torch.Tensor,
    ) -> LinearSolution:
        return LinearSolution(
            x=x.reshape(self.shape),
            status=status.reshape(self.batch_shape),
            iterations=iterations.reshape(self.batch_shape),
            residual=residual.reshape(self.batch_shape),
            stats={"matvecs": self.matvecs},
        )


def max_iterations(max_iters: Any, n: int, *, name: str = "max_iters") -> int:
    """``None`` -> ``min(10 n, 1000)`` (but at least 20); otherwise a positive int."""
    if max_iters is None:
        return max(20, min(10 * n, 1000))
    return check_int(name, max_iters, minimum=1)


MatVec = Callable[[torch.Tensor], torch.Tensor]


class Progress:
    """Per-sample bookkeeping of an iterative solve: status, active mask, iterations, residual."""

    def __init__(self, residual: torch.Tensor, threshold: torch.Tensor) -> None:
        self.threshold = threshold
        self.residual = residual
        self.status = torch.full(
            residual.shape, int(Status.MAX_STEPS), dtype=torch.long, device=residual.device
        )
        self.iterations = torch.zeros_like(self.status)
        self.active = torch.ones_like(residual, dtype=torch.bool)
        self.record(residual, count=False)

    def record(self, residual: torch.Tensor, *, count: bool = True) -> torch.Tensor:
        """Take the new residuals of the active samples; returns the samples that just converged."""
        if count:
            self.iterations = self.iterations + self.active.long()
        self.residual = torch.where(self.active, residual, self.residual)
        converged = self.active & (residual <= self.threshold)
        self.fail(self.active & ~torch.isfinite(residual), Status.NONFINITE)
        self.status = torch.where(converged, int(Status.SUCCESS), self.status)
        self.active = self.active & ~converged
        return converged

    def fail(self, mask: torch.Tensor, code: Status) -> None:
        self.status = torch.where(mask & self.active, int(code), self.status)
        self.active = self.active & ~mask

    def running(self) -> bool:
        return bool(self.active.any())
