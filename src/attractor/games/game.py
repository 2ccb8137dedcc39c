"""The n-player normal-form game and the payoff arithmetic of mixed profiles.

A game with players ``i = 0..n-1`` and ``a_i`` actions each is a payoff tensor ``U`` of shape
``(n, a_0, ..., a_{n-1})``: ``U[i, s_0, ..., s_{n-1}]`` is player ``i``'s payoff at the pure
profile ``s``.  A mixed profile is a tuple ``(x_0, ..., x_{n-1})`` of probability tensors of
shapes ``(*batch, a_i)``; every method below is batched over the leading dimensions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from attractor.games.profiles import Profile, check_profile, uniform_profile


def _as_payoff_tensor(payoffs: Any) -> torch.Tensor:
    if isinstance(payoffs, torch.Tensor):
        if not payoffs.is_floating_point():
            raise ValueError(
                f"`payoffs` must have a floating-point dtype (float32/float64/...); got {payoffs.dtype}."
            )
        return payoffs
    try:
        tensor = torch.as_tensor(payoffs)
    except (TypeError, ValueError, RuntimeError) as exc:
        raise TypeError(
            f"`payoffs` must be a tensor or nested sequence of numbers; got {type(payoffs).__name__} ({exc})."
        ) from None
    if not tensor.is_floating_point():
        tensor = tensor.to(torch.get_default_dtype())
    return tensor


def _check_names(argname: str, names: Sequence[str] | None, count: int, default: list[str]) -> tuple[str, ...]:
    if names is None:
        return tuple(default)
    names = tuple(str(n) for n in names)
    if len(names) != count:
        raise ValueError(f"`{argname}` must have {count} entries; got {len(names)}: {list(names)}.")
    return names


class NormalFormGame:
    """An n-player game in strategic (normal) form.

    Parameters
    ----------
    payoffs:
        Tensor of shape ``(n_players, a_0, ..., a_{n-1})`` (any float dtype and device; lists
        and arrays are converted).  ``payoffs[i]`` is player ``i``'s payoff tensor.
    players:
        Optional player names (default ``"1", "2", ...`` as in Gambit).
    actions:
        Optional per-player action names (default ``"1", "2", ...``).
    title:
        Optional title, kept when writing ``.nfg`` files.

    Examples
    --------
    >>> import torch
    >>> from attractor.games import NormalFormGame
    >>> A = torch.tensor([[1.0, -1.0], [-1.0, 1.0]])
    >>> pennies = NormalFormGame.from_bimatrix(A, -A)
    >>> pennies.expected_payoffs((torch.tensor([0.5, 0.5]), torch.tensor([0.5, 0.5])))
    tensor([0., 0.])
    """

    def __init__(
        self,
        payoffs: Any,
        *,
        players: Sequence[str] | None = None,
        actions: Sequence[Sequence[str]] | None = None,
        title: str = "",
    ) -> None:
        payoffs = _as_payoff_tensor(payoffs)
        if payoffs.dim() < 2 or payoffs.shape[0] != payoffs.dim() - 1:
            raise ValueError(
                "`payoffs` must have shape (n_players, a_1, ..., a_n) with n_players = payoffs.dim() - 1 "
                f"(one payoff tensor per player); got shape {tuple(payoffs.shape)}."
            )
        if payoffs.shape[0] < 1 or any(a < 1 for a in payoffs.shape[1:]):
            raise ValueError(f"every player needs at least one action; got payoff shape {tuple(payoffs.shape)}.")
        if not bool(torch.isfinite(payoffs).all()):
            bad = int((~torch.isfinite(payoffs)).sum())
            raise ValueError(f"`payoffs` must be finite; got {bad} NaN/inf entr{'y' if bad == 1 else 'ies'}.")
        self.payoffs = payoffs
        n = payoffs.shape[0]
        self.players = _check_names("players", players, n, [str(i + 1) for i in range(n)])
        if actions is None:
            self.actions = tuple(tuple(str(k + 1) for k in range(a)) for a in payoffs.shape[1:])
        else:
            if len(actions) != n:
                raise ValueError(f"`actions` must have one list of names per player ({n}); got {len(actions)}.")
            self.actions = tuple(
                _check_names(f"actions[{i}]", names, a, [])
                for i, (names, a) in enumerate(zip(actions, payoffs.shape[1:]))
            )
        self.title = str(title)

    # ----------------------------------------------------------------------------- construction
    @classmethod
    def from_bimatrix(cls, A: Any, B: Any = None, **kwargs: Any) -> NormalFormGame:
        """A two-player game from the row player's matrix ``A`` and column player's ``B``.

        ``B=None`` gives the zero-sum game ``B = -A``.
        """
        A = _as_payoff_tensor(A)
        B = -A if B is None else _as_payoff_tensor(B).to(A)
        if A.dim() != 2 or A.shape != B.shape:
            raise ValueError(
                f"`A` and `B` must be matrices of one shape (m, n); got {tuple(A.shape)} and {tuple(B.shape)}."
            )
        return cls(torch.stack([A, B]), **kwargs)

    @classmethod
    def symmetric(cls, A: Any, **kwargs: Any) -> NormalFormGame:
        """The symmetric two-player game ``(A, A^T)``."""
        A = _as_payoff_tensor(A)
        if A.dim() != 2 or A.shape[0] != A.shape[1]:
            raise ValueError(f"`A` must be a square matrix; got shape {tuple(A.shape)}.")
        return cls.from_bimatrix(A, A.T, **kwargs)

    def with_payoffs(self, payoffs: torch.Tensor) -> NormalFormGame:
        """The same game (names, title) with new payoffs, e.g. a differentiable re-parametrization."""
        return NormalFormGame(payoffs, players=self.players, actions=self.actions, title=self.title)

    def to(self, *args: Any, **kwargs: Any) -> NormalFormGame:
        """Move/cast the payoffs like :meth:`torch.Tensor.to`."""
        return self.with_payoffs(self.payoffs.to(*args, **kwargs))

    # ---------------------------------------------------------------------------- properties
    @property
    def n_players(self) -> int:
        return self.payoffs.shape[0]

    @property
    def num_actions(self) -> tuple[int, ...]:
        """``(a_0, ..., a_{n-1})``."""
        return tuple(self.payoffs.shape[1:])

    @property
    def dtype(self) -> torch.dtype:
        return self.payoffs.dtype

    @property
    def device(self) -> torch.device:
        return self.payoffs.device

    @property
    def num_profiles(self) -> int:
        """Number of pure profiles ``prod_i a_i``."""
        count = 1
        for a in self.num_actions:
            count *= a
        return count

    def bimatrix(self) -> tuple[torch.Tensor, torch.Tensor]:
        """``(A, B)`` for a two-player game."""
        if self.n_players != 2:
            raise ValueError(f"bimatrix() needs a two-player game; this game has {self.n_players} players.")
        return self.payoffs[0], self.payoffs[1]

    def is_constant_sum(self, tol: float = 1e-12) -> bool:
        """Whether the players' payoffs sum to the same constant at every pure profile."""
        total = self.payoffs.sum(0)
        scale = 1.0 + float(self.payoffs.abs().max())
        return bool((total - total.reshape(-1)[0]).abs().max() <= tol * scale)

    def is_zero_sum(self, tol: float = 1e-12) -> bool:
        """Whether the payoffs sum to zero at every pure profile."""
        scale = 1.0 + float(self.payoffs.abs().max())
        return bool(self.payoffs.sum(0).abs().max() <= tol * scale)

    # ---------------------------------------------------------------------------- profiles
    def check_profile(self, profile: Any, name: str = "profile", *, tol: float | None = None) -> Profile:
        """Validate a mixed profile for this game (see :func:`attractor.games.check_profile`)."""
        return check_profile(profile, self.num_actions, name=name, tol=tol)

    def uniform_profile(self, batch_shape: tuple[int, ...] = ()) -> Profile:
        """Every player mixing uniformly: the centroid, where the logit QRE branch starts."""
        return uniform_profile(self.num_actions, batch_shape, dtype=self.dtype, device=self.device)

    def random_profile(
        self, batch_shape: tuple[int, ...] = (), *, generator: torch.Generator | None = None
    ) -> Profile:
        """Profiles drawn uniformly from the product of simplices (flat Dirichlet)."""
        out = []
        for a in self.num_actions:
            e = torch.empty((*batch_shape, a), dtype=self.dtype, device=self.device).exponential_(
                generator=generator
            )
            out.append(e / e.sum(-1, keepdim=True))
        return tuple(out)

    def pure_profile(self, actions: Sequence[int]) -> Profile:
        """The mixed profile that puts mass one on ``actions[i]`` for each player ``i``."""
        if len(actions) != self.n_players:
            raise ValueError(f"`actions` must name one action per player ({self.n_players}); got {list(actions)}.")
        out = []
        for i, (k, a) in enumerate(zip(actions, self.num_actions)):
            if not 0 <= int(k) < a:
                raise ValueError(f"`actions[{i}]` must lie in [0, {a}); got {k}.")
            out.append(torch.nn.functional.one_hot(torch.tensor(int(k)), a).to(self.payoffs))
        return tuple(out)

    # ---------------------------------------------------------------------------- payoffs
    def action_values(self, profile: Profile, *, check: bool = True) -> tuple[torch.Tensor, ...]:
        """``u_i(a, x_{-i})`` for every player ``i`` and action ``a``: a tuple of ``(*batch, a_i)``.

        The payoff player ``i`` gets by playing pure action ``a`` against the others' mixed
        strategies, i.e. the gradient of the expected payoff with respect to ``x_i``.
        """
        if check:
            profile = self.check_profile(profile)
        return action_values(self.payoffs, profile)

    def expected_payoffs(self, profile: Profile, *, check: bool = True) -> torch.Tensor:
        """``u_i(x)`` for each player: shape ``(*batch, n_players)``."""
        if check:
            profile = self.check_profile(profile)
        values = action_values(self.payoffs, profile)
        return torch.stack([(v * x).sum(-1) for v, x in zip(values, profile)], -1)

    def deviation_gains(self, profile: Profile, *, check: bool = True) -> torch.Tensor:
        """``max_a u_i(a, x_{-i}) - u_i(x)`` per player, shape ``(*batch, n_players)`` (all >= 0).

        Zero for every player exactly at a Nash equilibrium.
        """
        if check:
            profile = self.check_profile(profile)
        values = action_values(self.payoffs, profile)
        return torch.stack([v.amax(-1) - (v * x).sum(-1) for v, x in zip(values, profile)], -1)

    def best_responses(self, profile: Profile, *, tol: float = 0.0, check: bool = True) -> tuple[torch.Tensor, ...]:
        """Boolean masks of each player's pure best responses (within ``tol`` of the best)."""
        if check:
            profile = self.check_profile(profile)
        values = action_values(self.payoffs, profile)
        return tuple(v >= v.amax(-1, keepdim=True) - tol for v in values)

    def best_response(self, profile: Profile, *, check: bool = True) -> Profile:
        """A pure best response for each player (lowest index among ties), as one-hot profiles."""
        if check:
            profile = self.check_profile(profile)
        values = action_values(self.payoffs, profile)
        return tuple(torch.nn.functional.one_hot(v.argmax(-1), v.shape[-1]).to(v) for v in values)

    def __repr__(self) -> str:
        shape = "x".join(str(a) for a in self.num_actions)
        title = f" {self.title!r}" if self.title else ""
        return f"NormalFormGame{title}({self.n_players} players, {shape} actions, dtype={self.dtype})"

def check_game(game: Any, name: str = "game") -> NormalFormGame:
    """Raise ``TypeError`` unless ``game`` is a :class:`NormalFormGame`; return it."""
    if not isinstance(game, NormalFormGame):
        raise TypeError(f"`{name}` must be a NormalFormGame; got {type(game).__name__}.")
    return game


def _kron(a: torch.Tensor | None, b: torch.Tensor | None) -> torch.Tensor | None:
    """Batched Kronecker product of two (*batch, k) tensors; ``None`` is the empty product."""
    if a is None:
        return b
    if b is None:
        return a
    return (a.unsqueeze(-1) * b.unsqueeze(-2)).flatten(-2)


def action_values(payoffs: torch.Tensor, profile: Sequence[torch.Tensor]) -> tuple[torch.Tensor, ...]:
    """``u_i(., x_{-i})`` for all players from a raw payoff tensor (no validation).

    For ``n >= 3`` players the others' strategies are multiplied into one product distribution
    ``x_{<i} (x) x_{>i}`` from shared prefix and suffix Kronecker products, and player ``i``'s
    payoff tensor (own axis last, flattened) is applied to it: ``O(n)`` small tensor operations
    in all -- eager per-operation overhead dominates for games of this size -- and friendly to
    ``torch.func`` transforms and ``torch.compile``.
    """
    n = payoffs.shape[0]
    if n == 1:
        return (payoffs[0].expand(*profile[0].shape[:-1], -1),)
    if n == 2:
        x, y = profile
        return (
            (payoffs[0] @ y.unsqueeze(-1)).squeeze(-1),
            (x.unsqueeze(-2) @ payoffs[1]).squeeze(-2),
        )
    prefix: list[torch.Tensor | None] = [None]
    for x in profile[:-1]:
        prefix.append(_kron(prefix[-1], x))
    suffix: list[torch.Tensor | None] = [None]
    for x in reversed(profile[1:]):
        suffix.append(_kron(x, suffix[-1]))
    suffix.reverse()
    out = []
    for i in range(n):
        others = _kron(prefix[i], suffix[i])
        table = payoffs[i].movedim(i, -1).reshape(-1, payoffs.shape[1 + i])
        out.append(others @ table)
    return tuple(out)
