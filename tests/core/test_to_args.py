"""Tensor.to and Module.to: one parser (gradkit.backend.parse_to_args), the same forms, the same errors."""

import re

import numpy as np
import pytest

import gradkit as gk
from gradkit import nn
from gradkit.backend import parse_to_args

F64 = np.dtype("float64")
F32 = np.dtype("float32")

GOOD = [  # (args, kwargs, parsed (device, dtype))
    (("cpu",), {}, ("cpu", None)),
    (("CPU",), {}, ("cpu", None)),
    (("float64",), {}, (None, F64)),
    ((np.float64,), {}, (None, F64)),
    ((F64,), {}, (None, F64)),
    ((float,), {}, (None, F64)),
    ((gk.float64,), {}, (None, F64)),
    (("cpu", "float64"), {}, ("cpu", F64)),
    (("cpu", np.float64), {}, ("cpu", F64)),
    (("cpu",), {"dtype": np.float64}, ("cpu", F64)),
    ((np.float64,), {"device": "cpu"}, ("cpu", F64)),
    ((), {"device": "cpu", "dtype": "float64"}, ("cpu", F64)),
    ((), {"dtype": F64}, (None, F64)),
    ((), {}, (None, None)),
]

OTHER = gk.zeros(1, dtype=np.float64)

BAD = [  # (args, kwargs, exception, message)
    (("tpu",), {}, ValueError, "unknown device or dtype 'tpu'"),
    ((3,), {}, TypeError, "expects a device ('cpu', 'cuda'), a dtype (np.float32, 'float64') or a Tensor, got int"),
    ((None,), {}, TypeError, "expects a device ('cpu', 'cuda'), a dtype (np.float32, 'float64') or a Tensor, got NoneType"),
    (("float64", "cpu"), {}, TypeError, "argument 2 ('cpu') is out of place"),
    (("cpu", "cpu"), {}, TypeError, "argument 2 ('cpu') is out of place"),
    (("float32", "float64"), {}, TypeError, "argument 2 ('float64') is out of place"),
    (("cpu", "float32", "cpu"), {}, TypeError, "takes at most 2 positional arguments (device, dtype), got 3"),
    ((OTHER,), {"dtype": "float32"}, TypeError, "(tensor) takes no other device or dtype argument"),
    ((OTHER, "cpu"), {}, TypeError, "(tensor) takes no other device or dtype argument"),
    (("cpu",), {"device": "cpu"}, TypeError, "got the device twice"),
    (("float32",), {"dtype": "float64"}, TypeError, "got the dtype twice"),
    ((), {"device": "tpu"}, ValueError, "unknown device 'tpu'"),
    ((), {"device": 0}, TypeError, "device must be a string such as 'cpu' or 'cuda', got int"),
    ((), {"dtype": "cuda"}, TypeError, "dtype must be a NumPy dtype, a scalar type or a name"),
    ((object,), {}, TypeError, "cannot convert to dtype object"),
    (("U3",), {}, TypeError, "cannot convert to dtype <U3"),
]


@pytest.mark.parametrize("args, kwargs, expected", GOOD)
def test_parser_forms(args, kwargs, expected):
    assert parse_to_args(args, **kwargs) == expected


def test_parser_other_tensor_and_cuda_names():
    assert parse_to_args((OTHER,)) == ("cpu", F64)
    assert parse_to_args(("cuda",)) == ("cuda", None)
    assert parse_to_args(("cuda:1", "float32")) == ("cuda", F32)
    assert parse_to_args((), device="gpu") == ("cuda", None)
    assert parse_to_args((np.zeros(2, dtype=np.int32),)) == ("cpu", np.dtype("int32"))  # an array is tensor-like


@pytest.mark.parametrize("args, kwargs, expected", GOOD)
def test_tensor_to_forms(args, kwargs, expected):
    x = gk.tensor([1.0, 2.0], requires_grad=True)
    y = x.to(*args, **kwargs)
    assert y.dtype == (expected[1] or F32) and y.device == "cpu"
    if expected[1] is None or expected[1] == F32:
        assert y is x  # nothing to do: the same tensor
    else:
        y.sum().backward()  # the cast stays in the graph
        np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])


@pytest.mark.parametrize("args, kwargs, expected", GOOD)
def test_module_to_forms(args, kwargs, expected):
    lin = nn.Linear(2, 2)
    w = lin.weight
    assert lin.to(*args, **kwargs) is lin
    assert lin.weight is w and w.dtype == (expected[1] or F32)


def test_to_other_tensor_on_both():
    x = gk.zeros(2)
    assert x.to(OTHER).dtype == F64
    lin = nn.Linear(2, 2).to(OTHER)
    assert lin.weight.dtype == F64 and lin.bias.dtype == F64
    assert gk.zeros(2, dtype=np.float64).to(gk.tensor([1, 2])).dtype == np.int64  # a Tensor casts to any dtype


@pytest.mark.parametrize("args, kwargs, exc, message", BAD)
def test_tensor_and_module_reject_the_same_arguments(args, kwargs, exc, message):
    with pytest.raises(exc, match=re.escape(message)) as on_parser:
        parse_to_args(args, **kwargs)
    with pytest.raises(exc, match=re.escape(message)) as on_tensor:
        gk.zeros(2).to(*args, **kwargs)
    with pytest.raises(exc, match=re.escape(message)) as on_module:
        nn.Linear(2, 2).to(*args, **kwargs)
    tensor_msg, module_msg = str(on_tensor.value), str(on_module.value)
    assert "Tensor.to" in tensor_msg or "unknown device 'tpu'" in tensor_msg
    assert module_msg.replace("Module.to", "Tensor.to") == tensor_msg


def test_module_to_rejects_non_floating_dtypes_tensor_to_casts():
    lin = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="Module.to only accepts floating dtypes"):
        lin.to("int64")
    with pytest.raises(TypeError, match="Module.to only accepts floating dtypes"):
        lin.to(dtype=bool)
    assert lin.weight.dtype == F32  # nothing changed
    assert gk.tensor([1.5, -2.0]).to("int64").tolist() == [1, -2]
    assert gk.tensor([0.0, 2.0]).to(bool).tolist() == [False, True]


def test_module_and_tensor_share_the_parser():
    from gradkit.nn import module

    assert module.parse_to_args is parse_to_args
    assert vars(gk.Tensor)["to"].__module__ == "gradkit.tensor" and "parse_to_args" not in vars(gk.Tensor)
