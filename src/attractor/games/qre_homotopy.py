"""Tracing the principal branch of logit QRE, and the Nash equilibrium at its end.

The logit QRE correspondence ``{(w, lambda) : H(w, lambda) = 0}`` with
``H(w, lambda) = w - log_softmax(lambda u(softmax(w)))`` (``w`` the log-probabilities) contains
a unique branch through the uniform profile at ``lambda = 0``; for generic games it is a smooth
curve whose limit as ``lambda -> infinity`` is a Nash equilibrium (McKelvey & Palfrey 1995;
Turocy, GEB 51, 2005).  It is followed by arc-length continuation (Allgower & Georg,
*Introduction to Numerical Continuation Methods*, 1990, ch. 2-3 and 6):

* predictor: ``z_k = z + h_k t`` for a few trial step lengths ``h_k = h c_k`` at once, with
  ``t`` the unit tangent (the null vector of the ``N x (N+1)`` Jacobian ``H'``);
* corrector: :func:`attractor.root` on ``G(z) = [H(z); t . (z - z_k)] = 0`` -- the point of
  the curve on the hyperplane through ``z_k`` orthogonal to ``t`` -- by Newton's method, i.e.
  Picard iteration of ``z - A(z)^{-1} G(z)`` with ``A = [H'(z); t^T]`` in closed form, all
  trial steps solved as one batch;
* step control: the longest trial step whose correction converged, stayed within ``h_k / 2``
  of its prediction and kept the tangent's direction (and all shorter trials did too) is
  accepted; the next trials are centred on it.  If none qualifies all are shrunk.  The
  tangent at the new point is ``A^{-1} e_{N+1}`` (normalized) from the factorization of the
  corrector's last evaluation, oriented along the previous tangent by construction.

Trying several step lengths per corrector call costs little more than one -- on games this
small the work of a step is per-operation overhead, not arithmetic -- and halves the number
of sequential steps.  All players are padded to one action count
(:class:`attractor.games.padded.PaddedGame`) so that ``H`` and ``H'`` are a few batched
kernels.  Arc length parametrizes the branch through turning points (where ``lambda``
decreases for a while).  Payoffs are divided by their range, so ``lambda`` below is in units
of 1 / range.

For Nash equilibria (:func:`qre_nash`) the trace is cut short: the supports suggested by the
current point are tried -- the indifference conditions on a support are solved by Newton's
method (:func:`attractor.games.indifference.solve_supports`, again :func:`attractor.root`) and
the solution accepted when it is a Nash equilibrium (non-negative, no profitable deviation)
close to the branch.
"""

from __future__ import annotations

import dataclasses
import math

import torch

from attractor._core.errors import ConvergenceError
from attractor._core.status import Status
from attractor._core.validation import check_choice, check_int, check_positive
from attractor.equilibrium.picard import Picard
from attractor.games.game import NormalFormGame, check_game
from attractor.games.indifference import solve_supports
from attractor.games.padded import PaddedGame
from attractor.games.profiles import Profile

_PICARD = Picard()
DEBUG = None
CONTROL = dict(kappa_max=0.5, delta_max=0.5, cos_min=0.9, kappa=0.2, delta=0.2, alpha=0.2)


def _split(game: PaddedGame, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``z = [w, lambda]`` (*batch, n A + 1) -> ``w`` (*batch, n, A) and ``lambda`` (*batch, 1, 1)."""
    return z[..., :-1].unflatten(-1, (game.n, game.A)), z[..., -1:, None]


def _log_response(game: PaddedGame, lv: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(lv - logsumexp(lv), softmax(lv))`` over each player's real actions; the first is
    ``-logsumexp`` (finite) on padded actions, whose value is zero."""
    lse = torch.logsumexp(lv + game.bias if game.padded else lv, -1, keepdim=True)
    log_s = lv - lse
    return log_s, (log_s + game.bias if game.padded else log_s).exp()


def homotopy(game: PaddedGame, z: torch.Tensor) -> torch.Tensor:
    """``H(w, lambda) = w - log_softmax(lambda v(softmax(w)))``, flattened to (*batch, n A).

    Every padded action has ``v = 0``, so its row reads ``w + logsumexp(lambda v_i)``: a
    coordinate that follows along without influencing anything (its probability is zero).
    """
    w, lam = _split(game, z)
    log_s, _ = _log_response(game, lam * game.values(game.strategies(w)))
    return (w - log_s).flatten(-2)


def homotopy_jacobian(game: PaddedGame, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``H`` (B, n A) and its Jacobian ``[dH/dw, dH/dlambda]`` (B, n A, n A + 1) in closed form.

    With ``x_j = softmax(w_j)``, ``s_i = softmax(lambda v_i)``, ``P_i = I - 1 s_i^T`` and
    ``M_ij = dv_i/dx_j``:  ``dH_i/dw_j = delta_ij I - lambda P_i M_ij (diag x_j - x_j x_j^T)``
    where ``M_ij (diag x_j - x_j x_j^T) = (M_ij - v_i 1^T) diag x_j`` for ``i != j`` (as
    ``M_ij x_j = v_i``), and ``dH_i/dlambda = -P_i v_i``.
    """
    w, lam = _split(game, z)
    B, n, A = w.shape
    x = game.strategies(w)
    v = game.values(x)
    log_s, s = _log_response(game, lam * v)
    CD = (game.cross(x) - v[:, :, None, :, None]) * (x[:, None, :, None, :] * game.offdiag)  # [i, j, a, b]
    PCD = CD - (s[:, :, None, :, None] * CD).sum(-2, keepdim=True)
    Jw = game.eye - lam * PCD.transpose(2, 3).reshape(B, n * A, n * A)
    Jl = (s * v).sum(-1, keepdim=True) - v
    return (w - log_s).reshape(B, n * A), torch.cat([Jw, Jl.reshape(B, n * A, 1)], -1)


def _corrector_step(z: torch.Tensor, game: PaddedGame, anchor: torch.Tensor, tangent: torch.Tensor,
                    unit: torch.Tensor, memo: list) -> torch.Tensor:
    """The Newton step ``-A(z)^{-1} G(z)`` for ``G = [H(z); t . (z - anchor)]``,
    ``A = [H'(z); t^T]``; ``tangent`` is ``t`` as a (B, 1, n A + 1) row, ``unit`` is
    ``e_{N+1}`` (B, n A + 1).

    The same solve gives ``A^{-1} e_{N+1}``, the (unnormalized) tangent of the curve at ``z``
    oriented along ``t``; the last call leaves it in ``memo``.
    """
    H, J = homotopy_jacobian(game, z)
    minus_G = torch.cat([-H, ((anchor - z) * tangent.squeeze(-2)).sum(-1, keepdim=True)], -1)
    solution = torch.linalg.solve_ex(torch.cat([J, tangent], -2), torch.stack([minus_G, unit], -1))[0]
    memo.append(solution)
    return solution[..., 0]
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


class _Trace:
    """Predictor-corrector continuation on the scaled payoffs; one accepted point per step.

    ``trials`` are the step-length multipliers ``c_k`` tried together (ascending).  After a
    step accepted at ``h c_k`` the next call tries ``h' c`` with ``h' = h c_k`` times
    ``max_accel`` if the longest trial was accepted, else unchanged; when no trial is accepted
    ``h`` is divided by ``4 c_max`` and the call repeated.
    """

    def __init__(self, game: NormalFormGame, *, first_step: float, max_accel: float, tol: float,
                 max_corrector_steps: int, trials: tuple[float, ...] = (0.5, 1.0, 2.0)) -> None:
        U = game.payoffs.detach().to(torch.float64)
        self.span = float((U.amax() - U.amin()).clamp_min(1e-300))
        self.game = PaddedGame(U / self.span)
        g = self.game
        counts = torch.tensor(g.num_actions, dtype=U.dtype, device=U.device)
        w0 = (-counts.log()).unsqueeze(1).expand(g.n, g.A)
        self.z = torch.cat([w0.reshape(-1), w0.new_zeros(1)])
        # at lambda = 0, H' = [I, -P v]: the tangent is [P v, 1] normalized
        v = g.values(g.strategies(w0))
        pv = v - v.sum(-1, keepdim=True) / counts.unsqueeze(1)
        t = torch.cat([pv.reshape(-1), w0.new_ones(1)])
        self.t = t / torch.linalg.vector_norm(t)
        self.trials = torch.tensor(trials, dtype=U.dtype, device=U.device)
        self.unit = torch.zeros(len(trials), self.z.shape[0], dtype=U.dtype, device=U.device)
        self.unit[:, -1] = 1.0
        self.h = first_step
        self.max_accel = max_accel
        self.tol = tol
        self.max_corrector_steps = max_corrector_steps
        self.steps = self.rejected = self.nfe = 0
        self.lam = 0.0

    def step(self) -> bool:
        """Take one accepted step (retrying with shorter trials); False when ``h`` collapses."""
        from attractor.equilibrium import root

        K = self.trials.shape[0]
        while self.h > 1e-10:
            lengths = self.h * self.trials
            anchors = self.z + lengths.unsqueeze(1) * self.t
            rows = self.t.expand(K, 1, -1)
            memo: list = []
            sol = root(_corrector_step, anchors, args=(self.game, anchors, rows, self.unit, memo), solver=_PICARD,
                       tol=self.tol, max_steps=self.max_corrector_steps, batch_ndim=1, backward="none",
                       on_failure="status")
            self.nfe += sol.stats["nfe"]
            tangent = memo[-1][..., 1]
            tangent = tangent / torch.linalg.vector_norm(tangent, dim=-1, keepdim=True)
            first = torch.linalg.vector_norm(memo[0][..., 0], dim=-1)  # distance to the curve
            second = torch.linalg.vector_norm(memo[1][..., 0], dim=-1) if len(memo) > 1 else torch.zeros_like(first)
            contraction = second / first.clamp_min(1e-300)
            cosine = tangent @ self.t
            C = CONTROL
            good = sol.ok & (contraction <= C["kappa_max"]) & (first <= C["delta_max"]) & (cosine >= C["cos_min"])
            report = torch.stack([good.cumprod(0).to(first.dtype), contraction, first, cosine]).tolist()
            if DEBUG is not None:
                DEBUG.append(dict(lam=float(self.z[-1]), h=lengths.tolist(), ok=sol.ok.tolist(), steps=sol.steps.tolist(),
                    cos=report[3], d1=report[2], kappa=report[1], lam_end=sol.value[:, -1].tolist()))
            k = int(sum(report[0])) - 1  # the longest trial with all shorter ones good
            if k >= 0:
                self.z, self.t = sol.value[k], tangent[k]
                self.lam = float(self.z[-1])
                self.steps += 1
                angle = math.acos(min(max(report[3][k], -1.0), 1.0))
                slow = max(math.sqrt(report[1][k] / C["kappa"]), math.sqrt(report[2][k] / C["delta"]),
                           angle / C["alpha"], 1.0 / self.max_accel)
                self.h = float(lengths[k]) / slow
                return True
            self.rejected += 1
            self.h /= 4 * float(self.trials[-1])
        return False

    def profile(self, z: torch.Tensor | None = None) -> torch.Tensor:
        """The padded profile (n, A) at ``z`` (default: the current point)."""
        w, _ = _split(self.game, self.z if z is None else z)
        return self.game.strategies(w)


def logit_homotopy(
    game: NormalFormGame,
    *,
    lambda_max: float = 1e3,
    max_steps: int = 2000,
    first_step: float = 0.5,
    max_accel: float = 2.0,
    tol: float = 1e-10,
    max_corrector_steps: int = 8,
    on_failure: str = "raise",
) -> QREPath:
    """Trace the principal logit QRE branch from ``lambda = 0`` to ``lambda_max``.

    ``lambda_max`` is in the game's payoff units (the QRE at temperature ``1 / lambda``).
    Returns every accepted point as a :class:`QREPath` (float64, on the game's device).
    """
    check_game(game)
    on_failure = check_choice("on_failure", on_failure, ["raise", "status"])
    lambda_max = check_positive("lambda_max", lambda_max)
    max_steps = check_int("max_steps", max_steps)
    trace = _Trace(game, first_step=check_positive("first_step", first_step),
                   max_accel=check_positive("max_accel", max_accel), tol=check_positive("tol", tol),
                   max_corrector_steps=check_int("max_corrector_steps", max_corrector_steps))
    points = [trace.z]
    target = lambda_max * trace.span
    status = Status.MAX_STEPS
    while trace.steps < max_steps:
        if trace.lam >= target:
            status = Status.SUCCESS
            break
        if not trace.step():
            status = Status.STEP_SIZE_TOO_SMALL
            break
        points.append(trace.z)
    path = _make_path(trace, points, status)
    if status != Status.SUCCESS and on_failure == "raise":
        raise ConvergenceError(
            f"logit_homotopy stopped at lambda={float(path.lambdas[-1]):.4g} < lambda_max={lambda_max:g}: "
            f"{status.name} after {trace.steps} steps ({trace.rejected} rejected).",
            status=torch.tensor(int(status)), diagnostics={"lambda": path.lambdas[-1]}, solution=path,
        )
    return path


def _make_path(trace: _Trace, points: list[torch.Tensor], status: Status) -> QREPath:
    Z = torch.stack(points)
    profiles = trace.game.unpad(trace.profile(Z))
    return QREPath(Z[:, -1] / trace.span, profiles, trace.steps, trace.rejected, trace.nfe, status)


def branch_start(game: NormalFormGame, lambdas: torch.Tensor) -> torch.Tensor:
    """Log-profiles on the principal branch at each precision in ``lambdas`` (game units).

    The branch is traced up to the largest one; each target gets the linear interpolation
    between the two path points around its first crossing, flattened to (len(lambdas),
    sum a_i) (float64 -> the game's dtype).
    """
    trace = _Trace(game, first_step=0.5, max_accel=2.0, tol=1e-9, max_corrector_steps=8)
    targets = (lambdas.detach().to(torch.float64) * trace.span).tolist()
    out: list[torch.Tensor | None] = [None] * len(targets)
    previous = trace.z
    while any(o is None for o in out):
        if not trace.step():
            break
        for k, target in enumerate(targets):
            if out[k] is None and trace.lam >= target:
                s = (target - float(previous[-1])) / max(trace.lam - float(previous[-1]), 1e-300)
                out[k] = torch.lerp(previous, trace.z, min(max(s, 0.0), 1.0))
        previous = trace.z
    fallback = trace.z  # the trace stalled: start the final solve from its last point
    Z = torch.stack([fallback if o is None else o for o in out])
    w, _ = _split(trace.game, Z)
    return torch.cat(trace.game.unpad(w), -1).to(game.dtype)


# ---------------------------------------------------------------------------- Nash by QRE
def _candidate_supports(trace: _Trace, support_tol: float, slope_tol: float) -> list[tuple]:
    """Supports the current point of the branch suggests, as tuples of per-player masks
    (padded to ``A`` actions; padded actions are never in a support).

    Along the branch ``w_a ~ -lambda Delta_a`` for an action that is not in the support of the
    limit equilibrium, so ``lambda dw_a/dlambda ~ -lambda Delta_a`` separates such actions long
    before their probability is small; support actions have ``lambda dw/dlambda = O(1)``.
    The probability threshold ``x_a > support_tol`` is the second guess.
    """
    g = trace.game
    masks = [trace.profile() > support_tol]
    rising = float(trace.t[-1])
    if rising > 0:
        slope = (trace.lam / rising) * trace.t[:-1].reshape(g.n, g.A)
        masks.insert(0, (slope > -slope_tol) & g.mask)
    out = [tuple(tuple(row) for row in m.tolist()) for m in masks]
    return list(dict.fromkeys(out))


def qre_nash(
    game: NormalFormGame,
    *,
    lambda_max: float = 1e8,
    max_steps: int = 5000,
    first_step: float = 0.5,
    max_accel: float = 2.0,
    polish_from: float = 2.0,
    support_tol: float = 1e-3,
    slope_tol: float = 1.0,
    heading: float = 0.8,
    tol: float = 1e-8,
    return_info: bool = False,
) -> Profile | tuple[Profile, dict]:
    """The Nash equilibrium at the end of the principal logit QRE branch.

    The branch is traced (see :func:`logit_homotopy`; ``lambda`` in units of 1 / payoff range).
    From ``lambda = polish_from`` on, each support that the branch suggests (see
    :func:`_candidate_supports`) for two consecutive steps is tried once by solving its
    indifference conditions (retried after ``lambda`` quadruples); a solution that is a Nash
    equilibrium near the branch ends the trace.  Raises :class:`attractor.ConvergenceError` if
    none is confirmed by ``lambda_max`` or ``max_steps``.  Returns float64 tensors on the
    game's device (and, with ``return_info``, a dict of the work done: accepted ``steps``,
    ``rejected`` corrector calls, ``nfe`` evaluations of the corrector's and of the
    indifference system's Newton maps, ``polishes`` (supports tried) and the scaled
    ``lambda`` reached).
    """
    check_game(game)
    trace = _Trace(game, first_step=first_step, max_accel=max_accel, tol=tol, max_corrector_steps=8)
    previous: list[tuple] = []
    tried: dict[tuple, float] = {}
    polishes = 0
    while trace.steps < max_steps and trace.lam < lambda_max:
        if not trace.step():
            break
        candidates = _candidate_supports(trace, support_tol, slope_tol)
        if trace.lam >= polish_from and float(trace.t[-1]) > 0:
            # the slope guess is tried at once, the threshold guess once it is stable
            due = [key for k, key in enumerate(candidates)
                   if ((k == 0 and CONTROL.get('immediate', True)) or key in previous) and trace.lam >= 4 * tried.get(key, 0.0)]
            if due:
                tried.update(dict.fromkeys(due, trace.lam))
                polishes += len(due)
                found = _polish(trace, due, heading)
                if found is not None:
                    info = {"steps": trace.steps, "rejected": trace.rejected, "nfe": trace.nfe,
                            "polishes": polishes, "lambda": trace.lam}
                    return (found, info) if return_info else found
        previous = candidates
    raise ConvergenceError(
        f"qre_nash: no Nash equilibrium confirmed along the logit branch (stopped at scaled lambda="
        f"{trace.lam:.4g} after {trace.steps} steps, {trace.rejected} rejected).",
        status=torch.tensor(int(Status.MAX_STEPS)), diagnostics={"lambda": trace.lam / trace.span},
    )


def _polish(trace: _Trace, keys: list[tuple], heading: float) -> Profile | None:
    """Solve the indifference conditions on the supports ``keys`` (one batched solve) from the
    current point; return the first solution that is a Nash equilibrium the branch is heading to.

    Near its end the branch approaches its limit ``x*`` like ``c / lambda`` (mixed components)
    or ``exp(-lambda Delta)`` (the others), so ``dx/dlambda`` points from ``x`` towards ``x*``:
    a solution is accepted when the cosine between ``dx/dlambda`` and ``x* - x`` is at least
    ``heading`` and ``||x* - x||_inf <= 0.25``.  A Nash equilibrium that the branch merely
    passes near, on its way elsewhere, fails the test.
    """
    g = trace.game
    profile = trace.profile()
    supports = torch.tensor(keys, dtype=torch.bool, device=profile.device)
    x, nash, nfe = solve_supports(g, profile, supports)
    trace.nfe += nfe
    dw = trace.t[:-1].reshape(g.n, g.A)
    velocity = (profile * (dw - (profile * dw).sum(-1, keepdim=True))).flatten()  # dx along the branch
    gap = (x - profile).flatten(-2)
    cosine = (gap @ velocity) / (torch.linalg.vector_norm(gap, dim=-1) * torch.linalg.vector_norm(velocity)).clamp_min(1e-300)
    near = gap.abs().amax(-1) <= 0.25
    hits = (nash & near & (cosine >= heading)).nonzero().reshape(-1).tolist()
    if DEBUG is not None:
        DEBUG.append(dict(polish=True, lam=trace.lam, nash=nash.tolist(), gap=gap.abs().amax(-1).tolist(), cos=cosine.tolist()))
    if not hits:
        return None
    return g.unpad(x[hits[0]] / x[hits[0]].sum(-1, keepdim=True).clamp_min(1e-300))
