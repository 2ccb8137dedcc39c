"""Sink equilibria: the sink components of a game's response graph, and where noisy
replicator dynamics ends up among them.

The response graph has the pure profiles as nodes and an arc ``s -> (a, s_{-i})`` whenever the
unilateral deviation to ``a`` strictly improves player ``i``'s payoff -- to any better action
(``kind="better"``, the response graph of Biggar & Shames, "The replicator dynamic, chain
components and the response graph", ALT 2023) or only to a best response (``kind="best"``, the
best-response graph of Goemans, Mirrokni & Vetta, "Sink equilibria and convergence", FOCS 2005).
Its strongly connected components with no arc leaving them are the *sink equilibria*; a
singleton sink is a pure Nash equilibrium.  Better-response sinks contain the attractors of the
replicator dynamics' chain-recurrent set, and the probability that play starting from a prior
ends in each sink is the distribution that Papadimitriou & Piliouras ("Game dynamics as the
meaning of a game", SIGecom Exchanges 16, 2019) propose as the meaning of a game;
:func:`sink_distribution` estimates it by sampling and simulation.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
from scipy.sparse.csgraph import connected_components

from attractor._core.validation import check_choice, check_int, check_positive
from attractor.games.game import NormalFormGame, check_game
from attractor.games.profiles import Profile


def response_graph(game: NormalFormGame, kind: str = "best", *, tol: float = 0.0) -> sp.csr_matrix:
    """The response graph as a sparse ``(P, P)`` adjacency matrix over the pure profiles
    (numbered in C order of ``game.num_actions``); ``tol`` is the smallest gain counted."""
    check_game(game)
    kind = check_choice("kind", kind, ["best", "better"])
    tol = check_positive("tol", tol, allow_zero=True)
    U = game.payoffs.detach().to("cpu", torch.float64).numpy()
    shape = game.num_actions
    index = np.arange(game.num_profiles).reshape(shape)
    sources, targets = [], []
    for i, a in enumerate(shape):
        u = np.moveaxis(U[i], i, -1).reshape(-1, a)  # (others, own action)
        idx = np.moveaxis(index, i, -1).reshape(-1, a)
        gain = u[:, None, :] - u[:, :, None]  # gain[r, current, new]
        arcs = gain > tol
        if kind == "best":
            arcs &= (u >= u.max(1, keepdims=True))[:, None, :]
        r, cur, new = np.nonzero(arcs)
        sources.append(idx[r, cur])
        targets.append(idx[r, new])
    src, dst = np.concatenate(sources), np.concatenate(targets)
    P = game.num_profiles
    return sp.csr_matrix((np.ones(len(src), dtype=np.int8), (src, dst)), shape=(P, P))


@dataclasses.dataclass
class SinkEquilibria:
    """The sink components of a response graph.

    Attributes
    ----------
    sinks: one ``(k, n_players)`` long tensor of pure profiles per sink component.
    labels: strongly connected component of every pure profile, shape ``game.num_actions``.
    sink_labels: the component label of each sink (same order as ``sinks``).
    graph: the response graph (scipy sparse, profiles in C order).
    kind: ``"best"`` or ``"better"``.
    """

    sinks: list[torch.Tensor]
    labels: torch.Tensor
    sink_labels: list[int]
    graph: sp.csr_matrix
    kind: str

    @property
    def pure_nash(self) -> list[torch.Tensor]:
        """The singleton sinks: the pure Nash equilibria."""
        return [s[0] for s in self.sinks if len(s) == 1]

    def __len__(self) -> int:
        return len(self.sinks)


def sink_equilibria(game: NormalFormGame, kind: str = "best", *, tol: float = 0.0) -> SinkEquilibria:
    """The sink strongly connected components of ``game``'s response graph (``kind="best"``:
    best-response arcs only; ``"better"``: every improving deviation)."""
    graph = response_graph(game, kind, tol=tol)
    count, labels = connected_components(graph, directed=True, connection="strong")
    src, dst = graph.nonzero()
    leaving = labels[src] != labels[dst]
    is_sink = np.ones(count, dtype=bool)
    is_sink[labels[src[leaving]]] = False
    sink_labels = [int(c) for c in np.flatnonzero(is_sink)]
    sinks = []
    for c in sink_labels:
        flat = np.flatnonzero(labels == c)
        sinks.append(torch.as_tensor(np.stack(np.unravel_index(flat, game.num_actions), 1), dtype=torch.long))
    return SinkEquilibria(sinks, torch.as_tensor(labels.reshape(game.num_actions)), sink_labels, graph, kind)


@dataclasses.dataclass
class SinkDistribution:
    """Estimated limit distribution of noisy replicator dynamics over the sinks.

    Attributes
    ----------
    probabilities: fraction of the samples that ended in each sink (same order as
        ``sinks.sinks``), shape (n_sinks,).
    stderr: binomial standard errors of those fractions.
    unassigned: fraction of samples whose end state lies in no sink (still travelling, or
        near an interior rest point such as a mixed equilibrium).
    assignment: per-sample sink index (``-1`` for unassigned), shape (samples,).
    sinks: the :class:`SinkEquilibria` used.
    """

    probabilities: torch.Tensor
    stderr: torch.Tensor
    unassigned: float
    assignment: torch.Tensor
    sinks: SinkEquilibria


def sink_distribution(
    game: NormalFormGame,
    *,
    prior: str | Callable[[int, torch.Generator], Profile] = "uniform",
    samples: int = 256,
    t_final: float = 100.0,
    mutation: float = 1e-4,
    noise: float = 0.02,
    segments: int = 20,
    window: float = 0.25,
    kind: str = "better",
    seed: int = 0,
    solver: Any = "tsit5",
    rtol: float = 1e-6,
    atol: float = 1e-9,
) -> SinkDistribution:
    """Estimate where noisy replicator dynamics started from ``prior`` settles among the sinks.

    ``samples`` starting profiles are drawn from ``prior`` (``"uniform"``: each strategy flat
    Dirichlet on its simplex; or a callable ``(samples, generator) -> profile``).  Each follows
    the replicator-mutator flow (mutation rate ``mutation``, :func:`attractor.odeint`, batched
    over the samples) for ``t_final`` time units in ``segments`` legs; after every leg the log
    shares receive Gaussian shocks of standard deviation ``noise * sqrt(leg length)``.  A
    sample belongs to the sink that contains the pure profile its strategies point at (the
    argmax action of every player) most often over the last ``window`` fraction of the legs.
    """
    from attractor.games.dynamics.flows import ReplicatorField
    from attractor.ode import odeint

    check_game(game)
    samples = check_int("samples", samples)
    segments = check_int("segments", segments)
    t_final = check_positive("t_final", t_final)
    mutation = check_positive("mutation", mutation, allow_zero=True)
    noise = check_positive("noise", noise, allow_zero=True)
    sinks = sink_equilibria(game, kind)
    gen = torch.Generator().manual_seed(int(seed))
    if prior == "uniform":
        x0 = tuple(x.to(game.device) for x in game.to("cpu").random_profile((samples,), generator=gen))
    elif callable(prior):
        x0 = game.check_profile(prior(samples, gen), "prior(samples, generator)")
    else:
        raise ValueError(f"`prior` must be 'uniform' or a callable (samples, generator) -> profile; got {prior!r}.")
    field = ReplicatorField(game.payoffs, game.num_actions, mutation)
    z = torch.cat([x.to(game.dtype) for x in x0], -1)
    leg = t_final / segments
    times = torch.tensor([0.0, leg], dtype=game.dtype, device=game.device)
    labels = sinks.labels.reshape(-1).to(game.device)
    watch = max(1, math.ceil(window * segments))
    votes = torch.zeros(samples, labels.max().item() + 1, dtype=torch.long, device=game.device)
    strides = torch.tensor(np.cumprod((1,) + game.num_actions[:0:-1])[::-1].copy(), device=game.device)
    for k in range(segments):
        z = odeint(field, z, times, solver=solver, rtol=rtol, atol=atol, batch_ndim=1).ys[-1]
        parts = torch.split(z, list(game.num_actions), -1)
        if noise:
            shocks = torch.randn(z.shape, generator=gen, dtype=game.dtype).to(game.device)
            w = z.clamp_min(torch.finfo(game.dtype).tiny).log() + noise * math.sqrt(leg) * shocks
            parts = [torch.softmax(p, -1) for p in torch.split(w, list(game.num_actions), -1)]
            z = torch.cat(parts, -1)
        if k >= segments - watch:
            pure = torch.stack([p.argmax(-1) for p in parts], -1)
            votes[torch.arange(samples, device=game.device), labels[(pure * strides).sum(-1)]] += 1
    component = votes.argmax(-1)
    order = {c: j for j, c in enumerate(sinks.sink_labels)}
    assignment = torch.tensor([order.get(int(c), -1) for c in component.tolist()], dtype=torch.long)
    counts = torch.stack([(assignment == j).sum() for j in range(len(order))]) if order else torch.zeros(0)
    p = counts.to(torch.float64) / samples
    return SinkDistribution(
        probabilities=p,
        stderr=(p * (1 - p) / samples).sqrt(),
        unassigned=float((assignment < 0).to(torch.float64).mean()),
        assignment=assignment,
        sinks=sinks,
    )
