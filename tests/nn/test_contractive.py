"""Contractive parametrization: the bound is certified and the solve converges at that rate."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from attractor.nn import DEQ, ContractiveCell, induced_norm

ORD = {"spectral": 2, "fro": 2, "inf": float("inf")}


@settings(max_examples=15, deadline=None)
@given(
    norm=st.sampled_from(["spectral", "inf", "fro"]),
    bound=st.floats(0.05, 0.99),
    scale=st.floats(0.01, 100.0),
    seed=st.integers(0, 2**16),
)
def test_weight_norm_is_below_the_bound(norm, bound, scale, seed):
    torch.manual_seed(seed)
    cell = ContractiveCell(3, 6, bound=bound, norm=norm).double()
    with torch.no_grad():
        cell.linear.parametrizations.weight.original.mul_(scale)
    w = cell.weight.detach()
    achieved = float(torch.linalg.matrix_norm(w, ord=ORD[norm]))
    assert achieved <= bound * (1 + 1e-12)
    assert float(cell.lipschitz().detach()) <= bound * (1 + 1e-12)
    if norm == "fro":  # the Frobenius norm bounds the spectral norm from above
        assert float(induced_norm(w, "spectral")) <= achieved + 1e-12


@pytest.mark.parametrize("norm", ["spectral", "inf", "fro"])
def test_cell_is_a_contraction_in_the_matching_norm(norm):
    cell = ContractiveCell(3, 8, bound=0.7, norm=norm).double()
    with torch.no_grad():
        cell.linear.parametrizations.weight.original.mul_(5.0)
    x = torch.randn(200, 3, dtype=torch.float64)
    z1, z2 = torch.randn(2, 200, 8, dtype=torch.float64)
    ord_ = ORD[norm]
    ratio = torch.linalg.vector_norm(cell(z1, x) - cell(z2, x), ord=ord_, dim=-1) / torch.linalg.vector_norm(
        z1 - z2, ord=ord_, dim=-1
    )
    assert float(ratio.detach().max()) <= 0.7 + 1e-12


def test_picard_converges_within_the_banach_bound():
    bound, tol = 0.8, 1e-10
    cell = ContractiveCell(3, 6, bound=bound).double()
    with torch.no_grad():
        cell.linear.parametrizations.weight.original.mul_(10.0)  # the bound is attained
    deq = DEQ(cell, z_init=6, solver="picard", tol=tol, max_steps=500)
    x = torch.randn(5, 3, dtype=torch.float64)
    out = deq(x)
    r0 = torch.linalg.vector_norm(cell(torch.zeros(5, 6, dtype=torch.float64), x), dim=-1)
    # ||f(z_k) - z_k|| <= bound^k ||f(z_0) - z_0||
    limit = torch.ceil(torch.log(tol / r0) / math.log(bound))
    assert bool((out.steps <= limit).all())


def test_contractive_cell_rejects_bad_arguments():
    with pytest.raises(ValueError, match="bound"):
        ContractiveCell(3, 4, bound=1.0)
    with pytest.raises(ValueError, match="norm"):
        ContractiveCell(3, 4, norm="nuclear")
    with pytest.raises(ValueError, match="activation"):
        ContractiveCell(3, 4, activation="swish")
    with pytest.raises(ValueError, match="features"):
        ContractiveCell(3, 0)
