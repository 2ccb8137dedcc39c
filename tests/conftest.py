import os

import pytest
import torch

# Tests run two at a time (pytest -n 2) on two cores: one intra-op thread each.
if os.environ.get("PYTEST_XDIST_WORKER"):
    torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
    yield

try:  # property-based tests draw the same examples on every run: CI must not flake
    from hypothesis import settings as _hypothesis_settings

    _hypothesis_settings.register_profile("attractor", derandomize=True, deadline=None)
    _hypothesis_settings.load_profile("attractor")
except ImportError:  # hypothesis is a test extra
    pass


def pytest_collection_modifyitems(config, items):
    """Tests marked ``slow`` (minutes of CPU) run only when asked for with ``-m slow``
    (``make test-slow``), so a plain ``pytest`` stays quick."""
    if "slow" in (config.getoption("markexpr", "") or ""):
        return
    skip = pytest.mark.skip(reason="slow: run with -m slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
