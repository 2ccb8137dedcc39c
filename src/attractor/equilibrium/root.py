"""``root``: solve ``g(x, *args) = 0`` per sample, with gradients."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from attractor.equilibrium._solution import EquilibriumSolution
from attractor.equilibrium._solve import solve_equilibrium


def root(
    g: Callable[..., Any],
    x0: Any,
    *,
    args: tuple = (),
    solver: Any = "newton",
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
    """Find ``x*`` with ``g(x*, *args) = 0`` for every sample of a batch.

    The same machinery as :func:`attractor.fixed_point`: a root of ``g`` is a fixed point of
    ``T(x) = x + g(x)``, and every solver works on the residual ``r = g``. Newton (the default)
    and Broyden solve ``g = 0`` directly; Picard iterates ``x + damping * g(x)`` and Anderson
    accelerates that, so they suit ``g`` whose Jacobian has eigenvalues with negative real part
    (e.g. ``g = -grad V``). Implicit gradients follow from ``J_g(x*)^T w = -grad``, solved as
    the adjoint of ``T``. Convergence: ``||g(x)|| <= tol + rtol ||x||``.

    All parameters are those of :func:`attractor.fixed_point` (``g`` for ``f``, ``x0`` for
    ``z0``); the default solver is ``"newton"``.

    Example
    -------
    >>> import torch, attractor
    >>> sol = attractor.root(lambda x: x**2 - 2.0, torch.ones((), dtype=torch.float64), tol=1e-12)
    >>> round(float(sol.value), 6)
    1.414214
    """
    return solve_equilibrium(
        "root",
        "g",
        g,
        x0,
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
