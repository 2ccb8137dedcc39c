"""Power spectra and the power-spectrum (Hellinger) distance ``D_H`` used to compare a
reconstructed system with the true one (Mikhaeil, Monfared & Durstewitz, NeurIPS 2022;
Hess et al., ICML 2023)."""

from __future__ import annotations

import math

import torch

from attractor._core.validation import check_int, check_positive
from attractor.analysis._series import time_series


def _time_first(x: torch.Tensor, name: str) -> torch.Tensor:
    return time_series(x, name, min_length=4, channels="any")


def power_spectrum(
    x: torch.Tensor, dt: float = 1.0, *, window: bool = True, segments: int = 1
) -> tuple[torch.Tensor, torch.Tensor]:
    """One-sided power spectral density of each channel of the time-first series ``x``.

    ``x`` has shape ``(T, ...)``; returns ``(freqs, psd)`` with ``freqs`` of shape ``(F,)``
    (cycles per unit time) and ``psd`` of shape ``(F, ...)``. The mean is removed, a Hann
    window applied (``window``), and with ``segments > 1`` the estimate is Welch's average
    over that many half-overlapping segments (less variance, coarser resolution).
    """
    x = _time_first(x, "x")
    check_positive("dt", dt)
    segments = check_int("segments", segments)
    n = x.shape[0]
    length = n if segments == 1 else int(2 * n / (segments + 1))
    step = max(1, length // 2)
    starts = range(0, n - length + 1, step) if segments > 1 else [0]
    w = (
        torch.hann_window(length, periodic=False, dtype=x.dtype, device=x.device)
        if window
        else torch.ones(length, dtype=x.dtype, device=x.device)
    )
    shape = (length,) + (1,) * (x.dim() - 1)
    psd = 0
    for s in starts:
        seg = x[s : s + length]
        seg = (seg - seg.mean(0, keepdim=True)) * w.reshape(shape)
        psd = psd + torch.fft.rfft(seg, dim=0).abs().pow(2)
    psd = psd * (dt / (w.pow(2).sum() * len(starts)))
    psd[1:] = 2 * psd[1:]  # one-sided
    freqs = torch.fft.rfftfreq(length, d=dt).to(device=x.device, dtype=x.dtype)
    return freqs, psd


def _smooth(psd: torch.Tensor, sigma: float) -> torch.Tensor:
    """Gaussian smoothing along the frequency axis (reflecting at the ends)."""
    if sigma <= 0:
        return psd
    half = max(1, math.ceil(4 * sigma))
    grid = torch.arange(-half, half + 1, dtype=psd.dtype, device=psd.device)
    kernel = torch.exp(-0.5 * (grid / sigma) ** 2)
    kernel = kernel / kernel.sum()
    flat = psd.reshape(psd.shape[0], -1).T.unsqueeze(1)  # (channels, 1, F)
    pad = min(half, psd.shape[0] - 1)
    flat = torch.nn.functional.pad(flat, (pad, pad), mode="reflect")
    if pad < half:
        flat = torch.nn.functional.pad(flat, (half - pad, half - pad), mode="replicate")
    out = torch.nn.functional.conv1d(flat, kernel.reshape(1, 1, -1))
    return out.squeeze(1).T.reshape(psd.shape)


def normalized_spectrum(x: torch.Tensor, *, smoothing: float = 20.0, cutoff: int | None = None) -> torch.Tensor:
    """Smoothed power spectrum per channel normalised to unit sum, shape ``(F, c)``:
    the distribution compared by :func:`power_spectrum_distance`."""
    _, psd = power_spectrum(x)
    psd = _smooth(psd, smoothing)
    if cutoff is not None:
        psd = psd[: check_int("cutoff", cutoff)]
    return psd / psd.sum(0, keepdim=True).clamp_min(torch.finfo(psd.dtype).tiny)


def power_spectrum_distance(
    x: torch.Tensor, y: torch.Tensor, *, smoothing: float = 20.0, cutoff: int | None = None
) -> torch.Tensor:
    """Power-spectrum distance ``D_H`` between two time-first series of shape ``(T, d)``.

    Per channel, the power spectra are smoothed with a Gaussian of ``smoothing`` frequency
    bins, optionally truncated to the first ``cutoff`` bins, and normalised to unit sum;
    ``D_H`` is their Hellinger distance ``H(p, q) = √(1 - Σ_f √(p_f q_f))`` averaged over
    channels, computed as ``√(½ Σ_f (√p_f - √q_f)²)`` (equal for normalised spectra, and
    exactly 0 for identical ones). In ``[0, 1]``. Series of different lengths are compared
    on their common length (the longer one's start).
    """
    x = _time_first(x, "x")
    y = _time_first(y, "y")
    if x.shape[1:] != y.shape[1:]:
        raise ValueError(f"`x` and `y` must have the same channels; got {tuple(x.shape)} and {tuple(y.shape)}.")
    n = min(x.shape[0], y.shape[0])
    p = normalized_spectrum(x[:n], smoothing=smoothing, cutoff=cutoff)
    q = normalized_spectrum(y[:n], smoothing=smoothing, cutoff=cutoff)
    h2 = 0.5 * (p.sqrt() - q.sqrt()).pow(2).sum(0)
    return h2.clamp(0, 1).sqrt().mean()
