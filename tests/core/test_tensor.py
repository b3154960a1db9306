"""Tensor creation, dtype rules, devices, seeding and error messages."""

import numpy as np
import pytest

import gradkit as gk
from gradkit import backend


def test_dtype_rules_for_creation():
    assert gk.tensor([1.0, 2.0]).dtype == np.float32
    assert gk.tensor(1.5).dtype == np.float32
    assert gk.tensor([1, 2.5]).dtype == np.float32
    assert gk.tensor([1, 2]).dtype == np.int64
    assert gk.tensor([True, False]).dtype == np.bool_
    assert gk.tensor(np.zeros(2, dtype=np.float64)).dtype == np.float64
    assert gk.tensor(np.zeros(2, dtype=np.float16)).dtype == np.float16
    assert gk.tensor(np.zeros(2, dtype=np.int32)).dtype == np.int32
    assert gk.tensor([1, 2], dtype="float64").dtype == np.float64
    assert gk.zeros(2).dtype == np.float32 and gk.arange(3).dtype == np.int64
    assert gk.arange(0, 1, 0.5).dtype == np.float32


def test_python_scalars_and_integer_arrays_never_upcast_float32():
    x = gk.ones(3)
    for y in (x * 2.5, 2.5 * x, x + 1, x / 3, x**2, x - np.int64(1), x + np.arange(3), np.arange(3) * x,
              gk.where(x > 0, x, 0.0), gk.maximum(x, 0.5), x + gk.arange(3)):
        assert y.dtype == np.float32, y
    assert (gk.arange(3) * 2).dtype == np.int64
    assert (gk.arange(3) / 2).dtype == np.float32  # true division of integers gives the default float


def test_default_dtype_can_switch_to_float64():
    gk.set_default_dtype("float64")
    assert gk.tensor([1.0]).dtype == np.float64 and gk.randn(2).dtype == np.float64
    with pytest.raises(ValueError, match="floating dtype"):
        gk.set_default_dtype("int32")


def test_attributes_and_conversions():
    x = gk.arange(6, dtype="float32").reshape(2, 3)
    assert x.shape == (2, 3) and x.ndim == 2 and x.size == 6 and x.size() == (2, 3) and x.size(1) == 3
    assert x.T.shape == (3, 2) and x.numel() == 6 and len(x) == 2
    assert x.device == "cpu" and x.is_leaf and x.grad_fn is None
    assert x[1, 2].item() == 5.0 and float(x.sum()) == 15.0
    np.testing.assert_array_equal(np.asarray(x), x.numpy())
    assert x.tolist() == [[0, 1, 2], [3, 4, 5]]
    assert x.double().dtype == np.float64 and x.long().dtype == np.int64
    assert "tensor(" in repr(x) and "grad_fn" in repr(gk.ones(1, requires_grad=True) * 2)


def test_factories():
    assert gk.full((2, 2), 3.0).numpy().sum() == 12
    assert gk.ones_like(gk.zeros(2, 3)).shape == (2, 3)
    assert gk.zeros(2, 3, requires_grad=True).requires_grad
    assert gk.eye(3).numpy().trace() == 3
    assert gk.randint(0, 5, (100,)).numpy().max() < 5
    assert sorted(gk.randperm(5).tolist()) == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match="non-negative"):
        gk.zeros(-1)


def test_manual_seed_reproduces_all_randomness():
    gk.manual_seed(123)
    a = (gk.rand(3).numpy(), gk.randn(2, 2).numpy(), gk.zeros(4).uniform_().numpy())
    gk.manual_seed(123)
    b = (gk.rand(3).numpy(), gk.randn(2, 2).numpy(), gk.zeros(4).uniform_().numpy())
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    state = gk.get_rng_state()
    c = gk.rand(5).numpy()
    gk.set_rng_state(state)
    np.testing.assert_array_equal(gk.rand(5).numpy(), c)
    with pytest.raises(TypeError, match="integer seed"):
        gk.manual_seed(1.5)


def test_global_numpy_rng_is_untouched():
    np.random.seed(7)
    expected = np.random.rand()
    np.random.seed(7)
    gk.manual_seed(1)
    gk.randn(10)
    assert np.random.rand() == expected


def test_generator_state_round_trip():
    g = gk.Generator(5)
    g.np.random(3)
    st = g.state_dict()
    x = g.np.random(4)
    g2 = gk.Generator(0)
    g2.load_state_dict(st)
    np.testing.assert_array_equal(g2.np.random(4), x)


def test_matmul_shape_error_names_both_shapes():
    with pytest.raises(ValueError, match=r"matmul: cannot multiply shapes \(8, 783\) and \(784, 256\)"):
        gk.zeros(8, 783) @ gk.zeros(784, 256)


def test_broadcast_error_names_op_and_shapes():
    with pytest.raises(ValueError, match=r"add: shapes \(3, 4\) and \(5,\) cannot be broadcast"):
        gk.zeros(3, 4) + gk.zeros(5)
    with pytest.raises(ValueError, match=r"mul: shapes"):
        gk.zeros(2, 3) * np.zeros((4, 1))


def test_reshape_and_cat_errors():
    with pytest.raises(ValueError, match=r"cannot reshape a tensor of shape \(2, 3\) \(6 elements\) into shape \(4,\)"):
        gk.zeros(2, 3).reshape(4)
    with pytest.raises(ValueError, match=r"cat: tensors must match"):
        gk.cat([gk.zeros(2, 3), gk.zeros(3, 2)])
    with pytest.raises(IndexError, match="out of range"):
        gk.zeros(2, 3).sum(2)


def test_mixing_cpu_and_cuda_arrays_is_refused(monkeypatch):
    fake_cupy_type = type("ndarray", (), {"__module__": "cupy._core.core"})
    monkeypatch.setattr(backend, "_import_cupy", lambda: object())
    with pytest.raises(RuntimeError, match=r"mixed arrays on 'cpu' and 'cuda'.*\.to\("):
        backend.get_array_module(np.zeros(2), fake_cupy_type())


def test_cuda_without_cupy_says_how_to_install(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_cupy(name, *args, **kwargs):
        if name == "cupy":
            raise ImportError("no cupy")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(backend, "_cupy", None)
    monkeypatch.setattr(builtins, "__import__", no_cupy)
    with pytest.raises(RuntimeError, match=r"pip install 'gradkit\[cuda\]'"):
        gk.zeros(2).to("cuda")
    with pytest.raises(ValueError, match="unknown device"):
        gk.zeros(2).to("tpu:0")


def test_numeric_stability_of_sigmoid_and_logsumexp():
    x = gk.tensor([-1e4, 0.0, 1e4])
    np.testing.assert_allclose(x.sigmoid().numpy(), [0.0, 0.5, 1.0])
    assert np.isfinite(x.logsumexp().item())


def test_max_with_dim_returns_values_and_indices():
    x = gk.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    values, indices = x.max(dim=1)
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0]
    assert x.max().item() == 7.0 and x.argmax().item() == 3
    assert gk.max(x, gk.full((2, 3), 4.0)).tolist() == [[4, 5, 4], [7, 4, 4]]


def test_var_follows_torch_default_and_numpy_alias():
    a = np.array([[1.0, 2.0, 4.0], [0.0, 1.0, 5.0]])
    x = gk.tensor(a)
    np.testing.assert_allclose(x.var(1).numpy(), a.var(1, ddof=1))
    np.testing.assert_allclose(x.var(axis=1, ddof=0).numpy(), a.var(1))
    np.testing.assert_allclose(x.std(unbiased=False).numpy(), a.std())


def test_indexing_forms_and_setitem():
    x = gk.arange(12).reshape(3, 4)
    assert x[1].tolist() == [4, 5, 6, 7]
    assert x[:, -1].tolist() == [3, 7, 11]
    assert x[x > 9].tolist() == [10, 11]
    assert x[gk.tensor([2, 0])][:, 0].tolist() == [8, 0]
    y = gk.zeros(3)
    y[1] = 5.0
    assert y.tolist() == [0, 5, 0]


def test_import_is_light():
    import subprocess
    import sys

    code = (
        "import sys, gradkit; heavy = [m for m in ('matplotlib', 'sklearn', 'cupy', 'scipy', 'rich', 'safetensors', 'ray')"
        " if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


