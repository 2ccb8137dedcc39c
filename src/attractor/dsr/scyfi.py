"""SCYFI: all fixed points and cycles of a piecewise-linear map, with their stability."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from attractor._core.validation import check_int


@dataclass
class Cycle:
    """A periodic orbit of minimal period ``period``: its ``points`` ``(period, M)``, the
    ``eigenvalues`` of the product of the Jacobians around it (the multipliers), and whether
    it is ``stable`` (all multipliers inside the unit circle)."""

    points: torch.Tensor
    eigenvalues: torch.Tensor
    stable: bool

    @property
    def period(self) -> int:
        return self.points.shape[0]

    @property
    def kind(self) -> str:
        inside = self.eigenvalues.abs() < 1
        return "stable" if bool(inside.all()) else "unstable" if not bool(inside.any()) else "saddle"


def scyfi(
    model,
    order: int = 1,
    *,
    n_init: int = 1000,
    max_iter: int = 50,
    tol: float | None = None,
    generator: torch.Generator | None = None,
) -> list[Cycle]:
    r"""Fixed points (``order=1``) or cycles of minimal period ``order`` of a piecewise-linear
    model by SCYFI (Eisenmann, Monfared, Göring & Durstewitz, "Bifurcations and loss jumps in
    RNN training", NeurIPS 2023).

    In each linear region :math:`D` the map is affine, :math:`z \mapsto M_D z + c_D`; for a
    guessed sequence of regions :math:`D_1, \dots, D_k` the only candidate ``k``-periodic point
    solves :math:`z = P z + q` with :math:`(P, q)` the composition of the ``k`` affine maps.
    If the true orbit of that candidate visits exactly those regions it is a cycle; otherwise
    the regions it did visit become the next guess. ``n_init`` random region sequences run
    this iteration at once (batched), for at most ``max_iter`` rounds each. Duplicates,
    cyclic shifts and orbits of a smaller period are removed.

    ``model`` needs ``pattern(z) -> bool (*, K)``, ``affine(pattern) -> (M_D, c_D)`` and
    ``step`` (every piecewise-linear model of :mod:`attractor.dsr.models`). Like the original
    algorithm this is a randomized search: more initialisations find more of the cycles of a
    large model; for small models it finds all of them (tested against enumeration of the
    regions).
    """
    for name in ("pattern", "affine", "step"):
        if not callable(getattr(model, name, None)):
            raise TypeError(f"`model` must be piecewise linear with `pattern`, `affine` and `step`; {type(model).__name__} has no `{name}`.")
    k = check_int("order", order, minimum=1)
    n_init = check_int("n_init", n_init, minimum=1)
    max_iter = check_int("max_iter", max_iter, minimum=1)
    param = next(iter(model.parameters()), None)
    dtype = param.dtype if param is not None else torch.get_default_dtype()
    device = param.device if param is not None else None
    tol = (1e-8 if dtype == torch.float64 else 1e-4) if tol is None else tol
    M = model.latent_dim
    with torch.no_grad():
        K = model.pattern(torch.zeros(1, M, dtype=dtype, device=device)).shape[-1]
        regions = torch.rand(n_init, k, K, generator=generator).to(device) < 0.5
        found: list[torch.Tensor] = []
        active = torch.ones(n_init, dtype=torch.bool, device=device)
        for _ in range(max_iter):
            idx = active.nonzero().squeeze(1)
            if idx.numel() == 0:
                break
            candidate, ok = _candidate(model, regions[idx], dtype)
            orbit = _orbit(model, candidate, k)  # (n, k, M): z*, F(z*), ...
            visited = model.pattern(orbit)
            consistent = ok & (visited == regions[idx]).all(-1).all(-1)
            closes = (model.step(orbit[:, -1]) - candidate).abs().amax(-1) <= tol * (1 + candidate.abs().amax(-1))
            hit = consistent & closes
            if bool(hit.any()):
                found.append(orbit[hit])
            # samples that failed keep searching from the regions they actually visited;
            # a singular system or an escaping orbit restarts from random regions
            retry = ~hit
            fresh = torch.rand(int((~ok).sum()), k, K, generator=generator).to(device) < 0.5
            new_regions = visited.clone()
            new_regions[~ok] = fresh
            regions[idx[retry]] = new_regions[retry]
            active[idx[hit]] = False
        return _unique_cycles(model, torch.cat(found) if found else torch.empty(0, k, M, dtype=dtype), k, tol)


def _candidate(model, regions: torch.Tensor, dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """The fixed point of the composed affine maps of each region sequence ``(n, k, K)``."""
    n, k, _ = regions.shape
    mats, offsets = model.affine(regions)  # (n, k, M, M), (n, k, M)
    M = mats.shape[-1]
    P = torch.eye(M, dtype=dtype, device=mats.device).expand(n, M, M)
    q = torch.zeros(n, M, dtype=dtype, device=mats.device)
    for t in range(k):
        P = mats[:, t] @ P
        q = (mats[:, t] @ q.unsqueeze(-1)).squeeze(-1) + offsets[:, t]
    eye = torch.eye(M, dtype=dtype, device=mats.device)
    z, info = torch.linalg.solve_ex(eye - P, q)
    ok = (info == 0) & torch.isfinite(z).all(-1)
    return torch.where(ok[:, None], z, torch.zeros_like(z)), ok


def _orbit(model, z: torch.Tensor, k: int) -> torch.Tensor:
    points = [z]
    for _ in range(k - 1):
        points.append(model.step(points[-1]))
    return torch.stack(points, dim=1)


def _unique_cycles(model, orbits: torch.Tensor, k: int, tol: float) -> list[Cycle]:
    cycles: list[Cycle] = []
    scale = 1 + (orbits.abs().amax() if orbits.numel() else 0)
    for orbit in orbits:
        if _minimal_period(orbit, tol * scale) < k:
            continue
        if any(_same_cycle(orbit, c.points, tol * scale) for c in cycles):
            continue
        jac = model.jacobian(orbit)  # (k, M, M)
        P = torch.eye(orbit.shape[-1], dtype=orbit.dtype, device=orbit.device)
        for t in range(k):
            P = jac[t] @ P
        eig = torch.linalg.eigvals(P)
        eig = eig[torch.argsort(eig.abs(), descending=True)]
        cycles.append(Cycle(orbit.clone(), eig, bool((eig.abs() < 1).all())))
    return cycles


def _minimal_period(orbit: torch.Tensor, tol: float) -> int:
    k = orbit.shape[0]
    for j in range(1, k):
        if k % j == 0 and bool((orbit[j] - orbit[0]).abs().amax() <= tol):
            return j
    return k


def _same_cycle(a: torch.Tensor, b: torch.Tensor, tol: float) -> bool:
    return any(bool((torch.roll(a, s, 0) - b).abs().amax() <= tol) for s in range(a.shape[0]))


def symbolic_code(model, z: torch.Tensor) -> torch.Tensor:
    """The linear subregion of each state (``(T, ..., M)``), as an integer: the binary number
    of its ReLU pattern (unit ``j`` on adds ``2^j``). For an :class:`~attractor.dsr.ALRNN`
    with ``P`` ReLU units the symbols lie in ``[0, 2^P)`` (Brenner et al., NeurIPS 2024)."""
    if not callable(getattr(model, "pattern", None)):
        raise TypeError(f"`model` must be piecewise linear with a `pattern` method; got {type(model).__name__}.")
    with torch.no_grad():
        p = model.pattern(z).long()
    if p.shape[-1] > 62:
        raise ValueError(f"{p.shape[-1]} linear-region bits do not fit a 64-bit symbol; use a model with fewer ReLU units.")
    return (p * (2 ** torch.arange(p.shape[-1], device=p.device))).sum(-1)


def transition_graph(codes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The symbols visited by a code sequence ``(T,)`` and the ``(S, S)`` counts of
    transitions between them (row: from, column: to) -- the graph of the symbolic dynamics."""
    if not isinstance(codes, torch.Tensor) or codes.dim() != 1 or codes.dtype.is_floating_point:
        raise ValueError("`codes` must be a 1-d integer tensor of symbols (symbolic_code of one trajectory).")
    symbols, index = torch.unique(codes, return_inverse=True)
    S = symbols.numel()
    counts = torch.zeros(S * S, dtype=torch.long, device=codes.device)
    if codes.numel() > 1:
        counts.index_add_(0, index[:-1] * S + index[1:], torch.ones_like(index[1:]))
    return symbols, counts.reshape(S, S)
