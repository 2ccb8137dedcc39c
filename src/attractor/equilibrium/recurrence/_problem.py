"""A recurrence's whole trajectory as one fixed-point problem on flat ``(B, T d)`` states.

The trajectory :math:`S = (s_1, \\dots, s_T)` of :math:`s_t = f(s_{t-1}, x_t)` is the fixed
point of :math:`F(S)_t = f(s_{t-1}, x_t)` (with the given :math:`s_0`), a map whose Jacobian is
zero except for the blocks :math:`J_t = \\partial f / \\partial s\\,(s_{t-1}, x_t)` just below
the diagonal. The solvers of :mod:`attractor.equilibrium.recurrence` linearize it around the
current iterate and solve the linear recurrence by one parallel scan.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from attractor.equilibrium._problem import Packer, Problem, _kind
from attractor.linalg import materialize


class RecurrenceProblem(Problem):
    """``F(S) = f(shift(S), x)`` for ``B`` independent samples of ``T`` steps of ``d`` states.

    ``f`` is always called on rows: states ``(N, d)`` and inputs ``(N, m)`` with ``N = B T``
    (or ``N = B`` in the sequential evaluation), so any per-row map -- an ``nn.GRUCell``, a
    model's step -- works unchanged.
    """

    def __init__(
        self,
        f: Callable[..., torch.Tensor],
        s0: torch.Tensor,
        inputs: torch.Tensor | None,
        length: int,
        jacobian: Callable[..., torch.Tensor] | None,
        name: str = "f",
    ) -> None:
        self.step_fn, self.jacobian_fn = f, jacobian
        self.s0, self.inputs = s0, inputs  # (B, d) and (B, T, m) or None, as given (with graph)
        self.B, self.d = s0.shape
        self.T = length
        like = s0.new_empty(self.B, self.T * self.d)
        super().__init__(self._trajectory_map, (), Packer(like, 1), "fixed_point", name)

    # -- evaluations ------------------------------------------------------------------------
    def rows(self, states: torch.Tensor, x: torch.Tensor | None) -> torch.Tensor:
        """``f`` on a batch of rows, with its output checked."""
        out = self.step_fn(states) if x is None else self.step_fn(states, x)
        if not isinstance(out, torch.Tensor):
            raise TypeError(f"`{self.name}` must return a tensor of next states; got {type(out).__name__}.")
        if out.shape != states.shape or out.dtype != states.dtype:
            raise ValueError(
                f"`{self.name}` must map states of shape {tuple(states.shape)} ({states.dtype}) to "
                f"the same shape and dtype; got {tuple(out.shape)} ({out.dtype})."
            )
        return out

    def previous(self, z: torch.Tensor, s0: torch.Tensor | None = None) -> torch.Tensor:
        """``(s_0, ..., s_{T-1})`` as ``(B, T, d)`` from the flat trajectory ``(s_1, ..., s_T)``."""
        s0 = self.s0 if s0 is None else s0
        traj = z.reshape(self.B, self.T, self.d)
        return torch.cat([s0.unsqueeze(1), traj[:, :-1]], dim=1)

    def _flat_inputs(self) -> torch.Tensor | None:
        return None if self.inputs is None else self.inputs.reshape(self.B * self.T, -1)

    def apply_f(self, prev: torch.Tensor) -> torch.Tensor:
        """``f(s_{t-1}, x_t)`` for all ``t`` at once: ``(B, T, d)`` -> ``(B, T, d)``."""
        return self.rows(prev.reshape(-1, self.d), self._flat_inputs()).reshape(prev.shape)

    def _trajectory_map(self, z: torch.Tensor) -> torch.Tensor:
        return self.apply_f(self.previous(z)).reshape(z.shape)

    def jacobians(self, prev: torch.Tensor) -> torch.Tensor:
        """``J_t = ∂f/∂s (s_{t-1}, x_t)`` for all ``t``: ``(B, T, d, d)``."""
        rows = prev.reshape(-1, self.d)
        x = self._flat_inputs()
        if self.jacobian_fn is not None:
            jac = self.jacobian_fn(rows) if x is None else self.jacobian_fn(rows, x)
            expected = (rows.shape[0], self.d, self.d)
            if not isinstance(jac, torch.Tensor) or tuple(jac.shape) != expected:
                raise ValueError(f"`jacobian` must return the Jacobians of shape {expected}; got {_kind(jac)}.")
        else:
            def along(v: torch.Tensor) -> torch.Tensor:
                return torch.func.jvp(lambda s: self.rows(s, x), (rows,), (v,))[1]

            jac = materialize(along, rows.shape[0], self.d, rows)
            self.njvp += self.d
        return jac.reshape(self.B, self.T, self.d, self.d)


def to_time_first(x: torch.Tensor) -> torch.Tensor:
    """``(B, T, ...)`` -> ``(T, B, ...)``."""
    return x.transpose(0, 1)
