"""The stochastic interpolant with a latent Gaussian term (Albergo, Boffi & Vanden-Eijnden 2023)."""

from __future__ import annotations

from typing import Any

import torch

from attractor._core.validation import check_choice, check_positive
from attractor.transport.paths.base import Path, as_time
from attractor.transport.paths.linear import LinearPath


class StochasticInterpolant(Path):
    r"""``x_t = alpha(t) x0 + beta(t) x1 + gamma(t) z`` with ``alpha, beta`` from a base path.

    ``gamma="bridge"``: :math:`\gamma(t)^2 = \varepsilon\, t (1 - t)` (the Brownian-bridge
    latent of Albergo et al.; with the linear base and an entropic-OT coupling of
    regularization :math:`2\varepsilon` this is Schrodinger-bridge CFM, Tong et al. 2024).
    ``gamma="constant"``: :math:`\gamma = \sqrt{\varepsilon}` (torchcfm's ``sigma`` with
    ``sigma = sqrt(epsilon)``). The bridge's :math:`\dot\gamma = \varepsilon (1 - 2t) / (2\gamma)`
    is infinite at ``t = 0`` and ``1``.

    ``source="gaussian"`` (``x0 ~ N(0, I)``) keeps the Gaussian view (noise scale
    :math:`\sqrt{\alpha^2 + \gamma^2}`); ``source="data"`` transports between two arbitrary
    distributions (``x0`` from a data set), where velocity and score are independent fields.
    """

    def __init__(self, base: Path | None = None, *, epsilon: float = 1.0, gamma: str = "bridge",
                 source: str = "gaussian") -> None:
        self.base = LinearPath() if base is None else base
        if not isinstance(self.base, Path) or isinstance(self.base, StochasticInterpolant):
            raise TypeError(f"`base` must be a deterministic Path; got {type(self.base).__name__}.")
        self.epsilon = check_positive("epsilon", epsilon)
        self.gamma = check_choice("gamma", gamma, ("bridge", "constant"))
        self.source = check_choice("source", source, ("gaussian", "data"))
        self.gaussian_source = self.source == "gaussian"

    @property
    def stochastic(self) -> bool:
        return True

    def _gamma(self, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.gamma == "constant":
            return torch.full_like(t, self.epsilon**0.5), torch.zeros_like(t)
        g = torch.sqrt(self.epsilon * t * (1.0 - t))
        return g, self.epsilon * (1.0 - 2.0 * t) / (2.0 * g)

    def scales(self, t: Any):
        # s s' = alpha alpha' + gamma gamma', with gamma gamma' = epsilon (1 - 2t) / 2 in closed
        # form for the bridge (finite at the ends, where gamma' alone is not)
        self._require_gaussian("the Gaussian view (signal and noise scales)")
        t = as_time(t)
        a, b, _ = self.base.coefficients(t)
        da, db, _ = self.base.derivatives(t)
        g = self._gamma(t)[0]
        s = torch.sqrt(a * a + g * g)
        return b, s, db, (a * da + self.gamma_dgamma(t)) / s

    def gamma_dgamma(self, t: Any) -> torch.Tensor:
        t = as_time(t)
        return self.epsilon * (0.5 - t) if self.gamma == "bridge" else torch.zeros_like(t)

    def coefficients(self, t: Any):
        t = as_time(t)
        a, b, _ = self.base.coefficients(t)
        return a, b, self._gamma(t)[0]

    def derivatives(self, t: Any):
        t = as_time(t)
        da, db, _ = self.base.derivatives(t)
        return da, db, self._gamma(t)[1]
