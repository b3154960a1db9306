"""The device suite's set-up: every test here runs with ``'cuda'`` meaning a device.

By default that device is the strict double (``strict_backend``: CuPy's behaviour on the CPU, every
host/device leak refused). With ``GRADKIT_TEST_DEVICE=cupy`` (what ``benchmarks/gpu_check.py`` sets on a
lent GPU) it is real CuPy; tests about the double itself are then skipped.
"""

import os

import numpy as np
import pytest

from gradkit import backend

from . import strict_backend

REAL_CUPY = os.environ.get("GRADKIT_TEST_DEVICE", "strict").lower() == "cupy"


def pytest_collection_modifyitems(config, items):
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.gpu)


@pytest.fixture(autouse=True)
def _cuda_device():
    """``'cuda'`` is the strict double (or CuPy) for the test; CuPy's own state is restored after it."""
    saved = (backend._cupy, backend._cuda_array_type, backend.get_default_device())
    if REAL_CUPY:
        backend.register_cuda_module(None)
        backend._import_cupy()
    else:
        strict_backend.install()
    try:
        yield
    finally:
        backend.set_default_device("cpu")
        backend._cupy, backend._cuda_array_type = saved[:2]
        if saved[2] != "cpu":
            backend.set_default_device(saved[2])


@pytest.fixture
def xp():
    """The device's array module (the double or CuPy)."""
    return backend.xp_for("cuda")


def host(a):
    """A NumPy copy of a tensor or device array (the explicit way back)."""
    a = getattr(a, "array", a)
    return backend.to_numpy(a) if backend.is_cupy_array(a) else np.asarray(a)


strict_only = pytest.mark.skipif(REAL_CUPY, reason="checks the strict double itself")
