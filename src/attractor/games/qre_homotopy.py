"""The principal branch of logit QRE, traced from ``lambda = 0``, and the Nash equilibrium at its end.

The logit QRE correspondence ``{(w, lambda) : H(w, lambda) = 0}`` with
``H(w, lambda) = w - log_softmax(lambda u(softmax(w)))`` (``w`` the log-probabilities) contains
a unique branch through the uniform profile at ``lambda = 0``; for generic games it is a smooth
curve whose limit as ``lambda -> infinity`` is a Nash equilibrium (McKelvey & Palfrey 1995;
Turocy, GEB 51, 2005).  It is followed by multi-point pseudo-arclength continuation with
:func:`attractor.root` correctors (:class:`attractor.games.qre_trace.LogitTrace`).

For Nash equilibria (:func:`qre_nash`) the trace is cut short: the supports suggested by the
current point are tried -- the indifference conditions on a support are solved by Newton's
method (:func:`attractor.games.indifference.solve_supports`, again :func:`attractor.root`) and
the solution accepted when it is a Nash equilibrium (non-negative, no profitable deviation)
towards which the branch is heading.
"""

from __future__ import annotations

import dataclasses

import torch

from attractor._core.errors import ConvergenceError
from attractor._core.status import Status
from attractor._core.validation import check_choice, check_int, check_positive
from attractor.games.game import NormalFormGame, check_game
from attractor.games.indifference import solve_supports
from attractor.games.logit_map import split
from attractor.games.profiles import Profile
from attractor.games.qre_trace import LogitTrace

EXP = {"vmax": 0.2, "gmax": 0.1, "retry": 2.0}


@dataclasses.dataclass
class QREPath:
    """Points of the principal logit QRE branch.

    Attributes
    ----------
    lambdas: precisions ``lambda`` (in the game's payoff units) at the accepted points, (K,).
    profiles: per-player tensors of shape (K, a_i).
    steps: accepted continuation steps; ``rejected``: corrector calls none of whose trial
        steps was accepted (retried with shorter ones).
    nfe: evaluations of the corrector's Newton map (each covers all trial steps of a call).
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
    points: int = 6,
    tol: float = 1e-10,
    max_corrector_steps: int = 8,
    on_failure: str = "raise",
) -> QREPath:
    """Trace the principal logit QRE branch from ``lambda = 0`` to ``lambda_max``.

    ``lambda_max`` is in the game's payoff units (the QRE at temperature ``1 / lambda``);
    ``max_steps`` caps the accepted points, ``points`` is the number of points solved per
    corrector call (see :class:`attractor.games.qre_trace.LogitTrace` for the others).
    Returns every accepted point as a :class:`QREPath` (float64, on the game's device).
    """
    check_game(game)
    on_failure = check_choice("on_failure", on_failure, ["raise", "status"])
    lambda_max = check_positive("lambda_max", lambda_max)
    max_steps = check_int("max_steps", max_steps)
    trace = LogitTrace(game, first_step=check_positive("first_step", first_step),
                       max_accel=check_positive("max_accel", max_accel), points=check_int("points", points),
                       tol=check_positive("tol", tol),
                       max_corrector_steps=check_int("max_corrector_steps", max_corrector_steps))
    points_ = [trace.z]
    target = lambda_max * trace.span
    status = Status.MAX_STEPS
    while trace.steps < max_steps:
        if trace.lam >= target:
            status = Status.SUCCESS
            break
        accepted = trace.step(limit=max_steps - trace.steps)
        if not accepted:
            status = Status.STEP_SIZE_TOO_SMALL
            break
        points_.extend(accepted)
    if status == Status.MAX_STEPS and trace.lam >= target:
        status = Status.SUCCESS
    path = _make_path(trace, points_, status)
    if status != Status.SUCCESS and on_failure == "raise":
        raise ConvergenceError(
            f"logit_homotopy stopped at lambda={float(path.lambdas[-1]):.4g} < lambda_max={lambda_max:g}: "
            f"{status.name} after {trace.steps} steps ({trace.rejected} rejected).",
            status=torch.tensor(int(status)), diagnostics={"lambda": path.lambdas[-1]}, solution=path,
        )
    return path


def _make_path(trace: LogitTrace, points: list[torch.Tensor], status: Status) -> QREPath:
    Z = torch.stack(points)
    profiles = trace.game.unpad(trace.profile(Z))
    return QREPath(Z[:, -1] / trace.span, profiles, trace.steps, trace.rejected, trace.nfe, status)


def branch_start(game: NormalFormGame, lambdas: torch.Tensor) -> torch.Tensor:
    """Log-profiles on the principal branch at each precision in ``lambdas`` (game units).

    The branch is traced up to the largest one; each target gets the linear interpolation
    between the two path points around its first crossing, flattened to (len(lambdas),
    sum a_i) (float64 -> the game's dtype).
    """
    trace = LogitTrace(game, tol=1e-9)
    targets = (lambdas.detach().to(torch.float64) * trace.span).tolist()
    out: list[torch.Tensor | None] = [None] * len(targets)
    previous = trace.z
    while any(o is None for o in out):
        accepted = trace.step()
        if not accepted:
            break
        lams = torch.stack(accepted)[:, -1].tolist()
        for z, lam in zip(accepted, lams):
            for k, target in enumerate(targets):
                if out[k] is None and lam >= target:
                    s = (target - float(previous[-1])) / max(lam - float(previous[-1]), 1e-300)
                    out[k] = torch.lerp(previous, z, min(max(s, 0.0), 1.0))
            previous = z
    fallback = trace.z  # the trace stalled: start the final solve from its last point
    w, _ = split(trace.game, torch.stack([fallback if o is None else o for o in out]))
    return torch.cat(trace.game.unpad(w), -1).to(game.dtype)


# ---------------------------------------------------------------------------- Nash by QRE
def _branch_velocity(trace: LogitTrace) -> tuple[torch.Tensor, torch.Tensor]:
    """``lambda dw/dlambda`` and ``lambda dx/dlambda`` (padded (n, A)) at the current point
    (where ``lambda`` is rising)."""
    g = trace.game
    dw = trace.t[:-1].reshape(g.n, g.A) * (trace.lam / float(trace.t[-1]))
    x = trace.profile()
    return dw, x * (dw - (x * dw).sum(-1, keepdim=True))


def _candidate_supports(trace: LogitTrace, dw: torch.Tensor, support_tol: float, slope_tol: float) -> list[tuple]:
    """Supports the current point of the branch suggests, as tuples of per-player masks
    (padded to ``A`` actions; padded actions are never in a support).

    Along the branch ``w_a ~ -lambda Delta_a`` for an action that is not in the support of the
    limit equilibrium, so ``lambda dw_a/dlambda ~ -lambda Delta_a`` separates such actions long
    before their probability is small; support actions have ``lambda dw/dlambda = O(1)``.
    The probability threshold ``x_a > support_tol`` is the second guess.
    """
    masks = torch.stack([(dw > -slope_tol) & trace.game.mask, trace.profile() > support_tol])
    return list(dict.fromkeys(tuple(tuple(row) for row in m) for m in masks.tolist()))


def qre_nash(
    game: NormalFormGame,
    *,
    lambda_max: float = 1e8,
    max_steps: int = 5000,
    first_step: float = 0.5,
    max_accel: float = 4.0,
    points: int = 6,
    polish_from: float = 2.0,
    support_tol: float = 1e-3,
    slope_tol: float = 1.0,
    heading: float = 0.8,
    tol: float = 1e-8,
    return_info: bool = False,
) -> Profile | tuple[Profile, dict]:
    """The Nash equilibrium at the end of the principal logit QRE branch.

    The branch is traced (see :func:`logit_homotopy`; ``lambda`` in units of 1 / payoff range).
    After each corrector call that ends at ``lambda >= polish_from`` with ``lambda`` rising,
    the supports that the last point suggests (see :func:`_candidate_supports`) are tried by
    solving their indifference conditions -- the slope guess at once, the threshold guess once
    it is the same after two calls, each again only after ``lambda`` quadruples; a solution
    that is a Nash equilibrium which the branch is heading to (see :func:`_polish`; cosine at
    least ``heading``) ends the trace.  Raises :class:`attractor.ConvergenceError` if none is
    confirmed by ``lambda_max`` or ``max_steps`` accepted points.  Returns float64 tensors on
    the game's device (and, with ``return_info``, a dict of the work done: accepted ``steps``
    (points), corrector ``calls``, ``rejected`` calls, ``nfe`` evaluations of the corrector's
    and of the indifference system's Newton maps, ``polishes`` (supports tried) and the scaled
    ``lambda`` reached).
    """
    check_game(game)
    trace = LogitTrace(game, first_step=check_positive("first_step", first_step), points=check_int("points", points),
                       max_accel=check_positive("max_accel", max_accel), tol=check_positive("tol", tol))
    tried: dict[tuple, float] = {}
    polishes = 0
    while trace.steps < max_steps and trace.lam < lambda_max:
        if not trace.step():
            break
        if trace.lam < polish_from or float(trace.t[-1]) <= 0:
            continue
        dw, dx = _branch_velocity(trace)
        if float(dx.abs().amax()) > EXP["vmax"]:  # still far from the end of the branch
            continue
        due = [key for key in _candidate_supports(trace, dw, support_tol, slope_tol)
               if trace.lam >= EXP["retry"] * tried.get(key, 0.0)]
        if due:
            tried.update(dict.fromkeys(due, trace.lam))
            polishes += len(due)
            found = _polish(trace, due, dx, heading)
            if found is not None:
                info = {"steps": trace.steps, "calls": trace.calls, "rejected": trace.rejected,
                        "nfe": trace.nfe, "polishes": polishes, "lambda": trace.lam}
                return (found, info) if return_info else found
    raise ConvergenceError(
        f"qre_nash: no Nash equilibrium confirmed along the logit branch (stopped at scaled lambda="
        f"{trace.lam:.4g} after {trace.steps} steps, {trace.rejected} rejected).",
        status=torch.tensor(int(Status.MAX_STEPS)), diagnostics={"lambda": trace.lam / trace.span},
    )


def _polish(trace: LogitTrace, keys: list[tuple], velocity: torch.Tensor, heading: float) -> Profile | None:
    """Solve the indifference conditions on the supports ``keys`` (one batched solve) from the
    current point; return the first solution that is a Nash equilibrium the branch is heading to.

    Near its end the branch approaches its limit ``x*`` like ``c / lambda`` (mixed components)
    or ``exp(-lambda Delta)`` (the others), so ``velocity = lambda dx/dlambda`` points from
    ``x`` towards ``x*``: a solution is accepted when the cosine between them is at least
    ``heading`` and ``||x* - x||_inf`` is small.
    """
    g = trace.game
    profile = trace.profile()
    supports = torch.tensor(keys, dtype=torch.bool, device=profile.device)
    x, nash, nfe = solve_supports(g, profile, supports)
    trace.nfe += nfe
    gap = (x - profile).flatten(-2)
    v = velocity.flatten()
    cosine = (gap @ v) / (torch.linalg.vector_norm(gap, dim=-1) * torch.linalg.vector_norm(v)).clamp_min(1e-300)
    near = gap.abs().amax(-1) <= EXP["gmax"]
    hits = (nash & near & (cosine >= heading)).nonzero().reshape(-1).tolist()
    if not hits:
        return None
    return g.unpad(x[hits[0]] / x[hits[0]].sum(-1, keepdim=True).clamp_min(1e-300))
