"""The stepper interface that every ODE method implements (explicit, implicit, Rosenbrock, ...).

The integration loops (:mod:`attractor.ode.shared_loop`, :mod:`attractor.ode.per_sample_loop`)
own time, step-size control, output times, events and termination; a stepper only knows how
to take one trial step and how to describe the solution inside it. States are *flat*: ``y``
is a 1-D tensor of all state entries (batch included); ``field.shape`` is the user's shape.

Contract
--------
``order`` / ``error_order``
    Order of the propagated solution and of the embedded error estimate (``None``: the method
    has none and runs with fixed steps only). The controller's exponent is ``1/(error_order+1)``.
``workspace(field, y0, functional, tolerances=None) -> work``
    Per-solve scratch (preallocated buffers, Jacobian caches, ...). ``functional=True`` means
    autograd is recording: the stepper must not overwrite tensors the graph still needs.
    ``tolerances = (rtol, atol)`` of the solve (implicit methods stop Newton relative to them).
``init(field, t0, y0, f0, work) -> state``
    The state carried between accepted steps (e.g. the FSAL slope). ``f0 = f(t0, y0)`` is
    passed in since the loop evaluates it anyway. The state must be ``None`` or a tuple of
    tensors whose leading dims are the batch dims (so per-sample solves can merge it).
``step(field, t, h, y, state, work) -> Step``
    One trial step from ``(t, y)`` of size ``h``. ``t``, ``h`` are Python floats (one step for
    the whole batch) or tensors of shape ``batch_shape + (1,) * event_ndim`` (a step per
    sample). Must not modify ``y`` or ``state``. A stepper that fails internally (e.g. Newton
    not converging) reports ``inf`` in ``Step.error`` for those samples: the loop rejects the
    step and shrinks ``h``.
``dense_stages(field, t, h, y, step, work) -> Z``
    ``(m, N)`` vectors such that ``y(t + theta h) = y + sum_i w_i(theta) Z_i`` with the
    polynomial weights ``w(theta) = powers(theta) @ dense_coefficients(...).T``; may evaluate
    extra stages lazily (only steps that hold outputs or events need them).
``dense_coefficients(dtype, device) -> P``
    ``(m, d)`` tensor: coefficients of ``theta^1 .. theta^d`` of each weight.
``combine_error_norms(norms) -> ratio``
    Turns the per-estimator norms ``(E, batch)`` into the error ratio ``(batch,)`` (<= 1 accepts).

An implicit ESDIRK or Rosenbrock method plugs in by implementing these methods: its stages
are ``h``-scaled slopes (or stage increments), its dense output a polynomial in ``theta`` over
them (Hermite if it has none), and Newton failures come back as ``inf`` error.
"""

from __future__ import annotations

import abc
from typing import Any, NamedTuple

import torch


class Step(NamedTuple):
    """One trial step."""

    y: torch.Tensor
    """Proposed ``y(t + h)`` (flat)."""
    error: torch.Tensor | None
    """``(E, N)`` local error estimates (already scaled by ``h``); ``None`` for fixed-step methods."""
    stages: Any
    """``(s, N)`` h-scaled stages: the data for the dense output (or a stepper-private holder
    that the same stepper's ``dense_stages`` turns into them, to build them only when needed)."""
    state: Any
    """Stepper state to carry to the next step if this one is accepted."""


class AbstractStepper(abc.ABC):
    """Base class of ODE steppers; see the module docstring for the contract."""

    order: int
    error_order: int | None = None

    @property
    def adaptive(self) -> bool:
        return self.error_order is not None

    def workspace(self, field, y0: torch.Tensor, functional: bool, tolerances: Any = None) -> Any:
        return None

    def statistics(self, work: Any) -> dict[str, int]:
        """Method-specific counters of one solve (e.g. Jacobians), merged into ``sol.stats``."""
        return {}

    def release(self, work: Any) -> None:
        """The solve that asked for ``work`` is over (buffers may be reused)."""

    @abc.abstractmethod
    def init(self, field, t0, y0: torch.Tensor, f0: torch.Tensor, work: Any) -> Any:
        """See the module docstring."""

    @abc.abstractmethod
    def step(self, field, t, h, y: torch.Tensor, state: Any, work: Any) -> Step:
        """See the module docstring."""

    def dense_stages(self, field, t, h, y: torch.Tensor, step: Step, work: Any) -> torch.Tensor:
        return step.stages

    @abc.abstractmethod
    def dense_coefficients(self, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
        """See the module docstring."""

    def combine_error_norms(self, norms: torch.Tensor) -> torch.Tensor:
        return norms[0]

    def select(self, mask: torch.Tensor, new: Any, old: Any) -> Any:
        """Per-sample merge of states: ``new`` where ``mask`` (broadcast over event dims)."""
        if new is None:
            return None
        if isinstance(new, torch.Tensor):
            return torch.where(mask.reshape(mask.shape + (1,) * (new.dim() - mask.dim())), new, old)
        return type(new)(self.select(mask, n, o) for n, o in zip(new, old))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
