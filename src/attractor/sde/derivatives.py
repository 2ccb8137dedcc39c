"""Derivatives of the diffusion that Milstein-type schemes and Ito/Stratonovich conversion need.

``L^j g = (\\partial g / \\partial y) g_{:, j}``: the derivative of the diffusion along its own
noise columns. Under diagonal noise (``g_i`` depends on ``y_i`` only) it is ``g_i \\partial_i g_i``,
which one vector-Jacobian product with a vector of ones gives; otherwise a Jacobian-vector
product per noise channel (``torch.func.jvp``). The function transforms compose with autograd:
backpropagating through a Milstein step differentiates these terms too, and nothing is
recorded when no input needs a gradient.
"""

from __future__ import annotations

import torch
from torch.func import jvp, vjp

from attractor.sde.terms import SDETerms


def diffusion_and_diag_derivative(terms: SDETerms, t, y: torch.Tensor):
    """``(g, \\partial g_i / \\partial y_i)`` for diagonal (or elementwise) diffusions.

    One vector-Jacobian product with a vector of ones: the column sums of the Jacobian, which
    are its diagonal when ``g_i`` depends on ``y_i`` only (the diagonal-noise assumption).
    Reverse-mode autograd where it cannot leak a graph (no gradients wanted, or ``y`` already
    carries one); otherwise ``torch.func.vjp``, which composes with the caller's autograd
    without recording a throw-away leaf.
    """
    terms.nfe_diffusion += 1
    if not torch.is_grad_enabled() or y.requires_grad:
        keep_graph = torch.is_grad_enabled()
        with torch.enable_grad():
            y_in = y if keep_graph else y.detach().requires_grad_(True)
            g = terms.diffusion(t, y_in, *terms.args)
            if not g.requires_grad:
                return g, torch.zeros_like(g)
            (dg,) = torch.autograd.grad(g, y_in, torch.ones_like(g), create_graph=keep_graph,
                                        allow_unused=True)
        dg = torch.zeros_like(g) if dg is None else dg
        return (g, dg) if keep_graph else (g.detach(), dg.detach())
    g, pullback = vjp(lambda z: terms.diffusion(t, z, *terms.args), y.contiguous())
    (dg,) = pullback(torch.ones_like(g))
    return g, dg


def diffusion_and_jvp(terms: SDETerms, t, y: torch.Tensor, v: torch.Tensor):
    """``(g(t, y), (\\partial g / \\partial y) v)`` by forward-mode differentiation."""
    terms.nfe_diffusion += 1
    # forward-mode duals need primal and tangent with their own memory (not expanded views)
    return jvp(lambda z: terms.diffusion(t, z, *terms.args), (y.contiguous(),), (v.contiguous(),))


def milstein_directions(terms: SDETerms, t, y: torch.Tensor):
    """``(g, L)`` with ``L[..., :, j1, j2] = (L^{j1} g)_{:, j2}`` for matrix-layout diffusions.

    ``g`` has shape ``(*batch, d, m)`` and ``L`` shape ``(*batch, d, m, m)``; costs ``m`` JVPs.
    """
    g = terms.g(t, y)
    cols = [diffusion_and_jvp(terms, t, y, g[..., j])[1] for j in range(g.shape[-1])]
    return g, torch.stack(cols, dim=-2)


def stratonovich_correction(terms: SDETerms, t, y: torch.Tensor) -> torch.Tensor:
    """``c(t, y) = \\tfrac12 \\sum_j L^j g_{:, j}``: Ito drift = Stratonovich drift + c.

    Zero for additive noise.
    """
    if terms.noise == "additive":
        return torch.zeros_like(y)
    if not terms.matrix and terms.noise == "diagonal":
        g, dg = diffusion_and_diag_derivative(terms, t, y)
        return 0.5 * g * dg
    if not terms.matrix:  # scalar noise, g of shape y
        g = terms.g(t, y)
        return 0.5 * diffusion_and_jvp(terms, t, y, g)[1]
    g = terms.g(t, y)
    out = torch.zeros_like(y)
    for j in range(g.shape[-1]):
        out = out + diffusion_and_jvp(terms, t, y, g[..., j])[1][..., j]
    return 0.5 * out
