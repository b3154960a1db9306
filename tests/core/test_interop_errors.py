"""Errors a PyTorch program catches: RuntimeError kinds, and names gradkit lacks saying what to use."""

import pytest

import gradkit as gk
from gradkit import errors


@pytest.mark.parametrize("cls, bases", [
    (errors.ShapeError, (ValueError, RuntimeError)), (errors.DtypeError, (TypeError, RuntimeError)),
    (errors.DeviceError, (RuntimeError,)), (errors.GraphFreedError, (RuntimeError,)),
])
def test_error_classes_are_runtime_errors(cls, bases):
    assert all(issubclass(cls, b) for b in bases) and cls is getattr(gk.errors, cls.__name__)


@pytest.mark.parametrize("misuse, cls, match", [
    (lambda: gk.ones(2) + gk.ones(3), errors.ShapeError, "cannot be broadcast"),
    (lambda: gk.ones(2, 3) @ gk.ones(2, 3), errors.ShapeError, "inner dimensions"),
    (lambda: gk.ones(2).reshape(3), errors.ShapeError, "cannot reshape"),
    (lambda: gk.ones(3).copy_(gk.ones(2)), errors.ShapeError, "cannot be broadcast"),
    (lambda: gk.zeros(2, dtype=gk.bfloat16), errors.DtypeError, "bfloat16"),
    (lambda: gk.rand(2, dtype=gk.int64), errors.DtypeError, "floating"),
])
def test_misuses_raise_what_torch_users_catch(misuse, cls, match):
    with pytest.raises(RuntimeError, match=match) as info:
        misuse()
    assert type(info.value) is cls
    torch = pytest.importorskip("torch")
    torch_misuse = {  # the same misuse in torch raises a RuntimeError too
        "cannot be broadcast": lambda: torch.ones(2) + torch.ones(3),
        "inner dimensions": lambda: torch.ones(2, 3) @ torch.ones(2, 3),
        "cannot reshape": lambda: torch.ones(2).reshape(3),
        "floating": lambda: torch.rand(2, dtype=torch.int64),
    }.get(match)
    if torch_misuse is not None:
        with pytest.raises(RuntimeError):
            torch_misuse()


def test_backward_twice_raises_graph_freed_error():
    x = gk.ones(2, requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(errors.GraphFreedError, match="retain_graph=True") as info:
        y.backward()
    assert isinstance(info.value, RuntimeError)


def test_missing_tensor_attribute_names_it_and_the_equivalent():
    t = gk.zeros(2)
    with pytest.raises(AttributeError, match=r"gradkit has no torch.Tensor.storage; .*tensor.array"):
        t.storage()
    with pytest.raises(AttributeError, match=r"no attribute 'frobnicate' \(gradkit has no torch.Tensor.frobnicate; "
                                             r"the supported torch surface is listed in docs/torch_surface.md\)"):
        t.frobnicate
    assert not hasattr(t, "__array_interface__") and not hasattr(t, "frobnicate")
    assert getattr(t, "frobnicate", 5) == 5
    u = gk.Tensor.__new__(gk.Tensor)
    with pytest.raises(AttributeError, match="'Tensor' object has no attribute 'grad'"):
        u.grad  # a slot not yet set is not a torch name gradkit lacks


def test_missing_module_attribute_names_it_and_the_equivalent():
    with pytest.raises(AttributeError, match=r"no torch.FloatTensor; use gk.tensor\(data, dtype=gk.float32\)"):
        gk.FloatTensor
    with pytest.raises(AttributeError, match=r"gradkit has no torch.compile; gradkit has no compiler"):
        gk.compile
    with pytest.raises(AttributeError, match=r"module 'gradkit' has no attribute 'frobnicate'"):
        gk.frobnicate
    assert not hasattr(gk, "frobnicate")


def test_the_tables_name_only_torch_names_gradkit_lacks():
    torch = pytest.importorskip("torch")
    fix = "gradkit has it now (or torch lost it): remove it from the table in gradkit/errors.py"
    for name in errors.TENSOR_EQUIVALENTS:
        assert hasattr(torch.Tensor, name) and not hasattr(gk.Tensor, name), f"torch.Tensor.{name}: {fix}"
    for name in errors.MODULE_EQUIVALENTS:
        assert hasattr(torch, name) and name not in dir(gk), f"torch.{name}: {fix}"
