"""Training: a small flow-matching model learns a 1-D mixture."""


import pytest
import torch

import attractor.transport as tr


class Net(torch.nn.Module):
    def __init__(self, width=32):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(2, width), torch.nn.SiLU(), torch.nn.Linear(width, width),
                                       torch.nn.SiLU(), torch.nn.Linear(width, 1))

    def forward(self, x, t):
        return self.net(torch.cat([x, t[:, None]], -1))


@pytest.mark.parametrize("coupling", [tr.IndependentCoupling(), tr.ExactOTCoupling()], ids=repr)
def test_flow_matching_learns_the_target(coupling):
    torch.manual_seed(0)
    target = tr.GaussianMixture(torch.tensor([0.5, 0.5]), torch.tensor([[-2.0], [2.0]]), 0.25)
    net = Net()
    loss = tr.TransportLoss(tr.LinearPath(), "velocity", coupling=coupling)
    g = torch.Generator().manual_seed(0)
    hist = tr.train(net, loss, target.sample(4096, generator=g), steps=400, batch_size=256,
                    lr=3e-3, generator=g)
    assert len(hist.losses) == 400
    if isinstance(coupling, tr.IndependentCoupling):
        # the exact marginal velocity is the loss's minimizer: the trained net comes close to it
        exact = tr.MixtureField(tr.LinearPath(), target)
        x1 = target.sample(50_000, generator=torch.Generator().manual_seed(1))
        with torch.no_grad():
            floor = float(loss(exact.velocity, x1, generator=torch.Generator().manual_seed(2)))
            learned = float(loss(net, x1, generator=torch.Generator().manual_seed(2)))
        assert floor <= learned < 1.1 * floor
    with torch.no_grad():
        x = torch.randn(4000, 1, generator=g)
        out = tr.sample(net, x, tr.ProbabilityFlowODE(rtol=1e-4, atol=1e-4), path=tr.LinearPath())
    # both modes are found with about equal mass
    frac = float((out.samples > 0).float().mean())
    assert abs(frac - 0.5) < 0.08
    assert abs(float(out.samples.abs().mean()) - 2.0) < 0.3


def test_training_data_forms_and_errors():
    net = Net()
    loss = tr.TransportLoss(tr.LinearPath())
    tr.train(net, loss, lambda n: torch.randn(n, 1), steps=2, batch_size=8)
    tr.train(net, loss, tr.GaussianMixture.standard_normal(1), steps=2, batch_size=8)
    with pytest.raises(ValueError, match="does not apply"):
        tr.train(net, loss, torch.randn(10, 1), steps=2, lr=0.1, optimizer=torch.optim.SGD(net.parameters(), 0.1))
    with pytest.raises(TypeError, match="TransportLoss"):
        tr.train(net, "fm", torch.randn(10, 1), steps=2)
    with pytest.raises(TypeError, match="`data`"):
        tr.train(net, loss, torch.randn(10), steps=2)
