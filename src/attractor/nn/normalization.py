"""Weight and spectral normalization of layer weights, as parametrizations.

Both are registered with :func:`torch.nn.utils.parametrize.register_parametrization`, so the
module keeps its ``weight`` attribute and optimizers see the underlying parameters.

- :class:`WeightNorm` (Salimans & Kingma 2016, "Weight normalization"): ``W = g · V / ||V||``
  with the norm taken over every dimension but ``dim`` (one scale per output unit). DEQs use it
  to decouple the scale of a weight from its direction (Bai et al. 2019).
- :class:`SpectralNorm` (Miyato et al. 2018, "Spectral normalization for GANs"):
  ``W ↦ W · min(1, c / σ̂(W))`` where σ̂ is a power-iteration estimate of the largest singular
  value of ``W`` reshaped to a matrix ``(out, -1)``. Clipping rather than always dividing, as in
  invertible ResNets (Behrmann et al. 2019), keeps weights already below ``c`` untouched.
  The estimate is a lower bound of σ; for a *certified* bound use
  :mod:`attractor.nn.contractive`.

Inside a :class:`attractor.nn.DEQ`, a spectral norm's power iteration advances once per
training forward pass (not once per cell evaluation), so that every evaluation of the cell
during one solve and its backward pass sees the same weight -- the fixed-point map must not
change while it is being solved.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils import parametrize

from attractor._core.validation import check_int, check_positive, check_tensor


def _as_matrix(weight: torch.Tensor) -> torch.Tensor:
    """A weight as the matrix (out, in * kernel...) whose norm spectral normalization bounds."""
    return weight.reshape(weight.shape[0], -1) if weight.dim() != 2 else weight


def _normalize(x: torch.Tensor, eps: float) -> torch.Tensor:
    return x / x.norm(dim=-1, keepdim=True).clamp_min(eps)


def power_iteration(
    matrix: torch.Tensor, u: torch.Tensor, v: torch.Tensor, n_iter: int, eps: float = 1e-12
) -> tuple[torch.Tensor, torch.Tensor]:
    """``n_iter`` alternating power steps ``u ← Wv/|Wv|``, ``v ← Wᵀu/|Wᵀu|`` (batched over leading dims).

    The estimate ``uᵀWv`` of the largest singular value converges like ``(σ₂/σ₁)^(2k)``.
    Runs without gradient; returns the new (u, v).
    """
    with torch.no_grad():
        for _ in range(n_iter):
            u = _normalize(torch.einsum("...ij,...j->...i", matrix, v), eps)
            v = _normalize(torch.einsum("...ij,...i->...j", matrix, u), eps)
    return u, v


def _rayleigh(matrix: torch.Tensor, u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    # σ = uᵀ W v with u, v held fixed: its gradient u vᵀ is dσ/dW at convergence.
    return torch.einsum("...i,...ij,...j->...", u, matrix, v)


def matrix_spectral_norm(matrix: torch.Tensor, *, n_iter: int = 100, eps: float = 1e-12) -> torch.Tensor:
    """Largest singular value of ``matrix`` (shape ``(..., m, n)``) by power iteration.

    Cheaper than ``torch.linalg.matrix_norm(matrix, ord=2)`` (an SVD) for large matrices and
    differentiable (gradient ``u vᵀ`` from the converged singular vectors). The start vector is
    drawn from a fixed-seed generator, so the result is deterministic.
    """
    check_tensor("matrix", matrix, min_dim=2)
    n_iter = check_int("n_iter", n_iter, minimum=1)
    gen = torch.Generator(device=matrix.device).manual_seed(0)
    v = torch.randn(matrix.shape[:-2] + matrix.shape[-1:], generator=gen, device=matrix.device)
    v = _normalize(v.to(matrix.dtype), eps)
    u = torch.zeros(matrix.shape[:-1], dtype=matrix.dtype, device=matrix.device)
    u, v = power_iteration(matrix.detach(), u, v, n_iter, eps)
    return _rayleigh(matrix, u, v)


class SpectralNorm(nn.Module):
    """Parametrization ``W ↦ W · min(1, bound / σ̂(W))`` (or ``W · bound / σ̂`` when ``clip=False``).

    σ̂ is the power-iteration estimate of the largest singular value of ``W`` reshaped to
    ``(out, -1)``; the singular vectors are kept in buffers and refined by
    ``n_power_iterations`` steps per update. Updates happen in training mode only: on every
    call when ``auto_update`` is true (standalone use, like ``torch.nn.utils.spectral_norm``),
    or once after each :meth:`request_update` (what :class:`attractor.nn.DEQ` does; a DEQ
    turns ``auto_update`` off for the spectral norms inside its cell).
    """

    def __init__(
        self,
        weight: torch.Tensor,
        *,
        bound: float = 1.0,
        n_power_iterations: int = 1,
        clip: bool = True,
        eps: float = 1e-12,
    ) -> None:
        super().__init__()
        check_tensor("weight", weight, min_dim=2)
        self.bound = check_positive("bound", bound)
        self.n_power_iterations = check_int("n_power_iterations", n_power_iterations, minimum=1)
        self.clip = bool(clip)
        self.eps = eps
        self.auto_update = True
        self._update_pending = False
        matrix = _as_matrix(weight.detach())
        v = _normalize(torch.randn(matrix.shape[1], dtype=matrix.dtype, device=matrix.device), eps)
        u = torch.zeros(matrix.shape[0], dtype=matrix.dtype, device=matrix.device)
        # Start from accurate singular vectors so the very first forward is already normalized.
        u, v = power_iteration(matrix, u, v, 15, eps)
        self.register_buffer("_u", u)
        self.register_buffer("_v", v)

    def request_update(self) -> None:
        """Advance the power iteration at the next (training-mode) evaluation only."""
        self.auto_update = False
        self._update_pending = True

    def sigma(self, weight: torch.Tensor) -> torch.Tensor:
        """The current estimate σ̂ = uᵀ W v (differentiable in W)."""
        return _rayleigh(_as_matrix(weight), self._u.clone(), self._v.clone())

    def forward(self, weight: torch.Tensor) -> torch.Tensor:
        if self.training and (self.auto_update or self._update_pending):
            self._update_pending = False
            u, v = power_iteration(_as_matrix(weight.detach()), self._u, self._v, self.n_power_iterations, self.eps)
            self._u.copy_(u)
            self._v.copy_(v)
        scale = self.bound / self.sigma(weight).clamp_min(self.eps)
        if self.clip:
            scale = scale.clamp(max=1.0)
        return weight * scale


class WeightNorm(nn.Module):
    """Parametrization ``W = g · V / ||V||``, the norm over all dimensions except ``dim``.

    Registered with two underlying parameters (``original0`` = direction V, ``original1`` =
    magnitude g), initialised so that the module's weight is unchanged.
    """

    def __init__(self, dim: int = 0, eps: float = 1e-12) -> None:
        super().__init__()
        self.dim = dim
        self.eps = eps

    def _norm(self, weight: torch.Tensor) -> torch.Tensor:
        dim = self.dim % weight.dim()
        dims = [d for d in range(weight.dim()) if d != dim]
        return torch.linalg.vector_norm(weight, dim=dims, keepdim=True)

    def forward(self, direction: torch.Tensor, magnitude: torch.Tensor) -> torch.Tensor:
        return direction * (magnitude / self._norm(direction).clamp_min(self.eps))

    def right_inverse(self, weight: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return weight, self._norm(weight)


def _check_weight(module: nn.Module, name: str) -> torch.Tensor:
    if not isinstance(module, nn.Module):
        raise TypeError(f"`module` must be a torch.nn.Module; got {type(module).__name__}.")
    weight = getattr(module, name, None)
    if weight is None:
        raise ValueError(f"`module` has no attribute {name!r} to normalize (`name`={name!r}).")
    if not isinstance(weight, torch.Tensor):
        raise TypeError(f"`module.{name}` must be a tensor to normalize; got {type(weight).__name__}.")
    return weight


def add_weight_norm(module: nn.Module, name: str = "weight", *, dim: int = 0) -> nn.Module:
    """Reparametrize ``module.<name>`` as ``g · V / ||V||`` (:class:`WeightNorm`); returns ``module``."""
    weight = _check_weight(module, name)
    if not -weight.dim() <= dim < weight.dim():
        raise ValueError(f"`dim` must index a dimension of {name} (shape {tuple(weight.shape)}); got {dim}.")
    parametrize.register_parametrization(module, name, WeightNorm(dim))
    return module


def add_spectral_norm(
    module: nn.Module,
    name: str = "weight",
    *,
    bound: float = 1.0,
    n_power_iterations: int = 1,
    clip: bool = True,
) -> nn.Module:
    """Bound the spectral norm of ``module.<name>`` by ``bound`` (:class:`SpectralNorm`); returns ``module``."""
    weight = _check_weight(module, name)
    if weight.dim() < 2:
        raise ValueError(f"`{name}` must have at least 2 dimensions to be spectrally normalized; got shape {tuple(weight.shape)}.")
    parametrize.register_parametrization(
        module, name, SpectralNorm(weight, bound=bound, n_power_iterations=n_power_iterations, clip=clip)
    )
    return module
