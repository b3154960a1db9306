"""Differentiable operations: the internal :class:`Op` and :class:`FusedOp` bases and the public :class:`Function`.

How a derivative is written, once per op:

* An :class:`Op` (a primitive) has ``forward`` on raw arrays (NumPy or CuPy) and ``backward``
  written with gradkit's own ops on Tensors, side by side. The engine runs ``backward`` under
  ``no_grad`` for an ordinary ``backward()``, so those ops only compute; with
  ``create_graph=True`` it runs the same rule with recording on, and differentiating it again
  gives higher-order gradients. The engine tells the op which of the two it wants through
  ``op.create_graph``, never through a global flag read inside ``backward``. A rule that needs
  the forward's result calls :meth:`Op.output`: the saved array on the ordinary path, the op
  applied again in the graph when a graph is built.
* A :class:`FusedOp` is a kernel fused for speed (linear + bias, softmax + cross-entropy,
  im2col convolution, the LSTM). Its derivative is written once, on raw arrays, in
  ``backward_arrays``. When a graph of the backward is asked for, the graph comes from
  ``composite``: the same function written with differentiable primitives, whose own rules then
  give every higher derivative. A fused op without a composite is once-differentiable: asking
  for a second derivative through it raises a clear error instead of returning zeros.

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

import copy
import functools

from ..errors import DeviceError
from ..tensor import Tensor, _make
from .grad_mode import _mode, enable_grad, no_grad


class Op:
    """Base of every differentiable primitive.

    Subclasses implement ``forward(*arrays) -> array | tuple`` and
    ``backward(*grad_tensors) -> Tensor | None | tuple``. Non-tensor settings go to
    ``__init__``. While recording, the instance keeps ``inputs`` (the input Tensors)
    and ``needs_input_grad``; after a backward without ``retain_graph`` it is freed.

    Class attributes:
        non_differentiable: indices of outputs that carry no gradient (e.g. argmax).
        saves_output: keep the forward's result for :meth:`output` (rules such as
            ``tanh' = 1 - y**2`` that are cheapest in terms of the output).

    Attributes:
        create_graph: set by the engine right before it calls ``backward``: True when the
            backward is itself recorded (``create_graph=True``), so a rule can tell whether
            the saved output may stand in as a constant.
    """

    non_differentiable: tuple = ()
    saves_output = False
    create_graph = False
    inputs = None
    _saved_output = None
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

    def output(self, index: int = 0) -> Tensor:
        """The forward's output ``index``, for use in this op's own backward rule.

        On the ordinary path it is the saved array as a constant; when the engine builds a
        graph of the backward it is this op applied again to its inputs, so the rule stays
        differentiable. Needs ``saves_output = True`` on the class.
        """
        if self.create_graph:
            again = copy.copy(self)
            again.create_graph = False
            out = again(*(self.inputs or ()))
            return out[index] if type(out) is tuple else out
        saved = self._saved_output
        if type(saved) is tuple:
            saved = saved[index]
        return _make(saved, False, None)

    def __call__(self, *inputs: Tensor):
        try:
            out = self.forward(*[x.array for x in inputs])
        except (TypeError, RuntimeError) as exc:  # free when nothing is raised
            _check_one_device(self, inputs, exc)
            raise
        track = False
        if _mode.enabled:
            for x in inputs:
                if x.requires_grad:
                    track = True
                    break
        if track and self.saves_output:
            self._saved_output = out
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


class DeviceMismatchError(DeviceError):
    """Tensors on different devices ('cpu' and 'cuda') met in one op."""


def _check_one_device(op, inputs, exc):
    """Raise :class:`DeviceMismatchError` naming both devices when ``op``'s inputs live on two devices
    (the array library's own error, CuPy's ``TypeError``, says only that a type was unsupported)."""
    from .. import backend

    devices = [backend.device_of(x.array) for x in inputs]
    if len(set(devices)) > 1:
        where = ", ".join(f"input {i} on {d!r}" for i, d in enumerate(devices))
        raise DeviceMismatchError(
            f"{op.name}: expected all tensors on the same device, but found tensors on 'cpu' and 'cuda' ({where}); "
            "move them to one device first with .to('cuda') or .to('cpu')"
        ) from exc


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


def _guard_once_differentiable(op, result, grads):
    """Make each gradient in ``result`` a graph node that raises if it is differentiated again."""
    sources = tuple(t for t in (*op.inputs, *grads) if t.requires_grad)
    if not sources:
        return result
    single = not isinstance(result, tuple)
    items = (result,) if single else result
    wrapped = []
    for r in items:
        if r is None:
            wrapped.append(None)
            continue
        guard = _DoubleBackwardError(op.name)
        guard.inputs = sources
        guard.needs_input_grad = tuple(True for _ in guard.inputs)
        wrapped.append(_make(r.array, True, guard))
    return wrapped[0] if single else tuple(wrapped)


def once_differentiable(backward):
    """Decorate an op's ``backward`` that cannot itself be differentiated.

    The backward runs under ``no_grad``; when a second derivative is requested through
    it, the engine raises a clear error instead of silently returning zeros. Fused kernels
    inside gradkit are :class:`FusedOp` subclasses instead; this decorator is for ``Op``
    subclasses written outside it.
    """

    @functools.wraps(backward)
    def wrapper(self, *grads):
        with no_grad():
            result = backward(self, *grads)
        if not self.create_graph:
            return result
        return _guard_once_differentiable(self, result, grads)

    return wrapper


class FusedOp(Op):
    """Base of the ops fused for speed: one derivative on raw arrays, higher ones from primitives.

    Subclasses implement ``forward(*arrays)`` and ``backward_arrays(*grad_arrays)``, which
    returns one gradient array (or ``None``) per input, or a single array for a single input.
    ``backward_arrays`` reads ``self.needs_input_grad`` to skip what is not needed. When the
    fused function can be written with differentiable primitives, ``composite(*inputs)``
    returns it on Tensors (same outputs as ``forward``, up to rounding); then a graph of the
    backward (``create_graph=True``) is the derivative of the composite, and every rule stays
    written once. Without a composite the op is once-differentiable.
    """

    composite = None

    def backward_arrays(self, *grads):  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, *grads):
        if self.create_graph and self.composite is not None:
            return self._backward_through_composite(grads)
        result = self.backward_arrays(*[g.array for g in grads])
        if type(result) is tuple:
            result = tuple(None if r is None else _make(r, False, None) for r in result)
        elif result is not None:
            result = _make(result, False, None)
        if self.create_graph:
            return _guard_once_differentiable(self, result, grads)
        return result

    def _backward_through_composite(self, grads):
        from .engine import grad  # the engine imports this module

        inputs = self.inputs
        wanted = [x for x, need in zip(inputs, self.needs_input_grad) if need]
        with enable_grad():
            outs = self.composite(*inputs)
        outs = outs if type(outs) is tuple else (outs,)
        pairs = [(o, g) for i, (o, g) in enumerate(zip(outs, grads)) if i not in self.non_differentiable]
        found = grad([o for o, _ in pairs], wanted, [g for _, g in pairs], create_graph=True, allow_unused=True)
        found = iter(found)
        return tuple(next(found) if need else None for need in self.needs_input_grad)


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
        track = _mode.enabled and any(t.requires_grad for t in tensors)
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
            if id(o) in ctx._non_differentiable or o.array.dtype.kind not in "fc":
                results.append(_make(o.array, False, None))
            else:
                results.append(_make(o.array, True, self, i))
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
