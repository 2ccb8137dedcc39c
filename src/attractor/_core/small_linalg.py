"""Small dense solves in at least float32.

LAPACK-style kernels (LU, triangular solves, inverses) have no float16/bfloat16 versions, and
the small systems the solvers build (Anderson's Gram matrix, a Newton Jacobian, a GMRES
Hessenberg factor) need the extra precision anyway. A half-precision model (DEQ under
bf16) therefore solves them in float32 and casts the answer back; other dtypes go straight
through. The casts are differentiable.
"""

from __future__ import annotations

import torch

LOW_PRECISION = (torch.float16, torch.bfloat16)


def solve_ex(A: torch.Tensor, B: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``torch.linalg.solve_ex(A, B)`` for any floating dtype."""
    if A.dtype not in LOW_PRECISION:
        return torch.linalg.solve_ex(A, B)
    x, info = torch.linalg.solve_ex(A.float(), B.float())
    return x.to(A.dtype), info


def solve_triangular(R: torch.Tensor, B: torch.Tensor, *, upper: bool) -> torch.Tensor:
    """``torch.linalg.solve_triangular(R, B, upper=upper)`` for any floating dtype."""
    if R.dtype not in LOW_PRECISION:
        return torch.linalg.solve_triangular(R, B, upper=upper)
    return torch.linalg.solve_triangular(R.float(), B.float(), upper=upper).to(R.dtype)


def inv(M: torch.Tensor) -> torch.Tensor:
    """``torch.linalg.inv(M)`` for any floating dtype."""
    if M.dtype not in LOW_PRECISION:
        return torch.linalg.inv(M)
    return torch.linalg.inv(M.float()).to(M.dtype)


def matrix_norm(A: torch.Tensor, ord=2) -> torch.Tensor:
    """``torch.linalg.matrix_norm(A, ord)`` for any floating dtype (in ``A``'s dtype)."""
    if A.dtype not in LOW_PRECISION:
        return torch.linalg.matrix_norm(A, ord=ord)
    return torch.linalg.matrix_norm(A.float(), ord=ord).to(A.dtype)


def eigvalsh(A: torch.Tensor) -> torch.Tensor:
    """``torch.linalg.eigvalsh(A)`` for any floating dtype."""
    if A.dtype not in LOW_PRECISION:
        return torch.linalg.eigvalsh(A)
    return torch.linalg.eigvalsh(A.float()).to(A.dtype)
