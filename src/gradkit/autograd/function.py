"""Differentiable operations: the internal :class:`Op` base and the public :class:`Function`.

An :class:`Op` has its forward and backward side by side. ``forward`` takes and returns
raw arrays (NumPy or CuPy); ``backward`` takes the output gradients as Tensors and returns
one gradient Tensor (or ``None``) per input. Because backward rules are written with
gradkit's own ops, differentiating them again gives higher-order gradients; the engine
runs them under ``no_grad`` unless ``create_graph=True`` was asked for, so the common
path records nothing.

:class:`Function` is the PyTorch-style way for users to add an op:

Example:
    >>> import gradkit as gk
    >>> class Cube(gk.autograd.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x * x * x
    ...     @staticmethod
    ...     def backward(ctx, gy):
    ...         (x,) = ctx.saved_tensors
    ...         return gy * 3 * x * x
    >>> x = gk.tensor(2.0, requires_grad=True)
    >>> Cube.apply(x).backward()
    >>> x.grad.item()
    12.0
"""

from __future__ import annotations

import functools

from ..tensor import Tensor, _make
from .grad_mode import _enabled, no_grad


class Op:
    """Base of every differentiable primitive.

    Subclasses implement ``forward(*arrays) -> array | tuple`` and
    ``backward(*grad_tensors) -> Tensor | None | tuple``. Non-tensor settings go to
    ``__init__``. While recording, the instance keeps ``inputs`` (the input Tensors)
    and ``needs_input_grad``; after a backward without ``retain_graph`` it is freed.

    Class attributes:
        non_differentiable: indices of outputs that carry no gradient (e.g. argmax).
    """

    non_differentiable: tuple = ()
    inputs = None
    _freed = False
    _retained = None
    _out_meta = None

    def forward(self, *arrays):  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, *grads):  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{self.name}Backward>"

    def __call__(self, *inputs: Tensor):
        out = self.forward(*[x.data for x in inputs])
        track = False
        if _enabled[0]:
            for x in inputs:
                if x.requires_grad:
                    track = True
                    break
        if type(out) is not tuple:
            if not track:
                return _make(out, False, None)
            self.inputs = inputs
            self.needs_input_grad = tuple(x.requires_grad for x in inputs)
            return _make(out, True, self)
        if not track:
            return tuple(_make(o, False, None) for o in out)
        self.inputs = inputs
        self.needs_input_grad = tuple(x.requires_grad for x in inputs)
        self._out_meta = tuple((o.shape, o.dtype) for o in out)
        nd = self.non_differentiable
        return tuple(
            _make(o, False, None) if i in nd else _make(o, True, self, i) for i, o in enumerate(out)
        )


class _DoubleBackwardError(Op):
    """Stands in the graph where an op's backward cannot itself be differentiated."""

    def __init__(self, op_name: str):
        self.op_name = op_name

    def forward(self, *arrays):  # pragma: no cover - never called directly
        raise NotImplementedError

    def backward(self, *grads):
        raise RuntimeError(
            f"the backward of {self.op_name} is once-differentiable: it cannot be differentiated again. "
            "Compose the computation from differentiable ops to take higher-order gradients through it."
        )


def once_differentiable(backward):
    """Decorate an op's ``backward`` that is written on raw arrays (a fused op for speed).

    The backward runs under ``no_grad``; when a second derivative is requested through
    it, the engine raises a clear error instead of silently returning zeros.
    """

    @functools.wraps(backward)
    def wrapper(self, *grads):
        create_graph = _enabled[0]
        with no_grad():
            result = backward(self, *grads)
        sources = tuple(t for t in (*self.inputs, *grads) if t.requires_grad)
        if not create_graph or not sources:
            return result
        single = not isinstance(result, tuple)
        items = (result,) if single else result
        wrapped = []
        for r in items:
            if r is None:
                wrapped.append(None)
                continue
            guard = _DoubleBackwardError(self.name)
            guard.inputs = sources
            guard.needs_input_grad = tuple(True for _ in guard.inputs)
            wrapped.append(_make(r.data, True, guard))
        return wrapped[0] if single else tuple(wrapped)

    return wrapper


class FunctionCtx:
    """The ``ctx`` handed to a custom :class:`Function`'s forward and backward."""

    def __init__(self, needs_input_grad):
        self.needs_input_grad = needs_input_grad
        self.saved_tensors: tuple = ()
        self._non_differentiable: set[int] = set()

    def save_for_backward(self, *tensors) -> None:
        """Keep tensors (inputs or outputs) for the backward pass."""
        self.saved_tensors = tensors

    def mark_non_differentiable(self, *outputs) -> None:
        """Declare outputs (such as indices) that carry no gradient."""
        self._non_differentiable.update(id(o) for o in outputs)


class _CustomOp(Op):
    def __init__(self, fn_cls, args):
        self.fn_cls = fn_cls
        self.args = args
        self.tensor_pos = [i for i, a in enumerate(args) if isinstance(a, Tensor)]

    @property
    def name(self) -> str:
        return self.fn_cls.__name__

    def run(self):
        args = self.args
        tensors = tuple(args[i] for i in self.tensor_pos)
        track = _enabled[0] and any(t.requires_grad for t in tensors)
        needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        ctx = FunctionCtx(needs)
        with no_grad():
            out = self.fn_cls.forward(ctx, *args)
        single = not isinstance(out, tuple)
        outs = (out,) if single else out
        for o in outs:
            if not isinstance(o, Tensor):
                raise TypeError(
                    f"{self.name}.forward must return Tensors, got {type(o).__name__}; wrap arrays with gk.tensor()"
                )
        if not track:
            return out
        self.ctx = ctx
        self.inputs = tensors
        self.needs_input_grad = tuple(t.requires_grad for t in tensors)
        self._out_meta = tuple((o.shape, o.dtype) for o in outs)
        results = []
        for i, o in enumerate(outs):
            if id(o) in ctx._non_differentiable or o.data.dtype.kind not in "fc":
                results.append(_make(o.data, False, None))
            else:
                results.append(_make(o.data, True, self, i))
        del self.args  # keep only what backward needs
        return results[0] if single else tuple(results)

    def backward(self, *grads):
        res = self.fn_cls.backward(self.ctx, *grads)
        if not isinstance(res, tuple):
            res = (res,)
        n_args = len(self.ctx.needs_input_grad)
        if len(res) != n_args:
            raise RuntimeError(
                f"{self.name}.backward returned {len(res)} gradients but forward took {n_args} arguments; "
                "return one gradient (or None) per forward argument"
            )
        out = []
        for i in self.tensor_pos:
            g = res[i]
            if g is not None and not isinstance(g, Tensor):
                g = Tensor(g)
            out.append(g)
        return tuple(out)


class Function:
    """Base class for user-defined differentiable functions, as ``torch.autograd.Function``.

    Subclasses define two static methods:

    * ``forward(ctx, *args)`` computes the result from Tensors (run without recording),
      and may call ``ctx.save_for_backward(...)``;
    * ``backward(ctx, *grad_outputs)`` returns one gradient per forward argument
      (``None`` for non-tensor arguments). Written with gradkit ops, it supports
      higher-order gradients.

    Call it with ``MyFunction.apply(*args)``.
    """

    @staticmethod
    def forward(ctx, *args):  # pragma: no cover - abstract
        raise NotImplementedError

    @staticmethod
    def backward(ctx, *grad_outputs):  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def apply(cls, *args):
        """Run the function on ``args`` and record it in the graph."""
        return _CustomOp(cls, args).run()
