"""DDIM (Song, Meng & Ermon 2021), deterministic or with ancestral noise."""

from __future__ import annotations

import math

from attractor._core.validation import check_in_range
from attractor.transport.samplers.linear import LinearMultistepSampler, Tables, step_ratio


class DDIM(LinearMultistepSampler):
    r"""Denoising diffusion implicit models on any Gaussian path.

    From :math:`x = b x_1 + s \varepsilon` at :math:`t_k` to :math:`t_{k+1}` (primes):

    .. math:: x' = b' \hat x + \sqrt{s'^2 - c^2}\, \hat\varepsilon + c\, \xi, \qquad
              c = \eta\, s' \sqrt{1 - e^{-2h}},

    with :math:`\hat\varepsilon = (x - b \hat x)/s` and :math:`h = \lambda' - \lambda` the
    log-SNR step; :math:`c^2` is Song et al.'s posterior variance
    :math:`\sigma_t^2 = \frac{1-\bar\alpha_{t-1}}{1-\bar\alpha_t}(1 - \frac{\bar\alpha_t}
    {\bar\alpha_{t-1}})` written for any path. ``eta=0`` is deterministic (DDIM, the
    first-order DPM-Solver, Euler in ``sigma``; on the linear path Euler in ``t``); ``eta=1``
    is DDPM's ancestral sampler. First order; one evaluation per step.
    """

    default_grid = "uniform"

    def __init__(self, steps: int | None = None, grid=None, *, eta: float = 0.0) -> None:
        super().__init__(steps, grid)
        self.eta = check_in_range("eta", eta, 0.0, 1.0)  # above 1 the posterior variance exceeds s'^2

    @property
    def stochastic(self) -> bool:  # type: ignore[override]
        return self.eta > 0

    def tables(self, levels):
        A, C, N = [], [], []
        for k in range(len(levels.t) - 1):
            h, b1, _ = step_ratio(levels, k)
            s0, s1, b0 = levels.s[k], levels.s[k + 1], levels.b[k]
            c = self.eta * s1 * math.sqrt(-math.expm1(-2.0 * h)) if self.eta else 0.0
            direction = math.sqrt(max(s1 * s1 - c * c, 0.0))  # c <= s1 for eta <= 1 (rounding only)
            A.append(direction / s0)
            C.append([b1 - b0 * direction / s0])
            N.append(c)
        return Tables(A, C, N)
