"""Dense output: evaluating ``y(t + theta h) = y + sum_i w_i(theta) Z_i`` inside steps.

A stepper describes the solution inside a step by the vectors ``Z`` (its ``dense_stages``) and
the polynomial weights ``w(theta) = [theta, theta^2, ..., theta^d] P^T`` (its
``dense_coefficients`` ``P``). Evaluating many ``theta`` at once is one matrix product, so output
times are interpolated in batches. :class:`DenseRecorder` keeps the steps of a solve and
:class:`DenseInterpolation` evaluates the whole trajectory at arbitrary times
(``ODESolution.evaluate``).
"""

from __future__ import annotations

import numpy as np
import torch


def theta_powers(theta: torch.Tensor, degree: int) -> torch.Tensor:
    """``[theta, theta^2, ..., theta^degree]`` along a new last dimension."""
    return theta.unsqueeze(-1).expand(*theta.shape, degree).cumprod(-1)


def weights(theta: torch.Tensor, coefficients: torch.Tensor) -> torch.Tensor:
    """Dense-output weights ``w(theta)``: shape ``theta.shape + (m,)``."""
    return theta_powers(theta, coefficients.shape[1]) @ coefficients.T


def host_weights(thetas: list[float], coefficients: np.ndarray) -> np.ndarray:
    """The same on the host for a short list of ``theta`` (cheaper than device ops on CPU)."""
    powers = np.asarray(thetas, dtype=np.float64)[:, None] ** np.arange(1, coefficients.shape[1] + 1)
    return powers @ coefficients.T


def interpolate(
    y: torch.Tensor, Z: torch.Tensor, w: torch.Tensor, out: torch.Tensor | None = None
) -> torch.Tensor:
    """``y + w @ Z`` for ``k`` weight rows ``w (k, m)``, flat ``y (N,)`` and ``Z (m, N)``."""
    if out is not None:
        return torch.addmm(y.unsqueeze(0), w, Z, out=out)
    return torch.addmm(y.unsqueeze(0), w, Z)


def polynomial_per_sample(y: torch.Tensor, Z: torch.Tensor, theta: torch.Tensor,
                          coefficients: torch.Tensor) -> torch.Tensor:
    """Every sample at its own ``theta``, by Horner's rule: ``y (B, D)``, ``Z (m, B, D)``,
    ``theta (B, k)`` -> ``(B, k, D)`` (a view).

    The same polynomial as ``interpolate_per_sample(y, Z, weights(theta, P))``, written as
    ``y + sum_p theta^p C_p`` with ``C = P^T Z`` (one plain matrix product for the whole batch),
    then evaluated in a few elementwise passes laid out with the batch innermost. On CPU this is
    3-4x faster than a batch of tiny matrix products when the state per sample is small.
    """
    m, B, D = Z.shape
    C = (coefficients.T.to(Z.dtype) @ Z.reshape(m, B * D)).view(-1, B, D).transpose(1, 2)
    th = theta.to(Z.dtype).T.unsqueeze(1)  # (k, 1, B)
    acc = C[-1] * th  # (k, D, B)
    for p in range(C.shape[0] - 2, -1, -1):
        acc.add_(C[p]).mul_(th)
    acc.add_(y.T)
    return acc.permute(2, 0, 1)


def interpolate_per_sample(y: torch.Tensor, Z: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """Every sample at its own ``theta``: ``y (B, D)``, ``Z (m, B, D)``, ``w (B, k, m)`` -> ``(B, k, D)``."""
    return torch.baddbmm(y.unsqueeze(1), w, Z.transpose(0, 1))


class DenseRecorder:
    """Collects accepted steps ``(t, h, y, Z)`` of one solve (copies when buffers get reused)."""

    def __init__(self, copy: bool) -> None:
        self.copy = copy
        self.t: list = []
        self.h: list = []
        self.y: list[torch.Tensor] = []
        self.Z: list[torch.Tensor] = []
        self.accepted: list[torch.Tensor] = []

    def append(self, t, h, y: torch.Tensor, Z: torch.Tensor, accepted: torch.Tensor | None = None) -> None:
        if self.copy:
            y, Z = y.clone(), Z.clone()
        self.t.append(t)
        self.h.append(h)
        self.y.append(y)
        self.Z.append(Z)
        if accepted is not None:
            self.accepted.append(accepted)


class DenseInterpolation:
    """The solution over all accepted steps of a solve, evaluated with each step's own interpolant.

    Shared steps: ``t0, h`` of shape ``(S,)``, ``y0 (S, N)``, ``Z (S, m, N)``. Per-sample steps:
    ``t0, h, accepted`` of shape ``(S, B)`` (one row per loop iteration), ``y0 (S, B, D)``,
    ``Z (S, m, B, D)``. ``direction`` is +1/-1 (a float, or ``(B,)`` per sample). Samples
    stopped by a terminal event (``stop_t (B,)``, ``stop_y (B, D)``) hold their event state
    afterwards.
    """

    def __init__(
        self,
        t0: torch.Tensor,
        h: torch.Tensor,
        y0: torch.Tensor,
        Z: torch.Tensor,
        coefficients: torch.Tensor,
        shape: torch.Size,
        batch_ndim: int,
        direction: float | torch.Tensor,
        accepted: torch.Tensor | None = None,
        stop_t: torch.Tensor | None = None,
        stop_y: torch.Tensor | None = None,
    ) -> None:
        self.t0, self.h, self.y0, self.Z = t0, h, y0, Z
        self.P = coefficients
        self.shape = torch.Size(shape)
        self.batch_shape = self.shape[:batch_ndim]
        self.B = int(np.prod(self.batch_shape)) if batch_ndim else 1
        self.direction = direction
        self.accepted = accepted
        self.stop_t, self.stop_y = stop_t, stop_y

    def __call__(self, t: torch.Tensor) -> torch.Tensor:
        """``y`` at times ``t``: 1-D (the same times for every sample) or ``batch_shape + (k,)``.

        Returns ``(k, *shape)``, time first like ``odeint``'s ``ys``.
        """
        t = torch.as_tensor(t).to(dtype=self.t0.dtype, device=self.t0.device)
        if t.dim() == 0:
            t = t.reshape(1)
        k = t.shape[-1]
        if self.accepted is None and t.dim() == 1:
            out = self._shared(t)  # (k, N)
            tq = t.unsqueeze(0).expand(self.B, k)
        else:
            tq = t.reshape(self.B, k) if t.dim() > 1 else t.unsqueeze(0).expand(self.B, k)
            out = self._per_sample(tq).transpose(0, 1)  # (k, B, D)
        out = out.reshape((k,) + self.shape)
        if self.stop_t is not None:
            direction = torch.as_tensor(self.direction, dtype=tq.dtype, device=tq.device)
            beyond = (direction.reshape(-1, 1) * (tq - self.stop_t.reshape(-1, 1)) > 0).T  # (k, B)
            mask = beyond.reshape((k,) + self.batch_shape + (1,) * (len(self.shape) - len(self.batch_shape)))
            out = torch.where(mask, self.stop_y.reshape(self.shape).unsqueeze(0), out)
        return out

    def _shared(self, t: torch.Tensor) -> torch.Tensor:
        """Times ``(k,)`` on a shared grid -> ``(k, N)``."""
        d = self.direction
        idx = (torch.searchsorted(d * self.t0, d * t, right=True) - 1).clamp(0, self.t0.numel() - 1)
        theta = (t - self.t0[idx]) / self.h[idx]
        w = weights(theta, self.P)  # (k, m)
        return self.y0[idx] + torch.einsum("km,kmn->kn", w, self.Z[idx])

    def _per_sample_data(self):
        if self.accepted is not None:
            return self.t0, self.h, self.y0, self.Z, self.accepted
        S, B = self.t0.shape[0], self.B
        return (
            self.t0.unsqueeze(1).expand(S, B),
            self.h.unsqueeze(1).expand(S, B),
            self.y0.reshape(S, B, -1),
            self.Z.reshape(S, self.Z.shape[1], B, -1),
            torch.ones(S, B, dtype=torch.bool, device=self.t0.device),
        )

    def _per_sample(self, t: torch.Tensor) -> torch.Tensor:
        """``t (B, k)`` -> ``(B, k, D)`` using each sample's accepted steps."""
        t0, h, y0, Z, acc = self._per_sample_data()
        S, B = t0.shape
        direction = torch.as_tensor(self.direction, dtype=t.dtype, device=t.device).reshape(-1)
        direction = direction.expand(B)
        rows = torch.arange(S, device=t.device).unsqueeze(1).expand(S, B)
        last_acc = torch.where(acc, rows, torch.full_like(rows, -1)).cummax(0).values  # (S, B)
        key = torch.where(acc, direction * t0, torch.full_like(t0, -float("inf")))
        key = key.cummax(0).values.T.contiguous()  # (B, S), non-decreasing
        idx = (torch.searchsorted(key, (direction.unsqueeze(1) * t).contiguous(), right=True) - 1)
        row = last_acc.T.gather(1, idx.clamp(0, S - 1)).clamp(min=0)  # (B, k)
        b = torch.arange(B, device=t.device).unsqueeze(1).expand_as(row)
        hh = h[row, b]
        theta = (t - t0[row, b]) / torch.where(hh == 0, torch.ones_like(hh), hh)
        w = weights(theta, self.P)  # (B, k, m)
        return y0[row, b] + torch.einsum("bkm,bkmd->bkd", w, Z[row, :, b])
