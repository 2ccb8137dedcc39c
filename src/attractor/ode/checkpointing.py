"""Binomial checkpointing: reverse a chain of ``n`` steps holding at most ``s`` extra states.

Griewank's result (Griewank 1992; Griewank & Walther, "Algorithm 799: revolve", ACM TOMS 2000):
with ``s`` snapshots and each step recomputed at most ``r`` times, at most
``beta(s, r) = C(s + r, s)`` steps can be reversed, and this is optimal. The reversal below
splits ``[lo, hi)`` at ``m`` so that ``[m, hi)`` is reversed with one snapshot fewer and ``[lo, m)``
with one repetition fewer (``beta(s, r) = beta(s - 1, r) + beta(s, r - 1)``), recursively.
Used by the checkpoint adjoint of ODEs (and reusable by any stepped solver).
"""

from __future__ import annotations

from collections.abc import Callable
from math import comb
from typing import Any


def beta(snapshots: int, repetitions: int) -> int:
    """Largest number of steps reversible with these snapshots and repetitions."""
    return comb(snapshots + repetitions, snapshots)


def repetitions(n: int, snapshots: int) -> int:
    """Smallest ``r`` with ``beta(snapshots, r) >= n``."""
    r = 0
    while beta(snapshots, r) < n:
        r += 1
    return r


def split_point(n: int, snapshots: int) -> int:
    """Length of the first part when reversing ``n >= 2`` steps with ``snapshots >= 1`` snapshots."""
    r = repetitions(n, snapshots)
    return min(n - 1, max(1, n - beta(snapshots - 1, r)))


def reverse(
    n_steps: int,
    snapshots: int,
    state0: Any,
    advance: Callable[[Any, int, int], Any],
    backprop: Callable[[int, Any], None],
) -> None:
    """Call ``backprop(j, state_j)`` for ``j = n_steps - 1, ..., 0``.

    ``advance(state_i, i, j)`` recomputes the state at ``j`` from the state at ``i`` (no graph);
    at most ``snapshots`` recomputed states are alive at once besides ``state0``.
    """

    def rec(lo: int, hi: int, state: Any, free: int) -> None:
        n = hi - lo
        if n == 1:
            backprop(lo, state)
            return
        if free == 0:
            for j in range(hi - 1, lo - 1, -1):
                backprop(j, advance(state, lo, j))
            return
        m = lo + split_point(n, free)
        rec(m, hi, advance(state, lo, m), free - 1)
        rec(lo, m, state, free)

    if n_steps > 0:
        rec(0, n_steps, state0, max(0, snapshots))
