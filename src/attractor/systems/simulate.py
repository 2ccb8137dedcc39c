"""Simulating registry systems: :func:`trajectory`, :func:`advance` and
:func:`sample_on_attractor`.

Flows are integrated with :func:`attractor.odeint` (no private integrator); maps are iterated.
"""

from __future__ import annotations

from typing import Any

import torch

from attractor._core.validation import check_int, check_positive, check_tensor
from attractor.systems.base import FLOW, System
from attractor.systems.registry import get

# The odeint defaults: on a chaotic attractor any finite-precision orbit departs from the true
# one within a few Lyapunov times, so tighter tolerances buy no fidelity to the attractor's
# statistics, only cost; pass rtol/atol for a precise finite-time solution.
DEFAULT_RTOL = 1e-6
DEFAULT_ATOL = 1e-8


def _odeint():
    from attractor.ode import odeint

    return odeint


FIXED_STEP = ("euler", "midpoint", "heun", "ralston", "rk4")


def _solver_options(solver: Any, rtol: float, atol: float, step: float) -> dict[str, Any]:
    """Keyword arguments for ``odeint``: a fixed step for the fixed-step methods, tolerances
    for the adaptive ones."""
    if isinstance(solver, str) and solver.lower() in FIXED_STEP:
        return {"solver": solver, "dt": step}
    return {"solver": solver, "rtol": rtol, "atol": atol}


def _max_steps(span: float, dt: float, n_out: int) -> int:
    # adaptive solvers take a few steps per output interval at most on these systems; the
    # bound only guards against a stiff or blowing-up run looping forever
    return int(max(100_000, 50 * n_out, 200 * span / dt))


def advance(
    system: System,
    y: torch.Tensor,
    duration: float,
    *,
    solver: Any = "tsit5",
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
) -> torch.Tensor:
    """The state ``duration`` time units (flows) or iterations (maps) after ``y``."""
    if duration <= 0:
        return y
    if system.kind == FLOW:
        t = torch.tensor([0.0, float(duration)], dtype=y.dtype, device=y.device)
        sol = _odeint()(
            system, y, t, max_steps=_max_steps(duration, system.dt, 2),
            **_solver_options(solver, rtol, atol, system.dt),
        )
        return sol.ys[-1]
    for _ in range(round(duration)):
        y = system(y)
    return y


def sample_on_attractor(
    system: System | str,
    count: int,
    *,
    spacing: float | None = None,
    y0: torch.Tensor | None = None,
    dtype: torch.dtype | None = None,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """``count`` states on the attractor, shape ``(count, dim)``: samples of one long orbit
    from the reference state, ``spacing`` apart (default: the dominant period of a flow, or
    100 steps ``dt`` when unknown; 10 iterations of a map), so they are spread over the
    attractor rather than clustered around one point."""
    system = get(system)
    count = check_int("count", count)
    if spacing is None:
        if system.kind == FLOW:
            spacing = system.period if system.period else 100 * system.dt
        else:
            spacing = 10
    start = system.initial_state(dtype=dtype, device=device) if y0 is None else y0
    if system.kind == FLOW:
        return trajectory(system, count, spacing, y0=start, dtype=dtype, device=device)
    step = max(1, round(spacing))
    return trajectory(system, (count - 1) * step + 1, y0=start)[::step]


def trajectory(
    system: System | str,
    n: int = 1000,
    dt: float | None = None,
    *,
    y0: torch.Tensor | None = None,
    transient: float = 0.0,
    batch: int | None = None,
    noise: float = 0.0,
    solver: Any = "tsit5",
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
    step: float | None = None,
    dtype: torch.dtype | None = None,
    device: torch.device | str | None = None,
    generator: torch.Generator | None = None,
    return_times: bool = False,
):
    """Simulate ``system`` and return ``n`` samples, time first: shape ``(n, *batch, dim)``.

    Parameters
    ----------
    system: a :class:`System` or its registry name.
    n: number of samples returned.
    dt: time between samples (flows; default ``system.dt``). Maps always step by one
        iteration; a ``dt`` other than 1 is an error for them.
    y0: initial state(s), shape ``(*batch, dim)``; default the reference state on the
        attractor, or ``batch`` states spread over the attractor when ``batch`` is given.
    transient: time (flows) or iterations (maps) run and discarded before the first sample.
    batch: number of initial states to draw on the attractor when ``y0`` is not given.
    noise: standard deviation of additive Gaussian measurement noise, relative to each
        coordinate's standard deviation over the returned trajectory (0.1 = 10 %); none on
        the forcing phase of a forced flow.
    solver, rtol, atol: passed to :func:`attractor.odeint` (flows); default adaptive Tsit5
        at the odeint tolerances.
    step: integration step of a fixed-step ``solver`` (``"rk4"``, ...; default ``dt``).
    dtype, device: of the result when ``y0`` is not given (default float64, CPU); otherwise
        those of ``y0``.
    generator: random generator for the noise.
    return_times: also return the sample times (flows) or iteration numbers (maps).

    Example
    -------
    >>> ys = trajectory(get("lorenz"), 10000)          # (10000, 3), 100 time units
    >>> ys = trajectory("henon", 5000, batch=8)         # (5000, 8, 2)
    """
    system = get(system)
    n = check_int("n", n)
    check_positive("transient", transient, allow_zero=True)
    check_positive("noise", noise, allow_zero=True)
    if step is not None:
        check_positive("step", step)
    if system.kind == FLOW:
        dt = system.dt if dt is None else check_positive("dt", dt)
    elif dt not in (None, 1, 1.0):
        raise ValueError(f"`dt` must be None or 1 for the map {system.name!r}; got {dt!r}.")
    if y0 is None:
        if batch is None:
            y0 = system.initial_state(dtype=dtype, device=device)
        else:
            y0 = sample_on_attractor(system, check_int("batch", batch), dtype=dtype, device=device)
    else:
        check_tensor("y0", y0, min_dim=1)
        if y0.shape[-1] != system.dim:
            raise ValueError(
                f"`y0` must have last dimension {system.dim} for {system.name!r}; "
                f"got shape {tuple(y0.shape)}."
            )
        if batch is not None:
            raise ValueError("pass either `y0` or `batch`, not both.")
    y = advance(system, y0, transient, solver=solver, rtol=rtol, atol=atol)

    if system.kind == FLOW:
        times = torch.arange(n, dtype=y.dtype, device=y.device) * dt
        if n == 1:
            ys = y.unsqueeze(0)
        else:
            sol = _odeint()(
                system, y, times, max_steps=_max_steps(float(times[-1]), system.dt, n),
                **_solver_options(solver, rtol, atol, step or dt),
            )
            ys = sol.ys
    else:
        times = torch.arange(n, device=y.device)
        states = [y]
        for _ in range(n - 1):
            y = system(y)
            states.append(y)
        ys = torch.stack(states)
    if noise > 0:
        scale = ys.std(dim=0, keepdim=True) * noise
        if system.forcing_phase is not None:  # the forcing phase is a clock, not a measurement
            scale[..., system.forcing_phase] = 0
        eps = torch.randn(ys.shape, dtype=ys.dtype, device=ys.device, generator=generator)
        ys = ys + scale * eps
    return (times, ys) if return_times else ys
