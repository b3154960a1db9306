"""Shared pytest set-up: the `slow` marker, a fresh seed per test, float64 helpers."""

import numpy as np
import pytest

import gradkit as gk


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", default=False, help="also run tests marked slow (CI does)")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--runslow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --runslow (CI runs it)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _seed():
    """Every test starts from the same global seed and default dtype."""
    gk.manual_seed(0)
    gk.set_default_dtype("float32")
    yield
    gk.set_default_dtype("float32")


@pytest.fixture
def rng():
    return np.random.default_rng(0)
