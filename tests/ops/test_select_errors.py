"""Misuse of the reduction and selection ops raises what PyTorch raises (a RuntimeError or
IndexError subclass), with a message naming the op, the argument and what was expected."""

import numpy as np
import pytest

import gradkit as gk

X = gk.tensor(np.arange(6.0).reshape(2, 3))


@pytest.mark.parametrize("call, exc, words", [
    (lambda: X.gather(1, gk.tensor([[3]])), IndexError, ["gather", "index 3", "dimension 1", "size 3"]),
    (lambda: X.gather(1, gk.tensor([[-1]])), RuntimeError, ["gather", "index -1", "dimension 1"]),
    (lambda: X.gather(1, gk.tensor([[1.0]])), RuntimeError, ["gather", "index", "int64"]),
    (lambda: X.gather(1, gk.tensor([1])), RuntimeError, ["gather", "dimensions"]),
    (lambda: X.gather(1, gk.tensor([[0], [0], [0]])), RuntimeError, ["gather", "size 3 in dimension 0", "2"]),
    (lambda: X.scatter(1, gk.tensor([[5]]), 1.0), IndexError, ["scatter", "index 5", "dimension 1", "size 3"]),
    (lambda: X.scatter_add(0, gk.tensor([[0, 1]]), gk.ones(1, 1, dtype="float64")), RuntimeError,
     ["scatter_add", "src"]),
    (lambda: X.scatter_add(0, gk.tensor([[0]]), gk.ones(1, 1)), RuntimeError, ["scatter_add", "dtype", "float32"]),
    (lambda: X.scatter_reduce(0, gk.tensor([[0]]), X, "max"), RuntimeError, ["scatter_reduce", "amax"]),
    (lambda: X.scatter(0, gk.tensor([[0]]), X, reduce="mean"), RuntimeError, ["scatter", "reduce", "multiply"]),
    (lambda: X.index_select(1, gk.tensor([3])), IndexError, ["index_select", "index 3", "dimension 1", "size 3"]),
    (lambda: X.index_select(1, gk.tensor([-1])), IndexError, ["index_select", "index -1"]),
    (lambda: X.index_select(1, gk.tensor([1.0])), RuntimeError, ["index_select", "int64"]),
    (lambda: X.index_select(1, gk.tensor([[1]])), RuntimeError, ["index_select", "1-D"]),
    (lambda: X.index_add(1, gk.tensor([0]), gk.ones(2, 2, dtype="float64")), RuntimeError,
     ["index_add", "source", "(2, 1)"]),
    (lambda: X.index_copy(0, gk.tensor([2]), gk.ones(1, 3, dtype="float64")), IndexError, ["index_copy", "dimension 0"]),
    (lambda: X.take(gk.tensor([6])), IndexError, ["take", "index 6", "size 6"]),
    (lambda: X.take_along_dim(gk.tensor([0]), 1), RuntimeError, ["take_along_dim", "dimensions"]),
    (lambda: X.masked_fill(gk.tensor([1.0, 0.0, 1.0]), 0.0), RuntimeError, ["masked_fill", "bool"]),
    (lambda: X.masked_fill(gk.tensor([True, False]), 0.0), RuntimeError, ["masked_fill", "(2,)", "(2, 3)"]),
    (lambda: X.masked_scatter(gk.tensor([True, True, True]), gk.ones(2, dtype="float64")), RuntimeError,
     ["masked_scatter", "source", "6"]),
    (lambda: X.sum(2), IndexError, ["sum", "dim=2", "[-2, 1]"]),
    (lambda: X.mean((0, 0)), RuntimeError, ["mean", "more than once"]),
    (lambda: X.max(-3), IndexError, ["max", "dim=-3"]),
    (lambda: gk.tensor(1.0).sum(1), IndexError, ["sum", "[-1, 0]"]),
    (lambda: gk.zeros(0).max(), RuntimeError, ["max", "non-empty"]),
    (lambda: gk.zeros(2, 0).amax(1), RuntimeError, ["amax", "dim 1", "non-zero size"]),
    (lambda: gk.zeros(0).argmax(), RuntimeError, ["argmax"]),
    (lambda: X.topk(4), RuntimeError, ["topk", "k=4", "size 3"]),
    (lambda: X.kthvalue(0), RuntimeError, ["kthvalue", "k=0", "1..3"]),
    (lambda: X.quantile(1.5), RuntimeError, ["quantile", "[0, 1]"]),
    (lambda: gk.tensor([1, 2]).quantile(0.5), RuntimeError, ["quantile", "floating"]),
    (lambda: gk.tensor([-1, 2]).bincount(), RuntimeError, ["bincount", "non-negative"]),
    (lambda: X.bincount(), RuntimeError, ["bincount", "1-D integer"]),
    (lambda: X.norm("nope"), RuntimeError, ["norm", "p"]),
    (lambda: X.prod((0, 1)), TypeError, ["prod", "one int"]),
    (lambda: X.var(0, correction=1, unbiased=True), TypeError, ["var", "one of"]),
    (lambda: gk.bucketize(X, X), RuntimeError, ["bucketize", "1-D"]),
    (lambda: gk.searchsorted(X, gk.ones(3, 2)), RuntimeError, ["searchsorted", "leading dims"]),
])
def test_error_names_op_argument_and_expectation(call, exc, words):
    with pytest.raises(exc) as info:
        call()
    msg = str(info.value)
    for w in words:
        assert w in msg, (w, msg)


def test_errors_that_torch_raises_as_runtime_error_are_runtime_errors():
    for call in (lambda: X.gather(1, gk.tensor([[3]])), lambda: X.index_select(0, gk.tensor([2])),
                 lambda: X.gather(1, gk.tensor([[0.0]])), lambda: gk.zeros(0).max()):
        with pytest.raises(RuntimeError):
            call()


def test_int32_indices_are_accepted_as_torch():
    idx = gk.tensor(np.array([[2, 0]], dtype=np.int32))
    assert X.gather(1, idx).tolist() == [[2.0, 0.0]]
    assert X.index_select(1, gk.tensor(np.array([1], dtype=np.int32))).tolist() == [[1.0], [4.0]]
