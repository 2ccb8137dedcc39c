"""Ordinary differential equations: ``odeint`` with explicit Runge--Kutta methods, adaptive steps,
dense output, events, per-sample stepping and three kinds of gradients.

Quick use::

    sol = attractor.odeint(f, y0, t, solver="tsit5", rtol=1e-6, atol=1e-8)
    sol.ys          # (len(t), *y0.shape)
    sol.stats       # {"nfe": ..., "accepted": ..., "rejected": ...}

Architecture (one idea per module)
----------------------------------
``tableau`` / ``tableaus``
    Butcher tableaus as data (FSAL form, embedded error rows, dense-output polynomials).
``explicit_rk``
    One generic explicit Runge--Kutta stepper; ``Euler``, ``Midpoint``, ``Heun``, ``Ralston``,
    ``RK4``, ``Bosh3``, ``Dopri5``, ``Tsit5``, ``Dopri8`` are that stepper with a tableau.
``stepper``
    The stepper interface (below) that every method implements.
``controller``
    ``PIController`` and Hairer's initial step; works on floats (shared step) and per-sample
    tensors, reusable by SDE/CDE loops.
``error_norm``
    The scaled RMS error ratio deciding acceptance.
``interpolation`` / ``outputs``
    Dense output inside steps; output times interpolated in batches; ``sol.evaluate``.
``events``
    Zero crossings of ``g(t, y)`` located on the dense output (Illinois), terminal or not.
``shared_loop`` / ``per_sample_loop``
    The two integration loops (one step for the batch; a step per sample).
``adjoint_checkpoint`` / ``checkpointing`` / ``adjoint_backsolve`` / ``time_gradients`` /
``parameters``
    Gradients: exact replay of the accepted steps under binomial checkpointing, the continuous
    adjoint, gradients with respect to output times, and discovery of the tensors to
    differentiate.
``compiled``
    ``odeint(..., compile=True)``: each trial step (stages, ``f``, error ratio) as one
    ``torch.compile``d call.

The stepper interface
---------------------
A stepper is a small class holding its hyper-parameters; the loops drive it through

- ``order``, ``error_order`` (``None``: fixed steps only);
- ``workspace(field, y0, functional, tolerances)`` / ``release(work)``: per-solve scratch
  (preallocated buffers; with ``functional=True`` autograd is recording, so nothing the graph
  needs may be overwritten), handed back when the solve ends;
- ``init(field, t0, y0, f0, work) -> state``: state carried across accepted steps (tensors with
  leading batch dims, or ``None``), given ``f0 = f(t0, y0)``;
- ``step(field, t, h, y, state, work) -> Step(y, error, stages, state)``: one trial step on the
  flat state ``y``; ``t``/``h`` are floats (shared step) or per-sample tensors; ``error`` is
  ``(E, N)`` (``inf`` where an internal solve failed, which makes the loop reject and shrink);
- ``dense_stages(field, t, h, y, step, work) -> Z`` and ``dense_coefficients(dtype, device) -> P``:
  ``y(t + theta h) = y + [theta .. theta^d] P^T Z`` (Hermite when a method has no own
  continuous extension);
- ``combine_error_norms(norms)``: per-estimator norms -> error ratio.

An implicit ESDIRK (e.g. Kvaerno 5) or Rosenbrock stepper is another such class: its stages are
``h``-scaled slopes solved by Newton (``attractor.equilibrium``), its ``state`` may cache a
Jacobian, and it is registered beside the explicit methods.
"""

from attractor.ode.controller import PIController, initial_step_size
from attractor.ode.esdirk import ESDIRK, ESDIRKTableau, Kvaerno3, Kvaerno5
from attractor.ode.events import Event
from attractor.ode.explicit_rk import (
    RK4,
    SOLVERS,
    Bosh3,
    Dopri5,
    Dopri8,
    Euler,
    ExplicitRungeKutta,
    Heun,
    Midpoint,
    Ralston,
    Tsit5,
)
from attractor.ode.odeint import odeint
from attractor.ode.rosenbrock import Rodas5, Rosenbrock, RosenbrockTableau
from attractor.ode.solution import ODESolution
from attractor.ode.stepper import AbstractStepper, Step
from attractor.ode.tableau import ButcherTableau

__all__ = [
    "ESDIRK",
    "RK4",
    "SOLVERS",
    "AbstractStepper",
    "Bosh3",
    "ButcherTableau",
    "Dopri5",
    "Dopri8",
    "ESDIRKTableau",
    "Euler",
    "Event",
    "ExplicitRungeKutta",
    "Heun",
    "Kvaerno3",
    "Kvaerno5",
    "Midpoint",
    "ODESolution",
    "PIController",
    "Ralston",
    "Rodas5",
    "Rosenbrock",
    "RosenbrockTableau",
    "Step",
    "Tsit5",
    "initial_step_size",
    "odeint",
]
