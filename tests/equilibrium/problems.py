"""Small problems with known equilibria, shared by the equilibrium tests."""

import torch

D = torch.float64


def contraction(batch: int = 3, n: int = 6, norm: float = 0.5, seed: int = 0):
    """f(z) = tanh(W z + x): a contraction with factor at most ``norm`` (spectral norm of W)."""
    g = torch.Generator().manual_seed(seed)
    W = torch.randn(n, n, generator=g, dtype=D)
    W = W * (norm / torch.linalg.matrix_norm(W, ord=2))
    x = torch.randn(batch, n, generator=g, dtype=D)
    return W, x


def tanh_layer(W, x):
    return lambda z: torch.tanh(z @ W.T + x)


def ill_conditioned_linear(n: int = 20, batch: int = 2, seed: int = 0):
    """f(z) = A z + c with A symmetric, eigenvalues spread over [0, 0.98]: slow for Picard."""
    g = torch.Generator().manual_seed(seed)
    Q, _ = torch.linalg.qr(torch.randn(n, n, generator=g, dtype=D))
    eigenvalues = torch.linspace(0.0, 0.98, n, dtype=D)
    A = Q @ torch.diag(eigenvalues) @ Q.T
    c = torch.randn(batch, n, generator=g, dtype=D)
    z_star = torch.linalg.solve(torch.eye(n, dtype=D) - A, c.T).T
    return A, c, z_star


def rotation(theta: float = 1.0):
    """A planar rotation by ``theta``: nonexpansive, fixed point of R z + c is (I - R)^{-1} c."""
    c, s = torch.cos(torch.tensor(theta, dtype=D)), torch.sin(torch.tensor(theta, dtype=D))
    return torch.stack([torch.stack([c, -s]), torch.stack([s, c])])
