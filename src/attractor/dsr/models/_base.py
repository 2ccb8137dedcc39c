"""What every reconstruction model offers the training, the evaluation and SCYFI."""

from __future__ import annotations

import torch
from torch import nn

from attractor._core.validation import check_int
from attractor.dsr.models.observation import make_observation


class ReconstructionModel(nn.Module):
    """A latent map ``z_t = F(z_{t-1})`` with an observation model ``x_t = G(z_t)``.

    Subclasses implement :meth:`step` (on states ``(*batch, M)``) and, where they can, an
    analytic :meth:`jacobian`. Piecewise-linear models also implement :meth:`pattern` and
    :meth:`affine` (the linear region a state lies in, and the affine map there), which is all
    that :func:`attractor.dsr.scyfi` needs.
    """

    def __init__(self, latent_dim: int, n_obs: int, observation: str | nn.Module = "identity") -> None:
        super().__init__()
        self.latent_dim = check_int("latent_dim", latent_dim, minimum=1)
        self.n_obs = check_int("n_obs", n_obs, minimum=1)
        self.observation = make_observation(observation, self.n_obs, self.latent_dim)

    def step(self, z: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.step(z)

    def jacobian(self, z: torch.Tensor) -> torch.Tensor:
        """``∂F/∂z`` at states ``(*batch, M)`` -> ``(*batch, M, M)`` (autograd by default)."""
        flat = z.reshape(-1, self.latent_dim)
        jac = torch.func.vmap(torch.func.jacfwd(self.step))(flat)
        return jac.reshape(*z.shape, self.latent_dim)

    def observe(self, z: torch.Tensor) -> torch.Tensor:
        return self.observation(z)

    def latent_from(self, x: torch.Tensor, z: torch.Tensor | None = None) -> torch.Tensor:
        """A latent state that shows the observation ``x`` (keeping ``z``'s unobserved part)."""
        return self.observation.invert(x, z)

    def generate(self, z0: torch.Tensor, steps: int) -> torch.Tensor:
        """The free-running latent trajectory ``z_1, ..., z_steps`` from ``z0``: ``(steps, *batch, M)``."""
        steps = check_int("steps", steps, minimum=1)
        z, out = z0, []
        for _ in range(steps):
            z = self.step(z)
            out.append(z)
        return torch.stack(out)

    def extra_repr(self) -> str:
        return f"latent_dim={self.latent_dim}, n_obs={self.n_obs}"


class MapModel(ReconstructionModel):
    """Any ``nn.Module`` map ``z -> z_next`` as a reconstruction model (e.g. an MLP), or a
    neural ODE's flow map over one sampling step (:meth:`from_neural_ode`)."""

    def __init__(self, module: nn.Module, latent_dim: int, n_obs: int, observation: str | nn.Module = "identity") -> None:
        super().__init__(latent_dim, n_obs, observation)
        if not isinstance(module, nn.Module):
            raise TypeError(f"`module` must be an nn.Module map z -> z_next; got {type(module).__name__}.")
        self.module = module

    def step(self, z: torch.Tensor) -> torch.Tensor:
        return self.module(z)

    @classmethod
    def from_neural_ode(cls, node: nn.Module, dt: float, latent_dim: int, n_obs: int, **kwargs) -> MapModel:
        """The flow map ``z -> φ_dt(z)`` of an :class:`attractor.nn.NeuralODE`."""
        return cls(_FlowMap(node, dt), latent_dim, n_obs, **kwargs)


class _FlowMap(nn.Module):
    def __init__(self, node: nn.Module, dt: float) -> None:
        super().__init__()
        self.node = node
        self.register_buffer("times", torch.tensor([0.0, float(dt)]))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.node(z, self.times.to(z.dtype))[-1]
