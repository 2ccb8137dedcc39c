import pytest
import torch

import attractor.transport as tr


@pytest.fixture(autouse=True)
def _float64():
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


@pytest.fixture
def mixture2d():
    return tr.GaussianMixture.random(3, 2, seed=3, std=(0.5, 1.0))
