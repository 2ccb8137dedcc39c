"""Adaptive time stepping for SDEs: step doubling on a Brownian tree.

Each attempted step of size ``h`` is taken once whole and once as two halves on the *same*
Brownian path (the tree supplies the midpoint); the difference estimates the local error
(Lamba, Mattingly & Stuart, "An adaptive Euler--Maruyama scheme for SDEs: convergence and
stability", IMA J. Numer. Anal. 27, 2007; Burrage & Burrage, "A variable stepsize
implementation for stochastic differential equations", SIAM J. Sci. Comput. 24, 2002). A
rejected step is retried on the same path, so rejection does not bias the noise -- the reason
adaptive SDE solvers need a Brownian tree (or bridge) rather than fresh increments. The
accepted value is the more accurate two-half-step one. The step is shared by the batch (the
error is the worst sample's), as torchsde does; samples that become non-finite are frozen
and reported, not allowed to stall the others.

The error ratio and the step-size update are the ODE package's (:class:`attractor.ode.
error_norm.ErrorNorm` and :class:`attractor.ode.PIController`): the doubling difference of a
method of strong order ``p`` is ``O(h^{p + 1/2})``, so it is controlled as an embedded estimate of
order ``p - 1/2``.
"""

from __future__ import annotations

import math

import torch

from attractor._core.norms import expand_to
from attractor._core.status import Status
from attractor.ode.controller import PIController
from attractor.ode.error_norm import ErrorNorm, reduce_batch
from attractor.sde.brownian.base import BrownianIncrement
from attractor.sde.loop import solver_area


def _increment(bm, s: float, t: float, area):
    inc = bm.increment(s, t)
    if area is None:
        return inc
    A = bm.space_space_areas([s, t], BrownianIncrement(inc.dW[None], inc.H[None]), area)[0]
    return BrownianIncrement(inc.dW, inc.H, A)


class _DoublingEstimate:
    """The one error estimator of step doubling, in the form ``ErrorNorm`` expects."""

    @staticmethod
    def combine_error_norms(norms: torch.Tensor) -> torch.Tensor:
        return norms[0]


def integrate_adaptive(terms, solver, bm, ts: list[float], y0: torch.Tensor, *, dt0: float,
                       rtol: float, atol: float, dt_min: float, max_steps: int,
                       controller: PIController | None = None, record: list | None = None):
    """Returns ``(ys, status, stats)``; ``ys`` stacked at the output times ``ts``.

    ``record`` (an empty list) receives the grid the accepted solution was computed on, as
    ``(times, out_index)``: every accepted step contributes its two half steps, and
    ``out_index`` says where the output times sit -- the grid on which the stochastic adjoint
    retraces the solve backwards.
    """
    dtype, device = y0.dtype, y0.device
    batch_shape = y0.shape[:-1]
    status = torch.zeros(batch_shape, dtype=torch.long, device=device)
    alive = torch.ones(batch_shape, dtype=torch.bool, device=device)
    error_order = solver.order(terms) - 0.5
    area = solver_area(solver)
    controller = controller if controller is not None else PIController()
    ctrl_state = controller.init()
    batch = max(1, batch_shape.numel())
    norm = ErrorNorm(_DoublingEstimate(), rtol, torch.tensor(atol, dtype=dtype, device=device),
                     batch)

    def T(x: float) -> torch.Tensor:
        return torch.tensor(x, dtype=dtype, device=device)

    t, y = ts[0], y0
    grid_times, out_index = [t], [0]
    state = solver.init(terms, T(t), y0)
    h = dt0
    ys = [y0]
    accepted = rejected = 0
    failed = None
    for t_out in ts[1:]:
        while t < t_out and failed is None:
            if accepted + rejected >= max_steps:
                failed = Status.MAX_STEPS
                break
            if t_out - t <= h * (1 + 1e-9):
                h, t_new = t_out - t, t_out
            else:
                t_new = t + h
            t_mid = t + 0.5 * h
            y_full, _ = solver.step(terms, T(t), T(t_new), h, y, _increment(bm, t, t_new, area),
                                    state)
            y_half, s_half = solver.step(terms, T(t), T(t_mid), 0.5 * h, y,
                                         _increment(bm, t, t_mid, area), state)
            y_two, s_two = solver.step(terms, T(t_mid), T(t_new), 0.5 * h, y_half,
                                       _increment(bm, t_mid, t_new, area), s_half)
            finite = torch.isfinite(y_two).flatten(len(batch_shape)).all(-1)
            newly_dead = alive & ~finite
            if bool(newly_dead.any()):
                status[newly_dead] = int(Status.NONFINITE)
                alive = alive & finite
            ratios, _ = norm((y_two - y_full).reshape(1, -1), y.detach().abs().reshape(-1),
                             y_two.reshape(-1))
            ratios = torch.where(alive.reshape(-1), ratios, torch.zeros_like(ratios))
            r = float(reduce_batch(ratios, "max"))
            accept = r <= 1.0
            h_next, ctrl_state = controller.adapt(h, r, accept, ctrl_state, error_order)
            if accept:
                keep = expand_to(alive, y)
                y = torch.where(keep, y_two, y)
                state = s_two
                t = t_new
                grid_times.extend((t_mid, t_new))
                accepted += 1
            else:
                rejected += 1
            if h_next < dt_min and t < t_out:
                failed = Status.STEP_SIZE_TOO_SMALL
                break
            h = h_next
        if failed is not None:
            ys.append(torch.full_like(y, math.nan))
        else:
            ys.append(y)
            out_index.append(len(grid_times) - 1)
    if failed is not None:
        status[alive] = int(failed)
    if record is not None:
        record.append((grid_times, out_index))
    stats = {"nfe": terms.nfe, "nfe_drift": terms.nfe_drift, "nfe_diffusion": terms.nfe_diffusion,
             "steps": accepted + rejected, "accepted": accepted, "rejected": rejected}
    return torch.stack(ys), status, stats
