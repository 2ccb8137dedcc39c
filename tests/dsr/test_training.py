"""Teacher-forced training: the forced recurrence, its parallel evaluation, and learning a known map."""

import math

import pytest
import torch

import attractor
from attractor import dsr
from attractor.dsr.training import forced_jacobian, forced_step, unroll


def windows(T=40, B=3, N=2):
    return torch.randn(T + 1, B, N)


@pytest.mark.parametrize("forcing", [dsr.GeneralizedForcing(0.3), dsr.SparseForcing(7), dsr.NoForcing()])
@pytest.mark.parametrize("method", ["deer", "quasi_deer"])
def test_parallel_unroll_equals_sequential_with_gradients(forcing, method):
    torch.manual_seed(0)
    m = dsr.ShallowPLRNN(4, 2, hidden=8)
    x = windows()
    w = forcing.weights(40, 0.0, x)
    seq = unroll(m, x, w)
    par = unroll(m, x, w, method)
    torch.testing.assert_close(par, seq, rtol=0, atol=1e-8)
    g_seq = torch.autograd.grad(seq.pow(2).sum(), list(m.parameters()))
    g_par = torch.autograd.grad(par.pow(2).sum(), list(m.parameters()))
    for a, b in zip(g_par, g_seq):
        torch.testing.assert_close(a, b, rtol=1e-7, atol=1e-8)


def test_forced_jacobian_equals_autograd():
    m = dsr.ALRNN(5, 2, relu_units=3)
    z = torch.randn(6, 5)
    inp = torch.cat([torch.randn(6, 2), torch.rand(6, 1)], -1)
    f = forced_step(m)
    auto = torch.func.vmap(torch.func.jacrev(f))(z, inp)
    torch.testing.assert_close(forced_jacobian(m)(z, inp), auto, rtol=1e-12, atol=1e-12)


def test_forcing_weights():
    like = torch.zeros(1)
    assert dsr.SparseForcing(3).weights(7, 0.0, like).tolist() == [1, 0, 0, 1, 0, 0, 1]
    assert dsr.NoForcing().weights(4, 0.0, like).tolist() == [1, 0, 0, 0]
    gtf = dsr.GeneralizedForcing(0.25)
    assert gtf.weights(3, 0.5, like).tolist() == [1, 0.25, 0.25]
    annealed = dsr.GeneralizedForcing(dsr.GeneralizedForcing.annealed(0.8, 0.2))
    assert annealed.value(0.0) == pytest.approx(0.8) and annealed.value(1.0) == pytest.approx(0.2)
    assert annealed.value(0.5) == pytest.approx(0.4)  # geometric: sqrt(0.8 * 0.2)
    with pytest.raises(ValueError, match="`alpha`"):
        dsr.GeneralizedForcing(1.5)
    with pytest.raises(ValueError, match="`forcing`"):
        dsr.train(dsr.PLRNN(2, 2), torch.randn(50, 2), forcing="teacher", epochs=1)


@pytest.mark.parametrize("gain, expected", [(2.0, 0.5), (4.0, 0.75), (0.5, 0.0)])
def test_adaptive_alpha_is_one_minus_inverse_jacobian_bound(gain, expected):
    # z -> gain z: every Jacobian has spectral norm `gain`, so alpha -> max(0, 1 - 1/gain)
    m = dsr.PLRNN(3, 2)
    with torch.no_grad():
        m.A.fill_(gain)
        m.W.zero_()
    forcing = dsr.GeneralizedForcing("adaptive", update_every=1, decay=0.5, initial=0.3)
    forcing.adapt(m, torch.randn(10, 4, 3))
    # a larger target is taken at once, a smaller one approached geometrically
    assert forcing.value(0.0) == pytest.approx(max(expected, 0.3 * 0.5 + 0.5 * expected), abs=1e-12)
    for _ in range(60):
        forcing.adapt(m, torch.randn(10, 4, 3))
    assert forcing.value(0.0) == pytest.approx(expected, abs=1e-9)


def test_learns_a_linear_rotation():
    # x_{t+1} = R x_t, a rotation by 0.3 rad: a linear AL-RNN (P = 0) can represent it exactly
    c, s = math.cos(0.3), math.sin(0.3)
    R = torch.tensor([[c, -s], [s, c]])
    x = [torch.tensor([1.0, 0.0])]
    for _ in range(400):
        x.append(R @ x[-1])
    data = torch.stack(x)
    m = dsr.ALRNN(2, 2, relu_units=0)
    record = dsr.train(m, data, forcing=dsr.GeneralizedForcing(0.0), epochs=60, batches_per_epoch=10,
                       sequence_length=20, batch_size=8, lr=3e-2, lr_end=1e-3,
                       generator=torch.Generator().manual_seed(0))
    learned = torch.diag(m.A) + m.W_offdiag
    torch.testing.assert_close(learned.detach(), R, rtol=0, atol=2e-3)
    assert record.loss[-1] < 1e-5 < record.loss[0]
    assert len(record.lr) == 60 and record.lr[-1] == pytest.approx(1e-3)


def test_parallel_training_follows_the_sequential_one():
    torch.manual_seed(1)
    data = torch.sin(torch.linspace(0, 30, 300)).unsqueeze(-1).repeat(1, 2) * torch.tensor([1.0, 0.5])
    records = []
    for method in ["sequential", "deer"]:
        torch.manual_seed(2)
        m = dsr.ShallowPLRNN(3, 2, hidden=6)
        records.append(dsr.train(m, data, epochs=2, batches_per_epoch=3, sequence_length=30, batch_size=4,
                                 method=method, generator=torch.Generator().manual_seed(0)))
    assert records[0].loss == pytest.approx(records[1].loss, rel=1e-6)


def test_bad_training_input_is_named():
    m = dsr.PLRNN(3, 2)
    bad = torch.randn(100, 2)
    bad[17, 1] = math.nan
    with pytest.raises(ValueError, match="NaN or inf \\(first at time index 17\\)"):
        dsr.train(m, bad, epochs=1)
    with pytest.raises(ValueError, match="100 time steps; at least 201"):
        dsr.train(m, torch.randn(100, 2), epochs=1)
    with pytest.raises(ValueError, match="n_obs=2"):
        dsr.train(m, torch.randn(300, 3), epochs=1)
    with pytest.raises(ValueError, match="`regularization` applies"):
        dsr.train(dsr.ALRNN(3, 2), torch.randn(300, 2), regularization=0.1, epochs=1)
    with pytest.raises(ValueError, match="`method`"):
        dsr.train(m, torch.randn(300, 2), method="fast", epochs=1)


@pytest.mark.parametrize("name", ["plrnn", "alrnn", "dendritic"])
def test_free_run_in_parallel_equals_generate(name):
    torch.manual_seed(4)
    m = {"plrnn": lambda: dsr.PLRNN(6, 2), "alrnn": lambda: dsr.ALRNN(6, 2, relu_units=3),
         "dendritic": lambda: dsr.DendriticPLRNN(6, 2, bases=4)}[name]()
    z0 = torch.randn(3, 6)
    with torch.no_grad():
        ref = m.generate(z0, 500)
        for method in ["deer", "quasi_deer"]:
            sol = attractor.parallel_recurrence(m.step, z0, length=500, method=method, jacobian=m.jacobian)
            torch.testing.assert_close(sol.value, ref, rtol=0, atol=1e-9)
