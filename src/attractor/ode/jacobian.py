"""Jacobians ``J = df/dy`` and time derivatives ``df/dt`` of a vector field, for implicit steppers.

Samples of a batch are independent (the batch convention), so ``df/dy`` is block diagonal and
only the ``(D, D)`` block of each sample is needed. All blocks come from ``D`` vector--Jacobian
products whose cotangent is the unit vector ``e_i`` repeated for every sample: product ``i``
returns row ``i`` of every sample's block at once. The ``D`` products run as one vectorised
backward pass (``torch.autograd.grad(..., is_grads_batched=True)``), or one at a time when the
field has operations without batching rules.

When ``f`` is not differentiable by autograd at ``y`` (its output carries no graph: it detaches,
calls ``autograd.grad`` itself as the backsolve adjoint's augmented field does, or leaves torch),
the blocks come from forward differences instead,
``J e_i ~ (f(y + delta_i e_i) - f(y)) / delta_i`` with ``delta_i = sqrt(eps) max(|y_i|, 1)``:
one evaluation per column, again for every sample at once.

``df/dt`` (needed by Rosenbrock methods on non-autonomous problems) comes from the same backward
pass when every sample has its own time entry, otherwise from one forward-mode evaluation in
``t``, with the same finite-difference fallback.
"""

from __future__ import annotations

import math

import torch


class JacobianEvaluator:
    """Per-sample Jacobian blocks of one field on states of ``batch`` samples (see module docstring).

    Parameters
    ----------
    batch, size:
        ``B`` samples of ``D`` entries each (flat states have ``B * D`` entries).
    method:
        ``"autograd"`` (reverse mode, falling back to finite differences for fields autograd
        cannot differentiate) or ``"finite_difference"``.
    """

    def __init__(self, batch: int, size: int, method: str = "autograd") -> None:
        self.B, self.D = batch, size
        self.method = method
        self.vectorised = True  # set False after a field without batching rules is met
        self.evaluations = 0  # Jacobians formed
        self.differentiable = method == "autograd"  # False once the field proved opaque to autograd

    def __call__(self, field, t, y: torch.Tensor, f0: torch.Tensor | None = None, *,
                 create_graph: bool = False, with_time: bool = False):
        """``(B, D, D)`` blocks ``J_b = df_b / dy_b`` at ``(t, y)`` (flat ``y``), and with
        ``with_time`` also ``df/dt`` (flat like ``y``; ``None`` when it needs its own evaluation).

        With ``create_graph`` the results stay differentiable (for methods whose result depends
        on ``J``, under autograd); otherwise they are constants. ``f0 = f(t, y)`` saves one
        evaluation on the finite-difference path. ``df/dt`` comes from the same backward pass
        when every sample has its own time tensor entry (one sample, or per-sample times).
        """
        self.evaluations += 1
        if self.differentiable:
            out = self._reverse_mode(field, t, y, create_graph, with_time)
            if out is not None:
                return out
            self.differentiable = False
        return self._finite_differences(field, t, y if create_graph else y.detach(), f0), None

    # -- reverse mode ------------------------------------------------------------------------
    def _reverse_mode(self, field, t, y, create_graph: bool, with_time: bool):
        B, D = self.B, self.D
        with torch.enable_grad():
            y_in = y if (create_graph and y.requires_grad) else y.detach().requires_grad_()
            tt = _time(field, t)
            t_in = tt.detach().requires_grad_() if with_time and tt.numel() == B else None
            out = field(tt if t_in is None else t_in, y_in.view(field.shape))
            if not out.requires_grad:
                return None
            out = out.reshape(B, D)
            inputs = (y_in,) if t_in is None else (y_in, t_in)
            basis = torch.eye(D, dtype=out.dtype, device=out.device).unsqueeze(1).expand(D, B, D)
            grads = None
            if self.vectorised and D > 1:
                try:
                    grads = torch.autograd.grad(out, inputs, basis, create_graph=create_graph, retain_graph=True,
                                                is_grads_batched=True, allow_unused=True)
                except (RuntimeError, NotImplementedError):  # ops without batching rules
                    self.vectorised = False
            if grads is None:
                each = [torch.autograd.grad(out, inputs, basis[i], create_graph=create_graph, retain_graph=True,
                                            allow_unused=True) for i in range(D)]
                grads = [None if any(g[k] is None for g in each) else torch.stack([g[k] for g in each])
                         for k in range(len(inputs))]
        rows = grads[0] if grads[0] is not None else y_in.new_zeros((D,) + y_in.shape)
        J = rows.reshape(D, B, D).transpose(0, 1)
        if t_in is None:
            return J, None
        ft = grads[1] if grads[1] is not None else t_in.new_zeros((D,) + t_in.shape)
        return J, ft.reshape(D, B).T.reshape(-1).to(y.dtype)

    def time_derivative(self, field, t, y: torch.Tensor, f0: torch.Tensor, *, create_graph: bool = False) -> torch.Tensor:
        """``df/dt`` at ``(t, y)``, flat like ``y``: forward mode in ``t``, else a forward difference.

        Forward mode is ``torch.func.jvp`` (unlike ``torch.autograd.forward_ad`` it also works
        inside the ``autograd.Function`` of the checkpoint adjoint)."""
        tt = _time(field, t).detach()
        yv = y.view(field.shape) if create_graph else y.detach().view(field.shape)
        if self.differentiable:
            try:
                with torch.set_grad_enabled(create_graph and torch.is_grad_enabled()):
                    _, tangent = torch.func.jvp(lambda s: field(s, yv), (tt,), (torch.ones_like(tt),))
                return tangent.reshape(-1).to(y.dtype)
            except (RuntimeError, NotImplementedError):  # ops without forward-mode formulas
                pass
        dt = math.sqrt(torch.finfo(y.dtype).eps) * tt.abs().clamp(min=1.0)
        t1 = tt + dt
        f1 = field(t1, yv)
        return ((f1 - f0.view(field.shape)) / (t1 - tt)).reshape(-1)

    # -- finite differences ------------------------------------------------------------------
    def _finite_differences(self, field, t, y, f0) -> torch.Tensor:
        B, D = self.B, self.D
        tt = _time(field, t)
        yb = y.reshape(B, D)
        if f0 is None:
            f0 = field(tt, y.view(field.shape))
        f0 = f0.reshape(B, D)
        delta = math.sqrt(torch.finfo(y.dtype).eps) * yb.abs().clamp(min=1.0)  # (B, D)
        eye = torch.eye(D, dtype=y.dtype, device=y.device)

        def column(i: int) -> torch.Tensor:
            step = delta[:, i : i + 1] * eye[i]  # (B, D): entry i of every sample
            # the step actually taken, so rounding in y + step does not bias the quotient
            taken = ((yb + step) - yb)[:, i : i + 1]
            fi = field(tt, (yb + step).view(field.shape)).reshape(B, D)
            return (fi - f0) / taken

        columns = torch.stack([column(i) for i in range(D)], -1)  # (B, D, D)
        return columns


def _time(field, t) -> torch.Tensor:
    return field.time(t) if not isinstance(t, torch.Tensor) else t
