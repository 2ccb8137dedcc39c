"""The fixed-step loop: every SDE solver is driven by this one function."""

from __future__ import annotations

import torch

from attractor.sde.brownian.base import AbstractBrownian
from attractor.sde.grid import StepGrid, step_noise
from attractor.sde.solvers.base import AbstractSDESolver
from attractor.sde.terms import SDETerms


def solver_area(solver: AbstractSDESolver) -> str | None:
    """The space-space Levy area approximation a solver asks for, if any."""
    area = getattr(solver, "area", None)
    return area if area in ("davie", "foster") else None


def integrate_fixed(terms: SDETerms, solver: AbstractSDESolver, bm: AbstractBrownian,
                    grid: StepGrid, y0: torch.Tensor, *, return_state: bool = False):
    """Step ``solver`` over ``grid``; returns the states at the output times, stacked.

    With ``return_state`` also returns the solver's final state (reversible Heun's adjoint
    restarts from it).
    """
    state = solver.init(terms, grid.tensors[0], y0)
    ys = [y0]
    outputs = iter(grid.out_index[1:])
    next_out = next(outputs, None)
    y = y0
    for n, inc in enumerate(step_noise(bm, grid, solver_area(solver))):
        y, state = solver.step(terms, grid.tensors[n], grid.tensors[n + 1], grid.h(n), y, inc,
                               state)
        if n + 1 == next_out:
            ys.append(y)
            next_out = next(outputs, None)
    out = torch.stack(ys)
    return (out, state) if return_state else out
