"""Factories (gk.zeros, gk.arange, gk.rand, ...) and new_*/*_like: PyTorch's forms, dtypes and values."""

import numpy as np
import pytest

import gradkit as gk

CASES = [  # (call on the module, expected dtype name); the same call runs on torch when it is installed
    ("zeros(2, 3)", "float32"), ("zeros((2, 3))", "float32"), ("zeros([2, 3])", "float32"),
    ("zeros(size=(2, 3))", "float32"), ("zeros(())", "float32"), ("zeros(0, 3)", "float32"),
    ("ones(3, dtype=M.int64)", "int64"), ("empty(2, 2)", "float32"), ("empty(2, dtype=M.float64)", "float64"),
    ("full((2,), 7)", "int64"), ("full((2,), 0.5)", "float32"), ("full((2,), True)", "bool"),
    ("full((2,), 1j)", "complex64"), ("full((2,), 1.5, dtype=M.int64)", "int64"), ("full([], 2.0)", "float32"),
    ("arange(5)", "int64"), ("arange(5.0)", "float32"), ("arange(1, 2.5, 0.5)", "float32"),
    ("arange(0, 10, 3)", "int64"), ("arange(0, 1, 0.3)", "float32"), ("arange(3, dtype=M.float64)", "float64"),
    ("arange(10, 0, -3)", "int64"), ("arange(end=4)", "int64"), ("arange(start=1, end=4, step=2)", "int64"),
    ("linspace(0, 1, 5)", "float32"), ("linspace(0, 10, 4, dtype=M.int64)", "int64"),
    ("linspace(-1, 1, 1)", "float32"), ("linspace(0, 1, 0)", "float32"), ("logspace(0, 2, 3)", "float32"),
    ("logspace(0, 3, 4, base=2.0)", "float32"), ("eye(3)", "float32"), ("eye(2, 3)", "float32"),
    ("eye(2, dtype=M.int32)", "int32"), ("tensor([1, 2])", "int64"), ("tensor([1.0, 2])", "float32"),
    ("tensor([True])", "bool"), ("tensor(3)", "int64"), ("tensor(3.5)", "float32"), ("tensor([1j])", "complex64"),
    ("tensor([[1, 2]], dtype=M.float64)", "float64"), ("tensor(np.float64(1.5))", "float64"),
    ("tensor(np.arange(3, dtype=np.int32))", "int32"), ("as_tensor([1.0])", "float32"),
    ("zeros_like(M.arange(3))", "int64"), ("ones_like(M.zeros(2), dtype=M.float64)", "float64"),
    ("full_like(M.arange(2), 2.7)", "int64"), ("empty_like(M.zeros(2, 2))", "float32"),
]


def _np_name(dtype):
    return str(dtype).replace("torch.", "")


@pytest.mark.parametrize("expr, dtype", CASES)
def test_factory_dtypes_and_values(expr, dtype):
    got = eval(expr, {"M": gk, "np": np, **vars(gk)})
    assert isinstance(got, gk.Tensor) and got.dtype == np.dtype(dtype) and got.dtype is getattr(gk, dtype)
    torch = pytest.importorskip("torch")
    want = eval(expr, {"M": torch, "np": np, **{k: getattr(torch, k) for k in dir(torch) if not k.startswith("_")}})
    assert _np_name(want.dtype) == dtype
    assert got.shape == tuple(want.shape)
    if "empty" not in expr:  # torch's empty is uninitialized memory; gradkit's is zeros
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("make", [gk.zeros, gk.ones, gk.empty, gk.rand, gk.randn])
def test_size_forms_agree(make):
    shapes = [make(2, 3).shape, make((2, 3)).shape, make([2, 3]).shape, make(size=(2, 3)).shape,
              make(np.int64(2), gk.tensor(3)).shape, make(gk.tensor(2), 3).shape]
    assert shapes == [(2, 3)] * 6
    assert make().shape == () and make(0).shape == (0,)


def test_bad_sizes_say_what_is_wrong():
    with pytest.raises(ValueError, match="non-negative"):
        gk.zeros(2, -1)
    with pytest.raises(RuntimeError, match="non-negative"):  # torch raises RuntimeError here
        gk.ones(-3)
    with pytest.raises(TypeError, match="integers"):
        gk.zeros(2.5)
    with pytest.raises(TypeError, match="not both"):
        gk.zeros(2, size=(3,))


@pytest.mark.parametrize("dtype", ["float32", gk.float64, np.float16, float, "int32", gk.long, gk.bool])
def test_dtype_forms_everywhere(dtype):
    want = np.dtype(dtype)
    for t in (gk.zeros(2, dtype=dtype), gk.ones(2, dtype=dtype), gk.full((2,), 1, dtype=dtype),
              gk.arange(2, dtype=dtype), gk.eye(2, dtype=dtype), gk.tensor([1, 0], dtype=dtype),
              gk.as_tensor([1, 0], dtype=dtype), gk.zeros_like(gk.zeros(2), dtype=dtype),
              gk.zeros(2).new_zeros(2, dtype=dtype), gk.zeros(2).to(dtype)):
        assert t.dtype is want


def test_requires_grad_and_device_keywords():
    for t in (gk.zeros(2, requires_grad=True), gk.ones(2, requires_grad=True), gk.rand(2, requires_grad=True),
              gk.randn(2, requires_grad=True), gk.full((2,), 1.0, requires_grad=True),
              gk.arange(2.0, requires_grad=True), gk.linspace(0, 1, 3, requires_grad=True),
              gk.eye(2, requires_grad=True), gk.tensor([1.0], requires_grad=True),
              gk.zeros_like(gk.zeros(2), requires_grad=True), gk.zeros(1).new_ones(2, requires_grad=True)):
        assert t.requires_grad and t.is_leaf
    with pytest.raises(RuntimeError, match="floating"):
        gk.zeros(2, dtype=gk.int64, requires_grad=True)
    for dev in ("cpu", gk.device("cpu"), None):
        assert gk.zeros(2, device=dev).device == "cpu"
        assert gk.randn(2, device=dev).is_cpu


def test_random_factories_reproduce_with_manual_seed():
    def draw():
        gk.manual_seed(123)
        return [gk.rand(3), gk.randn(2, 2), gk.randint(0, 9, (4,)), gk.randperm(5), gk.rand_like(gk.zeros(2)),
                gk.randn_like(gk.zeros(3)), gk.randint_like(gk.zeros(3), 4), gk.zeros(3).normal_(),
                gk.zeros(3).uniform_(-1, 1), gk.zeros(4).bernoulli_(0.5), gk.zeros(2).random_(10)]
    for a, b in zip(draw(), draw()):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    gen = gk.Generator(5)
    a = gk.rand(3, generator=gen)
    assert not np.array_equal(a.numpy(), gk.rand(3, generator=gen).numpy())
    np.testing.assert_array_equal(a.numpy(), gk.rand(3, generator=gk.Generator(5)).numpy())


def test_random_factory_ranges_and_dtypes():
    gk.manual_seed(0)
    assert gk.rand(2).dtype is gk.float32 and gk.rand(2, dtype=gk.float64).dtype is gk.float64
    r = gk.rand(10_000).numpy()
    assert r.min() >= 0 and r.max() < 1 and abs(r.mean() - 0.5) < 0.02
    n = gk.randn(10_000, dtype=gk.float64).numpy()
    assert abs(n.mean()) < 0.05 and abs(n.std() - 1) < 0.05
    for x in (gk.randint(10, (500,)), gk.randint(3, 10, (500,)), gk.randint(3, 10, size=(500,)),
              gk.randint(low=3, high=10, size=[500])):
        assert x.dtype is gk.int64 and x.shape == (500,)
        assert x.numpy().min() >= 0 and x.numpy().max() < 10
    assert gk.randint(3, 10, (500,)).numpy().min() >= 3
    assert gk.randint(0, 5, (3,), dtype=gk.float32).dtype is gk.float32
    assert sorted(gk.randperm(6).tolist()) == list(range(6)) and gk.randperm(3, dtype=gk.int32).dtype is gk.int32
    with pytest.raises(RuntimeError, match="floating dtype"):  # torch: NotImplementedError, a RuntimeError
        gk.rand(2, dtype=gk.int64)
    with pytest.raises(ValueError, match="low < high"):
        gk.randint(5, 5, (2,))
    rl = gk.randint_like(gk.zeros(100, dtype=gk.int32), 2, 4)
    assert rl.dtype is gk.int32 and set(rl.tolist()) <= {2, 3}


def test_new_methods_take_this_tensors_dtype_and_device():
    x = gk.zeros(2, dtype=gk.float64)
    for t, shape in ((x.new_zeros(2, 3), (2, 3)), (x.new_zeros((2, 3)), (2, 3)), (x.new_ones([4]), (4,)),
                     (x.new_empty(1, 2), (1, 2)), (x.new_full((2,), 3), (2,)), (x.new_tensor([1, 2]), (2,))):
        assert t.shape == shape and t.dtype is gk.float64 and t.device == "cpu" and not t.requires_grad
    assert x.new_full((2,), 3).tolist() == [3.0, 3.0]
    assert x.new_tensor([1, 2], dtype=gk.int32).dtype is gk.int32
    src = gk.ones(2)
    copy = x.new_tensor(src)
    copy.array[0] = 5
    assert src.tolist() == [1.0, 1.0]  # new_tensor copies
    torch = pytest.importorskip("torch")
    tx = torch.zeros(2, dtype=torch.float64)
    for name, args in (("new_zeros", (2, 3)), ("new_ones", ((3,),)), ("new_full", ((2,), 7)),
                       ("new_tensor", ([1, 2],)), ("new_empty", (2,))):
        want, got = getattr(tx, name)(*args), getattr(x, name)(*args)
        assert got.shape == tuple(want.shape) and _np_name(want.dtype) == str(got.dtype)


def test_like_functions_follow_input_unless_told():
    x = gk.arange(6, dtype=gk.int32).reshape(2, 3)
    for f in (gk.zeros_like, gk.ones_like, gk.empty_like):
        assert f(x).dtype is gk.int32 and f(x).shape == (2, 3)
        assert f(x, dtype=gk.float64).dtype is gk.float64
    assert gk.full_like(x, 4).tolist() == [[4, 4, 4]] * 2
    assert gk.rand_like(gk.zeros(2, 2, dtype=gk.float64)).dtype is gk.float64
    with pytest.raises(TypeError, match="Tensor"):
        gk.zeros_like([1, 2])


def test_from_numpy_and_as_tensor_share_memory_tensor_copies():
    a = np.arange(4, dtype=np.float64)
    shared = (gk.from_numpy(a), gk.as_tensor(a), gk.from_dlpack(a))
    copied = (gk.tensor(a), gk.as_tensor(a, dtype=gk.float32))
    a[0] = 9
    assert all(t.tolist()[0] == 9 for t in shared)
    assert all(t.tolist()[0] == 0 for t in copied)
    t = gk.tensor([1.0, 2.0], requires_grad=True)
    assert gk.as_tensor(t) is t and gk.as_tensor(t, dtype=gk.float64).grad_fn is not None
    with pytest.raises(TypeError, match="numpy.ndarray"):
        gk.from_numpy([1, 2])
    with pytest.raises(TypeError, match="dtype <U1"):
        gk.from_numpy(np.array(["a"]))


def test_questions():
    assert gk.is_tensor(gk.zeros(1)) and not gk.is_tensor(np.zeros(1))
    assert gk.is_floating_point(gk.zeros(1)) and not gk.is_floating_point(gk.arange(2))
    assert gk.is_complex(gk.tensor([1j])) and not gk.is_complex(gk.zeros(1))
    assert gk.numel(gk.zeros(2, 3)) == 6


SHAPES = [(), (0,), (3,), (2, 0, 3), (1, 4, 1), (2, 3, 4)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool"])
def test_like_and_new_on_shapes_including_0d_and_empty_as_torch(shape, dtype):
    x = gk.zeros(shape, dtype=dtype)
    made = {"zeros_like": gk.zeros_like(x), "ones_like": gk.ones_like(x), "full_like": gk.full_like(x, 1),
            "new_ones": x.new_ones(shape), "new_full": x.new_full(shape, 1), "new_zeros": x.new_zeros(shape),
            "ones": gk.ones(shape, dtype=dtype), "full": gk.full(shape, 1, dtype=dtype)}
    for name, t in made.items():
        assert t.shape == shape and t.dtype is np.dtype(dtype), name
    torch = pytest.importorskip("torch")
    tx = torch.zeros(shape, dtype=getattr(torch, dtype))
    want = {"zeros_like": torch.zeros_like(tx), "ones_like": torch.ones_like(tx), "full_like": torch.full_like(tx, 1),
            "new_ones": tx.new_ones(shape), "new_full": tx.new_full(shape, 1), "new_zeros": tx.new_zeros(shape),
            "ones": torch.ones(shape, dtype=tx.dtype), "full": torch.full(shape, 1, dtype=tx.dtype)}
    for name, t in made.items():
        w = want[name]
        assert _np_name(w.dtype) == str(t.dtype) and tuple(w.shape) == t.shape, name
        np.testing.assert_array_equal(t.numpy(), w.numpy(), err_msg=name)
