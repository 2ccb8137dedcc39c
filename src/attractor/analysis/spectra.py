"""Power spectra and the power-spectrum (Hellinger) distance ``D_H`` used to compare a
reconstructed system with the true one (Mikhaeil, Monfared & Durstewitz, NeurIPS 2022;
Hess et al., ICML 2023; Brenner et al., NeurIPS 2024)."""

from __future__ import annotations

import torch

from attractor._core.validation import check_choice, check_int, check_positive
from attractor.analysis._series import time_series


def _time_first(x: torch.Tensor, name: str) -> torch.Tensor:
    return time_series(x, name, min_length=4, channels="any")


def _hann(window) -> bool:
    """``window`` as a flag: True/"hann" for the Hann window, False/None for none."""
    if window is None or window is False:
        return False
    if window is True or (isinstance(window, str) and window.lower() == "hann"):
        return True
    raise ValueError(f"`window` must be None or 'hann' (or a bool); got {window!r}.")


def power_spectrum(
    x: torch.Tensor, dt: float = 1.0, *, window: bool | str | None = True, segments: int = 1
) -> tuple[torch.Tensor, torch.Tensor]:
    """One-sided power spectral density of each channel of the time-first series ``x``.

    ``x`` has shape ``(T, ...)``; returns ``(freqs, psd)`` with ``freqs`` of shape ``(F,)``
    (cycles per unit time) and ``psd`` of shape ``(F, ...)``. The mean is removed, a Hann
    window applied (``window=True`` or ``"hann"``; ``False`` or ``None`` for none), and with
    ``segments > 1`` the estimate is Welch's average over that many half-overlapping segments
    (less variance, coarser resolution).
    """
    x = _time_first(x, "x")
    check_positive("dt", dt)
    hann = _hann(window)
    segments = check_int("segments", segments)
    n = x.shape[0]
    length = n if segments == 1 else int(2 * n / (segments + 1))
    step = max(1, length // 2)
    starts = range(0, n - length + 1, step) if segments > 1 else [0]
    w = (
        torch.hann_window(length, periodic=False, dtype=x.dtype, device=x.device)
        if hann
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


def _extension(n: int, radius: int, boundary: str, device) -> torch.Tensor:
    """Indices of ``n`` samples extended by ``radius`` on each side: ``"mirror"`` reflects
    about the end samples (``c b | a b c | b a``), ``"reflect"`` about the half-sample
    beyond them (``b a | a b c | c b``); both repeat periodically for any ``radius``."""
    idx = torch.arange(-radius, n + radius, device=device)
    if n == 1:
        return torch.zeros_like(idx)
    period = 2 * n - 2 if boundary == "mirror" else 2 * n
    idx = idx % period
    return torch.where(idx < n, idx, period - idx - int(boundary == "reflect"))


def _smooth(psd: torch.Tensor, sigma: float, boundary: str = "mirror") -> torch.Tensor:
    """Gaussian smoothing along the first (frequency) axis: the kernel ``exp(-k²/2σ²)`` for
    ``|k| ≤ r = ⌊4σ + ½⌋`` normalised to unit sum (``scipy.ndimage.gaussian_filter1d``'s and
    ``ImageFiltering.Kernel.gaussian``'s at length ``8σ + 1``), the spectrum extended past its
    ends as ``boundary`` says."""
    radius = int(4 * sigma + 0.5)
    if sigma <= 0 or radius == 0:
        return psd
    grid = torch.arange(-radius, radius + 1, dtype=psd.dtype, device=psd.device)
    kernel = torch.exp(-0.5 * (grid / sigma) ** 2)
    kernel = kernel / kernel.sum()
    n = psd.shape[0]
    flat = psd.reshape(n, -1)[_extension(n, radius, boundary, psd.device)]  # (n + 2r, channels)
    out = torch.nn.functional.conv1d(flat.T.unsqueeze(1), kernel.reshape(1, 1, -1))
    return out.squeeze(1).T.reshape(psd.shape)


def normalized_spectrum(
    x: torch.Tensor,
    *,
    smoothing: float = 20.0,
    cutoff: int | None = None,
    window: str | None = None,
    boundary: str = "mirror",
) -> torch.Tensor:
    """Smoothed power spectrum per channel normalised to unit sum, shape ``(F, c)``:
    the distribution compared by :func:`power_spectrum_distance`, whose docstring gives the
    steps and the options."""
    smoothing = check_positive("smoothing", smoothing, allow_zero=True)
    boundary = check_choice("boundary", boundary, ["mirror", "reflect"])
    _, psd = power_spectrum(x, window=_hann(window))
    psd = _smooth(psd, smoothing, boundary).clamp_min(0)
    if cutoff is not None:
        psd = psd[: check_int("cutoff", cutoff)]
    return psd / psd.sum(0, keepdim=True).clamp_min(torch.finfo(psd.dtype).tiny)


def power_spectrum_distance(
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    smoothing: float = 20.0,
    cutoff: int | None = None,
    window: str | None = None,
    boundary: str = "mirror",
) -> torch.Tensor:
    r"""Power-spectrum distance ``D_H`` between two time-first series of shape ``(T, d)``
    (Mikhaeil et al., NeurIPS 2022; Hess et al., ICML 2023; Brenner et al., NeurIPS 2024).

    Per channel: the mean is removed (the reference standardises; the scale cancels below),
    the power spectrum ``|FFT(x)|²`` taken without a window (``window=None``, default, as the
    reference; ``window="hann"`` multiplies the series by a Hann window first, this function's
    earlier fixed choice, which raises ``D_H`` on broadband chaotic spectra), smoothed along
    frequency with a Gaussian of standard deviation ``smoothing`` bins (default 20; kernel
    radius ``⌊4σ + ½⌋``; 0 for none), optionally truncated to the first ``cutoff`` bins, and
    normalised to unit sum, giving ``p`` and ``q``. ``D_H`` is the Hellinger distance
    ``H(p, q) = √(1 - Σ_f √(p_f q_f))`` averaged over channels, computed as
    ``√(½ Σ_f (√p_f - √q_f)²)`` (equal for normalised spectra, and exactly 0 for identical
    ones). In ``[0, 1]``.

    ``boundary`` says how the spectrum is extended past its ends for the smoothing:
    ``"mirror"`` (default) reflects about the end bins without repeating them, as the Julia
    reference code does (``smooth_dims!`` with ImageFiltering's ``"reflect"`` padding, in
    ``src/measures/pse.jl`` of github.com/DurstewitzLab/GTF-shPLRNN and
    github.com/DurstewitzLab/ALRNN-DSR, which produced those papers' numbers); ``"reflect"``
    repeats the end bins, as ``scipy.ndimage.gaussian_filter1d``'s default in the Python
    tutorial code (``alrnn_python/metrics.py`` in ALRNN-DSR). The two differ only in the
    first and last ``4σ`` bins.

    Series of different lengths are compared on their common length (the longer one's start);
    the reference requires equal lengths.
    """
    x = _time_first(x, "x")
    y = _time_first(y, "y")
    if x.shape[1:] != y.shape[1:]:
        raise ValueError(f"`x` and `y` must have the same channels; got {tuple(x.shape)} and {tuple(y.shape)}.")
    n = min(x.shape[0], y.shape[0])
    options = {"smoothing": smoothing, "cutoff": cutoff, "window": window, "boundary": boundary}
    p = normalized_spectrum(x[:n], **options)
    q = normalized_spectrum(y[:n], **options)
    h2 = 0.5 * (p.sqrt() - q.sqrt()).pow(2).sum(0)
    return h2.clamp(0, 1).sqrt().mean()
