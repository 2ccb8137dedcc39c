"""Delay embedding (Takens) with automatic delay and dimension.

* delay: first local minimum of the time-delayed mutual information (Fraser & Swinney,
  Phys. Rev. A 33, 1134, 1986) or first zero crossing of the autocorrelation;
* dimension: false nearest neighbours (Kennel, Brown & Abarbanel, Phys. Rev. A 45, 3403,
  1992) — the smallest dimension at which neighbours stop being separated by the next
  delay coordinate.
"""

from __future__ import annotations

import dataclasses
import math

import torch

from attractor._core.validation import check_choice, check_int, check_positive
from attractor.analysis._series import reject_constant, time_series
from attractor.analysis.neighbors import nearest_neighbors


def delay_embed(x: torch.Tensor, dim: int, delay: int) -> torch.Tensor:
    """Delay vectors ``[x(t), x(t + τ), …, x(t + (m-1)τ)]`` for ``t = 0 … T - (m-1)τ - 1``.

    ``x`` has shape ``(T,)`` or ``(T, c)``; the result has shape ``(T - (m-1)τ, m·c)`` with
    the ``c`` channels of each delay kept together.
    """
    x = time_series(x)
    dim = check_int("dim", dim)
    delay = check_int("delay", delay)
    n = x.shape[0] - (dim - 1) * delay
    if n < 1:
        raise ValueError(
            f"a series of length {x.shape[0]} is too short for dim={dim}, delay={delay}."
        )
    return torch.cat([x[i * delay : i * delay + n] for i in range(dim)], dim=-1)


def autocorrelation(x: torch.Tensor, max_lag: int | None = None) -> torch.Tensor:
    """Normalised autocorrelation of each channel, shape ``(max_lag + 1, c)`` (FFT based)."""
    x = time_series(x)
    n = x.shape[0]
    max_lag = n - 1 if max_lag is None else min(check_int("max_lag", max_lag, minimum=0), n - 1)
    xc = x - x.mean(0)
    size = 1 << (2 * n - 1).bit_length()
    spec = torch.fft.rfft(xc, n=size, dim=0)
    acov = torch.fft.irfft(spec * spec.conj(), n=size, dim=0)[: max_lag + 1]
    return acov / acov[:1].clamp_min(torch.finfo(x.dtype).tiny)


def autocorrelation_time(x: torch.Tensor) -> int:
    """First lag where the channel-averaged autocorrelation crosses zero (falling back to its
    first local minimum, then to its 1/e time)."""
    acf = autocorrelation(x, min(time_series(x).shape[0] - 1, 10_000)).mean(-1)
    return _first_crossing(acf)


def _first_crossing(acf: torch.Tensor) -> int:
    below = (acf <= 0).nonzero()
    if below.numel():
        return max(1, int(below[0]))
    lag = _first_local_min(acf)
    if lag is not None:
        return lag
    below = (acf <= math.exp(-1)).nonzero()
    return max(1, int(below[0])) if below.numel() else max(1, acf.numel() // 10)


def _first_local_min(curve: torch.Tensor) -> int | None:
    inner = (curve[1:-1] < curve[:-2]) & (curve[1:-1] <= curve[2:])
    hits = inner.nonzero()
    return int(hits[0]) + 1 if hits.numel() else None


def mutual_information(x: torch.Tensor, max_lag: int, *, bins: int = 16) -> torch.Tensor:
    """Time-delayed mutual information ``I(x(t); x(t + τ))`` in nats for ``τ = 0 … max_lag``,
    from equal-width histograms with ``bins`` bins; averaged over channels. Shape ``(max_lag + 1,)``."""
    x = time_series(x)
    max_lag = check_int("max_lag", max_lag, minimum=1)
    if max_lag >= x.shape[0] - 1:
        raise ValueError(f"`max_lag` must be below the series length - 1 ({x.shape[0] - 1}); got {max_lag}.")
    lo, hi = x.amin(0), x.amax(0)
    idx = ((x - lo) / (hi - lo).clamp_min(torch.finfo(x.dtype).tiny) * bins).long().clamp(0, bins - 1)
    out = torch.zeros(max_lag + 1, dtype=x.dtype, device=x.device)
    for lag in range(max_lag + 1):
        a, b = idx[: x.shape[0] - lag], idx[lag:]
        mi = 0.0
        for ch in range(x.shape[1]):
            joint = torch.bincount(a[:, ch] * bins + b[:, ch], minlength=bins * bins)
            pj = joint.reshape(bins, bins).to(x.dtype) / a.shape[0]
            pa, pb = pj.sum(1, keepdim=True), pj.sum(0, keepdim=True)
            nz = pj > 0
            mi = mi + (pj[nz] * (pj[nz] / (pa * pb)[nz]).log()).sum()
        out[lag] = mi / x.shape[1]
    return out


def choose_delay(x: torch.Tensor, *, method: str = "mi", max_lag: int | None = None, bins: int = 16) -> int:
    """Embedding delay (in samples): the first local minimum of the mutual information
    (``method="mi"``; falls back to the autocorrelation when the curve has no minimum) or the
    first zero crossing of the autocorrelation (``"acf"``)."""
    x = time_series(x)
    method = check_choice("method", method, ["mi", "acf"])
    reject_constant(x, "x", "it has no correlation time to choose a delay from")
    if method == "acf":
        return autocorrelation_time(x)
    if max_lag is None:
        max_lag = min(x.shape[0] // 4, 4 * autocorrelation_time(x) + 10)
    max_lag = max(2, min(max_lag, x.shape[0] - 2))
    lag = _first_local_min(mutual_information(x, max_lag, bins=bins))
    return lag if lag is not None else autocorrelation_time(x)


def _fnn_fractions(x: torch.Tensor, delay: int, max_dim: int, rtol: float, atol: float, theiler: int):
    """Yield the false-nearest-neighbour fraction for ``m = 1 … max_dim`` one at a time, so
    that a caller looking for the first small one stops early (each costs an O(T²) search)."""
    sigma = x.std(0).norm()
    for m in range(1, max_dim + 1):
        n = x.shape[0] - m * delay  # points that have an (m+1)-th coordinate
        if n < 20:
            raise ValueError(f"series too short for max_dim={max_dim} with delay={delay}.")
        emb = delay_embed(x, m, delay)[:n]
        nxt = x[m * delay : m * delay + n]
        j, r_m = nearest_neighbors(emb, exclude=theiler)
        valid = j >= 0
        i_idx = torch.arange(n, device=x.device)[valid]
        j_idx = j[valid]
        r_m = r_m[valid]
        extra = (nxt[i_idx] - nxt[j_idx]).norm(dim=-1)
        r_next = (r_m.pow(2) + extra.pow(2)).sqrt()
        false = (extra > rtol * r_m.clamp_min(torch.finfo(x.dtype).tiny)) | (r_next > atol * sigma)
        yield false.to(x.dtype).mean()


def _fnn_args(x, delay, max_dim, rtol, atol, theiler):
    x = time_series(x)
    delay = check_int("delay", delay)
    max_dim = check_int("max_dim", max_dim)
    check_positive("rtol", rtol)
    check_positive("atol", atol)
    return x, delay, max_dim, rtol, atol, delay if theiler is None else theiler


def false_nearest_neighbors(
    x: torch.Tensor,
    delay: int,
    *,
    max_dim: int = 10,
    rtol: float = 15.0,
    atol: float = 2.0,
    theiler: int | None = None,
) -> torch.Tensor:
    """Fraction of false nearest neighbours for embedding dimensions ``1 … max_dim``.

    A neighbour ``j`` of ``i`` in dimension ``m`` is false when adding the next delay
    coordinate separates them: ``|x_{i+mτ} - x_{j+mτ}| / R_m(i) > rtol`` or
    ``R_{m+1}(i) / σ_x > atol`` (Kennel et al. 1992). Neighbours closer than ``theiler``
    samples in time (default ``delay``) are excluded. Returns shape ``(max_dim,)``.
    """
    return torch.stack(list(_fnn_fractions(*_fnn_args(x, delay, max_dim, rtol, atol, theiler))))


def choose_dimension(
    x: torch.Tensor,
    delay: int,
    *,
    max_dim: int = 10,
    threshold: float = 0.01,
    rtol: float = 15.0,
    atol: float = 2.0,
    theiler: int | None = None,
) -> int:
    """Smallest embedding dimension whose false-nearest-neighbour fraction is at most
    ``threshold`` (else the dimension with the smallest fraction); dimensions above the
    first that qualifies are not computed."""
    fractions = []
    for fraction in _fnn_fractions(*_fnn_args(x, delay, max_dim, rtol, atol, theiler)):
        fractions.append(float(fraction))
        if fractions[-1] <= threshold:
            return len(fractions)
    return min(range(len(fractions)), key=fractions.__getitem__) + 1


@dataclasses.dataclass
class Embedding:
    """A delay embedding: ``values`` of shape ``(T - (dim-1)·delay, dim·c)``."""

    values: torch.Tensor
    dim: int
    delay: int


def embed(
    x: torch.Tensor,
    dim: int | None = None,
    delay: int | None = None,
    *,
    delay_method: str = "mi",
    max_dim: int = 10,
    fnn_threshold: float = 0.01,
) -> Embedding:
    """Delay-embed ``x`` choosing whatever of ``delay`` (:func:`choose_delay`) and ``dim``
    (:func:`choose_dimension`) is not given."""
    if delay is None:
        delay = choose_delay(x, method=delay_method)
    if dim is None:
        dim = choose_dimension(x, delay, max_dim=max_dim, threshold=fnn_threshold)
    return Embedding(delay_embed(x, dim, delay), dim, delay)
