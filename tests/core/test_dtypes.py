"""dtype names (gk.float32 is np.dtype('float32')), conversions (.half(), .type()), finfo/iinfo, defaults."""

import numpy as np
import pytest

import gradkit as gk
from gradkit.dtypes import as_dtype

NAMES = {  # gk name -> NumPy dtype (and torch's name for it)
    "float": "float32", "float32": "float32", "double": "float64", "float64": "float64", "half": "float16",
    "float16": "float16", "long": "int64", "int64": "int64", "int": "int32", "int32": "int32",
    "short": "int16", "int16": "int16", "int8": "int8", "uint8": "uint8", "bool": "bool",
    "complex64": "complex64", "cfloat": "complex64", "complex128": "complex128", "cdouble": "complex128",
}


@pytest.mark.parametrize("name, np_name", NAMES.items())
def test_names_are_the_numpy_dtype_singletons(name, np_name):
    dt = getattr(gk, name)
    assert isinstance(dt, gk.dtype) and dt is np.dtype(np_name)
    assert gk.zeros(2, dtype=dt).dtype is dt and gk.zeros(2, dtype=dt).dtype == dt
    assert np.zeros(2, dtype=dt).dtype is dt  # usable by NumPy as well
    torch = pytest.importorskip("torch")
    assert str(getattr(torch, name)) == f"torch.{np_name}"


def test_tensor_dtype_compares_as_torch_users_write_it():
    t = gk.ones(3)
    assert t.dtype == gk.float32 and t.dtype is gk.float32 and t.dtype != gk.float64
    assert (t * 2).dtype is gk.float32 and t[1:].dtype is gk.float32 and t.double().dtype is gk.double
    assert gk.get_default_dtype() is gk.float32 and gk.get_default_dtype() == gk.float


@pytest.mark.parametrize("form", [gk.float64, np.float64, np.dtype("float64"), "float64", float, "f8"])
def test_as_dtype_accepts_every_form(form):
    assert as_dtype(form) is gk.float64


def test_as_dtype_reads_torch_dtypes():
    torch = pytest.importorskip("torch")
    assert as_dtype(torch.float32) is gk.float32 and as_dtype(torch.long) is gk.int64
    assert gk.zeros(2, dtype=torch.float64).dtype is gk.float64
    with pytest.raises(TypeError, match="NumPy has no bfloat16"):
        as_dtype(torch.bfloat16)


def test_bfloat16_exists_and_every_use_says_numpy_has_none():
    assert repr(gk.bfloat16) == "gradkit.bfloat16" and gk.zeros(1).dtype != gk.bfloat16
    for use in (lambda: gk.zeros(2, dtype=gk.bfloat16), lambda: gk.ones(2).to(gk.bfloat16),
                lambda: gk.ones(2).bfloat16(), lambda: np.dtype(gk.bfloat16),
                lambda: gk.tensor([1.0], dtype=gk.bfloat16),
                lambda: gk.set_default_dtype(gk.bfloat16), lambda: gk.finfo(gk.bfloat16)):
        with pytest.raises(gk.errors.DtypeError, match="NumPy has no bfloat16") as info:
            use()
        assert isinstance(info.value, TypeError) and isinstance(info.value, RuntimeError)


def test_bad_dtype_names_the_value():
    with pytest.raises(TypeError, match="'flot32' is not a dtype"):
        gk.zeros(2, dtype="flot32")


CONVERSIONS = {"float": "float32", "double": "float64", "half": "float16", "long": "int64", "int": "int32",
               "short": "int16", "char": "int8", "byte": "uint8", "bool": "bool"}


@pytest.mark.parametrize("method, np_name", CONVERSIONS.items())
def test_conversion_methods(method, np_name):
    x = gk.tensor([0.0, 1.7, -2.2, 3.0])
    got = getattr(x, method)()
    assert got.dtype is np.dtype(np_name)
    assert got.element_size() == got.itemsize == np.dtype(np_name).itemsize and got.nbytes == 4 * got.itemsize
    torch = pytest.importorskip("torch")
    want = getattr(torch.tensor([0.0, 1.7, -2.2, 3.0]), method)()
    if np_name != "uint8":  # -2.2 -> uint8 is implementation-defined in C (NumPy and torch differ)
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    assert got.element_size() == want.element_size() and got.nbytes == want.nbytes and got.itemsize == want.itemsize


def test_conversion_keeps_the_graph_and_returns_self_when_unchanged():
    x = gk.tensor([1.0, 2.0], requires_grad=True)
    assert x.float() is x and x.to(gk.float32) is x and x.type(gk.float32) is x
    y = x.double()
    (y * y).sum().backward()
    assert x.grad.dtype is gk.float32 and x.grad.tolist() == [2.0, 4.0]
    c = x.to(copy=True)
    assert c is not x and c.grad_fn is not None and c.array is not x.array


def test_type_names():
    x = gk.zeros(2)
    assert x.type() == "gradkit.FloatTensor" and x.long().type() == "gradkit.LongTensor"
    assert x.bool().type() == "gradkit.BoolTensor" and x.double().type() == "gradkit.DoubleTensor"
    assert x.type("torch.DoubleTensor").dtype is gk.float64 and x.type("gradkit.IntTensor").dtype is gk.int32
    assert x.type(gk.int64).dtype is gk.int64 and x.type("int16").dtype is gk.int16
    assert x.astype(gk.float16).dtype is gk.float16


def test_dtype_questions():
    assert gk.zeros(1).is_floating_point() and not gk.zeros(1).is_complex()
    assert gk.zeros(1, dtype=gk.complex64).is_complex() and not gk.arange(2).is_floating_point()
    assert gk.arange(2).is_signed() and not gk.zeros(1, dtype=gk.uint8).is_signed()


@pytest.mark.parametrize("dt", [gk.float16, gk.float32, gk.float64])
def test_finfo_matches_torch(dt):
    fi = gk.finfo(dt)
    torch = pytest.importorskip("torch")
    tf = torch.finfo(getattr(torch, str(dt)))
    for field in ("eps", "max", "min", "tiny", "resolution", "bits", "smallest_normal"):
        # (NumPy stores resolution in the dtype itself: float16(0.001) is 0.0010004)
        assert float(getattr(fi, field)) == pytest.approx(float(getattr(tf, field)), rel=1e-3), field


@pytest.mark.parametrize("dt", [gk.uint8, gk.int8, gk.int16, gk.int32, gk.int64])
def test_iinfo_matches_torch(dt):
    ii = gk.iinfo(dt)
    torch = pytest.importorskip("torch")
    ti = torch.iinfo(getattr(torch, str(dt)))
    assert (int(ii.min), int(ii.max), ii.bits) == (ti.min, ti.max, ti.bits)


def test_finfo_iinfo_defaults_and_errors():
    assert gk.finfo().dtype == gk.float32 and gk.finfo("float64").bits == 64
    with pytest.raises(TypeError, match="gk.iinfo"):
        gk.finfo(gk.int32)
    with pytest.raises(TypeError, match="gk.finfo"):
        gk.iinfo(gk.float32)


def test_set_default_dtype_takes_every_form_and_changes_factories():
    try:
        for form in (gk.float64, "float64", np.float64):
            gk.set_default_dtype(form)
            assert gk.get_default_dtype() is gk.float64
            assert gk.zeros(1).dtype is gk.float64 and gk.tensor([1.5]).dtype is gk.float64
            assert gk.arange(1.0).dtype is gk.float64 and gk.full((1,), 1j).dtype is gk.complex128
        with pytest.raises(ValueError, match="floating"):
            gk.set_default_dtype(gk.int64)
    finally:
        gk.set_default_dtype(gk.float32)
    assert gk.zeros(1).dtype is gk.float32


def test_small_attribute_questions_as_torch():
    x = gk.zeros(2, 3)
    assert x.type_as(gk.arange(2)).dtype is gk.int64 and x.get_device() == -1
    assert x.ndimension() == 2 and x.nelement() == 6
    assert not (x.is_sparse or x.is_quantized or x.is_meta or x.is_inference())
    torch = pytest.importorskip("torch")
    t = torch.zeros(2, 3)
    assert (t.get_device(), t.ndimension(), t.nelement(), t.is_sparse, t.is_quantized, t.is_meta) == \
        (x.get_device(), x.ndimension(), x.nelement(), x.is_sparse, x.is_quantized, x.is_meta)
