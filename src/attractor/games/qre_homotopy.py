"""The principal branch of logit QRE, traced from ``lambda = 0``, and the Nash equilibrium at its end.

The logit QRE correspondence ``{(w, lambda) : H(w, lambda) = 0}`` with
``H(w, lambda) = w - log_softmax(lambda u(softmax(w)))`` (``w`` the log-probabilities) contains
a unique branch through the uniform profile at ``lambda = 0``; for generic games it is a smooth
curve whose limit as ``lambda -> infinity`` is a Nash equilibrium (McKelvey & Palfrey 1995;
Turocy, GEB 51, 2005).  It is followed by multi-point pseudo-arclength continuation with
block Newton correctors (:class:`attractor.games.qre_trace.LogitTrace`), in float64 on the
host; results are returned in the game's dtype and on its device.

For Nash equilibria (:func:`qre_nash`) the trace is cut short: the support suggested by the
current point is tried -- the indifference conditions on it are solved by Newton's method
(:func:`attractor.games.indifference.solve_supports`) and the solution accepted when it is a
Nash equilibrium (non-negative, no profitable deviation) towards which the branch is heading.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import torch

from attractor._core.errors import ConvergenceError
from attractor._core.status import Status
from attractor._core.validation import check_choice, check_int, check_positive
from attractor.games.game import NormalFormGame, check_game
from attractor.games.indifference import solve_supports
from attractor.games.logit_map import split
from attractor.games.profiles import Profile
from attractor.games.qre_trace import LogitTrace

# polishing: try supports once max |lambda dx/dlambda| <= vmax, accept a solution within gmax (inf
# norm) of the current point, retry a support after lambda grew by the factor retry.  (With
# gmax = 0.1, 2 of ~1100 random 3-4 player games ended at an equilibrium that the branch passes
# within 0.1 of, heading to it, before it turns away; none with 0.07.)
POLISH = {"vmax": 0.2, "gmax": 0.07, "retry": 2.0}
PURE_GAIN_TOL = 1e-12  # a pure profile is a Nash equilibrium when no deviation gains more (scaled payoffs)


@dataclasses.dataclass
class QREPath:
    """Points of the principal logit QRE branch.

    Attributes
    ----------
    lambdas: precisions ``lambda`` (in the game's payoff units) at the accepted points, (K,);
        the last one is ``lambda_max`` on success.
    profiles: per-player tensors of shape (K, a_i) (the game's dtype and device).
    steps: points after the first (``K - 1``); ``rejected``: corrector calls none of whose
        points was accepted (retried with shorter spacing).
    nfe: Newton iterations of the corrector (each covers all points of a call).
    status: ``Status.SUCCESS`` when ``lambda_max`` was reached, else why the trace stopped.
    """

    lambdas: torch.Tensor
    profiles: Profile
    steps: int
    rejected: int
    nfe: int
    status: Status

    def profile_at(self, k: int) -> Profile:
        return tuple(x[k] for x in self.profiles)


def logit_homotopy(
    game: NormalFormGame,
    *,
    lambda_max: float = 1e3,
    max_steps: int = 2000,
    first_step: float = 0.5,
    max_accel: float = 4.0,
    points: int = 8,
    tol: float = 1e-10,
    max_corrector_steps: int = 8,
    on_failure: str = "raise",
) -> QREPath:
    """Trace the principal logit QRE branch from ``lambda = 0`` to ``lambda_max``.

    ``lambda_max`` is in the game's payoff units (the QRE at temperature ``1 / lambda``);
    ``max_steps`` caps the accepted points, ``points`` is the number of points solved per
    corrector call (see :class:`attractor.games.qre_trace.LogitTrace` for the others).
    The last point lies exactly at ``lambda_max`` (the branch's first crossing, solved with
    ``lambda`` fixed).  Returns every accepted point as a :class:`QREPath` (the game's dtype
    and device; the trace itself runs in float64 on the host).
    """
    check_game(game)
    on_failure = check_choice("on_failure", on_failure, ["raise", "status"])
    lambda_max = check_positive("lambda_max", lambda_max)
    max_steps = check_int("max_steps", max_steps)
    trace = LogitTrace(game.payoffs, first_step=check_positive("first_step", first_step),
                       max_accel=check_positive("max_accel", max_accel), points=check_int("points", points),
                       tol=check_positive("tol", tol),
                       max_corrector_steps=check_int("max_corrector_steps", max_corrector_steps))
    blocks, count = [trace.z[None]], 0
    target = lambda_max * trace.span
    status = Status.MAX_STEPS
    while count < max_steps:
        accepted = trace.step(limit=max_steps - count)
        if not len(accepted):
            status = Status.STEP_SIZE_TOO_SMALL
            break
        beyond = np.flatnonzero(accepted[:, -1] >= target)
        if len(beyond):
            k = int(beyond[0])
            z_a = accepted[k - 1] if k else blocks[-1][-1]
            z, ok = trace.land(z_a, accepted[k], target)
            blocks += [accepted[:k], z[None]]
            status = Status.SUCCESS if ok else Status.DIVERGED
            break
        blocks.append(accepted)
        count += len(accepted)
    path = _make_path(game, trace, np.concatenate(blocks), status)
    if status != Status.SUCCESS and on_failure == "raise":
        raise ConvergenceError(
            f"logit_homotopy stopped at lambda={float(path.lambdas[-1]):.4g} < lambda_max={lambda_max:g}: "
            f"{status.name} after {path.steps} steps ({trace.rejected} rejected).",
            status=torch.tensor(int(status)), diagnostics={"lambda": path.lambdas[-1]}, solution=path,
        )
    return path


def _make_path(game: NormalFormGame, trace: LogitTrace, Z: np.ndarray, status: Status) -> QREPath:
    like = game.payoffs.detach()
    lambdas = torch.from_numpy(Z[:, -1] / trace.span).to(device=like.device, dtype=like.dtype)
    profiles = trace.game.unpad(trace.profile(Z), like)
    return QREPath(lambdas, profiles, len(Z) - 1, trace.rejected, trace.nfe, status)


def branch_start(game: NormalFormGame, lambdas: torch.Tensor) -> torch.Tensor:
    """Log-profiles on the principal branch at each precision in ``lambdas`` (game units).

    The branch is traced up to the largest one; each target is landed on exactly at its first
    crossing (:meth:`LogitTrace.land`).  Flattened to (len(lambdas), sum a_i), in the game's
    dtype and on its device.  If the trace stalls, the remaining targets start from its last
    point (the caller's fixed-point solve reports whether that converges).
    """
    trace = LogitTrace(game.payoffs, tol=1e-9)
    targets = (lambdas.detach().to("cpu", torch.float64).numpy() * trace.span).tolist()
    out: list[np.ndarray | None] = [None] * len(targets)
    previous = trace.z
    while any(o is None for o in out):
        accepted = trace.step()
        if not len(accepted):
            break
        for z in accepted:
            for k, target in enumerate(targets):
                if out[k] is None and z[-1] >= target:
                    out[k] = trace.land(previous, z, target)[0]
            previous = z
    w, _ = split(trace.game, np.stack([trace.z if o is None else o for o in out]))
    return torch.cat(trace.game.unpad(w, game.payoffs.detach()), -1)


# ---------------------------------------------------------------------------- Nash by QRE
def _branch_velocity(trace: LogitTrace) -> tuple[np.ndarray, np.ndarray]:
    """``lambda dw/dlambda`` and ``lambda dx/dlambda`` (padded (n, A)) at the current point
    (where ``lambda`` is rising)."""
    g = trace.game
    dw = trace.t[:-1].reshape(g.n, g.A) * (trace.lam / trace.t[-1])
    x = trace.profile()
    return dw, x * (dw - (x * dw).sum(-1, keepdims=True))


def _candidate_support(trace: LogitTrace, dw: np.ndarray, slope_tol: float) -> bytes:
    """The support the current point of the branch suggests, as the bytes of an (n, A) bool
    mask (padded actions are never in a support).

    Along the branch ``w_a ~ -lambda Delta_a`` for an action that is not in the support of the
    limit equilibrium, so ``lambda dw_a/dlambda ~ -lambda Delta_a`` separates such actions long
    before their probability is small, while a support action has ``lambda dw_a/dlambda ->
    (x*_a - x_a) / x_a > -1``.  (A second guess by a probability threshold was dropped: on
    272 random games it found the equilibrium first twice and cost a failed solve on most.)
    """
    return ((dw > -slope_tol) & trace.game.real).tobytes()


def qre_nash(
    game: NormalFormGame,
    *,
    lambda_max: float = 1e8,
    max_steps: int = 5000,
    first_step: float = 0.5,
    max_accel: float = 4.0,
    points: int = 8,
    polish_from: float = 5.0,
    slope_tol: float = 1.0,
    heading: float = 0.8,
    tol: float = 1e-4,
    return_info: bool = False,
) -> Profile | tuple[Profile, dict]:
    """The Nash equilibrium at the end of the principal logit QRE branch.

    The branch is traced (see :func:`logit_homotopy`; ``lambda`` in units of 1 / payoff range).
    After each corrector call that ends at ``lambda >= polish_from`` with ``lambda`` rising
    and ``max |lambda dx/dlambda| <= 0.2``, the support that the last point suggests (see
    :func:`_candidate_support`) is tried by solving its indifference conditions
    (:func:`_polish`) -- a support without a Nash solution again only after ``lambda``
    doubles; a Nash equilibrium which the branch is heading to (see :func:`_heading_to`;
    cosine at least ``heading``) ends the trace.  The trace only guides the polish, so its
    corrector tolerance ``tol`` is loose.  Raises :class:`attractor.ConvergenceError` if
    none is confirmed by ``lambda_max`` or ``max_steps`` accepted points.  Returns tensors in
    the game's dtype on its device (and, with ``return_info``, a dict of the work done:
    accepted ``steps`` (points), corrector ``calls``, ``rejected`` calls, ``nfe`` Newton
    iterations of the corrector and of the indifference systems, ``polishes`` (supports
    tried) and the scaled ``lambda`` reached).
    """
    check_game(game)
    trace = LogitTrace(game.payoffs, first_step=check_positive("first_step", first_step),
                       points=check_int("points", points), max_accel=check_positive("max_accel", max_accel),
                       tol=check_positive("tol", tol))
    tried: dict[bytes, float] = {}  # support -> lambda at which it was last checked
    solutions: dict[bytes, np.ndarray] = {}  # support -> its latest Nash solution
    polishes = 0
    while trace.steps < max_steps and trace.lam < lambda_max:
        if not len(trace.step()):
            break
        if trace.lam < polish_from or trace.t[-1] <= 0:
            continue
        dw, dx = _branch_velocity(trace)
        if np.abs(dx).max() > POLISH["vmax"]:  # still far from the end of the branch
            continue
        key = _candidate_support(trace, dw, slope_tol)
        found = solutions.get(key)
        # a Nash solution found on this support before is checked again at no cost; the support
        # is solved again from the current point (Newton may reach another root) once lambda doubled
        if found is None or not _heading_to(trace, found, dx, heading):
            if trace.lam < POLISH["retry"] * tried.get(key, 0.0):
                continue
            tried[key] = trace.lam
            polishes += 1
            found = _polish(trace, key)
            if found is None:
                continue
            solutions[key] = found
            if not _heading_to(trace, found, dx, heading):
                continue
        info = {"steps": trace.steps, "calls": trace.calls, "rejected": trace.rejected,
                "nfe": trace.nfe, "polishes": polishes, "lambda": trace.lam}
        profile = trace.game.unpad(found, game.payoffs.detach())
        return (profile, info) if return_info else profile
    raise ConvergenceError(
        f"qre_nash: no Nash equilibrium confirmed along the logit branch (stopped at scaled lambda="
        f"{trace.lam:.4g} after {trace.steps} steps, {trace.rejected} rejected).",
        status=torch.tensor(int(Status.MAX_STEPS)), diagnostics={"lambda": trace.lam / trace.span},
    )


def _polish(trace: LogitTrace, key: bytes) -> np.ndarray | None:
    """The solution (padded (n, A)) of the indifference conditions on the support ``key``
    from the current point, when it is a Nash equilibrium (else None).

    A support on which some player has more free probabilities (``|S_i| - 1``) than all the
    others together is skipped: player ``i``'s indifference rows involve only the others'
    probabilities, so together with the others' sum rows they are more rows than those columns
    hold and the Jacobian is singular everywhere -- Newton has no isolated solution to find (in
    a generic game none at all; e.g. one player mixing while everybody else plays pure).
    """
    g = trace.game
    support = np.frombuffer(key, dtype=bool).reshape(1, g.n, g.A)
    free = support[0].sum(-1) - 1
    if free.min() < 0 or 2 * free.max() > free.sum():
        return None
    if free.max() == 0:  # a pure profile: nothing to solve, only the deviations to check
        x = support[0].astype(np.float64)
        v = g.values(x)
        return x if ((v + g.bias).max(-1) - (x * v).sum(-1)).max() <= PURE_GAIN_TOL else None
    x, nash, nfe = solve_supports(g, trace.profile(), support)
    trace.nfe += nfe
    return x[0] / np.maximum(x[0].sum(-1, keepdims=True), 1e-300) if nash[0] else None


def _heading_to(trace: LogitTrace, equilibrium: np.ndarray, velocity: np.ndarray, heading: float) -> bool:
    """Whether the branch is heading from its current point to the Nash equilibrium
    ``equilibrium`` (n, A).

    Near its end the branch approaches its limit ``x*`` like ``c / lambda`` (mixed components)
    or ``exp(-lambda Delta)`` (the others), so ``velocity = lambda dx/dlambda`` points from
    ``x`` towards ``x*``: the equilibrium is accepted when the cosine between them is at least
    ``heading`` and ``||x* - x||_inf`` is small.
    """
    gap = (equilibrium - trace.profile()).reshape(-1)
    v = velocity.reshape(-1)
    cosine = float(gap @ v) / max(math.sqrt(float(gap @ gap) * float(v @ v)), 1e-300)
    return float(np.abs(gap).max()) <= POLISH["gmax"] and cosine >= heading
