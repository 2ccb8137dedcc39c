"""affine_scan equals the sequential recurrence, for every structure, forwards and backwards."""

import pytest
import torch

from attractor.linalg import affine_scan, associative_scan

D = torch.float64


def sequential(A, b, s0, structure, reverse=False):
    order = range(b.shape[0] - 1, -1, -1) if reverse else range(b.shape[0])
    s, out = s0, [None] * b.shape[0]
    for t in order:
        if structure == "dense":
            s = (A[t] @ s.unsqueeze(-1)).squeeze(-1) + b[t]
        elif structure == "diagonal":
            s = A[t] * s + b[t]
        else:
            s = A[t].unsqueeze(-1) * s + b[t]
        out[t] = s
    return torch.stack(out)


def transitions(structure, T, batch, d):
    if structure == "dense":
        return 0.5 * torch.randn(T, *batch, d, d, dtype=D)
    if structure == "diagonal":
        return torch.randn(T, *batch, d, dtype=D)
    return torch.randn(T, *batch, dtype=D)


@pytest.mark.parametrize("structure", ["dense", "diagonal", "scalar"])
@pytest.mark.parametrize("T", [1, 2, 3, 8, 13, 64])
@pytest.mark.parametrize("reverse", [False, True])
def test_scan_equals_sequential(structure, T, reverse):
    A = transitions(structure, T, (2, 3), 4)
    b, s0 = torch.randn(T, 2, 3, 4, dtype=D), torch.randn(2, 3, 4, dtype=D)
    got = affine_scan(A, b, s0, reverse=reverse)
    torch.testing.assert_close(got, sequential(A, b, s0, structure, reverse), rtol=1e-12, atol=1e-12)


def test_zero_initial_state_and_broadcast_transitions():
    A = 0.5 * torch.randn(9, 1, 3, 3, dtype=D)  # one transition per step, shared by the batch
    b = torch.randn(9, 5, 3, dtype=D)
    got = affine_scan(A, b)
    want = sequential(A.expand(9, 5, 3, 3), b, torch.zeros(5, 3, dtype=D), "dense")
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)


def test_geometric_series_closed_form():
    # s_t = a s_{t-1} + 1 from 0: s_t = (1 - a^t) / (1 - a)
    a, T = 0.9, 200
    got = affine_scan(torch.full((T, 1), a, dtype=D), torch.ones(T, 1, dtype=D)).squeeze(-1)
    t = torch.arange(1, T + 1, dtype=D)
    torch.testing.assert_close(got, (1 - a**t) / (1 - a), rtol=1e-13, atol=0)


@pytest.mark.parametrize("structure", ["dense", "diagonal", "scalar"])
@pytest.mark.parametrize("reverse", [False, True])
def test_gradcheck(structure, reverse):
    T = 7
    A = transitions(structure, T, (2,), 3).requires_grad_()
    b = torch.randn(T, 2, 3, dtype=D, requires_grad=True)
    s0 = torch.randn(2, 3, dtype=D, requires_grad=True)
    fn = lambda A, b, s0: affine_scan(A, b, s0, reverse=reverse)
    assert torch.autograd.gradcheck(fn, (A, b, s0))
    assert torch.autograd.gradgradcheck(fn, (A, b, s0))


def test_gradient_equals_autograd_through_the_loop():
    A = (0.5 * torch.randn(11, 3, 2, 2, dtype=D)).requires_grad_()
    b = torch.randn(11, 3, 2, dtype=D, requires_grad=True)
    w = torch.randn(11, 3, 2, dtype=D)
    g1 = torch.autograd.grad((affine_scan(A, b) * w).sum(), (A, b))
    g2 = torch.autograd.grad((sequential(A, b, torch.zeros(3, 2, dtype=D), "dense") * w).sum(), (A, b))
    for x, y in zip(g1, g2):
        torch.testing.assert_close(x, y, rtol=1e-12, atol=1e-12)


def test_associative_scan_cumulative_sum_and_product():
    x = torch.randn(37, 2, dtype=D)
    (total,) = associative_scan(lambda a, b: (a[0] + b[0],), (x,))
    torch.testing.assert_close(total, x.cumsum(0))
    (prod,) = associative_scan(lambda a, b: (a[0] * b[0],), (x,))
    torch.testing.assert_close(prod, x.cumprod(0))


@pytest.mark.parametrize(
    "A, b, s0, match",
    [
        (torch.ones(4, 2, 2, 2, 2), torch.ones(4, 2, 3), None, "must have shape"),
        (torch.ones(5, 2), torch.ones(4, 2, 3), None, "must have shape"),
        (torch.ones(4, 3, 3), torch.ones(4, 2, 3), None, "does not fit"),
        (torch.ones(4, 2, 3, 2), torch.ones(4, 2, 3), None, "does not fit"),
        (torch.ones(4, 2), torch.ones(4, 2, 3), torch.ones(3, 3), "`s0` must broadcast"),
        (torch.ones(4, 2, dtype=D), torch.ones(4, 2, 3), None, "share dtype"),
    ],
)
def test_bad_shapes_are_named(A, b, s0, match):
    with pytest.raises(ValueError, match=match):
        affine_scan(A, b, s0)
