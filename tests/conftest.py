"""Shared pytest set-up: the `slow` marker, a fresh seed per test, float64 helpers, and
``--contract-device cuda``: every layer-contract test (each test that calls
``gradkit.testing.check_layer``) run on the device (tests/device/test_layer_contract.py runs it)."""

import inspect
import os

import numpy as np
import pytest

import gradkit as gk


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", default=False, help="also run tests marked slow (CI does)")
    parser.addoption(
        "--contract-device", default=None, choices=["cuda"],
        help="run only the layer-contract tests (those calling check_layer), on this device: the strict device "
             "double of tests/device, or CuPy when GRADKIT_TEST_DEVICE=cupy",
    )


def _calls_check_layer(item) -> bool:
    fn = getattr(item, "function", None)
    try:
        return fn is not None and "check_layer(" in inspect.getsource(fn)
    except (OSError, TypeError):
        return False


def pytest_collection_modifyitems(config, items):
    if config.getoption("--contract-device"):
        keep = [it for it in items if _calls_check_layer(it) and "tests/device" not in str(it.fspath)]
        config.hook.pytest_deselected(items=[it for it in items if it not in keep])
        items[:] = keep
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


@pytest.fixture(autouse=True)
def _contract_device(request, monkeypatch):
    """With ``--contract-device cuda``: 'cuda' is a device (the strict double, or CuPy) and
    ``check_layer`` runs every contract there."""
    device = request.config.getoption("--contract-device")
    if not device:
        yield
        return
    from gradkit import backend, testing

    saved = (backend._cupy, backend._cuda_array_type)
    if os.environ.get("GRADKIT_TEST_DEVICE", "strict").lower() == "cupy":
        backend.register_cuda_module(None)
    else:
        from tests.device import strict_backend

        strict_backend.install()
    monkeypatch.setitem(testing.check_layer.__kwdefaults__, "device", device)
    yield
    backend._cupy, backend._cuda_array_type = saved


@pytest.fixture
def rng():
    return np.random.default_rng(0)
