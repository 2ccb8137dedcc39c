"""The library's exception for failed solves, with per-sample diagnostics."""

from __future__ import annotations

from typing import Any

import torch

from attractor._core.status import Status, all_ok, is_ok


class ConvergenceError(RuntimeError):
    """A solve did not converge for some samples.

    Attributes
    ----------
    status:
        Per-sample status codes (values of :class:`attractor.Status`).
    diagnostics:
        A dict of per-sample tensors (residuals, steps, ...) and scalars that explain the failure.
    solution:
        The (partial) solution object, when one exists, so the caller can inspect it.
    """

    def __init__(
        self,
        message: str,
        *,
        status: torch.Tensor | None = None,
        diagnostics: dict[str, Any] | None = None,
        solution: Any = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.diagnostics = dict(diagnostics or {})
        self.solution = solution


def _fmt(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        if value.numel() == 1:
            return f"{value.item():.3g}" if value.is_floating_point() else str(value.item())
        return str(value.tolist())
    return str(value)


def refuse_second_order(what: str, alternative: str) -> None:
    """Called at the start of a hand-written backward pass that is not itself differentiated
    (an adjoint solve, a replay, an implicit derivative). Inside ``backward(create_graph=True)``
    grad mode is on: the result would enter the new graph as a constant and second derivatives
    would be silently wrong, so refuse instead."""
    if torch.is_grad_enabled():
        raise NotImplementedError(
            f"{what}: higher-order gradients (create_graph=True) are not supported, since this "
            f"backward pass is not itself differentiated. {alternative}"
        )


def raise_if_failed(
    what: str,
    status: torch.Tensor,
    diagnostics: dict[str, Any] | None = None,
    *,
    solution: Any = None,
    hint: str = "",
    max_listed: int = 5,
) -> None:
    """Raise :class:`ConvergenceError` if any sample of ``status`` is not a success.

    The message names how many samples failed, why (status names with counts), and the
    diagnostics of the first ``max_listed`` failing samples. ``diagnostics`` values that are
    tensors with the same leading shape as ``status`` are reported per sample.
    """
    if all_ok(status):
        return
    ok = is_ok(status)
    flat_status = status.reshape(-1)
    failed = (~ok).reshape(-1).nonzero().reshape(-1)
    counts: dict[str, int] = {}
    for code in flat_status[failed].tolist():
        name = Status(int(code)).name
        counts[name] = counts.get(name, 0) + 1
    reasons = ", ".join(f"{n} x{c}" for n, c in counts.items())
    lines = [f"{what} failed for {failed.numel()} of {flat_status.numel()} sample(s): {reasons}."]
    diagnostics = dict(diagnostics or {})
    for idx in failed[:max_listed].tolist():
        parts = [f"status={Status(int(flat_status[idx])).name}"]
        for key, val in diagnostics.items():
            if isinstance(val, torch.Tensor) and val.dim() > 0 and val.shape == status.shape:
                parts.append(f"{key}={_fmt(val.reshape(-1)[idx])}")
        lines.append(f"  sample {idx}: " + ", ".join(parts))
    if failed.numel() > max_listed:
        lines.append(f"  ... and {failed.numel() - max_listed} more")
    scalars = {k: v for k, v in diagnostics.items() if not (isinstance(v, torch.Tensor) and v.dim() > 0)}
    if scalars:
        lines.append("  " + ", ".join(f"{k}={_fmt(v)}" for k, v in scalars.items()))
    if hint:
        lines.append(hint)
    raise ConvergenceError("\n".join(lines), status=status, diagnostics=diagnostics, solution=solution)
