"""Multi-point predictor-corrector continuation of the principal logit QRE branch.

The branch ``{z = [w, lambda] : H(z) = 0}`` (:mod:`attractor.games.logit_map`) is followed by
pseudo-arclength continuation (Keller 1977; Allgower & Georg, *Introduction to Numerical
Continuation Methods*, 1990, ch. 2-3 and 6), ``K`` points per corrector solve:

* predictor: from the last point ``z_0`` with unit tangent ``t_0`` and the curvature vector
  ``c = (t_0 - t_-1) / ||z_0 - z_-1||`` estimated from the point before, the points
  ``p_k = z_0 + s_k t_0 + s_k^2 c / 2`` and directions ``d_k = normalize(t_0 + s_k c)`` at
  ``s_k = k h``, ``k = 1..K`` (the osculating parabola);
* corrector: the ``K`` points are solved together as one system -- ``H(z_k) = 0`` and
  ``d_k . (z_k - z_{k-1}) = d_k . (p_k - p_{k-1})`` (each point on the hyperplane through its
  predecessor's position shifted by the predicted spacing) -- by :func:`attractor.root` on
  its Newton map (Picard iteration of ``Z - J(Z)^{-1} G(Z)``, quadratic convergence).  The
  Jacobian is block lower-bidiagonal: diagonal blocks ``A_k = [H'(z_k); d_k^T]`` (closed
  form) and a rank-one coupling ``-e_N d_k^T`` to the block before.  So with ``u_k = -A_k^{-1}
  G_k`` and ``v_k = A_k^{-1} e_N`` (one batched solve with two right-hand sides) the Newton
  step is ``dz_k = u_k + c_k v_k`` with the scalar recurrence ``c_1 = 0``,
  ``c_k = d_k . dz_{k-1} = d_k . u_{k-1} + (d_k . v_{k-1}) c_{k-1}``, evaluated by a cumulative
  product and sum.  ``v_k`` is also the tangent at ``z_k`` (oriented along ``d_k``);
* step control: the points are accepted in order while each converged, stayed within
  ``delta_max`` of its prediction, and turned by less than ``max_angle`` from its predecessor's
  tangent and from ``d_k``; ``h`` then adapts to the largest prediction error and turn seen
  (Allgower & Georg, sec. 6.1).  A solve with no acceptable point is retried with ``h / 4``.

Because the block system is lower-triangular, a point's solution never depends on the points
after it: a failure at the far end of a solve costs nothing but those points.  Solving ``K``
points in one call costs about as much as one -- on games this small a Newton iteration is
per-operation overhead, not arithmetic.  Arc length parametrizes the branch through turning
points (where ``lambda`` decreases for a while).  Payoffs are divided by their range, so
``lambda`` here is in units of 1 / range.
"""

from __future__ import annotations

import math

import torch

from attractor.equilibrium.picard import Picard
from attractor.games.game import NormalFormGame
from attractor.games.logit_map import homotopy_jacobian, split
from attractor.games.padded import PaddedGame

_PICARD = Picard()
TARGET = [0.25, 0.25]


def _block_newton_step(Z: torch.Tensor, game: PaddedGame, z0: torch.Tensor, directions: torch.Tensor,
                       spacing: torch.Tensor, unit: torch.Tensor, memo: list) -> torch.Tensor:
    """The Newton step of the ``K``-point corrector system at ``Z`` (1, K (N + 1)); see the
    module docstring.  ``z0`` (N + 1) is the fixed starting point, ``directions`` the ``d_k``
    (K, N + 1), ``spacing`` the offsets ``d_k . (p_k - p_{k-1})`` (K,), ``unit`` the ``e_N``
    (K, N + 1).  Each call appends ``(Z, step, v)`` to ``memo``."""
    K, N1 = directions.shape
    z = Z.reshape(K, N1)
    H, J = homotopy_jacobian(game, z)
    previous = torch.cat([z0.unsqueeze(0), z[:-1]])
    plane = ((z - previous) * directions).sum(-1, keepdim=True) - spacing.unsqueeze(1)
    rhs = torch.stack([torch.cat([-H, -plane], -1), unit], -1)
    uv = torch.linalg.solve_ex(torch.cat([J, directions.unsqueeze(1)], 1), rhs)[0]
    u, v = uv[..., 0], uv[..., 1]
    a = (directions[1:] * u[:-1]).sum(-1)
    b = (directions[1:] * v[:-1]).sum(-1).cumprod(0)
    c = torch.cat([a.new_zeros(1), b * (a / b).cumsum(0)])
    step = u + c.unsqueeze(1) * v
    memo.append((z, step, v))
    return step.reshape(1, -1)


class LogitTrace:
    """Continuation state on the principal branch of a game (payoffs scaled by their range).

    Parameters
    ----------
    game: the game (float64 copies of its payoffs are used).
    first_step: initial spacing ``h`` of the predicted points (arc length).
    points: ``K``, points per corrector solve.
    max_accel: the largest growth of ``h`` from one solve to the next.
    tol: corrector tolerance (Newton step norm over the ``K`` points).
    max_corrector_steps: Newton iterations per solve.
    delta_max, max_angle: acceptance limits (prediction error, turn in radians per point);
        ``h`` is steered towards a quarter of each.

    Attributes
    ----------
    z, t: the last accepted point ``[w, lambda]`` and its unit tangent; ``lam`` its scaled
    ``lambda``.  ``steps``: accepted points; ``calls``: corrector solves; ``rejected``: solves
    with no accepted point; ``nfe``: evaluations of the corrector's Newton map.
    """

    def __init__(self, game: NormalFormGame, *, first_step: float = 0.5, points: int = 6, max_accel: float = 4.0,
                 tol: float = 1e-9, max_corrector_steps: int = 8, delta_max: float = 0.1,
                 max_angle: float = 0.5) -> None:
        U = game.payoffs.detach().to(torch.float64)
        self.span = float((U.amax() - U.amin()).clamp_min(1e-300))
        self.game = g = PaddedGame(U / self.span)
        counts = torch.tensor(g.num_actions, dtype=U.dtype, device=U.device)
        w0 = (-counts.log()).unsqueeze(1).expand(g.n, g.A)
        self.z = torch.cat([w0.reshape(-1), w0.new_zeros(1)])
        # at lambda = 0, H' = [I, -P v]: the tangent is [P v, 1] normalized
        v = g.values(g.strategies(w0))
        t = torch.cat([(v - v.sum(-1, keepdim=True) / counts.unsqueeze(1)).reshape(-1), w0.new_ones(1)])
        self.t = t / torch.linalg.vector_norm(t)
        self.lam = 0.0
        self._before: tuple[torch.Tensor, torch.Tensor] | None = None  # the point and tangent before z
        self.K = points
        self.arc = torch.arange(1, points + 1, dtype=U.dtype, device=U.device).unsqueeze(1)
        self.unit = torch.zeros(points, self.z.shape[0], dtype=U.dtype, device=U.device)
        self.unit[:, -1] = 1.0
        self.h = first_step
        self.max_accel = max_accel
        self.tol = tol
        self.max_corrector_steps = max_corrector_steps
        self.delta_max = delta_max
        self.max_angle = max_angle
        self.steps = self.calls = self.rejected = self.nfe = 0

    def _predict(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        s = self.h * self.arc  # (K, 1)
        if self._before is None:
            bend = torch.zeros_like(self.t)
        else:
            z_a, t_a = self._before
            bend = (self.t - t_a) / torch.linalg.vector_norm(self.z - z_a)
        guess = self.z + s * self.t + (0.5 * s * s) * bend
        directions = self.t + s * bend
        directions = directions / torch.linalg.vector_norm(directions, dim=-1, keepdim=True)
        spacing = (directions * (guess - torch.cat([self.z.unsqueeze(0), guess[:-1]]))).sum(-1)
        return guess, directions, spacing

    def step(self, limit: int | None = None) -> list[torch.Tensor]:
        """Advance by one corrector solve (retrying with shorter spacing); return the accepted
        points (at most ``limit``), or ``[]`` when ``h`` collapsed."""
        from attractor.equilibrium import root

        while self.h > 1e-10:
            guess, directions, spacing = self._predict()
            memo: list = []
            sol = root(_block_newton_step, guess.reshape(1, -1),
                       args=(self.game, self.z, directions, spacing, self.unit, memo), solver=_PICARD,
                       tol=self.tol, max_steps=self.max_corrector_steps, batch_ndim=1, backward="none",
                       on_failure="status")
            self.calls += 1
            self.nfe += sol.stats["nfe"]
            accepted = self._accept(guess, directions, memo, limit)
            if accepted:
                return accepted
            self.rejected += 1
            self.h /= 4
        return []

    def _accept(self, guess: torch.Tensor, directions: torch.Tensor, memo: list, limit: int | None) -> list[torch.Tensor]:
        """Accept the longest good prefix of the solved points, update ``h``, return the points."""
        z, step, v = memo[-1]
        tangents = v / torch.linalg.vector_norm(v, dim=-1, keepdim=True)
        before = torch.cat([self.t.unsqueeze(0), tangents[:-1]])
        chord = z - torch.cat([self.z.unsqueeze(0), z[:-1]])
        chord = chord / torch.linalg.vector_norm(chord, dim=-1, keepdim=True)
        # cosines of the turns: tangent to tangent, to the predicted direction, chord to both tangents
        cosines = torch.stack([tangents * before, tangents * directions, chord * before, chord * tangents]).sum(-1)
        turn = cosines.amin(0)
        moved = torch.linalg.vector_norm(z - guess, dim=-1) / (self.h * self.arc.squeeze(1))  # relative error
        converged = torch.linalg.vector_norm(step, dim=-1) <= self.tol
        good = converged & (moved <= self.delta_max) & (turn >= math.cos(self.max_angle))
        report = torch.stack([good.to(z.dtype).cumprod(0), moved, turn]).tolist()
        count = int(sum(report[0]))
        if limit is not None:
            count = min(count, limit)
        if count == 0:
            return []
        largest_move = max(report[1][:count])
        largest_turn = math.acos(min(max(min(report[2][:count]), -1.0), 1.0))
        slow = max(math.sqrt(largest_move / (TARGET[0] * self.delta_max)), largest_turn / (TARGET[1] * self.max_angle),
                   1.0 / self.max_accel)
        if count < self.K:
            slow = max(slow, self.K / count)
        self.h /= slow
        last = count - 1
        self._before = (z[last - 1], tangents[last - 1]) if count > 1 else (self.z, self.t)
        self.z, self.t = z[last], tangents[last]
        self.lam = float(self.z[-1])
        self.steps += count
        return list(z[:count].unbind(0))

    def profile(self, z: torch.Tensor | None = None) -> torch.Tensor:
        """The padded profile (n, A) (or (B, n, A)) at ``z`` (default: the current point)."""
        w, _ = split(self.game, self.z if z is None else z)
        return self.game.strategies(w)
