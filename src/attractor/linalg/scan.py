r"""All states of a linear recurrence at once, by a parallel associative scan.

.. math:: s_t = A_t\, s_{t-1} + b_t, \qquad t = 1, \dots, T .

The maps :math:`s \mapsto A_t s + b_t` compose associatively,
:math:`(A_2, b_2) \circ (A_1, b_1) = (A_2 A_1,\; A_2 b_1 + b_2)`, so every prefix composition
follows from a parallel scan of depth :math:`O(\log T)` and work :math:`O(T)` (Blelloch 1990;
the odd--even recursion of Ladner & Fischer 1980). This is the linear solve inside DEER
(Lim et al., ICLR 2024) and inside linear recurrent layers (S5, LRU).

``A_t`` is dense ``(d, d)``, diagonal ``(d,)`` or one scalar per step; which one is read from
its number of dimensions against ``b``'s, never guessed from sizes:

* ``A.dim() == b.dim() + 1``: dense, ``A[t, ..., i, j]``;
* ``A.dim() == b.dim()``: diagonal, ``A[t, ..., i]``;
* ``A.dim() == b.dim() - 1``: scalar, ``A[t, ...]``.

Time is the first dimension (as in ``odeint``'s ``ys``); the dimensions between time and the
state are batch dimensions, over which ``A`` broadcasts (a transition shared by the batch is
``A[t, None]``). The gradient is the adjoint recurrence run backwards, itself one reverse scan:
:math:`\lambda_t = g_t + A_{t+1}^\top \lambda_{t+1}`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from attractor._core.validation import check_tensor

DENSE, DIAGONAL, SCALAR = "dense", "diagonal", "scalar"


def affine_scan(
    A: torch.Tensor, b: torch.Tensor, s0: torch.Tensor | None = None, *, reverse: bool = False
) -> torch.Tensor:
    r"""All states :math:`s_1, \dots, s_T` of :math:`s_t = A_t s_{t-1} + b_t` from :math:`s_0`.

    Parameters
    ----------
    A:
        The transitions, ``(T, *batch, d, d)`` (dense), ``(T, *batch, d)`` (diagonal) or
        ``(T, *batch)`` (scalar); the batch dimensions broadcast against ``b``'s.
    b:
        The offsets, ``(T, *batch, d)``.
    s0:
        The initial state, ``(*batch, d)`` (broadcastable); zero when omitted.
    reverse:
        Run backwards in time: :math:`s_t = A_t s_{t+1} + b_t` for :math:`t = T, \dots, 1`
        with :math:`s_{T+1} = s_0` (the form of an adjoint recurrence).

    Returns
    -------
    The states ``(T, *batch, d)``, differentiable with respect to ``A``, ``b`` and ``s0``
    (the backward pass is one reverse scan).

    Examples
    --------
    >>> A = torch.full((5, 1), 0.5)            # s_t = 0.5 s_{t-1} + 1, diagonal, d = 1
    >>> affine_scan(A, torch.ones(5, 1)).squeeze(-1)
    tensor([1.0000, 1.5000, 1.7500, 1.8750, 1.9375])
    """
    A, b, s0, structure = _check(A, b, s0)
    if reverse:
        return _AffineScan.apply(A.flip(0), b.flip(0), s0, structure).flip(0)
    return _AffineScan.apply(A, b, s0, structure)


def _check(A: Any, b: Any, s0: Any) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, str]:
    b = check_tensor("b", b, min_dim=2, finite=False)
    A = check_tensor("A", A, min_dim=1, finite=False)
    if A.dtype != b.dtype or A.device != b.device:
        raise ValueError(
            f"`A` and `b` must share dtype and device; got {A.dtype} on {A.device} and "
            f"{b.dtype} on {b.device}."
        )
    T, d = b.shape[0], b.shape[-1]
    structure = {b.dim() + 1: DENSE, b.dim(): DIAGONAL, b.dim() - 1: SCALAR}.get(A.dim())
    if structure is None or A.shape[0] != T:
        raise ValueError(
            f"`A` must have shape (T, *batch, d, d) (dense), (T, *batch, d) (diagonal) or "
            f"(T, *batch) (scalar) for `b` of shape {tuple(b.shape)} (T={T}, d={d}); got "
            f"{tuple(A.shape)}."
        )
    batch = b.shape[1:-1]
    a_batch = {DENSE: A.shape[1:-2], DIAGONAL: A.shape[1:-1], SCALAR: A.shape[1:]}[structure]
    tail_ok = {DENSE: A.shape[-2:] == (d, d), DIAGONAL: A.shape[-1] in (1, d), SCALAR: True}[structure]
    if not tail_ok or not _broadcasts(a_batch, batch):
        raise ValueError(
            f"`A` of shape {tuple(A.shape)} read as {structure} transitions does not fit `b` of "
            f"shape {tuple(b.shape)}: its batch dimensions must broadcast to {tuple(batch)} and "
            f"its state dimensions be {'(d, d)' if structure == DENSE else '(d,)'} with d={d}."
        )
    if s0 is None:
        s0 = b.new_zeros(b.shape[1:])
    else:
        s0 = check_tensor("s0", s0, finite=False)
        if s0.dtype != b.dtype or s0.device != b.device:
            raise ValueError(f"`s0` must have the dtype and device of `b` ({b.dtype}, {b.device}); got {s0.dtype}, {s0.device}.")
        if not _broadcasts(s0.shape, b.shape[1:]):
            raise ValueError(f"`s0` must broadcast to {tuple(b.shape[1:])} (the shape of one state); got {tuple(s0.shape)}.")
        s0 = s0.expand(b.shape[1:])
    return A, b, s0, structure


def _broadcasts(shape: tuple[int, ...], target: tuple[int, ...]) -> bool:
    if len(shape) > len(target):
        return False
    return all(s in (1, t) for s, t in zip(shape[::-1], target[::-1]))


class _AffineScan(torch.autograd.Function):
    @staticmethod
    def forward(ctx, A, b, s0, structure):
        states = scan_states(A, b, s0, structure)
        ctx.structure = structure
        ctx.save_for_backward(A, s0, states)
        return states

    @staticmethod
    def backward(ctx, grad):
        A, s0, states = ctx.saved_tensors
        structure = ctx.structure
        # λ_t = g_t + A_{t+1}^T λ_{t+1}: a reverse scan with the transposed, shifted transitions
        At = A.mT if structure == DENSE else A
        shifted = torch.cat([At[1:], torch.zeros_like(At[:1])])
        lam = _AffineScan.apply(shifted.flip(0), grad.flip(0), torch.zeros_like(s0), structure).flip(0)
        previous = torch.cat([s0.unsqueeze(0), states[:-1]])
        grad_A = grad_s0 = None
        if ctx.needs_input_grad[0]:
            if structure == DENSE:
                grad_A = lam.unsqueeze(-1) * previous.unsqueeze(-2)
            elif structure == DIAGONAL:
                grad_A = lam * previous
            else:
                grad_A = (lam * previous).sum(-1)
            grad_A = grad_A.sum_to_size(A.shape)
        if ctx.needs_input_grad[2]:
            grad_s0 = apply(At[0], lam[0], structure)
        return grad_A, lam, grad_s0, None


def apply(A: torch.Tensor, s: torch.Tensor, structure: str) -> torch.Tensor:
    """``A s`` for one (batched) transition of the given structure."""
    if structure == DENSE:
        return (A @ s.unsqueeze(-1)).squeeze(-1)
    if structure == DIAGONAL:
        return A * s
    return A.unsqueeze(-1) * s


def scan_states(A: torch.Tensor, b: torch.Tensor, s0: torch.Tensor, structure: str) -> torch.Tensor:
    """The forward scan without autograd bookkeeping: fold ``s0`` into ``b_1``, then scan."""
    b = torch.cat([(apply(A[0], s0, structure) + b[0]).unsqueeze(0), b[1:]])
    if structure == DENSE:
        A = A.expand(*b.shape, b.shape[-1])
    elif structure == DIAGONAL:
        A = A.expand(b.shape)
    else:
        A = A.expand(b.shape[:-1])
    return _prefix(A, b, structure)[1]


def _combine(structure):
    """The composition ``then ∘ first`` of two batches of affine maps."""

    def combine(first, then):
        (A1, b1), (A2, b2) = first, then
        if structure == DENSE:
            return A2 @ A1, (A2 @ b1.unsqueeze(-1)).squeeze(-1) + b2
        if structure == DIAGONAL:
            return A2 * A1, A2 * b1 + b2
        return A2 * A1, A2.unsqueeze(-1) * b1 + b2

    return combine


def _prefix(A: torch.Tensor, b: torch.Tensor, structure: str) -> tuple[torch.Tensor, torch.Tensor]:
    return associative_scan(_combine(structure), (A, b))


def associative_scan(
    combine: Callable[[tuple[torch.Tensor, ...], tuple[torch.Tensor, ...]], tuple[torch.Tensor, ...]],
    elems: tuple[torch.Tensor, ...],
) -> tuple[torch.Tensor, ...]:
    """Inclusive prefix combinations ``e_1, e_1 • e_2, ...`` of elements stacked along the
    first dimension, for any associative ``combine(earlier, later)`` that works on batches.

    The odd--even recursion (Ladner & Fischer 1980): combine neighbouring pairs, scan the
    half-length sequence, then fill in the even positions from the odd ones; depth
    ``2 log2 T`` combines, work ``O(T)``.
    """
    T = elems[0].shape[0]
    if T < 2:
        return elems
    pairs = combine(tuple(e[0:-1:2] for e in elems), tuple(e[1::2] for e in elems))
    odd = associative_scan(combine, pairs)  # prefixes ending at 1, 3, 5, ... (0-based)
    n_even = (T - 1) // 2  # positions 2, 4, ...
    even = combine(tuple(o[:n_even] for o in odd), tuple(e[2::2] for e in elems))
    return tuple(_interleave(e[:1], o, v) for e, o, v in zip(elems, odd, even))


def _interleave(first: torch.Tensor, odd: torch.Tensor, even: torch.Tensor) -> torch.Tensor:
    """``[first, odd[0], even[0], odd[1], even[1], ...]`` along time."""
    evens = torch.cat([first, even])  # positions 0, 2, 4, ...
    n_odd = odd.shape[0]
    if evens.shape[0] == n_odd:
        return torch.stack([evens, odd], dim=1).flatten(0, 1)
    # one more even position than odd ones (T odd): pair all but the last, then append it
    paired = torch.stack([evens[:n_odd], odd], dim=1).flatten(0, 1)
    return torch.cat([paired, evens[n_odd:]])
