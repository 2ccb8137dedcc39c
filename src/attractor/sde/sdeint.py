"""``sdeint``: solve a batch of SDEs on a fixed or adaptive grid, with three gradient modes."""

from __future__ import annotations

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
from attractor.ode.parameters import find_parameters
from attractor.sde.adaptive import integrate_adaptive
from attractor.sde.adjoint import AdjointProblem, backsolve_adjoint
from attractor.sde.brownian.base import AbstractBrownian
from attractor.sde.brownian.path import BrownianPath
from attractor.sde.brownian.tree import BrownianTree
from attractor.sde.grid import StepGrid, make_grid
from attractor.sde.loop import integrate_fixed
from attractor.sde.reversible import reversible_adjoint
from attractor.sde.solution import SDESolution
from attractor.sde.solvers import SOLVERS, AbstractSDESolver, ReversibleHeun
from attractor.sde.terms import SDETerms

ADJOINTS = ("direct", "backsolve", "reversible")


def _times(t, y0) -> torch.Tensor:
    if not isinstance(t, torch.Tensor):
        t = torch.as_tensor(t, dtype=y0.dtype, device=y0.device)
    check_tensor("t", t, min_dim=1)
    if t.dim() != 1 or t.numel() < 2:
        raise ValueError(f"`t` must be a 1-D tensor of at least 2 output times; got shape "
                         f"{tuple(t.shape)}.")
    if not bool((t[1:] > t[:-1]).all()):
        raise ValueError(f"`t` must be strictly increasing; got {t.tolist()}.")
    return t


def _default_solver(sde_type: str, adjoint: str) -> str:
    if adjoint == "reversible":
        return "reversible_heun"
    return "euler" if sde_type == "ito" else "heun"


def _check_bm(bm, terms: SDETerms, solver: AbstractSDESolver, t0: float, t1: float):
    if not isinstance(bm, AbstractBrownian):
        raise TypeError(f"`bm` must be a BrownianPath/BrownianTree (AbstractBrownian); got "
                        f"{type(bm).__name__}.")
    if tuple(bm.shape) != terms.bm_shape:
        raise ValueError(f"`bm` has shape {tuple(bm.shape)}; noise={terms.noise!r} with this "
                         f"diffusion needs Brownian motion of shape {terms.bm_shape}.")
    if bm.t0 > t0 or bm.t1 < t1:
        raise ValueError(f"`bm` is defined on [{bm.t0}, {bm.t1}], which does not cover "
                         f"[{t0}, {t1}].")
    if solver.levy_area != "none" and bm.levy_area == "none":
        raise ValueError(f"solver {solver.name!r} needs the space-time Levy area; build `bm` with "
                         "levy_area='space-time'.")


def _adjoint_params(drift, diffusion, t0, y0, args, explicit) -> list[torch.Tensor]:
    """Tensors the adjoints differentiate: ``explicit``, else module parameters, tensor ``args``
    and closed-over tensors, found by the ODE package's graph walk on one probe evaluation."""
    if not torch.is_grad_enabled():
        return []
    if explicit is not None:
        return find_parameters(drift, args, None, None, explicit)
    y = y0.detach()
    found: dict[int, torch.Tensor] = {}
    for fn in (drift, diffusion):
        with torch.enable_grad():
            probe = fn(t0, y, *args)
        for p in find_parameters(fn, args, probe, None):
            found.setdefault(id(p), p)
    return list(found.values())


def _default_bm(terms, solver, y0, t0, t1, seed, adaptive, adjoint, dt, dt_min):
    """A stored path for plain fixed-step solves; a tree where the noise must be recomputed
    (adaptive steps at any time, the stochastic adjoint's reverse pass in O(1) memory)."""
    kwargs = {"seed": seed, "levy_area": "space-time" if solver.levy_area != "none" else "none",
              "dtype": y0.dtype, "device": y0.device}
    if adaptive:
        return BrownianTree(t0, t1, terms.bm_shape, tol=dt_min, **kwargs)
    if adjoint == "backsolve":  # steps longer than tol sit in distinct leaves: exact law
        return BrownianTree(t0, t1, terms.bm_shape, tol=min(dt, t1 - t0) / 2, **kwargs)
    return BrownianPath(t0, terms.bm_shape, t1=t1, **kwargs)


def _backsolve_solver(adjoint_solver) -> AbstractSDESolver:
    adj_solver = resolve("adjoint_solver", adjoint_solver, SOLVERS, AbstractSDESolver)
    if not (adj_solver.increment_only and "stratonovich" in adj_solver.sde_types):
        raise ValueError("`adjoint_solver` must be a Stratonovich solver that works on "
                         "increments only (heun, midpoint, ralston, rk4); got "
                         f"{adj_solver.name!r}.")
    return adj_solver


def _solve_adaptive(terms, solver, bm, ts, y0, adjoint, adjoint_solver, adjoint_params, options):
    """Adaptive steps; with ``adjoint="backsolve"`` the solve runs without a graph and the
    stochastic adjoint retraces the accepted (half-)step grid backwards. Returns
    ``(ys, status, stats)``."""
    t0 = torch.tensor(ts[0], dtype=y0.dtype, device=y0.device)
    params = [] if adjoint == "direct" else _adjoint_params(terms.drift, terms.diffusion, t0, y0,
                                                            terms.args, adjoint_params)
    needs_grad = torch.is_grad_enabled() and (y0.requires_grad or bool(params))
    if adjoint == "direct" or not needs_grad:
        return integrate_adaptive(terms, solver, bm, ts, y0, **options)
    record: list = []
    with torch.no_grad():
        ys, status, stats = integrate_adaptive(terms, solver, bm, ts, y0, record=record, **options)
    if not bool((status == int(Status.SUCCESS)).all()):
        return ys, status, stats  # failed: reported (or raised) by the caller, no gradient
    times, out_index = record[0]
    grid = StepGrid(times, torch.tensor(times, dtype=y0.dtype, device=y0.device).unbind(0), out_index)
    problem = AdjointProblem(terms, solver, _backsolve_solver(adjoint_solver), bm, grid, params,
                             stats, ys=ys)
    return backsolve_adjoint(problem, y0), status, stats


def _solve_fixed(terms, solver, bm, grid, y0, adjoint, adjoint_solver, params):
    """Fixed steps with the requested gradient; returns ``(ys, stats)``."""
    stats: dict = {}
    needs_grad = torch.is_grad_enabled() and (y0.requires_grad or bool(params))
    if adjoint == "direct" or not needs_grad:
        ys = integrate_fixed(terms, solver, bm, grid, y0)
    else:
        adj_solver = _backsolve_solver(adjoint_solver) if adjoint == "backsolve" else None
        problem = AdjointProblem(terms, solver, adj_solver, bm, grid, params, stats)
        run = backsolve_adjoint if adjoint == "backsolve" else reversible_adjoint
        ys = run(problem, y0)
    stats.update(nfe=terms.nfe, nfe_drift=terms.nfe_drift, nfe_diffusion=terms.nfe_diffusion,
                 steps=grid.n_steps, accepted=grid.n_steps, rejected=0)
    return ys, stats


def sdeint(drift, diffusion, y0, t, *, noise: str = "diagonal", sde_type: str = "ito",
           solver=None, dt=None, adaptive: bool = False, rtol: float = 1e-3, atol: float = 1e-4,
           dt_min=None, max_steps: int = 100_000, bm=None, seed=None, adjoint: str = "direct",
           adjoint_solver="heun", adjoint_params=None, args=(), on_failure: str = "raise",
           controller=None):
    """Solve ``dy = f(t, y) dt + g(t, y) dW`` (Ito) or ``... \\circ dW`` (Stratonovich).

    Parameters
    ----------
    drift, diffusion:
        ``f(t, y, *args)`` and ``g(t, y, *args)``; ``t`` is a 0-dim tensor. ``g``'s shape
        follows ``noise`` (see :class:`attractor.sde.terms.SDETerms`).
    y0:
        Initial state ``(*batch, d)``.
    t:
        Strictly increasing output times (1-D).
    noise:
        ``"diagonal"`` | ``"scalar"`` | ``"additive"`` | ``"general"``.
    sde_type:
        ``"ito"`` | ``"stratonovich"``.
    solver:
        Name or object: ``euler``, ``milstein``, ``platen`` (Ito); ``heun``, ``midpoint``,
        ``euler_heun``, ``reversible_heun`` (Stratonovich); ``milstein`` (both); ``srk``
        (additive noise, both). Default ``euler`` (Ito) / ``heun`` (Stratonovich) /
        ``reversible_heun`` (``adjoint="reversible"``).
    dt:
        Step size (fixed stepping; required) or initial step (adaptive). Steps are equalised
        between consecutive output times, so every output time is hit exactly.
    adaptive, rtol, atol, dt_min, max_steps, controller:
        Step-doubling error control on a :class:`BrownianTree` (the step is shared by the batch),
        with the ODE package's error norm and :class:`attractor.ode.PIController` (default).
    bm:
        A Brownian motion of shape ``terms.bm_shape``; default a :class:`BrownianPath`
        (:class:`BrownianTree` for the adjoint and adaptive modes) seeded by ``seed``.
    adjoint:
        ``"direct"`` (backpropagate through the steps), ``"backsolve"`` (stochastic adjoint,
        Stratonovich backsolve through the same noise with ``adjoint_solver``, default
        ``"heun"``) or ``"reversible"`` (exact gradients of a reversible Heun solve in O(1)
        memory; fixed steps only). With ``adaptive=True`` the backsolve retraces the accepted
        half-step grid. The stats gain ``nfe_backward`` once the backward pass has run.
    adjoint_params:
        Tensors to differentiate with the adjoints; default the parameters of ``drift`` /
        ``diffusion`` when they are ``nn.Module`` s (or their bound methods), tensor ``args`` and
        tensors they close over.
    on_failure:
        ``"raise"`` (default) raises :class:`attractor.ConvergenceError` when a sample becomes
        non-finite or the adaptive solve fails; ``"status"`` only reports it in ``.status``.

    Returns
    -------
    SDESolution with ``ys`` of shape ``(len(t), *y0.shape)``, ``ts``, ``status``, ``stats``, ``bm``.
    """
    check_callable("drift", drift)
    check_callable("diffusion", diffusion)
    check_tensor("y0", y0, min_dim=1)
    t = _times(t, y0)
    adjoint = check_choice("adjoint", adjoint, ADJOINTS)
    on_failure = check_choice("on_failure", on_failure, ("raise", "status"))
    sde_type = check_choice("sde_type", sde_type, ("ito", "stratonovich"))
    args = tuple(args)
    ts = [float(x) for x in t.tolist()]
    t0, t1 = ts[0], ts[-1]
    if dt is None:
        if not adaptive:
            raise ValueError("`dt` is required for fixed-step solves (or pass adaptive=True).")
        dt = (t1 - t0) / 100
    dt = check_positive("dt", dt)
    max_steps = check_int("max_steps", max_steps)
    if y0.numel() == 0:  # an empty batch: empty results of the right shapes, nothing called
        ys = y0.unsqueeze(0).expand((len(ts),) + y0.shape).clone()
        status = torch.zeros(y0.shape[:-1], dtype=torch.long, device=y0.device)
        stats = {"nfe": 0, "nfe_drift": 0, "nfe_diffusion": 0, "steps": 0}
        return SDESolution(ys=ys, ts=t, status=status, stats=stats, bm=bm)

    terms = SDETerms(drift, diffusion, t[0], y0, noise=noise, sde_type=sde_type, args=args)
    solver = resolve("solver", solver if solver is not None else _default_solver(sde_type, adjoint),
                     SOLVERS, AbstractSDESolver)
    solver.check(terms)
    if adjoint == "reversible" and not isinstance(solver, ReversibleHeun):
        raise ValueError(f"adjoint='reversible' needs solver='reversible_heun'; got {solver.name!r}.")
    if adaptive and adjoint == "reversible":
        raise ValueError("adaptive stepping supports adjoint='direct' or 'backsolve'; use a "
                         "fixed `dt` with the reversible adjoint.")
    dt_min = check_positive("dt_min", dt_min) if dt_min is not None else (t1 - t0) * 2.0**-20

    if bm is None:
        bm = _default_bm(terms, solver, y0, t0, t1, seed, adaptive, adjoint, dt, dt_min)
    _check_bm(bm, terms, solver, t0, t1)

    if adaptive:
        rtol = check_positive("rtol", rtol, allow_zero=True)
        atol = check_positive("atol", atol, allow_zero=True)
        if rtol == 0 and atol == 0:
            raise ValueError("`rtol` and `atol` cannot both be zero.")
        ys, status, stats = _solve_adaptive(
            terms, solver, bm, ts, y0, adjoint, adjoint_solver, adjoint_params,
            {"dt0": min(dt, t1 - t0), "rtol": rtol, "atol": atol, "dt_min": dt_min,
             "max_steps": max_steps, "controller": controller},
        )
    else:
        grid = make_grid(ts, dt, y0.dtype, y0.device)
        if grid.n_steps > max_steps:
            raise ValueError(f"dt={dt} needs {grid.n_steps} steps, more than max_steps={max_steps}.")
        params = [] if adjoint == "direct" else _adjoint_params(drift, diffusion, t[0], y0, args,
                                                                adjoint_params)
        ys, stats = _solve_fixed(terms, solver, bm, grid, y0, adjoint, adjoint_solver, params)
        finite = torch.isfinite(ys.detach()).all(0).all(-1)
        status = torch.where(finite, int(Status.SUCCESS), int(Status.NONFINITE))
    sol = SDESolution(ys=ys, ts=t, status=status, stats=stats, bm=bm)
    if on_failure == "raise":
        raise_if_failed("sdeint", status, {"steps": stats.get("steps", 0)}, solution=sol,
                        hint="Reduce `dt` (or tighten rtol/atol), or pass on_failure='status'.")
    return sol
