"""``NeuralCDE``: a neural controlled differential equation for (irregular) time series."""

from __future__ import annotations

import torch
from torch import nn

from attractor.cde.cdeint import cdeint
from attractor.cde.interpolation.base import AbstractInterpolation


class CDEVectorField(nn.Module):
    """The default ``f_\\theta(t, z)``: an MLP ``hidden -> width -> hidden x channels`` ending in
    ``tanh`` (bounded vector fields keep the CDE well posed; Kidger et al. 2020, sec. 3.3)."""

    def __init__(self, hidden: int, channels: int, width: int = 64, depth: int = 2):
        super().__init__()
        layers: list[nn.Module] = []
        size = hidden
        for _ in range(depth - 1):
            layers += [nn.Linear(size, width), nn.Softplus()]
            size = width
        layers += [nn.Linear(size, hidden * channels), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        self.hidden = hidden
        self.channels = channels

    def forward(self, t, z):
        return self.net(z).view(*z.shape[:-1], self.hidden, self.channels)


class NeuralCDE(nn.Module):
    """Neural CDE (Kidger, Morrill, Foster & Lyons, NeurIPS 2020):

    .. math:: z(t_0) = \\zeta_\\theta(X(t_0)), \\quad dz = f_\\theta(t, z)\\,dX(t), \\quad
              \\text{output} = \\ell_\\theta(z(t_{end}))

    with ``X`` a control path from :mod:`attractor.cde` (e.g. a :class:`NaturalCubicSpline` of
    irregular, partially observed data). ``forward(X)`` returns ``(*batch, output)``, or with
    ``return_sequences=True`` the readout at every time of ``t`` (``(len(t), *batch, output)``).

    Parameters
    ----------
    input_channels, hidden_channels, output_channels:
        Channels of ``X``, size of ``z``, size of the output.
    vector_field:
        ``f(t, z) -> (*batch, hidden, input)``; default :class:`CDEVectorField`.
    solver, **cdeint_kwargs:
        Passed to :func:`attractor.cdeint` (``rtol``, ``atol``, ``adjoint``, ...). A fixed-step
        solver (default ``"rk4"``) without ``dt`` takes steps of ``step_fraction`` times the mean
        knot spacing.
    """

    def __init__(self, input_channels: int, hidden_channels: int, output_channels: int, *,
                 vector_field: nn.Module | None = None, width: int = 64, solver="rk4",
                 step_fraction: float = 1.0, **cdeint_kwargs):
        super().__init__()
        self.input_channels = input_channels
        self.initial = nn.Linear(input_channels, hidden_channels)
        self.vector_field = vector_field if vector_field is not None else \
            CDEVectorField(hidden_channels, input_channels, width)
        self.readout = nn.Linear(hidden_channels, output_channels)
        self.solver = solver
        self.step_fraction = float(step_fraction)
        self.cdeint_kwargs = cdeint_kwargs
        self.last_solution = None

    def forward(self, X: AbstractInterpolation, t: torch.Tensor | None = None, *,
                return_sequences: bool = False) -> torch.Tensor:
        if not isinstance(X, AbstractInterpolation):
            raise TypeError(f"`X` must be a control path from attractor.cde (e.g. NaturalCubicSpline); "
                            f"got {type(X).__name__}.")
        if X.channels != self.input_channels:
            raise ValueError(f"`X` has {X.channels} channels; this NeuralCDE was built for "
                             f"input_channels={self.input_channels}.")
        if t is None:
            t = X.knots if return_sequences and X.knots.dim() == 1 else X.knots[..., [0, -1]]
            if t.dim() > 1:
                t = t[(0,) * (t.dim() - 1)]
        z0 = self.initial(X.evaluate(t[0]))
        kwargs = dict(self.cdeint_kwargs)
        fixed = isinstance(self.solver, str) and self.solver in ("euler", "midpoint", "heun",
                                                                "ralston", "rk4")
        if fixed and "dt" not in kwargs:
            span = (X.knots[..., -1] - X.knots[..., 0]).max()
            kwargs["dt"] = float(span) / (X.knots.shape[-1] - 1) * self.step_fraction
        kwargs.setdefault("adjoint_params", tuple(self.parameters()))
        sol = cdeint(self.vector_field, X, z0, t, solver=self.solver, **kwargs)
        self.last_solution = sol
        zs = sol.ys
        return self.readout(zs) if return_sequences else self.readout(zs[-1])
