"""Spatially extended flows whose dimension is a parameter: Lorenz-96."""

from __future__ import annotations

import torch

from attractor.systems.registry import flow


def _lorenz96_seed(params):
    # The uniform state x_i = F is an unstable equilibrium; nudging one site starts the
    # travelling waves, and `settle` time units later the state is on the attractor.
    n = int(params["n"])
    if n < 4:
        raise ValueError(f"`n` (Lorenz-96 dimension) must be >= 4; got {n}.")
    seed = [float(params["forcing"])] * n
    seed[0] += 0.01
    return tuple(seed)


def _lorenz96_tangent(t, y, v, forcing, n):
    # tangent-linear model: δx_i' = (δx_{i+1} - δx_{i-2}) x_{i-1} + (x_{i+1} - x_{i-2}) δx_{i-1} - δx_i
    x = y.unsqueeze(-1)  # sites along dim -2, like v's rows
    return (
        (torch.roll(v, -1, -2) - torch.roll(v, 2, -2)) * torch.roll(x, 1, -2)
        + (torch.roll(x, -1, -2) - torch.roll(x, 2, -2)) * torch.roll(v, 1, -2)
        - v
    )


@flow(
    seed=_lorenz96_seed,
    tangent=_lorenz96_tangent,
    settle=50.0,
    dt=0.01,
    citation="Lorenz, E. N. (1996). Predictability: a problem partly solved. Proc. ECMWF Seminar "
    "on Predictability, Vol. 1, 1-18; Lorenz, E. N., Emanuel, K. A. (1998). J. Atmos. Sci. 55, 399-414.",
)
def lorenz96(t, y, forcing=8.0, n=40):
    """Lorenz-96 ring of n sites: x_i' = (x_{i+1} - x_{i-2}) x_{i-1} - x_i + F.

    ``n`` only sets the dimension of the reference state; the field acts on any state with
    at least four sites.
    """
    return (torch.roll(y, -1, -1) - torch.roll(y, 2, -1)) * torch.roll(y, 1, -1) - y + forcing
