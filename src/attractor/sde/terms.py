"""The SDE as the solvers see it: drift, diffusion, and how diffusion meets noise.

``dy = f(t, y) dt + g(t, y) dW`` (Ito) or ``\\circ dW`` (Stratonovich), with ``y`` of shape
``(*batch, d)`` and the diffusion's layout fixed by ``noise``:

==========  =====================================  ====================  ==============
noise       ``g(t, y)`` shape                      ``W`` shape           ``g dW``
==========  =====================================  ====================  ==============
diagonal    ``(*batch, d)``                        ``(*batch, d)``       ``g * dW``
scalar      ``(*batch, d)`` or ``(*batch, d, 1)``  ``(*batch, 1)``       ``g * dW``
additive    ``(*batch, d)`` or ``(*batch, d, m)``  like diagonal/general  (g independent of y)
general     ``(*batch, d, m)``                     ``(*batch, m)``       ``g @ dW``
==========  =====================================  ====================  ==============

``SDETerms`` checks the layout on the first diffusion call and counts evaluations.
"""

from __future__ import annotations

import torch

from attractor._core.validation import check_choice

NOISE_TYPES = ("diagonal", "scalar", "additive", "general")
SDE_TYPES = ("ito", "stratonovich")


class SDETerms:
    """Drift and diffusion with the noise layout resolved; counts function evaluations."""

    def __init__(self, drift, diffusion, t0, y0: torch.Tensor, *, noise: str, sde_type: str,
                 args: tuple = ()):
        self.drift = drift
        self.diffusion = diffusion
        self.noise = check_choice("noise", noise, NOISE_TYPES)
        self.sde_type = check_choice("sde_type", sde_type, SDE_TYPES)
        self.args = tuple(args)
        self.y_shape = tuple(y0.shape)
        self.nfe_drift = 0
        self.nfe_diffusion = 0
        self.matrix = False  # True when g has a trailing noise axis and g dW is a mat-vec
        self.m = self.y_shape[-1]
        self._probe(t0, y0)

    # ------------------------------------------------------------------ layout
    def _probe(self, t0, y0: torch.Tensor) -> None:
        """Decide the layout from one diffusion evaluation at ``(t0, y0)`` and check it."""
        with torch.no_grad():
            g = self.diffusion(t0, y0, *self.args)
        self.nfe_diffusion += 1
        if not isinstance(g, torch.Tensor):
            raise TypeError(f"`diffusion` must return a tensor; got {type(g).__name__}.")
        y_shape, d = self.y_shape, self.y_shape[-1]
        shape = tuple(g.shape)
        elementwise = shape == y_shape
        matrix = len(shape) == len(y_shape) + 1 and shape[:-1] == y_shape
        expected = {
            "diagonal": f"{y_shape} (same as y0)",
            "scalar": f"{y_shape} or {y_shape + (1,)}",
            "additive": f"{y_shape} or {y_shape + ('m',)}",
            "general": f"{y_shape + ('m',)}",
        }[self.noise]
        ok = (
            (self.noise == "diagonal" and elementwise)
            or (self.noise == "scalar" and (elementwise or (matrix and shape[-1] == 1)))
            or (self.noise == "additive" and (elementwise or matrix))
            or (self.noise == "general" and matrix)
        )
        if not ok:
            raise ValueError(
                f"`diffusion` returned shape {shape}, inconsistent with noise={self.noise!r} for y0 "
                f"of shape {y_shape}; expected {expected}."
            )
        self.matrix = matrix
        if self.noise == "scalar":
            self.m = 1
        elif matrix:
            self.m = shape[-1]
        else:
            self.m = d

    @property
    def bm_shape(self) -> tuple[int, ...]:
        """Shape of the Brownian motion driving this SDE."""
        if self.noise == "diagonal" or (self.noise == "additive" and not self.matrix):
            return self.y_shape
        return self.y_shape[:-1] + (self.m,)

    # ------------------------------------------------------------------ evaluations
    def f(self, t, y: torch.Tensor) -> torch.Tensor:
        self.nfe_drift += 1
        return self.drift(t, y, *self.args)

    def g(self, t, y: torch.Tensor) -> torch.Tensor:
        self.nfe_diffusion += 1
        return self.diffusion(t, y, *self.args)

    def prod(self, g: torch.Tensor, dW: torch.Tensor) -> torch.Tensor:
        """``g dW`` for this layout (``g`` from :meth:`g`, ``dW`` shaped like the Brownian motion)."""
        if self.matrix:
            return (g @ dW.unsqueeze(-1)).squeeze(-1)
        return g * dW

    def g_prod(self, t, y: torch.Tensor, dW: torch.Tensor) -> torch.Tensor:
        return self.prod(self.g(t, y), dW)

    def increment(self, t, y: torch.Tensor, h, dW: torch.Tensor) -> torch.Tensor:
        """``f(t, y) h + g(t, y) dW``: the whole update direction of one Euler-type stage."""
        # in place on the fresh product: autograd keeps the product's inputs, not its output
        return self.g_prod(t, y, dW).add_(self.f(t, y), alpha=h)

    @property
    def nfe(self) -> int:
        return self.nfe_drift + self.nfe_diffusion
