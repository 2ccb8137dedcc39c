"""SCYFI finds every fixed point and cycle that enumerating the linear regions finds."""

import itertools

import pytest
import torch

from attractor import dsr
from attractor.dsr.scyfi import _candidate, _orbit


def enumerate_cycles(model, k):
    """Brute force: every sequence of k regions, kept when its candidate's orbit visits them."""
    K = model.pattern(torch.zeros(1, model.latent_dim)).shape[-1]
    patterns = list(itertools.product([False, True], repeat=K))
    orbits = []
    for seq in itertools.product(patterns, repeat=k):
        regions = torch.tensor(seq)[None]
        z, ok = _candidate(model, regions, torch.float64)
        if not bool(ok):
            continue
        orbit = _orbit(model, z, k)
        closes = (model.step(orbit[0, -1]) - z[0]).abs().max() < 1e-9
        if torch.equal(model.pattern(orbit), regions) and closes:
            orbits.append(orbit[0])
    # keep orbits of minimal period k, one per cycle (any of its k starting points)
    unique = []
    for o in orbits:
        if k > 1 and any((o[j] - o[0]).abs().max() < 1e-9 for j in range(1, k) if k % j == 0):
            continue
        if not any(any((torch.roll(o, s, 0) - u).abs().max() < 1e-9 for s in range(k)) for u in unique):
            unique.append(o)
    return unique


def random_plrnn(seed, M=3, scale=1.5):
    torch.manual_seed(seed)
    m = dsr.PLRNN(M, 2)
    with torch.no_grad():
        m.W.normal_(0, scale)
        m.h.normal_(0, 1.0)
        m.A.uniform_(-0.5, 0.95)
    return m


def matches(found, expected):
    if len(found) != len(expected):
        return False
    return all(any(any((torch.roll(c.points, s, 0) - e).abs().max() < 1e-7 for s in range(c.period)) for c in found) for e in expected)


# seeds with several fixed points (22: three) and with 2-cycles (3, 11, 36)
@pytest.mark.parametrize("seed", [1, 21, 22, 27])
def test_all_fixed_points_of_small_plrnns(seed):
    m = random_plrnn(seed)
    expected = enumerate_cycles(m, 1)
    assert len(expected) >= 2
    assert matches(dsr.scyfi(m, 1, n_init=300, generator=torch.Generator().manual_seed(0)), expected)


@pytest.mark.parametrize("seed", [3, 11, 36])
def test_all_two_cycles_of_small_plrnns(seed):
    m = random_plrnn(seed)
    expected = enumerate_cycles(m, 2)
    assert len(expected) >= 1
    found = dsr.scyfi(m, 2, n_init=500, generator=torch.Generator().manual_seed(0))
    assert matches(found, expected)
    for c in found:
        torch.testing.assert_close(m.step(c.points[-1]), c.points[0])
        assert c.period == 2


def test_fixed_points_of_shallow_and_almost_linear_models():
    for seed in range(6):
        torch.manual_seed(seed)
        sh = dsr.ShallowPLRNN(2, 2, hidden=4)
        al = dsr.ALRNN(3, 2, relu_units=2)
        with torch.no_grad():
            sh.W1.normal_(0, 2.0)
            al.W.normal_(0, 1.5)
            al.h.normal_(0, 1.0)
        for m in (sh, al):
            expected = enumerate_cycles(m, 1)
            assert matches(dsr.scyfi(m, 1, n_init=300, generator=torch.Generator().manual_seed(1)), expected)


def test_stability_is_that_of_the_multipliers():
    # a linear map z -> 0.5 z + 1 in the positive orthant: the stable fixed point z = 2
    m = dsr.PLRNN(2, 2)
    with torch.no_grad():
        m.A.fill_(0.5)
        m.W.zero_()
        m.h.fill_(1.0)
    (c,) = dsr.scyfi(m, 1, n_init=20)
    torch.testing.assert_close(c.points[0], torch.tensor([2.0, 2.0]))
    torch.testing.assert_close(c.eigenvalues.abs(), torch.tensor([0.5, 0.5]))
    assert c.stable and c.kind == "stable"
    with torch.no_grad():
        m.A.fill_(-2.0)  # z = 1/3: multipliers -2
    (c,) = dsr.scyfi(m, 1, n_init=20)
    assert not c.stable and c.kind == "unstable"
    assert dsr.scyfi(m, 2, n_init=50) == []  # -2 z + 1 has no 2-cycle (its square is expanding linear)


def test_symbolic_code_and_transition_graph():
    m = dsr.ALRNN(4, 2, relu_units=2)
    z = torch.tensor([[0.0, 0.0, -1.0, -1.0], [0.0, 0.0, 1.0, -1.0], [0.0, 0.0, 1.0, 1.0], [0.0, 0.0, -1.0, 2.0], [0, 0, 1.0, -1.0]])
    codes = dsr.symbolic_code(m, z)
    assert codes.tolist() == [0, 1, 3, 2, 1]
    symbols, counts = dsr.transition_graph(codes)
    assert symbols.tolist() == [0, 1, 2, 3]
    expected = torch.zeros(4, 4, dtype=torch.long)
    expected[0, 1] = expected[1, 3] = expected[3, 2] = expected[2, 1] = 1
    assert torch.equal(counts, expected)
    with pytest.raises(TypeError, match="piecewise linear"):
        dsr.scyfi(dsr.MapModel(torch.nn.Linear(2, 2), 2, 2))
