"""``parallel_recurrence``: the whole trajectory of ``s_t = f(s_{t-1}, x_t)`` as one root problem."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from attractor._core.errors import raise_if_failed
from attractor._core.lookup import resolve
from attractor._core.status import Status
from attractor._core.validation import (
    check_callable,
    check_choice,
    check_int,
    check_positive,
    check_tensor,
)
from attractor.equilibrium._base import FixedPointSolver
from attractor.equilibrium._loop import iterate, loop_stats
from attractor.equilibrium._problem import _kind
from attractor.equilibrium._solution import EquilibriumSolution
from attractor.equilibrium._solve import NORMS
from attractor.equilibrium.recurrence._linearized import DEER, Jacobi, Picard, QuasiDEER
from attractor.equilibrium.recurrence._problem import RecurrenceProblem
from attractor.equilibrium.recurrence.backward import attach_gradients
from attractor.equilibrium.recurrence.elk import ELK
from attractor.linalg._batch import check_tol

METHODS: dict[str, Any] = {
    "deer": DEER,
    "quasi_deer": QuasiDEER,
    "elk": ELK,
    "quasi_elk": lambda: ELK(diagonal=True),
    "picard": Picard,
    "jacobi": Jacobi,
}


def parallel_recurrence(
    f: Callable[..., torch.Tensor],
    s0: torch.Tensor,
    inputs: torch.Tensor | None = None,
    *,
    length: int | None = None,
    method: Any = "deer",
    init: torch.Tensor | None = None,
    jacobian: Callable[..., torch.Tensor] | None = None,
    tol: float | None = None,
    rtol: float = 0.0,
    max_steps: int | None = None,
    norm: str = "max",
    divergence: float = 1e8,
    backward: str = "implicit",
    on_failure: str = "raise",
) -> EquilibriumSolution:
    r"""All states :math:`s_1, \dots, s_T` of :math:`s_t = f(s_{t-1}, x_t)`, found in parallel
    over time.

    The trajectory is the root of :math:`r_t(S) = s_t - f(s_{t-1}, x_t)`, ``t = 1..T``, solved
    by iterations whose every step is one evaluation of ``f`` on all ``T`` steps at once and
    one parallel scan (:func:`attractor.linalg.affine_scan`): ``O(log T)`` depth instead of
    ``T`` sequential steps. Each sample of the batch converges (and is reported) on its own.

    Parameters
    ----------
    f:
        The step: ``f(s, x) -> s_next`` (``f(s)`` without ``inputs``), called on rows, states
        ``(N, d)`` and inputs ``(N, m)``; any per-row map works (an ``nn.GRUCell``, a model's
        step; a ``GRUCell`` takes ``(x, s)``: pass ``lambda s, x: cell(x, s)``). Gradients reach its parameters, closed-over tensors, ``s0`` and ``inputs``.
    s0:
        The initial state, ``(*batch, d)``.
    inputs:
        Time-first inputs ``(T, *batch, m)``, or ``None`` (then give ``length``).
    method:
        ``"deer"`` (Newton; Lim et al. 2024), ``"quasi_deer"`` (diagonal Jacobians),
        ``"elk"`` / ``"quasi_elk"`` (Levenberg--Marquardt by a parallel Kalman smoother;
        Gonzalez et al. 2024), ``"picard"``, ``"jacobi"``, a solver object from
        :mod:`attractor.equilibrium.recurrence` (e.g. ``ELK(damping=10.0)``), or
        ``"sequential"`` (the plain loop, differentiated by autograd: the reference).
    init:
        Initial guess of the trajectory ``(T, *batch, d)`` (a warm start, e.g. the previous
        training step's); default ``s0`` repeated.
    jacobian:
        Optional analytic Jacobian ``jacobian(s, x) -> (N, d, d)`` of ``f`` with respect to
        ``s``; default ``d`` forward-mode Jacobian-vector products in one vectorised call.
    tol, rtol, norm:
        A sample has converged when ``||s_t - f(s_{t-1}, x_t)||`` over all ``t`` (``norm``:
        ``"max"``, ``"l2"`` or ``"rms"`` over the whole trajectory) is at most
        ``tol + rtol ||S||``; ``tol=None`` is 1e-10 in float64 and 1e-5 in float32.
    max_steps:
        Iterations per sample; default ``T`` (the undamped methods are exact after ``T``
        steps in exact arithmetic), ``T + 50`` for ELK.
    divergence:
        A sample whose residual grows beyond ``divergence`` times its initial value fails with
        ``DIVERGED``; one whose iterate overflows, with ``NONFINITE`` (Newton on a long chaotic
        trajectory: products of Jacobians grow like :math:`e^{\lambda_1 T}`).
    backward:
        ``"implicit"``: gradients by the implicit function theorem, whose adjoint is one reverse
        scan (equal to backpropagation through time); ``"none"``: no gradient.
    on_failure:
        ``"raise"`` (:class:`attractor.ConvergenceError` naming the failed samples) or
        ``"status"`` (per-sample ``status`` in the result).

    Returns
    -------
    :class:`attractor.equilibrium.EquilibriumSolution` with ``value`` the trajectory
    ``(T, *batch, d)``, per-sample ``residual``, ``steps`` and ``status``; ``stats["nfe"]``
    counts calls of ``f`` (each on all ``T`` steps, except ``"sequential"``).

    Examples
    --------
    >>> cell = torch.nn.GRUCell(3, 8)
    >>> x = torch.randn(1000, 4, 3)                    # T = 1000 steps, batch of 4
    >>> sol = parallel_recurrence(lambda s, x: cell(x, s), torch.zeros(4, 8), x)
    >>> sol.value.shape, bool(sol.ok.all())
    (torch.Size([1000, 4, 8]), True)
    """
    check_callable("f", f)
    s0 = check_tensor("s0", s0, min_dim=1)
    batch_shape, d = s0.shape[:-1], s0.shape[-1]
    T = _length(inputs, length, batch_shape, s0)
    backward = check_choice("backward", backward, ("implicit", "none"))
    on_failure = check_choice("on_failure", on_failure, ("raise", "status"))
    norm = check_choice("norm", norm, NORMS)
    B = s0[..., 0].numel()
    flat_s0 = s0.reshape(B, d)
    flat_x = None if inputs is None else inputs.reshape(T, B, -1).transpose(0, 1)
    problem = RecurrenceProblem(f, flat_s0, flat_x, T, jacobian)
    if isinstance(method, str) and method == "sequential":
        given = {"init": init is not None, "jacobian": jacobian is not None, "tol": tol is not None,
                 "rtol": rtol != 0.0, "max_steps": max_steps is not None, "divergence": divergence != 1e8,
                 "backward": backward != "implicit", "norm": norm != "max"}
        wrong = [k for k, v in given.items() if v]
        if wrong:
            raise ValueError(
                f"method='sequential' evaluates the loop directly (differentiated by autograd): "
                f"`{wrong[0]}` does not apply to it."
            )
        return _sequential(problem, batch_shape, T, d)
    solver = resolve("method", method, METHODS, FixedPointSolver)
    rtol = check_positive("rtol", rtol, allow_zero=True)
    tol = check_tol("tol", tol, s0.dtype, allow_zero=rtol > 0)
    if max_steps is None:
        max_steps = T + getattr(solver, "extra_steps", 0)
    max_steps = check_int("max_steps", max_steps, minimum=1)
    divergence = check_positive("divergence", divergence)
    start = _initial_guess(init, s0, T, B, d)
    with torch.no_grad():
        result = iterate(
            solver, problem, start, tol=tol, rtol=rtol, max_steps=max_steps, norm=norm, divergence=divergence
        )
    stats: dict[str, Any] = loop_stats(problem, solver, result, tol, rtol)
    value = result.z if backward == "none" else attach_gradients(problem, result.z, stats)
    sol = EquilibriumSolution(
        value=_time_first(value, batch_shape, T, d),
        residual=result.residual.reshape(batch_shape),
        steps=result.steps.reshape(batch_shape),
        status=result.status.reshape(batch_shape),
        stats=stats,
    )
    if on_failure == "raise":
        raise_if_failed(
            "parallel_recurrence",
            sol.status,
            {"residual": sol.residual, "steps": sol.steps, "tol": tol, "max_steps": max_steps},
            solution=sol,
            hint=f"Method {solver!r}. Raise `max_steps`, try method='elk' (damped) or 'sequential', "
            "or pass on_failure='status' to inspect the per-sample status instead.",
        )
    return sol


def _length(inputs: Any, length: Any, batch_shape: torch.Size, s0: torch.Tensor) -> int:
    if inputs is None:
        if length is None:
            raise ValueError("Give `inputs` of shape (T, *batch, m) or the number of steps `length`.")
        return check_int("length", length, minimum=1)
    inputs = check_tensor("inputs", inputs, min_dim=2)
    if inputs.shape[1:-1] != batch_shape:
        raise ValueError(
            f"`inputs` must have shape (T, {', '.join(map(str, batch_shape))}{', ' if batch_shape else ''}m) "
            f"(time first, then the batch shape of `s0` {tuple(batch_shape)}); got {tuple(inputs.shape)}."
        )
    if inputs.dtype != s0.dtype or inputs.device != s0.device:
        raise ValueError(f"`inputs` must have the dtype and device of `s0` ({s0.dtype}, {s0.device}); got {inputs.dtype}, {inputs.device}.")
    if length is not None and check_int("length", length, minimum=1) != inputs.shape[0]:
        raise ValueError(f"`length` ({length}) contradicts `inputs` with {inputs.shape[0]} steps; give one of them.")
    if inputs.shape[0] == 0:
        raise ValueError("`inputs` must have at least one time step; got 0.")
    return inputs.shape[0]


def _initial_guess(init: Any, s0: torch.Tensor, T: int, B: int, d: int) -> torch.Tensor:
    if init is None:
        return s0.detach().reshape(B, 1, d).expand(B, T, d).reshape(B, T * d).clone()
    expected = (T, *s0.shape)
    if not isinstance(init, torch.Tensor) or tuple(init.shape) != expected:
        raise ValueError(f"`init` must be a trajectory guess of shape {expected}; got {_kind(init)}.")
    init = check_tensor("init", init)
    return init.detach().reshape(T, B, d).transpose(0, 1).reshape(B, T * d).clone().to(s0.dtype)


def _time_first(z: torch.Tensor, batch_shape: torch.Size, T: int, d: int) -> torch.Tensor:
    return z.reshape(-1, T, d).transpose(0, 1).reshape(T, *batch_shape, d)


def _sequential(problem: RecurrenceProblem, batch_shape: torch.Size, T: int, d: int) -> EquilibriumSolution:
    """The reference: ``T`` calls of ``f`` on the batch, differentiated by autograd."""
    s, states = problem.s0, []
    for t in range(T):
        s = problem.rows(s, None if problem.inputs is None else problem.inputs[:, t])
        states.append(s)
    value = torch.stack(states)  # (T, B, d)
    finite = torch.isfinite(value).flatten(start_dim=2).all(0).all(-1) if value.numel() else torch.ones(problem.B, dtype=torch.bool)
    status = torch.where(finite, int(Status.SUCCESS), int(Status.NONFINITE)).to(torch.long)
    zeros = torch.zeros(problem.B, dtype=value.dtype, device=value.device)
    sol = EquilibriumSolution(
        value=value.reshape(T, *batch_shape, d),
        residual=zeros.reshape(batch_shape),
        steps=torch.full(batch_shape, T, dtype=torch.long, device=value.device),
        status=status.to(value.device).reshape(batch_shape),
        stats={"nfe": T, "njvp": 0, "steps": T, "iterations": T, "solver": "sequential"},
    )
    return sol

