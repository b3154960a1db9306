"""Tensor's op methods are real methods (of the class or its gradkit._methods mixins), each one call
of the gradkit.ops function."""

import inspect
import pathlib

import numpy as np
import pytest

import gradkit as gk
from gradkit import ops

TENSOR_SRC = "\n".join(pathlib.Path(inspect.getfile(c)).read_text() for c in gk.Tensor.__mro__[:-1])


def _defined(name):
    """The function defining Tensor.<name>, from the class or the first mixin that has it."""
    for cls in gk.Tensor.__mro__[:-1]:
        if name in vars(cls):
            return cls, vars(cls)[name]
    return None, None


@pytest.mark.parametrize("name", ops.TENSOR_METHODS)
def test_every_listed_op_is_a_method_defined_in_the_class(name):
    cls, method = _defined(name)
    assert inspect.isfunction(method), f"Tensor.{name} is not defined in the class or a mixin"
    assert method.__qualname__ == f"{cls.__name__}.{name}"
    assert cls is gk.Tensor or cls.__module__.startswith("gradkit._methods.")
    assert f"    def {name}(self" in TENSOR_SRC  # grep finds it


@pytest.mark.parametrize("name", ops.TENSOR_METHODS)
def test_method_signature_equals_the_function_signature(name):
    fn_sig = inspect.signature(getattr(ops, name))
    m_sig = inspect.signature(_defined(name)[1])
    fn_params, m_params = list(fn_sig.parameters.values()), list(m_sig.parameters.values())
    assert m_params[0].name == "self"
    assert [(p.name, p.kind, p.default) for p in m_params[1:]] == [(p.name, p.kind, p.default) for p in fn_params[1:]]
    assert str(m_sig.return_annotation).strip("'\"") == str(fn_sig.return_annotation).strip("'\"")


@pytest.mark.parametrize("name", ops.TENSOR_METHODS)
def test_method_docstring_is_one_line_pointing_at_the_function(name):
    doc = _defined(name)[1].__doc__
    assert "\n" not in doc and f":func:`gradkit.ops.{name}`" in doc


def test_methods_are_not_attached_by_a_loop():
    assert "setattr(Tensor" not in TENSOR_SRC


def test_methods_give_the_functions_results():
    x = gk.tensor(np.arange(12, dtype=np.float32).reshape(3, 4) - 5.0)
    y = gk.tensor(np.ones((4, 2), dtype=np.float32))
    same = [
        (x.sum(), gk.sum(x)), (x.sum(dim=1, keepdim=True), gk.sum(x, 1, True)), (x.sum(axis=0), gk.sum(x, 0)),
        (x.sum(dtype="float64"), gk.sum(x, dtype="float64")), (x.mean(1), gk.mean(x, 1)),
        (x.var(axis=0, ddof=0), gk.var(x, 0, correction=0)), (x.std(1, unbiased=False), gk.std(x, 1, correction=0)),
        (x.amax(0), gk.amax(x, 0)), (x.argmin(), gk.argmin(x)), (x.logsumexp(1), gk.logsumexp(x, 1)),
        (x.clamp(min=0), gk.clamp(x, 0)), (x.clip(-1, 1), gk.clip(x, -1, 1)), (x.pow(2), x ** 2),
        (x.maximum(gk.zeros(4)), gk.maximum(x, gk.zeros(4))), (x.reshape(2, 6), gk.reshape(x, (2, 6))),
        (x.reshape((4, 3)), gk.reshape(x, 4, 3)), (x.view(-1), gk.view(x, -1)), (x.transpose(), x.T),
        (x.permute(1, 0), x.T), (x.unsqueeze(0).squeeze(0), x), (x.flatten(), gk.flatten(x)),
        (x.expand(2, 3, 4), gk.broadcast_to(x, (2, 3, 4))), (x.matmul(y), x @ y), (x.abs().sign(), gk.sign(x.abs())),
        (x.isnan().any(), gk.tensor(False)), (x.isfinite().all(dim=1), gk.tensor([True, True, True])),
    ]
    for got, want in same:
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)
    values, indices = x.max(1)
    assert values.tolist() == [-2.0, 2.0, 6.0] and indices.tolist() == [3, 3, 3]
    assert [p.shape for p in x.split(2, dim=1)] == [(3, 2), (3, 2)]
    assert [p.shape for p in x.chunk(3)] == [(1, 4)] * 3


def test_methods_keep_the_graph():
    x = gk.tensor([1.0, -2.0, 3.0], requires_grad=True)
    x.relu().tanh().sigmoid().exp().log().square().sqrt().sin().cos().mean().backward()
    assert x.grad is not None and x.grad.shape == (3,)


def test_parameter_inherits_the_methods():
    p = gk.nn.Parameter(np.ones((2, 2), dtype=np.float32))
    assert p.sum().item() == 4.0 and p.reshape(4).shape == (4,)
