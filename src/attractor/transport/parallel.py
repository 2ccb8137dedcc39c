"""Parallel sampling: a whole sampling chain as one fixed point (ParaDiGMS / DEQ sampling).

A fixed-budget sampler is a chain ``x_{k+1} = Phi_k(x_k, D_k, D_{k-1}, ...)`` with
``D_j = model(x_j, t_j)``. Over a window of ``K`` steps the unknowns are the ``K`` points
``U = (x_{s+1}, ..., x_{s+K})`` and the chain is the fixed point ``U = T(U)``, where ``T``
evaluates the model at all points of the window in **one batched call** and applies every
step at once (Shih et al. 2023, ParaDiGMS; Pokle et al. 2022, DEQ sampling). The window is
solved by :func:`attractor.fixed_point` (Picard, or Anderson acceleration), per sample of the
batch, and the next window starts from its end. Picard solves a window exactly in at most
``K`` iterations (``T`` is triangular: the first ``j`` points are exact after ``j``
iterations); smooth models converge in far fewer, which is where the parallel depth wins.

The answer is the sequential sampler's, up to the tolerance; gradients with respect to the
starting noise (and the model's parameters) flow by implicit differentiation through each
window (``backward="implicit"``), or through every iteration (``"unroll"``).
"""

from __future__ import annotations

from typing import Any

import torch

from attractor._core.validation import check_choice, check_int
from attractor.equilibrium import fixed_point
from attractor.transport.paths.base import Path
from attractor.transport.sample import SampleResult, empty_result, finish, make_problem
from attractor.transport.samplers.base import Evaluator, Sampler, SamplerOutput
from attractor.transport.samplers.edm import EDMHeun, HeunStep, heun_step
from attractor.transport.samplers.linear import LinearMultistepSampler


class WindowEvaluator:
    """Evaluates the model on a ``(B, K, ...)`` window of states in one call; ``t`` is a float,
    or per step ``(K,)``."""

    def __init__(self, evaluate: Evaluator, cond: Any) -> None:
        self.evaluate, self.cond = evaluate, cond

    def __call__(self, x: torch.Tensor, t: Any) -> torch.Tensor:
        B, K = x.shape[:2]
        rows = x.reshape((B * K,) + x.shape[2:])
        if isinstance(t, torch.Tensor):
            t = t.reshape(K).to(x.dtype).repeat(B)  # row b*K + k is step k of sample b
        cond = None
        if self.cond is not None:
            cond = self.cond.repeat_interleave(K, dim=0) if isinstance(self.cond, torch.Tensor) else self.cond
        return self.evaluate(rows, t, cond).reshape(x.shape)


def _step_axis(values: list[float], like: torch.Tensor) -> torch.Tensor:
    """Per-step coefficients shaped ``(1, K, 1, ...)`` to broadcast over ``(B, K, ...)`` windows."""
    v = torch.tensor(values, dtype=like.dtype, device=like.device)
    return v.reshape((1, len(values)) + (1,) * (like.dim() - 1))


def integral_form(x_s: torch.Tensor, prev: torch.Tensor, stepped: torch.Tensor) -> torch.Tensor:
    """``x_{s+i+1} = x_s + sum_{j <= i} (Phi_j(x_j) - x_j)``: the window map in integral form.

    It has the same fixed point as ``x_{j+1} = Phi_j(x_j)`` for all ``j`` at once, but an error
    in ``x_j`` reaches later points through the increment ``Phi_j - id`` (of the order of the
    step) rather than through ``Phi_j`` itself (of order one), so Picard iteration contracts in
    a few sweeps instead of carrying each error one step per sweep (ParaDiGMS's form).
    """
    return x_s.unsqueeze(1) + torch.cumsum(stepped - prev, 1)


def parallel_sample(model: Any, x: torch.Tensor, sampler: Sampler, *, path: Path | None = None,
                    prediction: str | None = None, t_start: float = 0.0, t_end: float = 1.0,
                    cond: Any = None, generator: torch.Generator | None = None,
                    window: int | None = None, solver: Any = "picard", tol: float | None = None,
                    max_steps: int | None = None, backward: str = "implicit",
                    trajectory: bool = False, on_failure: str = "raise") -> SampleResult:
    """Sample like :func:`attractor.transport.sample`, solving windows of the chain in parallel.

    Parameters
    ----------
    sampler:
        A grid sampler of the linear multistep family (:class:`DDIM`, :class:`DPMSolverPP`,
        :class:`SASolver` without a corrector) or :class:`EDMHeun`. (UniPC's and SA-Solver's
        correctors evaluate the model at points that are not chain states; use
        ``corrector_order=0`` for SA-Solver.)
    window:
        Steps per window ``K`` (default: the whole chain).
    solver:
        The fixed-point solver of each window: ``"picard"`` (default), ``"anderson"`` or a
        solver object from :mod:`attractor.equilibrium`.
    tol:
        Per-sample RMS residual of a window at which it counts as solved (default: 1e-5 for
        float32, 1e-10 for float64).
    max_steps:
        Iterations per window (default ``2 K + 2``; Picard needs at most ``K + 1``).
    backward:
        ``"implicit"`` (the implicit function theorem on each window), ``"unroll"`` or ``"none"``.

    Returns
    -------
    SampleResult
        As :func:`~attractor.transport.sample`; ``stats`` adds ``calls`` (batched model calls,
        the parallel depth), ``iterations`` per window and ``windows``.
    """
    if not isinstance(sampler, (LinearMultistepSampler, EDMHeun)):
        raise TypeError(f"parallel sampling supports DDIM, DPMSolverPP, SASolver and EDMHeun; got "
                        f"{type(sampler).__name__}.")
    kind = "linear" if isinstance(sampler, LinearMultistepSampler) else "heun"
    backward = check_choice("backward", backward, ("implicit", "unroll", "none"))
    on_failure = check_choice("on_failure", on_failure, ("raise", "status"))
    problem = make_problem(model, x, sampler, path, prediction, t_start, t_end, cond, generator, trajectory)
    if problem.batch == 0:
        return empty_result(problem)
    evaluate = problem.evaluator(sampler.prediction if kind == "linear" else "data")
    windowed = WindowEvaluator(evaluate, cond)
    options = {"solver": solver, "tol": tol, "backward": backward, "norm": "rms",
               "on_failure": "status"}
    if kind == "linear":
        times, tables = sampler.build(problem)
        if tables.E is not None and any(any(e) for e in tables.E):
            raise ValueError(f"{type(sampler).__name__} with a corrector evaluates the model at "
                             "predicted points that are not chain states; parallel sampling needs a "
                             "sampler without one (e.g. SASolver(corrector_order=0), DPMSolverPP).")
        chain = _LinearChain(tables, times, problem, evaluate, windowed)
    else:
        times, steps = sampler.plan(problem)
        chain = _HeunChain(steps, problem, evaluate, windowed)
    n = len(times) - 1
    K = n if window is None else check_int("window", window)
    max_steps = 2 * K + 2 if max_steps is None else check_int("max_steps", max_steps)
    states, iterations, statuses = chain.solve(K, max_steps, options)
    stats = {"nfe": evaluate.nfe, "calls": evaluate.calls, "steps": n, "windows": len(iterations),
             "iterations": iterations}
    out = SamplerOutput(states[-1], times, states if trajectory else None, stats)
    return finish("parallel_sample", out, on_failure, failed=statuses,
                  hint="Raise max_steps, loosen tol, use smaller windows, or try solver='anderson'.")


class _LinearChain:
    """Windows of a linear multistep chain (tables without a corrector)."""

    def __init__(self, tables, times, problem, evaluate, windowed) -> None:
        self.tables, self.times, self.problem = tables, times, problem
        self.evaluate, self.windowed = evaluate, windowed
        self.depth = tables.history

    def solve(self, K: int, max_steps: int, options: dict):
        n = len(self.times) - 1
        x = self.problem.x
        states = [x]
        history: list[torch.Tensor] = []  # D_{s-1}, D_{s-2}, ... (newest first)
        iterations, statuses = [], []
        s = 0
        while s < n:
            e = min(s + K, n)
            k = e - s
            D_s = self.evaluate(x, self.times[s])
            hist = [D_s, *history][: self.depth]
            noise = [self.problem.gaussian(x) if self.tables.N[m] else None for m in range(s, e)]
            U, sol = self._window(s, e, x, hist, noise, max_steps, options)
            iterations.append(int(sol.steps.max()) if sol.steps.numel() else 0)
            statuses.append(sol.status)
            new_points = list(U.unbind(1))
            states.extend(new_points)
            # the next window needs D_{e-1}, ..., D_{e-depth+1}: those inside this window are
            # evaluated at its converged points (with their implicit gradients), the rest are known
            keep = min(self.depth - 1, k - 1)
            tail = []
            if keep > 0:
                points = torch.stack(new_points[k - 1 - keep:k - 1], 1)
                tail = list(self.windowed(points, _step_axis(self.times[e - keep:e], x).reshape(-1)).unbind(1))
            history = [*reversed(tail), *hist][: self.depth - 1]
            x, s = new_points[-1], e
        return states, iterations, statuses

    def _window(self, s, e, x_s, hist, noise, max_steps, options):
        k = e - s
        A = _step_axis(self.tables.A[s:e], x_s)
        depth = self.depth
        C = [_step_axis([(row[j] if j < len(row) else 0.0) for row in self.tables.C[s:e]], x_s)
             for j in range(depth)]
        N = _step_axis(self.tables.N[s:e], x_s)
        t_inner = _step_axis(self.times[s + 1:e], x_s).reshape(-1)
        xi = torch.stack([z if z is not None else torch.zeros_like(x_s) for z in noise], 1)
        stochastic = any(z is not None for z in noise)
        older = list(reversed(hist))  # D_{s-depth+1}, ..., D_s

        missing = depth - len(older)  # outputs before the chain's start (their coefficients are 0)

        def T(U, x_s, xi, *older):
            prev = torch.cat([x_s.unsqueeze(1), U[:, : k - 1]], 1)  # x_s .. x_{e-1}
            D = torch.cat([torch.stack(older, 1), self.windowed(U[:, : k - 1], t_inner)], 1) if k > 1 \
                else torch.stack(older, 1)  # D_{s-len+1} .. D_{e-1}
            if missing:
                D = torch.cat([D.new_zeros((D.shape[0], missing) + D.shape[2:]), D], 1)
            out = A * prev
            for j in range(depth):  # D_s sits at position depth - 1
                out = out + C[j] * D[:, depth - 1 - j: depth - 1 - j + k]
            if stochastic:
                out = out + N * xi
            return integral_form(x_s, prev, out)

        U0 = x_s.unsqueeze(1).expand((x_s.shape[0], k) + x_s.shape[1:]).contiguous()
        sol = fixed_point(T, U0, args=(x_s, xi, *older), batch_ndim=1, max_steps=max_steps, **options)
        return sol.value, sol


class _HeunChain:
    """Windows of the EDM Heun chain (a Markov chain: two batched calls per iteration)."""

    def __init__(self, steps: list[HeunStep], problem, evaluate, windowed) -> None:
        self.steps, self.problem = steps, problem
        self.evaluate, self.windowed = evaluate, windowed

    def solve(self, K: int, max_steps: int, options: dict):
        x = self.problem.x
        steps = self.steps
        final = steps[-1].sig1 == 0  # the step to the data is Euler: taken after the chain
        body = steps[:-1] if final else steps
        states = [x]
        iterations, statuses = [], []
        s = 0
        while s < len(body):
            e = min(s + K, len(body))
            noise = [self.problem.gaussian(x) if c.churn else None for c in body[s:e]]
            U, sol = self._window(body[s:e], x, noise, max_steps, options)
            iterations.append(int(sol.steps.max()) if sol.steps.numel() else 0)
            statuses.append(sol.status)
            states.extend(U.unbind(1))
            x, s = states[-1], e
        if final:
            c = steps[-1]
            xi = self.problem.gaussian(x) if c.churn else None
            states.append(heun_step(x, c, self.evaluate, xi, final=True))
        return states, iterations, statuses

    def _window(self, block: list[HeunStep], x_s, noise, max_steps, options):
        k = len(block)
        c = HeunStep(*(_step_axis([getattr(b, f) for b in block], x_s)
                       for f in HeunStep.__dataclass_fields__))
        xi = torch.stack([z if z is not None else torch.zeros_like(x_s) for z in noise], 1)
        windowed = self.windowed

        def T(U, x_s, xi):
            prev = torch.cat([x_s.unsqueeze(1), U[:, : k - 1]], 1)
            return integral_form(x_s, prev, heun_step(prev, c, windowed, xi, final=False))

        U0 = x_s.unsqueeze(1).expand((x_s.shape[0], k) + x_s.shape[1:]).contiguous()
        sol = fixed_point(T, U0, args=(x_s, xi), batch_ndim=1, max_steps=max_steps, **options)
        return sol.value, sol
