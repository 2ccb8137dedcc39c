"""Simplified Newton iterations for the stage equations of implicit Runge--Kutta methods.

A stage of a diagonally implicit method solves, per sample, ``G(Y) = Y - base - gamma h f(t_i, Y) = 0``.
Simplified Newton keeps the iteration matrix ``M = I - gamma h J`` fixed (``J`` a Jacobian taken
at the start of the step, or reused from earlier steps) and its LU factors, so an iteration is
one evaluation of ``f`` and two triangular solves:

.. math::
    \\Delta_k = -M^{-1} G(Y_k), \\qquad Y_{k+1} = Y_k + \\Delta_k .

Stopping rule (Hairer & Wanner, *Solving ODEs II*, Sec. IV.8, eqs. (8.10)--(8.13)): with the
scaled RMS norm ``||x|| = rms(x / (atol + rtol |y|))`` of the integrator's tolerances, the
contraction rate ``theta_k = ||Delta_k|| / ||Delta_{k-1}||`` and ``eta_k = theta_k / (1 - theta_k)``
bound the remaining error, and the iteration has converged when ``eta_k ||Delta_k|| <= kappa``.
The first iteration uses ``eta_0 = max(eta_prev, eps)^0.8`` from the previous solve. A sample
fails (and its step is rejected) when ``theta_k >= 1``, when the predicted error after the
remaining iterations ``theta_k^{k_max - k} / (1 - theta_k) ||Delta_k||`` still exceeds ``kappa``,
or when a value is not finite. Samples are iterated together but judged alone, and a converged
or failed sample stops changing, so each sample follows the iterates it would follow alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import torch

from attractor._core.validation import check_in_range, check_int
from attractor.ode.implicit_base import IterationMatrix


class NewtonResult(NamedTuple):
    Y: torch.Tensor
    """``(B, D)`` solution (the last iterate where the sample failed)."""
    eta: np.ndarray
    """``(B,)`` last convergence-rate estimate ``theta / (1 - theta)``."""
    theta: np.ndarray
    """``(B,)`` largest contraction rate seen (0 when one iteration sufficed)."""
    failed: np.ndarray
    """``(B,)`` samples that did not converge."""
    iterations: int


class SimplifiedNewton:
    """Simplified Newton with Hairer--Wanner's stopping rule (see the module docstring).

    The per-sample bookkeeping (rates, convergence, failure) runs on the host on the ``B``
    increment norms read once per iteration (that read is the iteration's one synchronisation),
    so an iteration costs one evaluation of ``f``, one solve with ``M`` and three small tensor
    operations.

    Parameters
    ----------
    kappa:
        Newton tolerance as a fraction of the integration tolerance (Hairer--Wanner suggest
        0.01--0.1).
    max_iters:
        Iterations before a sample is declared failed.
    """

    def __init__(self, kappa: float = 0.01, max_iters: int = 10) -> None:
        self.kappa = check_in_range("kappa", kappa, 0.0, 1.0, inclusive=False)
        self.max_iters = check_int("max_iters", max_iters, minimum=1)

    def solve(
        self,
        residual: Callable[[torch.Tensor], torch.Tensor],
        Y: torch.Tensor,
        M: IterationMatrix,
        inv_scale: torch.Tensor,
        eta: np.ndarray,
        active: np.ndarray,
        predict: bool = True,
    ) -> NewtonResult:
        """Iterate from ``Y (B, D)`` the samples where ``active``; ``residual(Y) = G(Y)``.

        ``inv_scale = 1 / (atol + rtol |y|)`` per entry; ``eta`` and ``active`` are host arrays.
        ``predict=False`` drops the early failure on a predicted slow convergence (for fixed
        steps, which cannot be retried smaller): a sample then fails only when ``theta >= 1``,
        a value is not finite, or ``max_iters`` run out.
        """
        B, D = Y.shape
        eps = float(torch.finfo(Y.dtype).eps)
        root_d = math.sqrt(D)
        judge = (_OneSample if B == 1 else _Samples)(self.kappa, self.max_iters, eps, eta, active)
        judge.predict = predict
        # increments this small are rounding noise of Y itself: stop there (HW's FNEWT floor)
        floor = torch.linalg.vector_norm(Y.detach() * inv_scale, dim=-1)
        k = 0
        for k in range(1, self.max_iters + 1):
            delta = M.solve(residual(Y))  # Y_new = Y - M^{-1} G(Y)
            size = torch.linalg.vector_norm(delta.detach() * inv_scale, dim=-1)
            if k == 1:
                both = torch.cat([size, floor]).tolist()
                judge.floor([10 * eps * v / root_d for v in both[B:]])
                sizes = both[:B]
            else:
                sizes = size.tolist()
            update = judge.observe(k, [v / root_d for v in sizes])
            if update is True:
                Y = Y - delta
            elif update is not False:
                Y = torch.where(torch.from_numpy(update).to(Y.device).unsqueeze(-1), Y - delta, Y)
            if not judge.running:
                break
        eta, theta, failed = judge.result()
        return NewtonResult(Y, eta, theta, failed, k)


class _OneSample:
    """The stopping rule for a single sample, on Python floats (the common, cheapest case)."""

    def __init__(self, kappa: float, m: int, eps: float, eta: np.ndarray, active: np.ndarray) -> None:
        self.kappa, self.m = kappa, m
        self.predict = True
        self.eta = float(eta[0])
        self.rate = max(self.eta, eps) ** 0.8
        self.running = bool(active[0])
        self.theta_max = 0.0
        self.failed = False
        self.previous: float | None = None
        self.min_size = 0.0

    def floor(self, values: list[float]) -> None:
        self.min_size = values[0]

    def observe(self, k: int, sizes: list[float]) -> bool:
        if not self.running:
            return False
        size = sizes[0]
        finite = math.isfinite(size)
        bad = False
        if self.previous is None:
            converged = self.rate * size <= self.kappa
        else:
            theta = size / self.previous
            self.theta_max = max(self.theta_max, theta)
            if theta >= 1:
                converged, bad = False, True
            else:
                self.rate = theta / (1 - theta)
                converged = self.rate * size <= self.kappa
                if self.predict and not converged and k < self.m:  # too slow for the iterations left
                    bad = theta ** (self.m - k) / (1 - theta) * size > self.kappa
        converged = (converged or size <= self.min_size) and finite
        bad = (bad or not finite) and not converged
        if not bad:
            self.eta = self.rate
        self.failed = self.failed or bad
        self.running = not (bad or converged)
        self.previous = size
        return finite

    def result(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return np.array([self.eta]), np.array([self.theta_max]), np.array([self.failed or self.running])


class _Samples:
    """The same stopping rule, vectorised over samples with numpy."""

    def __init__(self, kappa: float, m: int, eps: float, eta: np.ndarray, active: np.ndarray) -> None:
        self.kappa, self.m = kappa, m
        self.predict = True
        self.eta = eta.copy()
        self.rate = np.maximum(eta, eps) ** 0.8
        self.active = active.copy()
        self.theta_max = np.zeros_like(eta)
        self.failed = np.zeros_like(active)
        self.previous: np.ndarray | None = None
        self.min_size = np.zeros_like(eta)

    @property
    def running(self) -> bool:
        return bool(self.active.any())

    def floor(self, values: list[float]) -> None:
        self.min_size = np.asarray(values)

    def observe(self, k: int, sizes: list[float]):
        size = np.asarray(sizes)
        active = self.active
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if self.previous is None:
                converged = self.rate * size <= self.kappa
                bad = np.zeros_like(active)
            else:
                theta = size / self.previous
                self.theta_max = np.where(active, np.maximum(self.theta_max, theta), self.theta_max)
                bad = theta >= 1
                self.rate = np.where(bad, self.rate, theta / (1 - theta))
                converged = ~bad & (self.rate * size <= self.kappa)
                if self.predict and k < self.m:  # too slow to converge in the iterations left
                    bad |= ~converged & (theta ** (self.m - k) / (1 - theta) * size > self.kappa)
        finite = np.isfinite(size)
        converged = (converged | (size <= self.min_size)) & finite
        bad = (bad | ~finite) & ~converged
        self.eta = np.where(active & ~bad, self.rate, self.eta)
        self.failed |= active & bad
        self.active = active & ~bad & ~converged
        self.previous = size
        update = active & finite
        if update.all():
            return True
        return update if update.any() else False

    def result(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.eta, self.theta_max, self.failed | self.active
