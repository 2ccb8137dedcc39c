"""Deep equilibrium layer: the output is the fixed point ``z* = f(z*, x)`` of a cell.

Bai, Kolter & Koltun 2019, "Deep equilibrium models". The forward pass hands the cell to
:func:`attractor.fixed_point` (any of its solvers); the backward pass is that function's
(implicit function theorem, phantom / Jacobian-free, unrolled or none), so the layer costs the
memory of one cell evaluation however many solver steps it takes.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import torch
from torch import nn

from attractor._core import autocast
from attractor._core.lookup import resolve
from attractor._core.status import Status
from attractor._core.validation import (
    check_batch_ndim,
    check_callable,
    check_choice,
    check_in_range,
    check_int,
    check_tensor,
)
from attractor.equilibrium import SOLVERS, FixedPointSolver, fixed_point
from attractor.equilibrium.backward import BACKWARD_MODES
from attractor.nn.correction import sample_indices
from attractor.nn.jacobian import jacobian_frobenius
from attractor.nn.parametrized import frozen_parametrizations

ON_FAILURE = ("auto", "raise", "warn", "status")
OVERRIDABLE = ("solver", "tol", "rtol", "max_steps", "norm", "backward", "backward_solver", "backward_tol",
               "backward_rtol", "backward_max_steps", "phantom_steps", "phantom_damping", "on_failure")


@dataclass
class DEQOutput:
    """What a :class:`DEQ` returns.

    Attributes
    ----------
    z:
        The equilibrium (differentiable according to the layer's ``backward``).
    residual, steps, status:
        Per-sample ``||f(z) - z||`` of the solver's map, iterations and :class:`attractor.Status`.
    stats:
        The solver's statistics (``nfe``, ``steps``, ...).
    states:
        States for the fixed-point correction loss, ordered from early iterates to ``z``
        (just ``[z]`` unless ``correction_samples > 0`` in training).
    jacobian_loss:
        Per-sample Hutchinson estimate of ``||∂f/∂z||_F² / dim(z)`` at ``z`` when
        ``jacobian_samples > 0`` in training, else None.
    solution:
        The raw solution of :func:`attractor.fixed_point` (of the solver's state, which for
        splitting methods is not z itself).
    """

    z: torch.Tensor
    residual: torch.Tensor
    steps: torch.Tensor
    status: torch.Tensor
    stats: dict[str, Any]
    states: list[torch.Tensor] = field(default_factory=list)
    jacobian_loss: torch.Tensor | None = None
    solution: Any = None

    @property
    def ok(self) -> torch.Tensor:
        """Per-sample bool: did the solve converge."""
        return self.solution.ok


class SolverProblem(NamedTuple):
    """The fixed-point problem a DEQ hands to the solver.

    ``map(state, *args)`` is iterated; ``encode`` turns an initial guess of z into the solver's
    state and ``decode`` a state into z (both identities unless the state is a splitting
    method's auxiliary variable).
    """

    map: Callable[..., torch.Tensor]
    args: tuple[Any, ...]
    encode: Callable[[torch.Tensor], torch.Tensor]
    decode: Callable[[torch.Tensor], torch.Tensor]


def _identity(z: torch.Tensor) -> torch.Tensor:
    return z


class DEQ(nn.Module):
    """Deep equilibrium layer around a cell ``f(z, x)``.

    Parameters
    ----------
    f:
        The cell, ``f(z, x) -> z`` (an ``nn.Module`` or any callable; ``x`` may be a tensor or a
        tuple of tensors). Its parameters and ``x`` receive gradients.
    solver, tol, rtol, max_steps, norm, batch_ndim:
        Passed to :func:`attractor.fixed_point`: the forward solver (a name such as
        ``"anderson"``, ``"broyden"``, ``"picard"`` or a solver object) and its stopping rule
        (``tol=0`` with ``rtol > 0`` is purely relative).
    backward, backward_solver, backward_tol, backward_rtol, backward_max_steps, phantom_steps, phantom_damping:
        The gradient, passed to :func:`attractor.fixed_point`: ``"implicit"`` (implicit
        function theorem), ``"phantom"`` (damped unrolled steps from z*), ``"unroll"`` or ``"none"``.
    eval_max_steps:
        ``max_steps`` in eval mode (default: same as training).
    on_failure:
        ``"auto"`` (default): in training, samples that do not converge are reported by one
        ``RuntimeWarning`` per batch (how many, why, the worst residual) and in the output's
        ``status``, and training goes on with their best iterates (TorchDEQ's behaviour, but not
        silent); in eval mode a :class:`attractor.ConvergenceError` is raised. ``"raise"``,
        ``"warn"`` or ``"status"`` choose one behaviour for both modes.
    z_init:
        Initial guess when ``z0`` is not given: ``None`` (zeros shaped like ``x``), the per-sample
        state shape (int or tuple; zeros with ``x``'s batch dims) or a function ``x -> z0``.
    warm_start:
        Start each solve from the previous call's equilibrium when the shapes agree (useful
        when consecutive inputs are close, e.g. a time series or repeated evaluation).
    jacobian_samples:
        In training, return ``jacobian_loss``, the Jacobian penalty of Bai et al. 2021
        (:func:`attractor.nn.jacobian_frobenius`) with this many probes; add it to the loss.
    correction_samples, correction_steps, correction_damping:
        In training, return ``correction_samples`` extra states sampled evenly along the solver's
        trajectory, each refined by ``correction_steps`` damped cell steps, for
        :func:`attractor.nn.fixed_point_correction_loss` (Bai et al. 2022).

    ``forward(x, z0=None)`` returns a :class:`DEQOutput`.

    The cell's parametrized weights (weight / spectral normalization, the contractive and
    monotone parametrizations) are computed once per forward pass, and spectral-norm power
    iterations advance once per training forward pass, so the map is fixed during a solve.
    """

    def __init__(
        self,
        f: Callable[..., torch.Tensor],
        *,
        solver: Any = "anderson",
        tol: float | None = None,
        rtol: float = 0.0,
        max_steps: int = 50,
        norm: str = "l2",
        backward: str = "implicit",
        backward_solver: Any = "gmres",
        backward_tol: float | None = None,
        backward_rtol: float | None = None,
        backward_max_steps: int | None = None,
        phantom_steps: int = 5,
        phantom_damping: float = 0.5,
        batch_ndim: int | None = None,
        eval_max_steps: int | None = None,
        on_failure: str = "auto",
        z_init: None | int | tuple[int, ...] | Callable[[Any], torch.Tensor] = None,
        warm_start: bool = False,
        jacobian_samples: int = 0,
        correction_samples: int = 0,
        correction_steps: int = 1,
        correction_damping: float = 0.5,
    ) -> None:
        super().__init__()
        check_callable("f", f)
        self.f = f
        self.max_steps = check_int("max_steps", max_steps)
        self.eval_max_steps = self.max_steps if eval_max_steps is None else check_int("eval_max_steps", eval_max_steps)
        self.on_failure = check_choice("on_failure", on_failure, ON_FAILURE)
        self.batch_ndim = None if batch_ndim is None else check_int("batch_ndim", batch_ndim, minimum=0)
        resolve("solver", solver, SOLVERS, FixedPointSolver)  # fail now rather than at the first call
        self.solver_options = {
            "solver": solver,
            "tol": tol,
            "rtol": rtol,
            "norm": norm,
            "backward": check_choice("backward", backward, BACKWARD_MODES),
            "backward_solver": backward_solver,
            "backward_tol": backward_tol,
            "backward_rtol": backward_rtol,
            "backward_max_steps": backward_max_steps,
            "phantom_steps": phantom_steps,
            "phantom_damping": phantom_damping,
        }
        if z_init is not None and not callable(z_init):
            shape = (z_init,) if isinstance(z_init, int) else z_init
            if not isinstance(shape, tuple) or not all(isinstance(n, int) and n > 0 for n in shape):
                raise ValueError(f"`z_init` must be None, a positive int, a tuple of them or a callable; got {z_init!r}.")
            z_init = shape
        self.z_init = z_init
        self.warm_start = bool(warm_start)
        self.jacobian_samples = check_int("jacobian_samples", jacobian_samples, minimum=0)
        self.correction_samples = check_int("correction_samples", correction_samples, minimum=0)
        self.correction_steps = check_int("correction_steps", correction_steps, minimum=1)
        self.correction_damping = check_in_range("correction_damping", correction_damping, 0.0, 1.0)
        if self.correction_damping == 0.0:
            raise ValueError("`correction_damping` must be in (0, 1]; got 0.0.")
        self.register_buffer("_warm_state", None, persistent=False)
        self._checked_shapes: set[tuple[Any, ...]] = set()

    # -- the problem handed to the solver (overridden by splitting-based layers) -------------

    def problem(self, x: Any) -> SolverProblem:
        """The fixed-point map, its extra arguments, and the state <-> z conversions."""
        if isinstance(x, tuple):
            return SolverProblem(lambda z, *xs: self.f(z, xs), x, _identity, _identity)
        return SolverProblem(lambda z, x_: self.f(z, x_), (x,), _identity, _identity)

    # -- initial guesses --------------------------------------------------------------------

    def _reference(self, x: Any) -> torch.Tensor:
        ref = x[0] if isinstance(x, tuple) and x else x
        if not isinstance(ref, torch.Tensor):
            raise TypeError(
                f"`x` must be a tensor or a tuple of tensors to build z0; got {type(x).__name__}. "
                "Pass `z0=` or a callable `z_init=`."
            )
        return ref

    def initial_z(self, x: Any) -> torch.Tensor:
        """The initial guess of z for input ``x`` when none is given (see ``z_init``)."""
        if callable(self.z_init):
            z0 = self.z_init(x)
            return check_tensor("z_init(x)", z0)
        ref = self._reference(x)
        if self.z_init is None:
            return torch.zeros_like(ref)
        nb = check_batch_ndim("x", ref, self.batch_ndim)
        return torch.zeros(ref.shape[:nb] + self.z_init, dtype=ref.dtype, device=ref.device)

    def reset_warm_start(self) -> None:
        """Forget the stored equilibrium (the next solve starts from ``z_init``)."""
        self._warm_state = None

    def _initial_state(self, problem: SolverProblem, x: Any, z0: torch.Tensor | None) -> torch.Tensor:
        # The solve is independent of its start: no gradient flows into the initial state.
        if z0 is not None:
            return problem.encode(check_tensor("z0", z0).detach()).detach()
        state = problem.encode(self.initial_z(x)).detach()
        warm = self._warm_state
        if (
            self.warm_start
            and warm is not None
            and warm.shape == state.shape
            and warm.dtype == state.dtype
            and warm.device == state.device
        ):
            return warm
        return state

    def _check_map(self, problem: SolverProblem, state: torch.Tensor) -> None:
        """One evaluation per new state shape: the map must preserve the state's shape."""
        key = (tuple(state.shape), state.dtype, state.device)
        if key in self._checked_shapes:
            return
        hint = "Give the state's shape with `z_init=` (per-sample shape or a function of x) or pass `z0=`."
        try:
            with torch.no_grad():
                out = problem.map(state, *problem.args)
        except RuntimeError as exc:  # typically a shape error inside the cell
            raise ValueError(
                f"`f` failed on the initial state z0 of shape {tuple(state.shape)}: {exc}. {hint}"
            ) from exc
        if not isinstance(out, torch.Tensor) or out.shape != state.shape:
            got = f"shape {tuple(out.shape)}" if isinstance(out, torch.Tensor) else type(out).__name__
            raise ValueError(
                f"`f` must return a tensor shaped like z; for z of shape {tuple(state.shape)} it returned {got}. {hint}"
            )
        mixed = autocast.capture(state.device)
        if out.dtype != state.dtype and not (mixed is not None and out.dtype == mixed.dtype):
            raise ValueError(f"`f` must return z's dtype {state.dtype}; it returned {out.dtype}.")
        self._checked_shapes.add(key)

    # -- forward ------------------------------------------------------------------------------

    def forward(self, x: Any, z0: torch.Tensor | None = None, **overrides: Any) -> DEQOutput:
        """Solve for ``x``; keyword ``overrides`` replace this layer's solver options for one
        call (``deq(x, max_steps=200, tol=1e-6)``; any of ``solver``, ``tol``, ``rtol``,
        ``max_steps``, ``norm``, the ``backward*`` and ``phantom_*`` options, ``on_failure``)."""
        unknown = sorted(set(overrides) - set(OVERRIDABLE))
        if unknown:
            raise TypeError(f"DEQ.forward got unknown solver option(s) {unknown}; the overridable ones are "
                            f"{list(OVERRIDABLE)}.")
        options = {**self.solver_options, **{k: v for k, v in overrides.items() if k not in ("max_steps", "on_failure")}}
        max_steps = overrides.get("max_steps", self.max_steps if self.training else self.eval_max_steps)
        on_failure = check_choice("on_failure", overrides.get("on_failure", self.on_failure), ON_FAILURE)
        if on_failure == "auto":
            on_failure = "warn" if self.training else "raise"
        with frozen_parametrizations(self):
            problem = self.problem(x)
            state0 = self._initial_state(problem, x, z0)
            self._check_map(problem, state0)
            nb = check_batch_ndim("z0", state0, self.batch_ndim)
            corrections = self.training and self.correction_samples > 0
            sol = fixed_point(
                problem.map,
                state0,
                args=problem.args,
                max_steps=max_steps,
                batch_ndim=nb,
                on_failure="raise" if on_failure == "raise" else "status",
                trajectory=corrections,
                **options,
            )
            if on_failure == "warn":
                self._warn_if_failed(sol)
            if self.warm_start:
                self._warm_state = sol.value.detach()
            z = problem.decode(sol.value)
            states = self._correction_states(problem, sol.trajectory) if corrections else []
            states.append(z)
            jac = None
            if self.training and self.jacobian_samples > 0:
                jac = self._jacobian_loss(x, z, nb)
        return DEQOutput(
            z=z,
            residual=sol.residual,
            steps=sol.steps,
            status=sol.status,
            stats=sol.stats,
            states=states,
            jacobian_loss=jac,
            solution=sol,
        )

    def _warn_if_failed(self, sol: Any) -> None:
        failed = ~sol.ok
        n_failed = int(failed.sum())
        if n_failed:
            codes = sol.status[failed].reshape(-1).tolist()
            counts = ", ".join(f"{Status(c).name} x{codes.count(c)}" for c in sorted(set(codes)))
            warnings.warn(
                f"DEQ: the fixed-point solve did not converge for {n_failed} of {sol.ok.numel()} sample(s) "
                f"({counts}; worst residual {float(sol.residual[failed].max()):.3g}, tol "
                f"{sol.stats['tol']:.3g}); they carry their best iterates, see the output's "
                "`status`. Raise max_steps or loosen tol (deq(x, max_steps=...) for one call).",
                RuntimeWarning,
                stacklevel=3,
            )

    def _correction_states(self, problem: SolverProblem, trajectory: list[torch.Tensor] | None) -> list[torch.Tensor]:
        # The trajectory runs from z0 to the equilibrium; sample strictly between the two.
        iterates = list(trajectory or [])[1:-1]
        tau = self.correction_damping
        states = []
        for k in sample_indices(len(iterates), self.correction_samples):
            s = iterates[k].detach()
            for _ in range(self.correction_steps):
                s = (1.0 - tau) * s + tau * problem.map(s, *problem.args)
            states.append(problem.decode(s))
        return states

    def _jacobian_loss(self, x: Any, z: torch.Tensor, nb: int) -> torch.Tensor:
        return jacobian_frobenius(
            self.f, z, (x,), samples=self.jacobian_samples, batch_ndim=nb, normalize=True
        )

    def extra_repr(self) -> str:
        opts = self.solver_options
        return (
            f"solver={opts['solver']!r}, backward={opts['backward']!r}, max_steps={self.max_steps}, "
            f"tol={opts['tol']}, on_failure={self.on_failure!r}"
        )
