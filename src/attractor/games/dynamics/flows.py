"""Continuous-time learning dynamics as :func:`attractor.odeint` flows on mixed profiles.

Each dynamic is a vector field on the concatenated profile ``z = [x_0, ..., x_{n-1}]`` (batched
over leading dimensions), integrated by :func:`attractor.odeint`; the result keeps the solution
and splits the trajectory back into per-player strategies.

* replicator (Taylor & Jonker 1978; multi-population form: Hofbauer & Sigmund, *Evolutionary
  Games and Population Dynamics*, 1998): ``dx_ia/dt = x_ia (u_i(a, x_{-i}) - u_i(x))``, plus an
  optional mutation term ``mu (1/a_i - x_ia)`` (replicator-mutator);
* best-response dynamics (Gilboa & Matsui 1991): ``dx_i/dt = BR_i(x) - x_i`` -- the right-hand
  side jumps, so a fixed-step solver is the default;
* logit dynamics (Fudenberg & Levine 1998): ``dx_i/dt = softmax(u_i(x_{-i}) / T) - x_i``, whose
  rest points are the logit QRE at temperature ``T``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import torch

from attractor._core.validation import check_choice, check_positive
from attractor.games.game import NormalFormGame, action_values, check_game
from attractor.games.profiles import Profile


@dataclasses.dataclass
class FlowResult:
    """A learning flow sampled at the output times.

    Attributes
    ----------
    profiles: per-player trajectories ``(len(t), *batch, a_i)`` (one tensor for the single-
        population replicator).
    ts: the output times.
    solution: the :class:`attractor.ode.ODESolution` (stats, status, dense output).
    """

    profiles: Profile
    ts: torch.Tensor
    solution: Any

    @property
    def final(self) -> Profile:
        """The profile at the last output time."""
        return tuple(x[-1] for x in self.profiles)


class _Field(torch.nn.Module):
    """A vector field on flat profiles: subclasses define ``rates(values, xs) -> list``."""

    def __init__(self, payoffs: torch.Tensor, num_actions: tuple[int, ...]) -> None:
        super().__init__()
        self.payoffs = payoffs
        self.num_actions = num_actions

    def forward(self, t: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        xs = list(torch.split(z, list(self.num_actions), -1))
        return torch.cat(self.rates(action_values(self.payoffs, xs), xs), -1)


class ReplicatorField(_Field):
    r"""``dx_ia/dt = x_ia (u_i(a) - x_i . u_i) + mu (1/a_i - x_ia)`` for every population."""

    def __init__(self, payoffs, num_actions, mutation: float = 0.0) -> None:
        super().__init__(payoffs, num_actions)
        self.mutation = mutation

    def rates(self, values, xs):
        out = []
        for u, x in zip(values, xs):
            rate = x * (u - (x * u).sum(-1, keepdim=True))
            if self.mutation:
                rate = rate + self.mutation * (1.0 / x.shape[-1] - x)
            out.append(rate)
        return out


class SymmetricReplicatorField(torch.nn.Module):
    r"""Single-population replicator of a symmetric game: every player draws from one ``x``,
    ``dx_a/dt = x_a (u(a, x, ..., x) - x . u) + mu (1/m - x_a)``."""

    def __init__(self, payoffs: torch.Tensor, mutation: float = 0.0) -> None:
        super().__init__()
        self.payoffs = payoffs
        self.mutation = mutation

    def forward(self, t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        u = action_values(self.payoffs, [x] * self.payoffs.shape[0])[0]
        rate = x * (u - (x * u).sum(-1, keepdim=True))
        if self.mutation:
            rate = rate + self.mutation * (1.0 / x.shape[-1] - x)
        return rate


class BestResponseField(_Field):
    """``dx_i/dt = BR_i(x) - x_i`` with the lowest-index best response among ties."""

    def rates(self, values, xs):
        return [torch.nn.functional.one_hot(u.argmax(-1), u.shape[-1]).to(x) - x for u, x in zip(values, xs)]


class LogitField(_Field):
    """``dx_i/dt = softmax(u_i / T) - x_i``."""

    def __init__(self, payoffs, num_actions, temperature: float | torch.Tensor) -> None:
        super().__init__(payoffs, num_actions)
        self.temperature = temperature

    def rates(self, values, xs):
        return [torch.softmax(u / self.temperature, -1) - x for u, x in zip(values, xs)]


def _start(game: NormalFormGame, x0: Any, t: Any) -> tuple[torch.Tensor, torch.Tensor, int]:
    check_game(game)
    x0 = game.check_profile(x0, "x0")
    z0 = torch.cat([x.to(game.dtype) for x in x0], -1)
    return z0, _times(t, z0), z0.dim() - 1


def _times(t: Any, like: torch.Tensor) -> torch.Tensor:
    if not isinstance(t, torch.Tensor):
        t = torch.as_tensor(t, dtype=like.dtype, device=like.device)
    return t.to(dtype=like.dtype, device=like.device)


def _integrate(field, z0, t, batch_ndim, num_actions, options) -> FlowResult:
    from attractor.ode import odeint

    sol = odeint(field, z0, t, batch_ndim=batch_ndim, **options)
    profiles = tuple(torch.split(sol.ys, list(num_actions), -1))
    return FlowResult(profiles, sol.ts, sol)


def replicator(
    game: NormalFormGame,
    x0: Profile | torch.Tensor,
    t: Any,
    *,
    populations: str = "multi",
    mutation: float = 0.0,
    solver: Any = "tsit5",
    rtol: float = 1e-8,
    atol: float = 1e-10,
    **odeint_options: Any,
) -> FlowResult:
    """Replicator dynamics of ``game`` from ``x0`` (batched) at the output times ``t``.

    ``populations="multi"`` (default): one population per player, ``x0`` a profile.
    ``populations="single"``: a symmetric game (every player has the payoff tensor of player 0
    under relabelling, e.g. ``(A, A^T)``) played within one population; ``x0`` is one
    ``(*batch, m)`` tensor (or a profile whose first entry is used).  ``mutation`` adds the
    replicator-mutator term.  Other keywords go to :func:`attractor.odeint`.
    """
    populations = check_choice("populations", populations, ["multi", "single"])
    mutation = check_positive("mutation", mutation, allow_zero=True)
    options = {"solver": solver, "rtol": rtol, "atol": atol, **odeint_options}
    if populations == "single":
        check_game(game)
        m = game.num_actions[0]
        if any(a != m for a in game.num_actions):
            raise ValueError(f"the single-population replicator needs a symmetric game; got actions {game.num_actions}.")
        x = x0[0] if isinstance(x0, (tuple, list)) else x0
        (x,) = game.check_profile((x,) * game.n_players, "x0")[:1]
        x = x.to(game.dtype)
        return _integrate(SymmetricReplicatorField(game.payoffs, mutation), x, _times(t, x), x.dim() - 1, (m,), options)
    z0, t, bn = _start(game, x0, t)
    return _integrate(ReplicatorField(game.payoffs, game.num_actions, mutation), z0, t, bn, game.num_actions, options)


def best_response_dynamics(
    game: NormalFormGame, x0: Profile, t: Any, *, solver: Any = "euler", dt: float | None = None, **odeint_options: Any
) -> FlowResult:
    """Best-response dynamics from ``x0`` (batched).  The field is discontinuous where best
    responses switch, so a fixed-step solver is used (default Euler with ``dt = (t1-t0)/1000``)."""
    z0, t, bn = _start(game, x0, t)
    if dt is None and "dt0" not in odeint_options and "rtol" not in odeint_options:
        dt = float((t[-1] - t[0]).abs()) / 1000
    options = {"solver": solver, **odeint_options}
    if dt is not None:
        options["dt"] = dt
    return _integrate(BestResponseField(game.payoffs, game.num_actions), z0, t, bn, game.num_actions, options)


def logit_dynamics(
    game: NormalFormGame,
    x0: Profile,
    t: Any,
    temperature: float | torch.Tensor,
    *,
    solver: Any = "tsit5",
    rtol: float = 1e-8,
    atol: float = 1e-10,
    **odeint_options: Any,
) -> FlowResult:
    """Logit (smoothed best-response) dynamics at ``temperature`` (a float, or a tensor
    broadcastable against ``(*batch, 1)``) from ``x0`` (batched); its rest points are the logit
    QRE."""
    z0, t, bn = _start(game, x0, t)
    if isinstance(temperature, torch.Tensor):
        if bool((temperature <= 0).any()):
            raise ValueError("`temperature` must be positive.")
        T = temperature.to(z0)  # broadcastable against (*batch, 1)
    else:
        T = check_positive("temperature", temperature)
    options = {"solver": solver, "rtol": rtol, "atol": atol, **odeint_options}
    return _integrate(LogitField(game.payoffs, game.num_actions, T), z0, t, bn, game.num_actions, options)
