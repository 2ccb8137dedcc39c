"""Linearisation of a vector field or map: ``(f(y), J_f(y) V)`` for a batch of states ``y``
``(*B, d)`` and tangent matrices ``V`` ``(*B, d, k)``, by autograd (or a system's analytic
tangent map).

Modes:

* ``"analytic"``: the system's hand-written tangent map (registry systems that have one:
  Lorenz-63, Rössler, Lorenz-96, Hénon, logistic); verified against autograd in the tests.
* ``"reverse"``: the whole Jacobian in one reverse-mode pass. The state is repeated along a
  new *leading* axis of size ``d``; summing output ``i`` of copy ``i`` and differentiating
  gives row ``i`` of ``J`` in copy ``i``, because copies (and batch samples) are
  independent. Then ``J V`` is a batched matmul.
* ``"forward"``: ``torch.func.jvp`` with the ``k`` columns of ``V`` as a leading batch axis.
* ``"vmap"``: ``torch.func.vmap`` of ``jvp`` over the columns, for functions written for a
  single state (no leading batch axes allowed).
* ``"auto"`` (default): ``"analytic"`` when available, else ``"reverse"``.

Why reverse by default: in eager PyTorch (2.x, CPU) every forward-mode op that mixes a dual
tensor with a constant (``10.0 * x``, ``x + 1``) builds a zero tangent for the constant
and costs ~0.5–1.5 ms, so a Lorenz field in forward mode is ~10× slower than its
reverse-mode Jacobian. The ``"batch"``-style modes need ``f`` to treat leading dimensions
as independent samples (every registry system and every batched ``odeint`` field does);
parameters shaped like the batch still broadcast because the new axis is leading.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

JVP_MODES = ("auto", "analytic", "reverse", "forward", "vmap")


def jacobian_product(
    g: Callable[[torch.Tensor], torch.Tensor], y: torch.Tensor, v: torch.Tensor, mode: str = "reverse"
) -> tuple[torch.Tensor, torch.Tensor]:
    """Return ``(g(y), J_g(y) v)`` by autograd; ``mode`` is ``"reverse"``, ``"forward"`` or
    ``"vmap"`` (see the module docstring)."""
    if mode == "reverse":
        d = y.shape[-1]
        with torch.enable_grad():
            rep = y.detach().unsqueeze(0).expand((d,) + y.shape).clone().requires_grad_(True)
            out = g(rep)
            if out.requires_grad:
                eye = torch.eye(d, dtype=out.dtype, device=out.device)
                seed = eye.reshape((d,) + (1,) * (y.dim() - 1) + (d,)).expand_as(out)
                (rows,) = torch.autograd.grad(out, rep, seed, allow_unused=True, materialize_grads=True)
            else:  # g does not depend on y
                rows = torch.zeros_like(rep)
        jac = rows.movedim(0, -2)  # jac[..., i, :] = row i
        return out[0].detach(), jac @ v
    if mode == "forward":
        tangents = v.movedim(-1, 0).contiguous()  # (k, *B, d)
        primals = y.unsqueeze(0).expand_as(tangents).contiguous()
        out, jv = torch.func.jvp(g, (primals,), (tangents,))
        return out[0], jv.movedim(0, -1)
    if mode == "vmap":
        out = g(y)
        jv = torch.func.vmap(lambda t: torch.func.jvp(g, (y,), (t,))[1], in_dims=-1, out_dims=-1)(v)
        return out, jv
    raise ValueError(f"`jvp_mode` must be one of {list(JVP_MODES)}; got {mode!r}.")


def linearization(f, *, discrete: bool, mode: str = "auto", args: tuple = ()):
    """``lin(t, y, v) -> (f(y), J v)`` for a flow ``f(t, y, *args)`` or a map ``f(y, *args)``
    (``t`` ignored); uses a registry system's analytic tangent map when ``mode`` allows."""
    if mode not in JVP_MODES:
        raise ValueError(f"`jvp_mode` must be one of {list(JVP_MODES)}; got {mode!r}.")
    analytic = getattr(f, "tangent", None) if getattr(f, "has_tangent", False) else None
    if mode == "analytic" and analytic is None:
        raise ValueError("`jvp_mode='analytic'` needs a registry system with a tangent map.")
    if analytic is not None and mode in ("auto", "analytic"):
        if discrete:
            return lambda t, y, v: (f(y, *args), analytic(t, y, v))
        return lambda t, y, v: (f(t, y, *args), analytic(t, y, v))
    autograd_mode = "reverse" if mode in ("auto", "analytic") else mode
    if discrete:
        return lambda t, y, v: jacobian_product(lambda u: f(u, *args), y, v, autograd_mode)
    return lambda t, y, v: jacobian_product(lambda u: f(t, u, *args), y, v, autograd_mode)
