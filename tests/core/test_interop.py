"""Interop: DLPack with NumPy and torch (zero-copy both ways), __array__'s copy rules, numpy/tolist/item."""

import numpy as np
import pytest

import gradkit as gk

DTYPES = ["float32", "float64", "float16", "int64", "int32", "int8", "uint8", "bool", "complex64"]


@pytest.mark.parametrize("dtype", DTYPES)
def test_dlpack_with_numpy_shares_memory_both_ways(dtype):
    a = (np.arange(6) % 2).astype(dtype).reshape(2, 3)
    t = gk.from_dlpack(a)
    assert t.dtype is np.dtype(dtype) and t.shape == (2, 3) and np.shares_memory(t.array, a)
    b = np.from_dlpack(t)
    assert np.shares_memory(b, a)
    assert t.__dlpack_device__() == (1, 0)  # kDLCPU


@pytest.mark.parametrize("dtype", DTYPES)
def test_dlpack_with_torch_shares_memory_both_ways(dtype):
    torch = pytest.importorskip("torch")
    src = torch.arange(6).reshape(2, 3).to(getattr(torch, dtype))
    g = gk.from_dlpack(src)
    assert g.dtype is np.dtype(dtype) and g.shape == (2, 3)
    g.array[0, 0] = 1
    assert src[0, 0].item() == 1  # written through
    back = torch.from_dlpack(gk.zeros(3, dtype=dtype))
    assert str(back.dtype) == f"torch.{dtype}"
    t = gk.arange(4.0)
    tt = torch.from_dlpack(t)
    tt[1] = 10
    assert t.tolist() == [0.0, 10.0, 2.0, 3.0]


def test_dlpack_of_a_view_and_of_a_tensor_that_requires_grad():
    torch = pytest.importorskip("torch")
    base = gk.arange(12.0).reshape(3, 4)
    view = base[:, 1]
    tv = torch.from_dlpack(view)
    assert tv.tolist() == [1.0, 5.0, 9.0] and tuple(tv.stride()) == (4,)
    w = gk.ones(2, requires_grad=True)
    assert torch.from_dlpack(w).tolist() == [1.0, 1.0]  # gradkit exports the values (torch refuses its own)
    with pytest.raises(BufferError, match="require"):
        gk.from_dlpack(torch.ones(2, requires_grad=True))
    assert gk.from_dlpack(torch.ones(2, requires_grad=True).detach()).tolist() == [1.0, 1.0]


def test_from_dlpack_of_a_tensor_and_of_something_else():
    t = gk.ones(2)
    assert gk.from_dlpack(t).array is t.array
    with pytest.raises(TypeError, match="__dlpack__"):
        gk.from_dlpack([1, 2])


def test_array_protocol_follows_numpy2_copy_rules():
    t = gk.arange(3.0)
    assert np.shares_memory(np.asarray(t), t.array)
    assert np.shares_memory(np.array(t, copy=False), t.array)
    assert not np.shares_memory(np.array(t), t.array)  # np.array copies by default
    assert not np.shares_memory(np.array(t, copy=True), t.array)
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    with pytest.raises(ValueError, match="needs a copy"):
        np.array(t, dtype=np.float64, copy=False)


def test_torch_reads_gradkit_tensors():
    torch = pytest.importorskip("torch")
    t = gk.arange(3.0)
    shared = torch.as_tensor(t)
    shared[0] = 7
    assert t.tolist()[0] == 7.0
    copied = torch.tensor(gk.arange(3))
    assert copied.dtype == torch.int64 and copied.tolist() == [0, 1, 2]


def test_numpy_tolist_item():
    t = gk.tensor([[1.5, 2.0]], requires_grad=True)
    assert np.shares_memory(t.numpy(), t.array) and np.shares_memory(t.numpy(force=True), t.array)
    assert t.tolist() == [[1.5, 2.0]] and gk.tensor(3).tolist() == 3
    assert gk.tensor([2.5]).item() == 2.5 and isinstance(gk.tensor([2]).item(), int)
    assert isinstance(gk.tensor(True).item(), bool)
    with pytest.raises(ValueError, match="one element"):
        t.item()


def test_views_data_ptr_and_storage_offset_as_torch():
    torch = pytest.importorskip("torch")
    g, t = gk.arange(12.0).reshape(3, 4), torch.arange(12.0).reshape(3, 4)
    for index in ((1,), (slice(None), 2), (slice(1, None), slice(2, None))):
        gv, tv = g[index], t[index]
        assert gv.storage_offset() == tv.storage_offset()
        assert gv.data_ptr() - g.data_ptr() == tv.data_ptr() - t.data_ptr()
    assert g.detach().data_ptr() == g.data_ptr() and g.clone().data_ptr() != g.data_ptr()
