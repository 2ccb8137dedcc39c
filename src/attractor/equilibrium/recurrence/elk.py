"""ELK: Levenberg--Marquardt on the whole trajectory, each step a parallel Kalman smoother."""

from __future__ import annotations

import math

import torch

from attractor._core.validation import check_in_range, check_positive
from attractor.equilibrium._base import FixedPointSolver, Iterate
from attractor.equilibrium.recurrence._problem import RecurrenceProblem, to_time_first
from attractor.linalg.scan import affine_scan, associative_scan


class ELK(FixedPointSolver):
    r"""Levenberg--Marquardt steps on the trajectory residual (ELK, "evaluating
    Levenberg--Marquardt via Kalman"; Gonzalez, Warrington, Smith & Linderman, NeurIPS 2024).

    Around the current trajectory :math:`\bar s`, with :math:`J_t = \partial f/\partial s\,
    (\bar s_{t-1}, x_t)` and :math:`c_t = f(\bar s_{t-1}, x_t) - J_t \bar s_{t-1}`, a step
    solves

    .. math:: \min_{s}\; \sum_t \|s_t - J_t s_{t-1} - c_t\|^2 + \lambda \sum_t \|s_t - \bar s_t\|^2 ,

    the maximum a-posteriori trajectory of a linear-Gaussian state-space model with dynamics
    :math:`s_t = J_t s_{t-1} + c_t + q_t`, :math:`q_t \sim N(0, I)`, observing
    :math:`\bar s_t` with noise :math:`N(0, \lambda^{-1} I)`. Its posterior mean is computed by
    the parallel Kalman filter and Rauch--Tung--Striebel smoother of Särkkä &
    García-Fernández (IEEE TAC 2021): one associative scan for the filter, one reverse affine
    scan for the smoother. ``damping`` :math:`\lambda \to 0` recovers DEER; a larger
    :math:`\lambda` takes shorter, safer steps where DEER's overflow (unstable Jacobian
    products). ``diagonal=True`` is quasi-ELK (the Jacobians' diagonals; all scans elementwise).

    With ``adaptive=True`` (default) :math:`\lambda` is adjusted per sample as in a
    Levenberg--Marquardt trust region (Nocedal & Wright, *Numerical Optimization*, §10.3): a
    step that lowers :math:`\|r\|` is kept and :math:`\lambda` divided by ``shrink``; one that
    does not is rejected and :math:`\lambda` multiplied by ``grow``. ``damping`` is then the
    starting value. A damped step does not make the first states exact, so ELK can need more
    than ``T`` steps.
    """

    name = "elk"
    extra_steps = 50  # beyond T in the default max_steps: damped steps leave the prefix inexact

    def __init__(
        self, damping: float = 1.0, diagonal: bool = False, adaptive: bool = True,
        shrink: float = 3.0, grow: float = 4.0,
    ) -> None:
        self.damping = check_positive("damping", damping)
        for name, flag in (("diagonal", diagonal), ("adaptive", adaptive)):
            if not isinstance(flag, bool):
                raise TypeError(f"`{name}` must be a bool; got {type(flag).__name__}.")
        self.diagonal, self.adaptive = diagonal, adaptive
        self.shrink = check_in_range("shrink", shrink, 1.0, math.inf, inclusive=False)
        self.grow = check_in_range("grow", grow, 1.0, math.inf, inclusive=False)

    def init(self, problem: RecurrenceProblem, it: Iterate) -> torch.Tensor:
        return torch.full((problem.B,), self.damping, dtype=it.z.dtype, device=it.z.device)

    def step(self, problem: RecurrenceProblem, damping: torch.Tensor, it: Iterate, active: torch.Tensor):
        prev = problem.previous(it.z)
        F = problem.jacobians(prev)
        if self.diagonal:
            F = F.diagonal(dim1=-2, dim2=-1)
        ops = _DIAGONAL if self.diagonal else _DENSE
        u = it.fz.reshape(prev.shape) - ops.mv(F, prev)
        y = it.z.reshape(prev.shape)
        z = smoothed_mean(to_time_first(F), to_time_first(u), to_time_first(y), problem.s0.detach(), 1 / damping, ops)
        z = to_time_first(z).reshape(problem.B, -1)
        trial = Iterate(z, *problem.eval(z))
        if not self.adaptive:
            return trial, damping
        better = torch.linalg.vector_norm(trial.r, dim=1) < torch.linalg.vector_norm(it.r, dim=1)  # False for NaN
        damping = torch.where(better, damping / self.shrink, damping * self.grow)
        keep = better[:, None]
        return Iterate(*(torch.where(keep, new, old) for new, old in zip(trial, it))), damping


class _Dense:
    """Matrix operations on ``(..., d, d)`` blocks."""

    @staticmethod
    def mv(A, x):
        return (A @ x.unsqueeze(-1)).squeeze(-1)

    @staticmethod
    def mm(A, B):
        return A @ B

    @staticmethod
    def t(A):
        return A.mT

    @staticmethod
    def solve(M, B):  # M^{-1} B
        return torch.linalg.solve(M, B)

    @staticmethod
    def solve_v(M, x):
        return torch.linalg.solve(M, x.unsqueeze(-1)).squeeze(-1)

    @staticmethod
    def eye_like(A):
        return torch.eye(A.shape[-1], dtype=A.dtype, device=A.device).expand(A.shape)


class _Diagonal:
    """The same operations on diagonal blocks stored as ``(..., d)``."""

    @staticmethod
    def mv(A, x):
        return A * x

    mm = mv

    @staticmethod
    def t(A):
        return A

    @staticmethod
    def solve(M, B):
        return B / M

    solve_v = solve

    @staticmethod
    def eye_like(A):
        return torch.ones_like(A)


_DENSE, _DIAGONAL = _Dense(), _Diagonal()


def smoothed_mean(F, u, y, s0, r, ops):
    """Posterior mean of ``s_t = F_t s_{t-1} + u_t + N(0, I)``, ``y_t = s_t + N(0, r I)``, from
    the known ``s_0``; time-first ``(T, B, ...)`` tensors."""
    # I - K, with the Kalman gain K = I / (1 + r) of every step; r per sample, (B,)
    rho = (r / (1 + r)).reshape(1, -1, *[1] * (F.dim() - 2))
    eye = ops.eye_like(F)
    rho_v = rho.reshape(1, -1, 1)  # for the vectors
    b = rho_v * u + (1 - rho_v) * y
    b = torch.cat([(b[0] + rho_v[0] * ops.mv(F[0], s0)).unsqueeze(0), b[1:]])
    A = rho * F
    A = torch.cat([torch.zeros_like(A[:1]), A[1:]])
    C = rho * eye
    eta = (1 - rho_v) * ops.mv(ops.t(F), y - u)
    eta = torch.cat([torch.zeros_like(eta[:1]), eta[1:]])
    J = (1 - rho) * ops.mm(ops.t(F), F)
    J = torch.cat([torch.zeros_like(J[:1]), J[1:]])
    _, m, P, _, _ = associative_scan(_filter_combine(ops), (A, b, C, eta, J))
    # RTS smoother: m^s_t = G_t m^s_{t+1} + m_t - G_t (F_{t+1} m_t + u_{t+1}), m^s_T = m_T
    Fn, un = F[1:], u[1:]
    Pf = ops.mm(ops.mm(Fn, P[:-1]), ops.t(Fn)) + eye[1:]
    G = ops.t(ops.solve(Pf, ops.mm(Fn, P[:-1])))  # P F^T (F P F^T + I)^{-1} (P, Pf symmetric)
    g = m[:-1] - ops.mv(G, ops.mv(Fn, m[:-1]) + un)
    E = torch.cat([G, torch.zeros_like(G[:1])])
    g = torch.cat([g, m[-1:]])
    return affine_scan(E, g, reverse=True)


def _filter_combine(ops):
    """The associative operator of the parallel Kalman filter (Särkkä & García-Fernández 2021,
    Lemma 8) on elements ``(A, b, C, η, J)``."""

    def combine(first, then):
        Ai, bi, Ci, ei, Ji = first
        Aj, bj, Cj, ej, Jj = then
        eye = ops.eye_like(Ci)
        # C and J are symmetric, so (I + C_i J_j)^T = I + J_j C_i
        AjM = ops.t(ops.solve(eye + ops.mm(Jj, Ci), ops.t(Aj)))  # A_j (I + C_i J_j)^{-1}
        AiN = ops.t(ops.solve(eye + ops.mm(Ci, Jj), Ai))  # A_i^T (I + J_j C_i)^{-1}
        A = ops.mm(AjM, Ai)
        b = ops.mv(AjM, bi + ops.mv(Ci, ej)) + bj
        C = ops.mm(ops.mm(AjM, Ci), ops.t(Aj)) + Cj
        e = ops.mv(AiN, ej - ops.mv(Jj, bi)) + ei
        J = ops.mm(ops.mm(AiN, Jj), Ai) + Ji
        return A, b, C, e, J

    return combine
