"""The logit quantal response equilibrium as a fixed point with implicit gradients.

At temperature ``T`` (precision ``lambda = 1/T``) each player plays a softmax response to the
others (McKelvey & Palfrey, GEB 10, 1995):

    x_i = softmax(u_i(x_{-i}) / T),    i = 0..n-1.

In log coordinates ``w_i = log x_i`` this is the fixed point ``w = F(w)`` with
``F_i(w) = log_softmax(u_i(softmax(w)_{-i}) / T)``, solved by :func:`attractor.fixed_point`
(Newton by default).  Its implicit gradients (implicit function theorem) flow to the payoffs and
the temperature, so games can be designed by gradient descent on a QRE.

At high temperature the map is a contraction and any start works.  At low temperature a game
may have several QRE; ``start="homotopy"`` selects the one on the principal branch -- the branch
that starts at the uniform profile at ``T = infinity`` -- by tracing it with the same
continuation as :func:`attractor.games.logit_homotopy` (float64, on the host), landing exactly
on each requested temperature, and then solving the fixed point there (one or two Newton steps;
this solve is what carries the implicit gradients).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from attractor._core.validation import check_choice
from attractor.games.game import NormalFormGame, action_values, check_game
from attractor.games.profiles import Profile


def _softmax_parts(w: torch.Tensor, num_actions: Sequence[int]) -> list[torch.Tensor]:
    return [torch.softmax(p, -1) for p in torch.split(w, list(num_actions), -1)]


def log_response(w: torch.Tensor, payoffs: torch.Tensor, lam: torch.Tensor) -> torch.Tensor:
    """``F(w)``: the log of the logit response to the profile ``softmax(w)``.

    ``w`` is ``(*batch, sum a_i)``; ``lam`` (precision) broadcasts against ``(*batch, 1)``.
    """
    num_actions = payoffs.shape[1:]
    values = action_values(payoffs, _softmax_parts(w, num_actions))
    return torch.cat([torch.log_softmax(lam * v, -1) for v in values], -1)


def logit_response(game: NormalFormGame, profile: Any, temperature: float | torch.Tensor) -> Profile:
    """Each player's logit (softmax) response ``softmax(u_i(x_{-i}) / T)`` to ``profile``."""
    profile = game.check_profile(profile)
    T = _check_temperature(temperature, game)
    values = game.action_values(profile, check=False)
    return tuple(torch.softmax(v / T.unsqueeze(-1), -1) for v in values)


def _check_temperature(temperature: Any, game: NormalFormGame) -> torch.Tensor:
    if isinstance(temperature, torch.Tensor):
        if not temperature.is_floating_point():
            raise ValueError(f"`temperature` must be a floating-point tensor; got {temperature.dtype}.")
        if temperature.dim() > 1:
            raise ValueError(
                f"`temperature` must be a scalar or a 1-D batch of temperatures; got shape {tuple(temperature.shape)}."
            )
        T = temperature
    elif isinstance(temperature, (int, float)) and not isinstance(temperature, bool):
        T = torch.tensor(float(temperature), dtype=game.dtype, device=game.device)
    else:
        raise TypeError(f"`temperature` must be a positive float or tensor; got {type(temperature).__name__}.")
    if not bool(torch.isfinite(T).all()) or bool((T <= 0).any()):
        raise ValueError(f"`temperature` must be positive and finite; got {T.detach().cpu().tolist()}.")
    return T


def qre(
    game: NormalFormGame,
    temperature: float | torch.Tensor,
    *,
    x0: Profile | None = None,
    start: str = "auto",
    solver: Any = "newton",
    tol: float | None = None,
    max_steps: int = 50,
    backward: str = "implicit",
    on_failure: str = "raise",
    return_solution: bool = False,
) -> Profile | tuple[Profile, Any]:
    """The logit QRE of ``game`` at ``temperature`` (a float, or a 1-D tensor for a batch).

    Parameters
    ----------
    game:
        The game; its payoffs may require gradients.
    temperature:
        ``T > 0``; a tensor may require gradients.  A 1-D tensor solves one QRE per entry.
    x0:
        Starting profile (overrides ``start``).
    start:
        ``"uniform"``, ``"homotopy"`` (follow the principal branch from ``T = inf``; selects
        the principal QRE when there are several) or ``"auto"`` (uniform when
        ``payoff range / T <= 2``, where the logit map contracts, else homotopy).
    solver, tol, max_steps, backward, on_failure:
        Passed to :func:`attractor.fixed_point` (``solver="newton"`` converges quadratically
        from a close start; ``"anderson"`` and ``"picard"`` suit high temperatures).
    return_solution:
        Also return the :class:`attractor.equilibrium.EquilibriumSolution` (residual, status,
        steps) of the log-space fixed point.

    Returns
    -------
    The profile ``(x_0, ..., x_{n-1})`` with the temperature's batch shape, differentiable with
    respect to the payoffs and the temperature by implicit gradients.
    """
    from attractor.equilibrium import fixed_point

    check_game(game)
    start = check_choice("start", start, ["auto", "uniform", "homotopy"])
    T = _check_temperature(temperature, game).to(game.dtype)
    lam = 1.0 / T
    batch = tuple(T.shape)
    if x0 is not None:
        x0 = game.check_profile(x0, "x0")
        w0 = torch.cat([x.detach().clamp_min(torch.finfo(game.dtype).tiny).log() for x in x0], -1)
        w0 = w0.expand(*batch, w0.shape[-1]).clone()
    else:
        span = float((game.payoffs.detach().amax() - game.payoffs.detach().amin()).clamp_min(1e-300))
        largest = float(lam.detach().max()) * span
        if start == "homotopy" or (start == "auto" and largest > 2.0):
            from attractor.games.qre_homotopy import branch_start

            w0 = branch_start(game, lam.detach().reshape(-1)).reshape(*batch, -1)
        else:
            w0 = torch.cat([torch.full((*batch, a), -float(torch.tensor(a).log()), dtype=game.dtype,
                                       device=game.device) for a in game.num_actions], -1)
    sol = fixed_point(
        log_response, w0, args=(game.payoffs, lam.unsqueeze(-1)), solver=solver, tol=tol,
        max_steps=max_steps, batch_ndim=len(batch), backward=backward, on_failure=on_failure,
    )
    profile = tuple(torch.split(sol.value, list(game.num_actions), -1))
    profile = tuple(w.exp() for w in profile)
    return (profile, sol) if return_solution else profile
