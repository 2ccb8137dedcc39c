"""``cdeint``: solve ``dz = f(t, z) dX(t)`` as an ODE with :func:`attractor.odeint`.

A controlled differential equation driven by a differentiable path ``X`` is the ODE

.. math:: \\frac{dz}{dt} = f(t, z)\\, \\frac{dX}{dt}(t)

(Kidger, Morrill, Foster & Lyons, "Neural controlled differential equations for irregular time
series", NeurIPS 2020), so every ODE solver, step-size controller and adjoint of
:mod:`attractor.ode` applies unchanged. Paths whose derivative jumps at the knots (linear,
rectilinear) are integrated piece by piece between knots, each piece with the one-sided
derivative of its own interval, so fixed-step solvers stay exact in the knots and adaptive
ones do not waste steps locating kinks.
"""

from __future__ import annotations

import itertools

import torch

from attractor._core.errors import raise_if_failed
from attractor._core.validation import check_callable, check_choice, check_tensor
from attractor.cde.interpolation.base import AbstractInterpolation
from attractor.ode.odeint import odeint
from attractor.ode.solution import ODESolution


class CDEField:
    """``(t, z) -> f(t, z) @ dX/dt``, optionally pinned to one knot interval of ``X``."""

    def __init__(self, f, X: AbstractInterpolation, z_shape, interval: int | None = None):
        self.f = f
        self.X = X
        self.z_shape = tuple(z_shape)
        self.interval = interval
        self.checked = False

    def __call__(self, t, z, *args):
        if self.interval is not None:
            dX = self.X.derivative_on(self.interval, t)
        elif t.dim() > 0:  # per-sample times from odeint(per_sample=True)
            dX = self.X.derivative(t.reshape(self.X.batch_shape), per_sample=True)
        else:
            dX = self.X.derivative(t)
        F = self.f(t, z, *args)
        if not self.checked:
            expected = self.z_shape + (self.X.channels,)
            if not isinstance(F, torch.Tensor) or tuple(F.shape) != expected:
                got = tuple(F.shape) if isinstance(F, torch.Tensor) else type(F).__name__
                raise ValueError(f"`f` returned {got}; expected a tensor of shape {expected} "
                                 f"(z0's shape + X's {self.X.channels} channels).")
            self.checked = True
        return (F @ dX.unsqueeze(-1)).squeeze(-1)


def _check_path(X, z0):
    if not isinstance(X, AbstractInterpolation):
        raise TypeError(
            f"`X` must be a control path from attractor.cde (e.g. NaturalCubicSpline(x, t)); got "
            f"{type(X).__name__}. Build one from your observations first."
        )
    for c in X.coeffs:
        if not bool(torch.isfinite(c).all()):
            raise ValueError("`X` has NaN/inf coefficients; rebuild it from observations (NaN "
                             "marks missing values there and is filled in).")
    if tuple(z0.shape[:-1]) != X.batch_shape:
        raise ValueError(f"`z0` has batch shape {tuple(z0.shape[:-1])}; `X` has batch shape "
                         f"{X.batch_shape}. Expected z0 of shape {X.batch_shape + ('hidden',)}.")


def _check_inside(t: torch.Tensor, X: AbstractInterpolation) -> None:
    """The control path is data: integrating past its first or last knot would follow an
    extrapolated polynomial, not observations, so such times are refused."""
    first, last = X.knots[..., 0].min(), X.knots[..., -1].max()
    slack = 1e-12 * float(last - first)
    if float(t[0]) < float(first) - slack or float(t[-1]) > float(last) + slack:
        raise ValueError(f"`t` spans [{float(t[0]):g}, {float(t[-1]):g}], beyond the knots of `X` "
                         f"[{float(first):g}, {float(last):g}]: a CDE can only be driven where the path "
                         "has data.")


def cdeint(f, X: AbstractInterpolation, z0, t=None, *, solver="tsit5", adjoint: str = "direct",
           piecewise: bool | None = None, on_failure: str = "raise", **odeint_kwargs) -> ODESolution:
    """Solve ``dz = f(t, z) dX`` from ``z(t[0]) = z0`` and return ``z`` at the times ``t``.

    Parameters
    ----------
    f:
        ``f(t, z, *args) -> (*batch, hidden, channels)``.
    X:
        The control path (:class:`LinearInterpolation`, :class:`RectilinearInterpolation`,
        :class:`NaturalCubicSpline`, :class:`HermiteCubic`), batch shape ``z0.shape[:-1]``.
    z0:
        Initial state ``(*batch, hidden)``.
    t:
        Increasing output times (default: the first and last knot of ``X``).
    solver, adjoint, **odeint_kwargs:
        Passed to :func:`attractor.odeint` (``rtol``, ``atol``, ``dt``, ``args``,
        ``adjoint_params``, ``per_sample``, ...).
    piecewise:
        Integrate knot interval by knot interval (default: for paths with jumping derivatives
        and knots shared by the batch).

    Returns
    -------
    ODESolution with ``ys`` of shape ``(len(t), *z0.shape)``.
    """
    check_callable("f", f)
    check_tensor("z0", z0, min_dim=1)
    _check_path(X, z0)
    on_failure = check_choice("on_failure", on_failure, ("raise", "status"))
    if t is None:
        t = X.knots[[0, -1]] if X.knots.dim() == 1 else X.interval[..., :].reshape(-1, 2)[0]
    if not isinstance(t, torch.Tensor):
        t = torch.as_tensor(t, dtype=z0.dtype, device=z0.device)
    check_tensor("t", t, min_dim=1)
    if t.dim() != 1 or t.numel() < 2 or not bool((t[1:] > t[:-1]).all()):
        raise ValueError(f"`t` must be a strictly increasing 1-D tensor of >= 2 times; got "
                         f"{t.tolist()}.")
    _check_inside(t, X)
    if piecewise is None:
        piecewise = (not X.smooth) and X.knots.dim() == 1
    if piecewise and X.knots.dim() != 1:
        raise ValueError("piecewise=True needs knots shared by the batch (1-D).")
    kwargs = dict(odeint_kwargs, solver=solver, adjoint=adjoint, on_failure=on_failure)
    if not piecewise:
        return odeint(CDEField(f, X, z0.shape), z0, t, **kwargs)
    return _piecewise(f, X, z0, t, kwargs, on_failure)


def _piecewise(f, X, z0, t, kwargs, on_failure) -> ODESolution:
    """One ``odeint`` per knot interval, each with that interval's one-sided derivative."""
    ts = t.tolist()
    knots = X.knots.tolist()
    inner = [k for k in knots if ts[0] < k < ts[-1]]
    breaks = sorted(set(ts) | set(inner))
    outputs = set(ts)
    last_knot = len(knots) - 2
    z, ys = z0, [z0]
    stats = {"nfe": 0, "accepted": 0, "rejected": 0}
    status = None
    for a, b in itertools.pairwise(breaks):
        interval = 0
        while interval < last_knot and knots[interval + 1] <= a:
            interval += 1
        span = torch.tensor([a, b], dtype=t.dtype, device=t.device)
        sol = odeint(CDEField(f, X, z0.shape, interval), z, span, **dict(kwargs, on_failure="status"))
        z = sol.ys[-1]
        for k in stats:
            stats[k] += sol.stats.get(k, 0) if not isinstance(sol.stats.get(k, 0), torch.Tensor) \
                else sol.stats[k]
        if "nfe_backward" in sol.stats:
            stats["nfe_backward"] = stats.get("nfe_backward", 0) + sol.stats["nfe_backward"]
        status = sol.status if status is None else torch.maximum(status, sol.status)
        if b in outputs:
            ys.append(z)
    result = ODESolution(torch.stack(ys), t, stats, status)
    if on_failure == "raise":
        raise_if_failed("cdeint", status, {"segments": len(breaks) - 1}, solution=result,
                        hint="Loosen rtol/atol, raise max_steps or use a smaller dt.")
    return result
