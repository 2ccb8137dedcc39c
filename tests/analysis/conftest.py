"""Shared trajectories for the analysis tests (computed once per worker)."""

from __future__ import annotations

import pytest
import torch

from attractor.systems import get, trajectory


@pytest.fixture(scope="session")
def _lorenz_pair():
    # two orbits in one batched call (a batch costs what one orbit does): 6000 samples,
    # 120 time units, RK4 stepping at the sampling interval, whose local error (~1e-5 here)
    # is far below what the invariants tested on these series can resolve
    s = get("lorenz")
    y0 = torch.stack([s.y0, s.y0 + 1.0])
    return trajectory(s, 6000, 0.02, y0=y0, transient=5.0, solver="rk4")


@pytest.fixture(scope="session")
def lorenz_series(_lorenz_pair):
    return _lorenz_pair[:, 0]


@pytest.fixture(scope="session")
def lorenz_series_2(_lorenz_pair):
    return _lorenz_pair[:, 1]


@pytest.fixture(scope="session")
def chen_series():
    return trajectory(get("chen"), 6000, 0.02, transient=5.0, solver="rk4")


@pytest.fixture(scope="session")
def henon_series():
    return trajectory(get("henon"), 5000)
