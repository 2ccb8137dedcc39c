"""Shared trajectories for the analysis tests (computed once per worker)."""

from __future__ import annotations

import pytest

from attractor.systems import get, trajectory


@pytest.fixture(scope="session")
def lorenz_series():
    # 6000 samples, 120 time units, RK4 at the sampling step (accurate to ~1e-6 here)
    return trajectory(get("lorenz"), 6000, 0.02, transient=5.0, solver="rk4", step=0.01)


@pytest.fixture(scope="session")
def lorenz_series_2():
    s = get("lorenz")
    return trajectory(s, 6000, 0.02, y0=s.y0 + 1.0, transient=5.0, solver="rk4", step=0.01)


@pytest.fixture(scope="session")
def chen_series():
    return trajectory(get("chen"), 6000, 0.02, transient=5.0, solver="rk4", step=0.005)


@pytest.fixture(scope="session")
def henon_series():
    return trajectory(get("henon"), 5000)
