"""The principal branch of logit QRE, traced from ``lambda = 0``, and the Nash equilibrium at its end.

The logit QRE correspondence ``{(w, lambda) : H(w, lambda) = 0}`` with
``H(w, lambda) = w - log_softmax(lambda u(softmax(w)))`` (``w`` the log-probabilities) contains
a unique branch through the uniform profile at ``lambda = 0``; for generic games it is a smooth
curve whose limit as ``lambda -> infinity`` is a Nash equilibrium (McKelvey & Palfrey 1995;
Turocy, GEB 51, 2005).  It is followed by multi-point pseudo-arclength continuation with
block Newton correctors (:class:`attractor.games.qre_trace.LogitTrace`), in float64 on the
host; results are returned in the game's dtype and on its device.

For Nash equilibria (:func:`qre_nash`) the trace is cut short: the supports suggested by the
current point are tried -- the indifference conditions on a support are solved by Newton's
method (:func:`attractor.games.indifference.solve_supports`) and the solution accepted when it
is a Nash equilibrium (non-negative, no profitable deviation) towards which the branch is
heading.
"""

from __future__ import annotations

import dataclasses

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
# norm) of the current point, retry a support after lambda grew by the factor retry
POLISH = {"vmax": 0.2, "gmax": 0.1, "retry": 2.0}


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


def _candidate_supports(trace: LogitTrace, dw: np.ndarray, support_tol: float, slope_tol: float) -> list[bytes]:
    """Supports the current point of the branch suggests, as the bytes of (n, A) bool masks
    (padded actions are never in a support).

    Along the branch ``w_a ~ -lambda Delta_a`` for an action that is not in the support of the
    limit equilibrium, so ``lambda dw_a/dlambda ~ -lambda Delta_a`` separates such actions long
    before their probability is small; support actions have ``lambda dw/dlambda = O(1)``.
    The probability threshold ``x_a > support_tol`` is the second guess.
    """
    masks = ((dw > -slope_tol) & trace.game.real, trace.profile() > support_tol)
    return list(dict.fromkeys(m.tobytes() for m in masks))


def qre_nash(
    game: NormalFormGame,
    *,
    lambda_max: float = 1e8,
    max_steps: int = 5000,
    first_step: float = 0.5,
    max_accel: float = 4.0,
    points: int = 8,
    polish_from: float = 2.0,
    support_tol: float = 1e-3,
    slope_tol: float = 1.0,
    heading: float = 0.8,
    tol: float = 1e-6,
    return_info: bool = False,
) -> Profile | tuple[Profile, dict]:
    """The Nash equilibrium at the end of the principal logit QRE branch.

    The branch is traced (see :func:`logit_homotopy`; ``lambda`` in units of 1 / payoff range).
    After each corrector call that ends at ``lambda >= polish_from`` with ``lambda`` rising,
    the supports that the last point suggests (see :func:`_candidate_supports`) are tried by
    solving their indifference conditions -- each again only after ``lambda`` doubles; a
    solution that is a Nash equilibrium which the branch is heading to (see :func:`_polish`;
    cosine at least ``heading``) ends the trace.  Raises :class:`attractor.ConvergenceError` if
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
    tried: dict[bytes, float] = {}
    polishes = 0
    while trace.steps < max_steps and trace.lam < lambda_max:
        if not len(trace.step()):
            break
        if trace.lam < polish_from or trace.t[-1] <= 0:
            continue
        dw, dx = _branch_velocity(trace)
        if np.abs(dx).max() > POLISH["vmax"]:  # still far from the end of the branch
            continue
        due = [key for key in _candidate_supports(trace, dw, support_tol, slope_tol)
               if trace.lam >= POLISH["retry"] * tried.get(key, 0.0)]
        if due:
            tried.update(dict.fromkeys(due, trace.lam))
            polishes += len(due)
            found = _polish(trace, due, dx, heading)
            if found is not None:
                info = {"steps": trace.steps, "calls": trace.calls, "rejected": trace.rejected,
                        "nfe": trace.nfe, "polishes": polishes, "lambda": trace.lam}
                profile = trace.game.unpad(found, game.payoffs.detach())
                return (profile, info) if return_info else profile
    raise ConvergenceError(
        f"qre_nash: no Nash equilibrium confirmed along the logit branch (stopped at scaled lambda="
        f"{trace.lam:.4g} after {trace.steps} steps, {trace.rejected} rejected).",
        status=torch.tensor(int(Status.MAX_STEPS)), diagnostics={"lambda": trace.lam / trace.span},
    )


def _polish(trace: LogitTrace, keys: list[bytes], velocity: np.ndarray, heading: float) -> np.ndarray | None:
    """Solve the indifference conditions on the supports ``keys`` (one batched solve) from the
    current point; return the first solution (padded (n, A)) that is a Nash equilibrium the
    branch is heading to.

    Near its end the branch approaches its limit ``x*`` like ``c / lambda`` (mixed components)
    or ``exp(-lambda Delta)`` (the others), so ``velocity = lambda dx/dlambda`` points from
    ``x`` towards ``x*``: a solution is accepted when the cosine between them is at least
    ``heading`` and ``||x* - x||_inf`` is small.
    """
    g = trace.game
    profile = trace.profile()
    supports = np.stack([np.frombuffer(key, dtype=bool).reshape(g.n, g.A) for key in keys])
    x, nash, nfe = solve_supports(g, profile, supports)
    trace.nfe += nfe
    gap = (x - profile).reshape(len(keys), -1)
    v = velocity.reshape(-1)
    with np.errstate(invalid="ignore"):
        cosine = (gap @ v) / np.maximum(np.linalg.norm(gap, axis=-1) * np.linalg.norm(v), 1e-300)
        hits = np.flatnonzero(nash & (np.abs(gap).max(-1) <= POLISH["gmax"]) & (cosine >= heading))
    if not len(hits):
        return None
    found = x[hits[0]]
    return found / np.maximum(found.sum(-1, keepdims=True), 1e-300)
