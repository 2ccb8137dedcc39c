"""Brownian bridge sampling, with or without space-time Levy area.

Given a path's pairs ``(W, K)`` at times ``a < b`` (``K(t) = \\int W``), :func:`split` samples
the pair at an interior time ``t`` from the exact conditional law.

Without Levy area this is the Brownian bridge
``W_t = W_a + (h_1/h) W_{ab} + \\sqrt{h_1 h_2 / h}\\, z``  (``h_1 = t-a, h_2 = b-t``).

With Levy area the four independent Gaussians ``(W_1, W_2, H_1, H_2)`` (increments and space-time
Levy areas of the two halves, variances ``h_1, h_2, h_1/12, h_2/12``) are conditioned on the
two linear constraints

.. math:: W = W_1 + W_2, \\qquad h H = h_1 H_1 + h_2 H_2 + \\tfrac{h_2}{2} W_1 - \\tfrac{h_1}{2} W_2

(``W`` and ``hH`` are independent with variances ``h`` and ``h^3/12``) by the exact
"conditioning by Kriging" update ``x = x' + \\Sigma A^T (A \\Sigma A^T)^{-1} (y - A x')``
applied to an unconditioned draw ``x'``. At the midpoint this reduces to the bisection rule
``W_1 = W/2 + 3H/2 + \\sqrt{h}\\,z/4`` used by virtual Brownian trees (J. Foster, "Numerical
approximations for stochastic differential equations", PhD thesis, Oxford 2020, sec. 5).
"""

from __future__ import annotations

import math

import torch


def split(a: float, t: float, b: float, wa, ka, wb, kb, z: torch.Tensor):
    """Sample ``(W_t, K_t)`` given the pairs at ``a`` and ``b``.

    ``z`` holds standard normals: shape ``wa.shape`` without Levy area (``ka is None``), else
    ``(4, *wa.shape)``. Returns ``(W_t, K_t)`` (``K_t`` is ``None`` without Levy area).
    """
    h, h1, h2 = b - a, t - a, b - t
    if ka is None:
        return wa + (h1 / h) * (wb - wa) + math.sqrt(h1 * h2 / h) * z, None
    W = wb - wa
    hH = (kb - ka - h * wa) - 0.5 * h * W
    w1p = math.sqrt(h1) * z[0]
    w2p = math.sqrt(h2) * z[1]
    h1p = math.sqrt(h1 / 12.0) * z[2]
    h2p = math.sqrt(h2 / 12.0) * z[3]
    hHp = h1 * h1p + h2 * h2p + 0.5 * h2 * w1p - 0.5 * h1 * w2p
    res_w = W - w1p - w2p
    res_h = hH - hHp
    w1 = w1p + (h1 / h) * res_w + (6.0 * h1 * h2 / h**3) * res_h
    big_h1 = h1p + (h1 * h1 / h**3) * res_h
    wt = wa + w1
    kt = ka + h1 * wa + h1 * (big_h1 + 0.5 * w1)
    return wt, kt


def extend(h: float, wa, ka, z: torch.Tensor):
    """Sample the pair at ``a + h`` given the pair at ``a`` (a fresh, unconditioned step).

    ``z``: normals of ``wa``'s shape without Levy area, else ``(2, *wa.shape)``.
    """
    if ka is None:
        return wa + math.sqrt(h) * z, None
    w = math.sqrt(h) * z[0]
    big_h = math.sqrt(h / 12.0) * z[1]
    return wa + w, ka + h * wa + h * (big_h + 0.5 * w)
