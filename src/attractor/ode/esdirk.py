"""ESDIRK methods (explicit first stage, singly diagonally implicit): Kværnø 3(2) and 5(4).

A step of size ``h`` from ``(t, y)`` has the explicit stage ``K_0 = h f(t, y)`` and, for
``i = 1 .. s-1``, the implicit stages

.. math::
    Y_i = y + \\sum_{j<i} a_{ij} K_j + \\gamma K_i, \\qquad K_i = h f(t + c_i h, Y_i),

each solved for ``Y_i`` by simplified Newton (:mod:`attractor.ode.simplified_newton`) with the
iteration matrix ``M = I - \\gamma h J`` factorised once per step. The slope is then recovered
as ``K_i = (Y_i - y - \\sum_{j<i} a_{ij} K_j) / \\gamma`` rather than by another evaluation of
``f`` (Hairer & Wanner II, Sec. IV.8: it does not amplify the Newton error by the stiff ``f``).
The methods are stiffly accurate, ``y_1 = Y_{s-1}``, and the last slope ``K_{s-1} / h`` is
``f(t + h, y_1)``: the explicit stage of the next step (FSAL). The embedded solution is the
stage at ``c = 1`` before the last; ``err = y_1 - \\hat y_1 = \\sum_j (b_j - \\hat b_j) K_j``.

Newton starting values extrapolate the slopes of earlier stages in ``c`` (Lagrange, degree at
most 2). Jacobian policy (Hairer & Wanner IV.8): ``J`` is kept across steps while Newton
contracts quickly; a step whose iterations contracted slower than ``jacobian_reuse``
(``theta = ||Delta_k|| / ||Delta_{k-1}||``) asks for a fresh ``J`` at the next step; a stage whose
Newton fails with an old ``J`` is retried once with ``J`` recomputed at the step's start, and a
stage that fails with a fresh ``J`` rejects the step (``inf`` error) so the loop shrinks ``h``.
Every decision depends only on the step's inputs and the carried state, so replaying an
accepted step (checkpoint adjoint) reproduces it exactly.

Dense output is the cubic Hermite interpolant of ``y, y_1, f(t, y), f(t + h, y_1)`` (order 3).
Gradients (``adjoint="direct"`` and the checkpoint replay) do not flow through the Newton
iterates: each converged stage gets its implicit-function derivative attached
(:mod:`attractor.ode.stage_gradient`), exact whatever the number of iterations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from attractor._core.validation import check_in_range
from attractor.ode import _kvaerno_coefficients as kv
from attractor.ode.implicit_base import (
    ImplicitStepper,
    ImplicitWorkspace,
    record_stage_failures,
    safe_divide,
    stage_times,
)
from attractor.ode.simplified_newton import SimplifiedNewton
from attractor.ode.stage_gradient import attach_stage_gradient
from attractor.ode.stepper import Step
from attractor.ode.tableau import hermite_weights


@dataclass(frozen=True)
class ESDIRKTableau:
    """A stiffly accurate ESDIRK pair.

    ``a[i]`` holds ``a_{i0} .. a_{i,i-1}`` (the diagonal is ``gamma`` for ``i >= 1``); ``b`` is
    the last row with ``gamma`` appended; ``b_hat`` are the embedded weights over all stages.
    """

    name: str
    gamma: float
    a: tuple[tuple[float, ...], ...]
    b_hat: tuple[float, ...]
    order: int
    error_order: int

    def __post_init__(self) -> None:
        s = len(self.a)
        if any(len(row) != i for i, row in enumerate(self.a)) or len(self.b_hat) != s:
            raise ValueError(f"{self.name}: `a` must be strictly lower triangular and `b_hat` have {s} entries.")
        if abs(self.c[-1] - 1.0) > 1e-12 or abs(sum(self.b) - 1.0) > 1e-12 or abs(sum(self.b_hat) - 1.0) > 1e-12:
            raise ValueError(f"{self.name}: the last node and the weights must sum to 1.")

    @property
    def stages(self) -> int:
        return len(self.a)

    @property
    def c(self) -> tuple[float, ...]:
        return (0.0,) + tuple(sum(row) + self.gamma for row in self.a[1:])

    @property
    def b(self) -> tuple[float, ...]:
        return self.a[-1] + (self.gamma,)

    def predictors(self, degree: int = 2) -> list[np.ndarray]:
        """Weights ``p_i`` of the Newton starting slope ``K_i ~ sum_j p_ij K_j`` (``j < i``)."""
        c = self.c
        out = [np.zeros(0)]
        for i in range(1, self.stages):
            w = np.zeros(i)
            same = [j for j in range(i) if abs(c[j] - c[i]) < 1e-12]
            if same:
                w[same[-1]] = 1.0
            else:
                nodes: list[int] = []
                for j in range(i - 1, -1, -1):  # latest stages with distinct nodes
                    if all(abs(c[j] - c[m]) > 1e-12 for m in nodes):
                        nodes.append(j)
                    if len(nodes) == degree + 1:
                        break
                for j in nodes:
                    w[j] = np.prod([(c[i] - c[m]) / (c[j] - c[m]) for m in nodes if m != j])
            out.append(w)
        return out


KVAERNO3 = ESDIRKTableau(name="kvaerno3", order=3, error_order=2, **kv.kvaerno3())
KVAERNO5 = ESDIRKTableau(name="kvaerno5", order=5, error_order=4, **kv.kvaerno5())


class _Coefficients:
    def __init__(self, tableau: ESDIRKTableau, dtype: torch.dtype, device: torch.device) -> None:
        def tensor(x) -> torch.Tensor:
            return torch.as_tensor(np.asarray(x, dtype=np.float64), dtype=dtype, device=device)

        self.gamma = tableau.gamma
        self.c = tableau.c
        self.a = [tensor(row) for row in tableau.a]
        self.gp = [tensor(w) * tableau.gamma for w in tableau.predictors()]  # gamma * predictor
        self.error = tensor(np.subtract(tableau.b, tableau.b_hat)).unsqueeze(0)


class _Workspace(ImplicitWorkspace):
    coeffs: _Coefficients


class ESDIRK(ImplicitStepper):
    """Stiffly accurate ESDIRK method given by ``tableau`` (see the module docstring).

    Parameters
    ----------
    newton_tol:
        Newton tolerance ``kappa`` relative to the integration tolerance.
    newton_max_iters:
        Newton iterations per stage before the step is rejected.
    jacobian_reuse:
        Keep ``J`` across steps while every Newton contraction rate stays below this
        (``0`` recomputes it every step).
    jacobian:
        ``"autograd"`` (default; finite differences when ``f`` cannot be differentiated) or
        ``"finite_difference"``.
    """

    tableau: ESDIRKTableau
    coefficients = _Coefficients

    def __init__(
        self,
        *,
        newton_tol: float = 0.01,
        newton_max_iters: int = 10,
        jacobian_reuse: float = 0.1,
        jacobian: str = "autograd",
        tableau: ESDIRKTableau | None = None,
    ) -> None:
        super().__init__(jacobian, tableau)
        self.newton = SimplifiedNewton(newton_tol, newton_max_iters)
        self.jacobian_reuse = check_in_range("jacobian_reuse", jacobian_reuse, 0.0, 1.0)

    def init(self, field, t0, y0, f0, work: _Workspace) -> Any:
        """State ``(f(t, y), J blocks, refresh flag, eta)``, batch dims leading."""
        J = work.jacobian_at(field, t0, y0, f0)
        flags = y0.new_zeros(work.B).detach()
        return (f0, J.reshape(work.batch_shape + (work.D, work.D)), flags.view(work.batch_shape),
                torch.ones_like(flags).view(work.batch_shape))

    def step(self, field, t, h, y, state, work: _Workspace) -> Step:
        co = work.coeffs
        B, D = work.B, work.D
        f0, J, refresh, eta = state
        hb = h.reshape(B, 1) if isinstance(h, torch.Tensor) else h
        g = co.gamma
        inv_scale = work.scale(y.view(B, D)).reciprocal()
        J = J.detach().reshape(B, D, D)
        flags = torch.stack([refresh.detach().reshape(B), eta.detach().reshape(B)]).cpu().numpy()
        eta_h = flags[1]
        fresh = flags[0] > 0
        if fresh.any():
            J = _refresh(work, field, t, y, f0, J, fresh)
        M = work.factor(J, g * hb)
        times = stage_times(field, t, h, co.c)
        K = y.new_empty(len(co.c), y.numel())
        K[0] = (f0 * h).reshape(-1)
        failed = np.zeros(B, dtype=bool)
        theta = np.zeros(B)
        Y = y.view(B, D)
        predict = not work.fixed_steps
        for i in range(1, len(co.c)):
            base = torch.addmv(y, K[:i].T, co.a[i])
            start = torch.addmv(base, K[:i].T, co.gp[i]).view(B, D)
            residual = _Residual(field, times[i], base.view(B, D), g * hb)
            with torch.no_grad():  # the derivative is attached below, exactly
                res = self.newton.solve(residual, start, M, inv_scale, eta_h, ~failed, predict)
            work.newton_iterations += res.iterations
            Y, eta_h, stage_failed = res.Y, res.eta, res.failed
            theta = np.maximum(theta, res.theta)
            retry = stage_failed & ~fresh
            if retry.any():  # an old Jacobian may be to blame: refresh it and retry those samples
                J = _refresh(work, field, t, y, f0, J, retry)
                fresh = fresh | retry
                M = work.factor(J, g * hb)
                mask = torch.from_numpy(retry).to(y.device).unsqueeze(-1)
                with torch.no_grad():
                    again = self.newton.solve(residual, torch.where(mask, start, Y), M, inv_scale,
                                              np.where(retry, 1.0, eta_h), retry, predict)
                work.newton_iterations += again.iterations
                Y = again.Y
                eta_h = np.where(retry, again.eta, eta_h)
                theta = np.where(retry, again.theta, theta)
                stage_failed = np.where(retry, again.failed, stage_failed)
            failed |= stage_failed
            if work.functional:  # autograd is recording this solve
                Y = attach_stage_gradient(residual, Y, M, failed)
            K[i] = (Y.reshape(-1) - base) * (1.0 / g)
        error = torch.mm(co.error, K)
        record_stage_failures(work, failed)
        if failed.any():
            work.newton_failures += int(failed.sum())
            mask = torch.from_numpy(failed).to(y.device).view(1, B, 1).expand(1, B, D).reshape(1, -1)
            error = torch.where(mask, float("inf"), error)
        f1 = safe_divide(K[-1].view(B, D), hb).view(field.shape)
        host = np.stack([theta > self.jacobian_reuse, np.maximum(eta_h, 0.0)]).astype(np.float64)
        refresh_new, eta_new = torch.as_tensor(host, dtype=y.dtype, device=y.device).view((2,) + work.batch_shape)
        new_state = (f1, J.reshape(work.batch_shape + (D, D)), refresh_new, eta_new)
        return Step(Y.reshape(-1), error, K, new_state)

    def dense_coefficients(self, dtype, device) -> torch.Tensor:
        return torch.as_tensor(hermite_weights(np.asarray(self.tableau.b)), dtype=dtype, device=device)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(newton_tol={self.newton.kappa}, newton_max_iters={self.newton.max_iters}, "
                f"jacobian_reuse={self.jacobian_reuse}, jacobian={self.jacobian!r})")


class Kvaerno3(ESDIRK):
    """Kværnø's 3(2) ESDIRK pair: 4 stages, L-stable, stiffly accurate (Kværnø 2004)."""

    tableau = KVAERNO3


class Kvaerno5(ESDIRK):
    """Kværnø's 5(4) ESDIRK pair: 7 stages, ``gamma = 0.26``, L-stable, stiffly accurate (Kværnø 2004).

    Some stages lie past the step (``c_2 = 1.23``), so ``f`` is evaluated slightly beyond ``t_1``.
    """

    tableau = KVAERNO5


class _Residual:
    """``G(Y) = Y - base - gamma h f(t_i, Y)`` of one stage, on ``(B, D)`` states."""

    def __init__(self, field, t, base: torch.Tensor, gh) -> None:
        self.field, self.t, self.base, self.gh = field, t, base, gh

    def __call__(self, Y: torch.Tensor) -> torch.Tensor:
        F = self.field(self.t, Y.view(self.field.shape)).reshape(Y.shape)
        if isinstance(self.gh, torch.Tensor):
            return (Y - self.base) - self.gh * F
        return torch.add(Y - self.base, F, alpha=-self.gh)


def _refresh(work: ImplicitWorkspace, field, t, y, f0, J: torch.Tensor, where: np.ndarray) -> torch.Tensor:
    """``J`` with the blocks of the samples ``where`` replaced by the Jacobian at ``(t, y)``."""
    fresh = work.jacobian_at(field, t, y, f0)
    if where.all():
        return fresh
    return torch.where(torch.from_numpy(where).to(J.device)[:, None, None], fresh, J)
