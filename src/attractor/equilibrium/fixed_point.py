"""``fixed_point``: solve ``z = f(z, *args)`` per sample, with gradients."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from attractor.equilibrium._solution import EquilibriumSolution
from attractor.equilibrium._solve import solve_equilibrium


def fixed_point(
    f: Callable[..., Any],
    z0: Any,
    *,
    args: tuple = (),
    solver: Any = "anderson",
    tol: float | None = None,
    rtol: float = 0.0,
    max_steps: int = 100,
    norm: str = "l2",
    batch_ndim: int | None = None,
    backward: str = "implicit",
    backward_solver: Any = "gmres",
    backward_tol: float | None = None,
    backward_rtol: float | None = None,
    backward_max_steps: int | None = None,
    phantom_steps: int = 5,
    phantom_damping: float = 0.5,
    on_failure: str = "raise",
    trajectory: bool = False,
    divergence: float = 1e6,
) -> EquilibriumSolution:
    """Find ``z* = f(z*, *args)`` for every sample of a batch.

    Parameters
    ----------
    f:
        ``f(z, *args) -> same shape and dtype as z``. Samples must not interact (``f`` of a
        batch is the batch of ``f`` of each sample). Parameters may be passed in ``args``,
        closed over, or be ``nn.Module`` parameters: gradients reach all of them.
    z0:
        Initial guess: a tensor with leading batch dimensions, or a tuple of such tensors
        (flattened together internally; ``f`` then takes and returns a tuple).
    solver:
        ``"picard"``, ``"anderson"``, ``"broyden"``, ``"newton"``, ``"halpern"`` or a solver
        object such as ``attractor.equilibrium.Anderson(m=6)``.
    tol, rtol:
        A sample has converged when ``||f(z) - z|| <= tol + rtol * ||z||``. ``tol=None``
        means 1e-5 for float32 and 1e-10 for float64; ``tol=0`` with ``rtol > 0`` is a purely
        relative criterion.
    max_steps:
        Solver steps per sample.
    norm:
        ``"l2"``, ``"rms"`` or ``"max"`` over the non-batch dimensions.
    batch_ndim:
        Leading batch dimensions of ``z0``: default 1 if ``z0.dim() >= 2``, else 0.
    backward:
        ``"implicit"`` (implicit function theorem; Bai et al. 2019), ``"phantom"`` (damped
        unrolled steps from the equilibrium; Geng et al. 2021), ``"unroll"`` (backpropagate
        through every solver step, z0 included) or ``"none"``. Second derivatives
        (``create_graph=True``): exact with ``"unroll"``; ``"implicit"`` raises
        ``NotImplementedError`` (its adjoint solve is not differentiated).
    backward_solver:
        The adjoint solve of ``implicit``: ``"gmres"``, ``"bicgstab"``, ``"dense"`` (small
        states), or a fixed-point solver (``"picard"`` = fixed-point iteration, ``"anderson"``,
        ``"broyden"``, or a solver object) applied to ``u = g + J^T u``.
    backward_tol, backward_rtol, backward_max_steps:
        The adjoint solve stops when ``||g + J^T u - u|| <= backward_tol + backward_rtol ||g||``;
        defaults ``tol``, 0 (``rtol`` for a purely relative forward criterion, ``tol=0``) and
        ``max_steps``.
    phantom_steps, phantom_damping:
        ``k`` and ``lambda`` of the phantom gradient ``z <- (1 - lambda) z + lambda f(z)``.
    on_failure:
        ``"raise"``: a sample that hits ``max_steps``, diverges or turns non-finite raises
        :class:`attractor.ConvergenceError` with per-sample diagnostics (also for the adjoint
        solve during backward). ``"status"``: return the solution with per-sample ``status``
        (a failed adjoint solve then warns).
    trajectory:
        Keep the list of iterates in ``solution.trajectory``.
    divergence:
        A sample whose residual exceeds ``divergence`` times its initial residual stops with
        status ``DIVERGED``.

    Returns
    -------
    EquilibriumSolution
        ``.value`` (like ``z0``), per-sample ``.residual``, ``.steps``, ``.status``, ``.ok``,
        ``.stats`` (``nfe``, ``steps``, ...), ``.trajectory``.

    Example
    -------
    >>> import torch, attractor
    >>> sol = attractor.fixed_point(torch.cos, torch.zeros(3), tol=1e-6)
    >>> round(float(sol.value[0]), 5)
    0.73909
    """
    return solve_equilibrium(
        "fixed_point",
        "f",
        f,
        z0,
        args=args,
        solver=solver,
        tol=tol,
        rtol=rtol,
        max_steps=max_steps,
        norm=norm,
        batch_ndim=batch_ndim,
        backward=backward,
        backward_solver=backward_solver,
        backward_tol=backward_tol,
        backward_rtol=backward_rtol,
        backward_max_steps=backward_max_steps,
        phantom_steps=phantom_steps,
        phantom_damping=phantom_damping,
        on_failure=on_failure,
        trajectory=trajectory,
        divergence=divergence,
    )
