"""Multi-point predictor-corrector continuation of the principal logit QRE branch.

The branch ``{z = [w, lambda] : H(z) = 0}`` (:mod:`attractor.games.logit_map`) is followed by
pseudo-arclength continuation (Keller 1977; Allgower & Georg, *Introduction to Numerical
Continuation Methods*, 1990, ch. 2-3 and 6), ``K`` points per corrector solve:

* predictor: from the last point ``z_0`` with unit tangent ``t_0`` and the curvature vector
  ``c = (t_0 - t_-1) / ||z_0 - z_-1||`` estimated from the point before (at ``lambda = 0``
  from the branch's Taylor expansion, :func:`_initial_bend`), the points
  ``p_k = z_0 + s_k t_0 + s_k^2 c / 2`` and directions ``d_k = normalize(t_0 + s_k c)`` at
  ``s_k = k h``, ``k = 1..K`` (the osculating parabola);
* corrector: the ``K`` points are solved together as one system -- ``H(z_k) = 0`` and
  ``d_k . (z_k - z_{k-1}) = d_k . (p_k - p_{k-1})`` (each point on the hyperplane through its
  predecessor's position shifted by the predicted spacing) -- by Newton's method.  The
  Jacobian is block lower-bidiagonal: diagonal blocks ``A_k = [H'(z_k); d_k^T]`` (closed
  form, :func:`attractor.games.logit_map.homotopy_jacobian`) and a rank-one coupling
  ``-e_N d_k^T`` to the block before.  So with ``u_k = -A_k^{-1} G_k`` and
  ``v_k = A_k^{-1} e_N`` (one batched solve with two right-hand sides) the Newton step is
  ``dz_k = u_k + c_k v_k`` with the scalar recurrence ``c_1 = 0``,
  ``c_k = d_k . dz_{k-1} = d_k . u_{k-1} + (d_k . v_{k-1}) c_{k-1}``, evaluated by a
  cumulative product and sum.  ``v_k`` is also the tangent at ``z_k`` (oriented along ``d_k``).
  The iteration stops when every point's estimated error ``kappa |dz|`` (``kappa`` the ratio
  of successive step norms) is below ``tol`` or when the first unconverged point stops
  contracting (``|dz| > kappa_max |dz_prev|``, Deuflhard's monotonicity test);
* step control: the points are accepted in order while each converged, stayed within
  ``delta_max`` of its prediction, turned by less than ``max_angle`` from its predecessor's
  tangent and from ``d_k``, kept ``lambda > 0`` and kept the branch's orientation
  ``sign det [H'(z); t^T]`` (Allgower & Georg, sec. 2.1: constant along a smooth branch
  followed in one direction, so a long step across a turning point that lands on a nearby
  piece of the curve traversed backwards is caught); ``h`` then adapts to the largest
  prediction error and turn seen (Allgower & Georg, sec. 6.1), growing by up to
  ``max_accel`` per solve, but not growing when Newton needed more than half of
  ``max_corrector_steps``.  A solve with no acceptable point is retried with ``h / 4``.

Because the block system is lower-triangular, a point's solution never depends on the points
after it: a failure at the far end of a solve costs nothing but those points.  Solving ``K``
points in one call costs about as much as one -- on games this small a Newton iteration is
per-operation overhead, not arithmetic -- so the work is done on the host in float64 NumPy
(see :mod:`attractor.games.padded`), one host decision per Newton iteration.  Arc length
parametrizes the branch through turning points (where ``lambda`` decreases for a while).
Payoffs are divided by their range, so ``lambda`` here is in units of 1 / range.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from attractor.games.logit_map import homotopy_jacobian, split
from attractor.games.padded import PaddedGame

TARGET = (0.5, 0.5)  # h is steered towards these fractions of delta_max and max_angle


class LogitTrace:
    """Continuation state on the principal branch of a game (payoffs scaled by their range).

    Parameters
    ----------
    payoffs: the game's payoff tensor (copied to the host in float64).
    first_step: initial spacing ``h`` of the predicted points (arc length).
    points: ``K``, points per corrector solve.
    max_accel: the largest growth of ``h`` from one solve to the next.
    tol: corrector tolerance (the estimated error of each point, see :meth:`correct`).
    max_corrector_steps: Newton iterations per solve; ``kappa_max``: the largest contraction
        factor of successive Newton steps before a solve is given up.
    delta_max, max_angle: acceptance limits (prediction error relative to the arc length,
        turn in radians per point); ``h`` is steered towards half of each.  (A tighter
        ``delta_max = 0.1`` took a third more corrector solves for the same end points on a
        thousand random games: jumps across folds are caught by the orientation check.)

    Attributes
    ----------
    z, t: the last accepted point ``[w, lambda]`` and its unit tangent (NumPy); ``lam`` its
    scaled ``lambda``.  ``steps``: accepted points; ``calls``: corrector solves; ``rejected``:
    solves with no accepted point; ``nfe``: Newton iterations (evaluations of ``H`` and ``H'``
    at all ``K`` points).
    """

    def __init__(self, payoffs: torch.Tensor, *, first_step: float = 0.5, points: int = 8, max_accel: float = 4.0,
                 tol: float = 1e-9, max_corrector_steps: int = 8, kappa_max: float = 0.5, delta_max: float = 0.3,
                 max_angle: float = 0.5) -> None:
        U = payoffs.detach().to("cpu", torch.float64).numpy()
        self.span = float(max(U.max() - U.min(), 1e-300))
        self.game = g = PaddedGame(U / self.span)
        counts = np.array(g.num_actions, dtype=np.float64)
        w0 = np.broadcast_to(-np.log(counts)[:, None], (g.n, g.A))
        self.z = np.append(w0.reshape(-1), 0.0)
        # at lambda = 0, H' = [I, -P v]: the tangent is [P v, 1] normalized (a padded row's P v is
        # -mean(v_i), the slope of its logsumexp)
        x0 = g.strategies(w0)
        v = g.values(x0)
        w1 = v - v.sum(-1, keepdims=True) / counts[:, None]  # dw/dlambda
        t = np.append(w1.reshape(-1), 1.0)
        self.t = t / math.sqrt(t @ t)
        self._bend = _initial_bend(g, x0, w1, counts, t)
        # sign det [H'; t^T], kept along the branch.  At lambda = 0, H' = [I, c] with
        # c = dH/dlambda and t = [-c, 1] / ||.||, so det = (1 + c^T c) / ||[-c, 1]|| > 0.
        self.orientation = 1.0
        self.lam = 0.0
        self._before: tuple[np.ndarray, np.ndarray] | None = None  # the point and tangent before z
        self.K = points
        self.arc = np.arange(1, points + 1, dtype=np.float64)[:, None]
        self.unit = np.zeros(self.z.shape[0])
        self.unit[-1] = 1.0
        self.h = first_step
        self.max_accel = max_accel
        self.tol = tol
        self.max_corrector_steps = max_corrector_steps
        self.kappa_max = kappa_max
        self.delta_max = delta_max
        self.max_angle = max_angle
        self.min_cosine = math.cos(max_angle)
        self.steps = self.calls = self.rejected = self.nfe = 0

    # ------------------------------------------------------------------ corrector
    def correct(self, guess: np.ndarray, z0: np.ndarray, directions: np.ndarray,
                spacing: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
        """Newton's method on the ``K``-point system (module docstring) from ``guess`` (K, N + 1).

        Returns the points, their estimated errors (the last Newton step norm times the
        contraction factor seen; ``inf`` where non-finite), the tangents ``v_k``, the blocks
        ``A_k`` of the last iteration (whose determinant's sign is the orientation of ``v_k``, as
        ``d_k . v_k = 1``; see :meth:`_accept`) and the number of iterations."""
        K, N1 = guess.shape
        path = np.empty((K + 1, N1))  # z_0 and the K points, so that Z is a view and chords one subtraction
        path[0] = z0
        Z = path[1:]
        Z[:] = guess
        rhs = np.zeros((K, N1, 2))
        rhs[:, -1, 1] = 1.0
        aug = np.empty((K, N1, N1))  # the blocks A_k = [H'(z_k); d_k^T]
        aug[:, -1, :] = directions
        norms = previous = np.full(K, np.inf)
        tangents = directions
        c = np.zeros(K)
        # a diverging iterate (overflow, nan) is caught by its non-finite step norm
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for it in range(1, self.max_corrector_steps + 1):
                H, _ = homotopy_jacobian(self.game, Z, out=aug)
                np.negative(H, out=rhs[:, :-1, 0])
                rhs[:, -1, 0] = spacing - np.add.reduce((path[1:] - path[:-1]) * directions, -1)
                try:
                    uv = np.linalg.solve(aug, rhs)
                except np.linalg.LinAlgError:
                    break
                u, tangents = uv[..., 0], uv[..., 1]
                ab = (directions[1:, None, :] @ uv[:-1])[:, 0]  # d_k . u_{k-1}, d_k . v_{k-1}
                b = np.multiply.accumulate(ab[:, 1])
                c[1:] = b * np.add.accumulate(ab[:, 0] / b)
                step = u + c[:, None] * tangents
                Z += step
                steps = np.sqrt(np.add.reduce(step * step, -1))
                self.nfe += 1
                # the error left after the step, estimated as kappa |dz| with kappa = |dz| / |dz_prev|
                norms = steps * np.minimum(steps / previous, 1.0) if it > 1 else steps
                done = norms <= self.tol
                if done.all():
                    break
                first = int(done.argmin())  # the first unconverged point
                if not steps[first] <= self.kappa_max * previous[first]:  # diverging, or not contracting
                    break
                previous = steps
        norms[~np.isfinite(norms)] = np.inf
        return Z, norms, tangents, aug, it

    def _predict(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        s = self.h * self.arc  # (K, 1)
        if self._before is None:
            bend = self._bend
        else:
            z_a, t_a = self._before
            gap = self.z - z_a
            bend = (self.t - t_a) / math.sqrt(gap @ gap)
        guess = self.z + s * self.t + (0.5 * s * s) * bend
        directions = self.t + s * bend
        directions /= np.sqrt(np.add.reduce(directions * directions, -1))[:, None]
        shifts = np.empty_like(guess)
        np.subtract(guess[0], self.z, out=shifts[0])
        np.subtract(guess[1:], guess[:-1], out=shifts[1:])
        spacing = np.add.reduce(directions * shifts, -1)
        return guess, directions, spacing

    def step(self, limit: int | None = None) -> np.ndarray:
        """Advance by one corrector solve (retrying with shorter spacing); return the accepted
        points as rows of an array (at most ``limit``), empty when ``h`` collapsed."""
        while self.h > 1e-10:
            guess, directions, spacing = self._predict()
            z, norms, v, blocks, iterations = self.correct(guess, self.z, directions, spacing)
            self.calls += 1
            accepted = self._accept(guess, directions, z, norms, v, blocks, iterations, limit)
            if len(accepted):
                return accepted
            self.rejected += 1
            self.h /= 4
        return np.empty((0, self.z.shape[0]))

    def _accept(self, guess: np.ndarray, directions: np.ndarray, z: np.ndarray, norms: np.ndarray,
                v: np.ndarray, blocks: np.ndarray, iterations: int, limit: int | None) -> np.ndarray:
        """Accept the longest good prefix of the solved points, update ``h``, return the points.

        Besides convergence, prediction error and turn, a point must keep the branch's
        orientation and have ``lambda > 0``.  ``sign det [H'(z); t^T]`` is constant along a
        smooth branch followed in one direction (Allgower & Georg 1990, sec. 2.1), so a
        corrector that slid onto a neighbouring piece of the curve traversed the other way (a
        long step across a turning point) shows a flipped sign; and since ``lambda = 0`` has the
        single solution the trace starts from, the principal branch never returns there.  Only
        the last point of the prefix is checked (one small determinant per solve); the prefix is
        shortened to the points before the first flip when it has flipped."""
        K = len(z)
        rows = np.empty((3, K, z.shape[1]))  # the tangents, the chords z_k - z_{k-1}, the prediction errors
        rows[0] = v
        np.subtract(z[0], self.z, out=rows[1, 0])
        np.subtract(z[1:], z[:-1], out=rows[1, 1:])
        np.subtract(z, guess, out=rows[2])
        lengths = np.sqrt(np.add.reduce(rows * rows, -1))
        tangents = rows[0] / lengths[0][:, None]
        chord = rows[1] / np.maximum(lengths[1], 1e-300)[:, None]
        before = np.concatenate((self.t[None], tangents[:-1]))  # each point's predecessor's tangent
        # cosines of the turns: tangent to tangent, to the predicted direction, chord to both tangents
        turn = np.minimum(np.minimum(_dot(tangents, before), _dot(tangents, directions)),
                          np.minimum(_dot(chord, before), _dot(chord, tangents)))
        moved = lengths[2] / (self.h * self.arc[:, 0])  # relative prediction error
        good = (norms <= self.tol) & (moved <= self.delta_max) & (turn >= self.min_cosine) & (z[:, -1] > 0)
        count = K if good.all() else int(good.argmin())
        if limit is not None:
            count = min(count, limit)
        if count and np.linalg.slogdet(blocks[count - 1])[0] != self.orientation:  # jumped across a fold
            count = int(np.argmin(np.linalg.slogdet(blocks[:count])[0] == self.orientation))
        if count == 0:
            return z[:0]
        largest_turn = math.acos(min(max(float(turn[:count].min()), -1.0), 1.0))
        slow = max(math.sqrt(float(moved[:count].max()) / (TARGET[0] * self.delta_max)),
                   largest_turn / (TARGET[1] * self.max_angle), 1.0 / self.max_accel)
        if iterations > self.max_corrector_steps // 2:  # Newton struggled: do not grow
            slow = max(slow, 1.0)
        if count < K:
            slow = max(slow, K / count)
        self.h /= slow
        last = count - 1
        self._before = (z[last - 1], tangents[last - 1]) if count > 1 else (self.z, self.t)
        self.z, self.t = z[last], tangents[last]
        self.lam = float(self.z[-1])
        self.steps += count
        return z[:count]

    def land(self, z_a: np.ndarray, z_b: np.ndarray, lam: float) -> tuple[np.ndarray, bool]:
        """The branch point at scaled precision ``lam`` between the points ``z_a`` and ``z_b``
        (whose ``lambda`` bracket it): Newton on ``H(z) = 0, z_lambda = lam`` from the
        linear interpolation (the corrector with ``K = 1`` and direction ``e_N``).  Returns
        the point and whether Newton converged (else the interpolation)."""
        s = (lam - z_a[-1]) / max(z_b[-1] - z_a[-1], 1e-300)
        guess = z_a + min(max(s, 0.0), 1.0) * (z_b - z_a)
        guess[-1] = lam
        z, norms, *_ = self.correct(guess[None], z_a, self.unit[None], np.array([lam - z_a[-1]]))
        ok = bool(norms[0] <= self.tol)
        return (z[0] if ok else guess), ok

    def profile(self, z: np.ndarray | None = None) -> np.ndarray:
        """The padded profile (n, A) (or (B, n, A)) at ``z`` (default: the current point)."""
        w, _ = split(self.game, self.z if z is None else z)
        return self.game.strategies(w)


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise dot products of two (K, N) arrays."""
    return np.add.reduce(a * b, -1)


def _initial_bend(game: PaddedGame, x0: np.ndarray, w1: np.ndarray, counts: np.ndarray, dz: np.ndarray) -> np.ndarray:
    """The branch's curvature vector ``dt/ds`` at ``lambda = 0`` (so that the first predictor is
    a parabola too), from its Taylor expansion.

    With ``w = lambda g - lse(lambda g)`` per player, ``g(lambda) = v(x(lambda))`` and ``x(0)``
    uniform: ``w' = P v`` and ``w'' = 2 P g' - Var(v)``, where ``g'_i = sum_j M_ij x'_j``,
    ``x'_j = w'_j / a_j`` on real actions, ``P`` removes the mean over real actions and
    ``Var`` is the variance of ``v_i`` under the uniform profile (padded actions, with
    ``v = g' = 0``, follow the same formula).  For ``z = [w, lambda]``, ``z' = dz`` and
    ``z'' = [w'', 0]``: ``dt/ds = (z'' - t (t . z'')) / |z'|^2``.
    """
    dx = game.mask * w1 / counts[:, None]
    dv = np.einsum("ijab,jb->ia", game.cross(x0), dx)
    spread = (game.mask * w1 * w1).sum(-1, keepdims=True) / counts[:, None]
    w2 = 2 * (dv - dv.sum(-1, keepdims=True) / counts[:, None]) - spread
    d2 = np.append(w2.reshape(-1), 0.0)
    norm2 = dz @ dz
    return (d2 - dz * (dz @ d2) / norm2) / norm2
