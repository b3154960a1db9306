"""The strict device double refuses every implicit host/device crossing; gradkit names both devices."""

import types

import numpy as np
import pytest

import gradkit as gk
from gradkit import backend

from .conftest import strict_only


@strict_only
def test_implicit_conversion_to_numpy_is_refused(xp):
    a = xp.arange(6.0).reshape(2, 3)
    for convert in (np.asarray, np.array, lambda v: v.__array__(), np.exp, np.sum, lambda v: np.float32(v)):
        with pytest.raises(TypeError):
            convert(a)


@strict_only
def test_mixing_host_and_device_arrays_is_refused(xp):
    a, h = xp.ones((2, 2)), np.ones((2, 2))
    for mix in (lambda: a + h, lambda: h + a, lambda: a @ h, lambda: xp.add(a, h), lambda: xp.stack([a, h])):
        with pytest.raises(TypeError):
            mix()
    with pytest.raises(TypeError):
        a[...] = h
    with pytest.raises(AttributeError):
        xp.errstate  # noqa: B018 - CuPy has no errstate


def test_explicit_copies_cross_the_wall(xp):
    h = np.arange(4.0)
    a = xp.asarray(h)
    h[0] = 99.0  # the upload is a copy, as on a GPU
    assert backend.is_cupy_array(a) and not isinstance(a, np.ndarray)
    assert a.get().tolist() == [0.0, 1.0, 2.0, 3.0]
    assert xp.asnumpy(a * 2).tolist() == [0.0, 2.0, 4.0, 6.0]
    assert a.sum().item() == 6.0 and float(a.max()) == 3.0
    assert backend.get_array_module(a) is xp and backend.device_of(a) == "cuda"
    assert xp.asarray(a) is a  # no copy for what is already on the device


def test_tensors_move_and_gradients_flow_back():
    x = gk.randn(3, 4, requires_grad=True)
    y = x.to("cuda")
    assert y.device == "cuda" and backend.is_cupy_array(y.array)
    (y * y).sum().backward()
    assert x.grad.device == "cpu"
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.numpy(), rtol=1e-6)
    assert y.cpu().device == "cpu" and y.numpy().dtype == np.float32


def test_a_cpu_tensor_meeting_a_device_tensor_names_both_devices():
    a, b = gk.ones(3), gk.ones(3, device="cuda")
    for mix in (lambda: a + b, lambda: b * a, lambda: gk.matmul(b, gk.ones(3, 2)), lambda: gk.nn.Linear(3, 2)(b)):
        with pytest.raises(RuntimeError, match="'cpu'.*'cuda'|'cuda'.*'cpu'"):
            mix()


def test_default_device_makes_factories_and_layers_device_tensors():
    gk.set_default_device("cuda")
    try:
        assert gk.zeros(2).device == "cuda" and gk.randn(2, 3).device == "cuda"
        assert gk.tensor([1.0, 2.0]).device == "cuda"
    finally:
        gk.set_default_device("cpu")
    assert gk.zeros(2).device == "cpu"


def test_registration_hook_gives_cuda_back_to_cupy():
    saved = backend._cupy, backend._cuda_array_type
    backend.register_cuda_module(None)
    try:
        assert backend._cupy is None and not backend.is_cupy_array(np.zeros(1))
    finally:
        backend._cupy, backend._cuda_array_type = saved
    assert not backend.is_real_cupy(np) and backend.is_real_cupy(types.SimpleNamespace(__name__="cupy"))


def test_gradients_flow_back_to_the_device_from_a_cpu_copy():
    x = gk.randn(3, requires_grad=True, device="cuda")
    (x.to("cpu") * 2).sum().backward()
    assert x.grad.device == "cuda" and x.grad.tolist() == [2.0, 2.0, 2.0]


def test_comparisons_stay_on_the_device():
    t = gk.tensor([1.0, 2.0], device="cuda")
    assert (t == "a").device == "cuda" and (t != object()).device == "cuda"
    assert (t == t.array).device == "cuda" and (t == t.array).tolist() == [True, True]


@strict_only
def test_numpy_only_array_attributes_are_missing(xp):
    a = xp.zeros(3)
    assert a.flags.c_contiguous and not hasattr(a.flags, "writeable")
    for name in ("ctypes", "setflags", "tofile", "resize"):
        with pytest.raises(AttributeError):
            getattr(a, name)
