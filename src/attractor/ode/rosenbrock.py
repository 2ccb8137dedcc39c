"""Rosenbrock (linearly implicit) methods: one Jacobian and one LU per step, no Newton iterations.

A Rosenbrock method with ``s`` stages (Hairer & Wanner, *Solving ODEs II*, Sec. IV.7) solves,
for ``i = 1 .. s``, the linear systems

.. math::
    k_i = h f\\big(t + \\alpha_i h,\\; y + \\textstyle\\sum_{j<i} \\alpha_{ij} k_j\\big)
          + h J \\textstyle\\sum_{j \\le i} \\gamma_{ij} k_j + \\gamma_i h^2 \\partial_t f,
    \\qquad y_1 = y + \\textstyle\\sum_i b_i k_i,

with ``J = df/dy(t, y)``, ``gamma_ii = gamma`` for every stage, ``alpha_i = sum_j alpha_ij`` and
``gamma_i = sum_j gamma_ij``. In the variables ``u_i = sum_j gamma_ij k_j`` (HW IV.7, (7.25)) each
stage is one solve with the matrix ``M = I - gamma h J``, factorised once per step:

.. math::
    M u_i = \\gamma h f(t + \\alpha_i h, y + \\textstyle\\sum_{j<i} a_{ij} u_j)
            + \\gamma \\textstyle\\sum_{j<i} c_{ij} u_j + \\gamma \\gamma_i h^2 \\partial_t f,
    \\qquad y_1 = y + \\textstyle\\sum_i m_i u_i,

where ``a = alpha Gamma^{-1}``, ``C = diag(1/gamma) - Gamma^{-1}``, ``m = b Gamma^{-1}``
(``Gamma = (gamma_ij)``); these are computed from the published ``alpha, beta, b`` tables.
The method's order needs the exact ``J`` at every step (it enters the result, not only an
iteration), so ``J`` and ``df/dt`` are formed at each new point; under autograd they are built
with ``create_graph`` so that gradients of the solution are exact. ``df/dt`` is one forward-mode
evaluation (zero for autonomous fields).

Dense output: the method's own continuous extension when it has one (Rodas5: order 4, a
polynomial in ``theta`` over the ``u_i``), otherwise the cubic Hermite interpolant of
``y, y_1, f(t, y), f(t + h, y_1)``. The end slope ``f(t + h, y_1)`` is evaluated in every step:
it is the next step's first stage.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from attractor.ode import _rodas5_coefficients as r5
from attractor.ode.implicit_base import ImplicitStepper, ImplicitWorkspace, stage_times
from attractor.ode.stepper import Step


@dataclass(frozen=True)
class RosenbrockTableau:
    """A Rosenbrock pair in Hairer--Wanner's original form.

    ``alpha[i]`` and ``beta[i]`` hold the strictly lower rows (``beta_ij = alpha_ij + gamma_ij``;
    the diagonal of ``Gamma`` is ``gamma``); ``b``, ``b_hat`` are the solution and embedded weights.
    ``dense`` (optional) holds rows ``H_d`` of a continuous extension
    ``y(theta) = (1 - theta) y0 + theta (y1 + (1 - theta) sum_d theta^{d-1} H_d u)``.
    """

    name: str
    gamma: float
    alpha: tuple[tuple[float, ...], ...]
    beta: tuple[tuple[float, ...], ...]
    b: tuple[float, ...]
    b_hat: tuple[float, ...]
    order: int
    error_order: int
    dense_rows: tuple[tuple[float, ...], ...] = ()

    @property
    def stages(self) -> int:
        return len(self.alpha)

    def transformed(self) -> dict[str, np.ndarray]:
        """``a, C, m, m_hat`` and the stage nodes ``alpha_i`` and ``gamma_i`` (HW IV.7, (7.25))."""
        s = self.stages
        A = np.zeros((s, s))
        Gam = np.eye(s) * self.gamma
        for i in range(s):
            A[i, :i] = self.alpha[i]
            Gam[i, :i] = np.asarray(self.beta[i]) - np.asarray(self.alpha[i])
        inv = np.linalg.inv(Gam)
        return {
            "a": A @ inv,
            "C": np.diag(1.0 / np.diag(Gam)) - inv,
            "m": np.asarray(self.b) @ inv,
            "m_hat": np.asarray(self.b_hat) @ inv,
            "c": A.sum(1),
            "d": Gam.sum(1),
        }

    def dense(self) -> np.ndarray:
        """Weights ``P`` of ``y(theta) = y0 + sum_k theta^k P[:, k-1] . Z`` over the dense rows ``Z``:
        ``[u_1 .. u_s]`` with an own extension, else ``[u_1 .. u_s, h f(t, y), h f(t + h, y_1)]``."""
        m = self.transformed()["m"]
        if self.dense_rows:
            H = np.asarray(self.dense_rows)  # theta (1 - theta) sum_d theta^{d-1} H_d, expanded
            cols = [m + H[0]] + [H[d] - H[d - 1] for d in range(1, len(H))] + [-H[-1]]
            return np.stack(cols, 1)
        P = np.zeros((self.stages + 2, 3))
        P[: self.stages] = np.outer(m, [0.0, 3.0, -2.0])
        P[self.stages] = [1.0, -2.0, 1.0]
        P[self.stages + 1] = [0.0, -1.0, 1.0]
        return P


RODAS5 = RosenbrockTableau(
    name="rodas5", gamma=r5.GAMMA, alpha=r5.ALPHA, beta=r5.BETA, b=r5.B, b_hat=r5.B_HAT, order=5, error_order=4,
    dense_rows=r5.DENSE,
)


class _Coefficients:
    def __init__(self, tableau: RosenbrockTableau, dtype: torch.dtype, device: torch.device) -> None:
        tr = tableau.transformed()
        s = tableau.stages
        self.gamma = tableau.gamma
        self.c = [float(x) for x in tr["c"]]
        self.d = [float(x) for x in tr["d"]]
        self.a = [torch.as_tensor(tr["a"][i, :i], dtype=dtype, device=device) for i in range(s)]
        self.gC = [torch.as_tensor(tr["C"][i, :i] * tableau.gamma, dtype=dtype, device=device) for i in range(s)]
        self.m = torch.as_tensor(tr["m"], dtype=dtype, device=device)
        self.error = torch.as_tensor(tr["m"] - tr["m_hat"], dtype=dtype, device=device).unsqueeze(0)
        self.own_dense = bool(tableau.dense_rows)


class _Workspace(ImplicitWorkspace):
    coeffs: _Coefficients


class Rosenbrock(ImplicitStepper):
    """Rosenbrock method given by ``tableau`` (see the module docstring).

    Parameters
    ----------
    jacobian:
        ``"autograd"`` (default; finite differences when ``f`` cannot be differentiated) or
        ``"finite_difference"`` (the order then holds only up to the differencing error).
    """

    tableau: RosenbrockTableau
    coefficients = _Coefficients

    def __init__(self, *, jacobian: str = "autograd", tableau: RosenbrockTableau | None = None) -> None:
        super().__init__(jacobian, tableau)

    def init(self, field, t0, y0, f0, work) -> tuple[torch.Tensor]:
        return (f0,)

    def step(self, field, t, h, y, state, work: _Workspace) -> Step:
        co = work.coeffs
        B, D = work.B, work.D
        (f0,) = state
        hb = h.reshape(B, 1) if isinstance(h, torch.Tensor) else h
        g = co.gamma
        J, ft = work.linearize(field, t, y, f0, time_derivative=True, create_graph=work.functional)
        M = work.factor(J, g * hb)
        ftb = ft.view(B, D) * (hb * hb * g)
        times = stage_times(field, t, h, co.c)
        s = len(co.c)
        Us = y.new_empty(s, y.numel())
        for i in range(s):
            if i == 0:
                Fi = f0
            else:
                Yi = torch.addmv(y, Us[:i].T, co.a[i])
                Fi = field(times[i], Yi.view(field.shape))
            if isinstance(hb, torch.Tensor):
                rhs = (g * hb) * Fi.reshape(B, D) + co.d[i] * ftb
            else:
                rhs = torch.add(co.d[i] * ftb, Fi.reshape(B, D), alpha=g * hb)
            if i > 0:
                rhs = torch.addmv(rhs.reshape(-1), Us[:i].T, co.gC[i]).view(B, D)
            Us[i] = M.solve(rhs).reshape(-1)
        y1 = torch.addmv(y, Us.T, co.m)
        error = torch.mm(co.error, Us)  # non-finite where M was singular: the loop rejects
        t1 = times[0] + h if isinstance(t, torch.Tensor) else field.time(t + h)
        f1 = field(t1, y1.view(field.shape))
        Z = Us if co.own_dense else torch.cat([Us, (f0 * h).reshape(1, -1), (f1 * h).reshape(1, -1)], 0)
        return Step(y1, error, Z, (f1,))

    def dense_coefficients(self, dtype, device) -> torch.Tensor:
        return torch.as_tensor(self.tableau.dense(), dtype=dtype, device=device)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(jacobian={self.jacobian!r})"


class Rodas5(Rosenbrock):
    """Di Marzo's Rodas5: 8-stage, order 5(4), stiffly accurate, L-stable Rosenbrock method with a
    4th-order continuous extension (Di Marzo 1993; Hairer & Wanner IV.7).

    Known limitation of the method (not of this implementation): its error weights
    ``b - b_hat`` sit only on the last three stages, all at the node ``alpha = 1`` with
    ``gamma_i = 0``, so a component that depends on ``t`` alone (``dy/dt = g(t)``: a running
    cost, a prescribed forcing) contributes nothing to the error estimate, and weakly coupled
    forced components very little. Measured here at rtol 1e-8: ``dy/dt = cos t`` on [0, 10]
    takes 6 steps and ends 9.8 off; ``dy/dt = -10^-3 y + cos t`` ends 8e-7 off (160 x the
    tolerance). The fixed-step order is 5 on such problems; only the step-size control is
    blind. Use ``kvaerno5`` (whose error nodes differ) for such systems, or bound ``max_dt``.
    """

    tableau = RODAS5
