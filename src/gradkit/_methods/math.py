"""Elementwise functions as Tensor methods.

Mixed into :class:`gradkit.Tensor`. Each method is one plain call of the function of the same name
in :mod:`gradkit.ops`, with the same signature (``x.sum(1)`` is ``gk.sum(x, 1)``);
tests/core/test_tensor_methods.py checks that the signatures match.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # for the annotations only: Tensor is built from these mixins
    from ..tensor import Tensor

_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}  # torch's casting: never down a category in place

# gradkit.ops imports Tensor, which is built from this class, so the module is bound here by
# gradkit.tensor once both exist (see _methods.bind_ops); methods look it up when called.
ops: Any = None


class MathMethods:
    """``x.exp()``, ``x.clamp(min, max)``, ``x.sigmoid()``..."""

    __slots__ = ()
    array: Any  # the Tensor's storage (a slot of Tensor)
    requires_grad: bool  # the rest is Tensor's too, used by the in-place helper
    _inplace: Any
    _check_inplace: Any

    def exp(self) -> "Tensor":
        """Elementwise ``e ** x``; see :func:`gradkit.ops.exp`."""
        return ops.exp(self)

    def log(self) -> "Tensor":
        """Elementwise natural logarithm; see :func:`gradkit.ops.log`."""
        return ops.log(self)

    def sqrt(self) -> "Tensor":
        """Elementwise square root; see :func:`gradkit.ops.sqrt`."""
        return ops.sqrt(self)

    def abs(self) -> "Tensor":
        """Elementwise absolute value; see :func:`gradkit.ops.abs`."""
        return ops.abs(self)

    def pow(self, exponent) -> "Tensor":
        """``self ** exponent``; see :func:`gradkit.ops.pow`."""
        return ops.pow(self, exponent)

    def square(self) -> "Tensor":
        """``self * self``; see :func:`gradkit.ops.square`."""
        return ops.square(self)

    def clamp(self, min=None, max=None) -> "Tensor":
        """Limit values to ``[min, max]``; see :func:`gradkit.ops.clamp`."""
        return ops.clamp(self, min, max)

    def clip(self, min=None, max=None) -> "Tensor":
        """Limit values to ``[min, max]`` (alias of clamp); see :func:`gradkit.ops.clip`."""
        return ops.clip(self, min, max)

    def maximum(self, other) -> "Tensor":
        """Elementwise maximum with ``other``; see :func:`gradkit.ops.maximum`."""
        return ops.maximum(self, other)

    def minimum(self, other) -> "Tensor":
        """Elementwise minimum with ``other``; see :func:`gradkit.ops.minimum`."""
        return ops.minimum(self, other)

    def tanh(self) -> "Tensor":
        """Hyperbolic tangent; see :func:`gradkit.ops.tanh`."""
        return ops.tanh(self)

    def sigmoid(self) -> "Tensor":
        """Logistic function ``1 / (1 + exp(-x))``; see :func:`gradkit.ops.sigmoid`."""
        return ops.sigmoid(self)

    def relu(self) -> "Tensor":
        """``max(x, 0)``; see :func:`gradkit.ops.relu`."""
        return ops.relu(self)

    def sin(self) -> "Tensor":
        """Elementwise sine; see :func:`gradkit.ops.sin`."""
        return ops.sin(self)

    def cos(self) -> "Tensor":
        """Elementwise cosine; see :func:`gradkit.ops.cos`."""
        return ops.cos(self)

    def sign(self) -> "Tensor":
        """Elementwise sign (-1, 0, 1; zero gradient); see :func:`gradkit.ops.sign`."""
        return ops.sign(self)

    def isnan(self) -> "Tensor":
        """Elementwise NaN test (bool); see :func:`gradkit.ops.isnan`."""
        return ops.isnan(self)

    def isfinite(self) -> "Tensor":
        """Elementwise finiteness test (bool); see :func:`gradkit.ops.isfinite`."""
        return ops.isfinite(self)

    # pointwise (h1)
    def add(self, other, *, alpha=1) -> "Tensor":
        """``self + alpha * other``; see :func:`gradkit.ops.add`."""
        return ops.add(self, other, alpha=alpha)

    def sub(self, other, *, alpha=1) -> "Tensor":
        """``self - alpha * other``; see :func:`gradkit.ops.sub`."""
        return ops.sub(self, other, alpha=alpha)

    def mul(self, other) -> "Tensor":
        """``self * other``; see :func:`gradkit.ops.mul`."""
        return ops.mul(self, other)

    def div(self, other, *, rounding_mode=None) -> "Tensor":
        """``self / other``, optionally rounded; see :func:`gradkit.ops.div`."""
        return ops.div(self, other, rounding_mode=rounding_mode)

    def true_divide(self, other) -> "Tensor":
        """True division; see :func:`gradkit.ops.true_divide`."""
        return ops.true_divide(self, other)

    def floor_divide(self, other) -> "Tensor":
        """``self // other``; see :func:`gradkit.ops.floor_divide`."""
        return ops.floor_divide(self, other)

    def neg(self) -> "Tensor":
        """``-self``; see :func:`gradkit.ops.neg`."""
        return ops.neg(self)

    def rsqrt(self) -> "Tensor":
        """``1 / sqrt(self)``; see :func:`gradkit.ops.rsqrt`."""
        return ops.rsqrt(self)

    def reciprocal(self) -> "Tensor":
        """``1 / self``; see :func:`gradkit.ops.reciprocal`."""
        return ops.reciprocal(self)

    def addcmul(self, tensor1, tensor2, *, value=1) -> "Tensor":
        """``self + value * tensor1 * tensor2``; see :func:`gradkit.ops.addcmul`."""
        return ops.addcmul(self, tensor1, tensor2, value=value)

    def addcdiv(self, tensor1, tensor2, *, value=1) -> "Tensor":
        """``self + value * tensor1 / tensor2``; see :func:`gradkit.ops.addcdiv`."""
        return ops.addcdiv(self, tensor1, tensor2, value=value)

    def lerp(self, end, weight) -> "Tensor":
        """``self + weight * (end - self)``; see :func:`gradkit.ops.lerp`."""
        return ops.lerp(self, end, weight)

    def fmod(self, other) -> "Tensor":
        """C's fmod remainder; see :func:`gradkit.ops.fmod`."""
        return ops.fmod(self, other)

    def remainder(self, other) -> "Tensor":
        """Python's ``self % other``; see :func:`gradkit.ops.remainder`."""
        return ops.remainder(self, other)

    def floor(self) -> "Tensor":
        """Round down; see :func:`gradkit.ops.floor`."""
        return ops.floor(self)

    def ceil(self) -> "Tensor":
        """Round up; see :func:`gradkit.ops.ceil`."""
        return ops.ceil(self)

    def round(self, decimals=0) -> "Tensor":
        """Round half to even; see :func:`gradkit.ops.round`."""
        return ops.round(self, decimals=decimals)

    def trunc(self) -> "Tensor":
        """Round toward zero; see :func:`gradkit.ops.trunc`."""
        return ops.trunc(self)

    def fix(self) -> "Tensor":
        """Round toward zero (alias of trunc); see :func:`gradkit.ops.fix`."""
        return ops.fix(self)

    def frac(self) -> "Tensor":
        """``self - trunc(self)``; see :func:`gradkit.ops.frac`."""
        return ops.frac(self)

    def sgn(self) -> "Tensor":
        """Sign (``x / |x|`` for complex); see :func:`gradkit.ops.sgn`."""
        return ops.sgn(self)

    def log2(self) -> "Tensor":
        """Base-2 logarithm; see :func:`gradkit.ops.log2`."""
        return ops.log2(self)

    def log10(self) -> "Tensor":
        """Base-10 logarithm; see :func:`gradkit.ops.log10`."""
        return ops.log10(self)

    def log1p(self) -> "Tensor":
        """``log(1 + self)``; see :func:`gradkit.ops.log1p`."""
        return ops.log1p(self)

    def exp2(self) -> "Tensor":
        """``2 ** self``; see :func:`gradkit.ops.exp2`."""
        return ops.exp2(self)

    def expm1(self) -> "Tensor":
        """``exp(self) - 1``; see :func:`gradkit.ops.expm1`."""
        return ops.expm1(self)

    def erf(self) -> "Tensor":
        """Error function; see :func:`gradkit.ops.erf`."""
        return ops.erf(self)

    def erfc(self) -> "Tensor":
        """Complementary error function; see :func:`gradkit.ops.erfc`."""
        return ops.erfc(self)

    def erfinv(self) -> "Tensor":
        """Inverse error function; see :func:`gradkit.ops.erfinv`."""
        return ops.erfinv(self)

    def logit(self, eps=None) -> "Tensor":
        """Log-odds ``log(p / (1 - p))``; see :func:`gradkit.ops.logit`."""
        return ops.logit(self, eps)

    def tan(self) -> "Tensor":
        """Tangent; see :func:`gradkit.ops.tan`."""
        return ops.tan(self)

    def asin(self) -> "Tensor":
        """Arcsine; see :func:`gradkit.ops.asin`."""
        return ops.asin(self)

    def arcsin(self) -> "Tensor":
        """Arcsine; see :func:`gradkit.ops.arcsin`."""
        return ops.arcsin(self)

    def acos(self) -> "Tensor":
        """Arccosine; see :func:`gradkit.ops.acos`."""
        return ops.acos(self)

    def arccos(self) -> "Tensor":
        """Arccosine; see :func:`gradkit.ops.arccos`."""
        return ops.arccos(self)

    def atan(self) -> "Tensor":
        """Arctangent; see :func:`gradkit.ops.atan`."""
        return ops.atan(self)

    def arctan(self) -> "Tensor":
        """Arctangent; see :func:`gradkit.ops.arctan`."""
        return ops.arctan(self)

    def atan2(self, other) -> "Tensor":
        """Angle of the point ``(other, self)``; see :func:`gradkit.ops.atan2`."""
        return ops.atan2(self, other)

    def arctan2(self, other) -> "Tensor":
        """Angle of the point ``(other, self)``; see :func:`gradkit.ops.arctan2`."""
        return ops.arctan2(self, other)

    def sinh(self) -> "Tensor":
        """Hyperbolic sine; see :func:`gradkit.ops.sinh`."""
        return ops.sinh(self)

    def cosh(self) -> "Tensor":
        """Hyperbolic cosine; see :func:`gradkit.ops.cosh`."""
        return ops.cosh(self)

    def asinh(self) -> "Tensor":
        """Inverse hyperbolic sine; see :func:`gradkit.ops.asinh`."""
        return ops.asinh(self)

    def arcsinh(self) -> "Tensor":
        """Inverse hyperbolic sine; see :func:`gradkit.ops.arcsinh`."""
        return ops.arcsinh(self)

    def acosh(self) -> "Tensor":
        """Inverse hyperbolic cosine; see :func:`gradkit.ops.acosh`."""
        return ops.acosh(self)

    def arccosh(self) -> "Tensor":
        """Inverse hyperbolic cosine; see :func:`gradkit.ops.arccosh`."""
        return ops.arccosh(self)

    def atanh(self) -> "Tensor":
        """Inverse hyperbolic tangent; see :func:`gradkit.ops.atanh`."""
        return ops.atanh(self)

    def arctanh(self) -> "Tensor":
        """Inverse hyperbolic tangent; see :func:`gradkit.ops.arctanh`."""
        return ops.arctanh(self)

    def hypot(self, other) -> "Tensor":
        """``sqrt(self**2 + other**2)``; see :func:`gradkit.ops.hypot`."""
        return ops.hypot(self, other)

    def xlogy(self, other) -> "Tensor":
        """``self * log(other)``, 0 where self is 0; see :func:`gradkit.ops.xlogy`."""
        return ops.xlogy(self, other)

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None) -> "Tensor":
        """NaN and infinities replaced; see :func:`gradkit.ops.nan_to_num`."""
        return ops.nan_to_num(self, nan, posinf, neginf)

    def isinf(self) -> "Tensor":
        """Test for +-inf (bool); see :func:`gradkit.ops.isinf`."""
        return ops.isinf(self)

    def isposinf(self) -> "Tensor":
        """Test for +inf (bool); see :func:`gradkit.ops.isposinf`."""
        return ops.isposinf(self)

    def isneginf(self) -> "Tensor":
        """Test for -inf (bool); see :func:`gradkit.ops.isneginf`."""
        return ops.isneginf(self)

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> "Tensor":
        """Elementwise closeness (bool); see :func:`gradkit.ops.isclose`."""
        return ops.isclose(self, other, rtol, atol, equal_nan)

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
        """Closeness everywhere (a Python bool); see :func:`gradkit.ops.allclose`."""
        return ops.allclose(self, other, rtol, atol, equal_nan)

    def equal(self, other) -> bool:
        """Same shape and values (a Python bool); see :func:`gradkit.ops.equal`."""
        return ops.equal(self, other)

    def eq(self, other) -> "Tensor":
        """``self == other`` (bool); see :func:`gradkit.ops.eq`."""
        return ops.eq(self, other)

    def ne(self, other) -> "Tensor":
        """``self != other`` (bool); see :func:`gradkit.ops.ne`."""
        return ops.ne(self, other)

    def lt(self, other) -> "Tensor":
        """``self < other`` (bool); see :func:`gradkit.ops.lt`."""
        return ops.lt(self, other)

    def le(self, other) -> "Tensor":
        """``self <= other`` (bool); see :func:`gradkit.ops.le`."""
        return ops.le(self, other)

    def gt(self, other) -> "Tensor":
        """``self > other`` (bool); see :func:`gradkit.ops.gt`."""
        return ops.gt(self, other)

    def ge(self, other) -> "Tensor":
        """``self >= other`` (bool); see :func:`gradkit.ops.ge`."""
        return ops.ge(self, other)

    def greater(self, other) -> "Tensor":
        """``self > other`` (bool); see :func:`gradkit.ops.greater`."""
        return ops.greater(self, other)

    def greater_equal(self, other) -> "Tensor":
        """``self >= other`` (bool); see :func:`gradkit.ops.greater_equal`."""
        return ops.greater_equal(self, other)

    def less(self, other) -> "Tensor":
        """``self < other`` (bool); see :func:`gradkit.ops.less`."""
        return ops.less(self, other)

    def less_equal(self, other) -> "Tensor":
        """``self <= other`` (bool); see :func:`gradkit.ops.less_equal`."""
        return ops.less_equal(self, other)

    def not_equal(self, other) -> "Tensor":
        """``self != other`` (bool); see :func:`gradkit.ops.not_equal`."""
        return ops.not_equal(self, other)

    def fmax(self, other) -> "Tensor":
        """Maximum ignoring NaN; see :func:`gradkit.ops.fmax`."""
        return ops.fmax(self, other)

    def fmin(self, other) -> "Tensor":
        """Minimum ignoring NaN; see :func:`gradkit.ops.fmin`."""
        return ops.fmin(self, other)

    def bitwise_and(self, other) -> "Tensor":
        """``self & other``; see :func:`gradkit.ops.bitwise_and`."""
        return ops.bitwise_and(self, other)

    def bitwise_or(self, other) -> "Tensor":
        """``self | other``; see :func:`gradkit.ops.bitwise_or`."""
        return ops.bitwise_or(self, other)

    def bitwise_xor(self, other) -> "Tensor":
        """``self ^ other``; see :func:`gradkit.ops.bitwise_xor`."""
        return ops.bitwise_xor(self, other)

    def bitwise_not(self) -> "Tensor":
        """``~self``; see :func:`gradkit.ops.bitwise_not`."""
        return ops.bitwise_not(self)

    def bitwise_left_shift(self, other) -> "Tensor":
        """``self << other``; see :func:`gradkit.ops.bitwise_left_shift`."""
        return ops.bitwise_left_shift(self, other)

    def bitwise_right_shift(self, other) -> "Tensor":
        """``self >> other``; see :func:`gradkit.ops.bitwise_right_shift`."""
        return ops.bitwise_right_shift(self, other)

    def logical_and(self, other) -> "Tensor":
        """Logical and (bool); see :func:`gradkit.ops.logical_and`."""
        return ops.logical_and(self, other)

    def logical_or(self, other) -> "Tensor":
        """Logical or (bool); see :func:`gradkit.ops.logical_or`."""
        return ops.logical_or(self, other)

    def logical_xor(self, other) -> "Tensor":
        """Logical xor (bool); see :func:`gradkit.ops.logical_xor`."""
        return ops.logical_xor(self, other)

    def logical_not(self) -> "Tensor":
        """Logical not (bool); see :func:`gradkit.ops.logical_not`."""
        return ops.logical_not(self)

    def nonzero(self, as_tuple=False):
        """Indices of the non-zero elements (int64, no gradient); see :func:`gradkit.ops.nonzero`."""
        return ops.nonzero(self, as_tuple)

    def argwhere(self) -> "Tensor":
        """Indices of the non-zero elements as ``(n, ndim)`` int64; see :func:`gradkit.ops.argwhere`."""
        return ops.argwhere(self)

    # ------------------------------------------------------------------ in place (h1)
    def _apply_(self, fn, name, *args, fallback=False, **kwargs) -> "Tensor":
        """Write ``fn(self, *args)`` into this tensor's array: the in-place methods (``x.exp_()``) and operators.

        As everywhere in gradkit, nothing in place is recorded: on a tensor that requires grad
        (while grad mode is on) it is refused with a clear error, except that the in-place
        operators (``fallback=True``, as ``x //= y``) give a non-leaf the out-of-place result.
        The result must fit this tensor's dtype and shape, as in torch.

        Raises:
            RuntimeError: a tensor in the graph, an operand that requires grad, a result dtype
                that cannot be cast back (``int_tensor.exp_()``) or a result of another shape.
        """
        from ..autograd.grad_mode import _mode

        if _mode.enabled:
            if fallback and self.requires_grad:
                return self._inplace(args[0], name, lambda a, b: fn(a, b, **kwargs))
            self._check_inplace(f"{name}()")
            if any(getattr(a, "requires_grad", False) for a in (*args, *kwargs.values())):
                raise RuntimeError(f"{name}() with an operand that requires grad would not be recorded; "
                                   "use the out-of-place form")
        out = fn(self, *args, **kwargs).array
        dtype = self.array.dtype
        if out.dtype != dtype and _CATEGORY[out.dtype.kind] > _CATEGORY[dtype.kind]:
            raise RuntimeError(f"{name}(): result type {out.dtype} can't be cast to the desired output type {dtype}")
        if out.shape != self.array.shape:
            raise RuntimeError(f"{name}(): output with shape {tuple(self.array.shape)} doesn't match the "
                               f"broadcast shape {tuple(out.shape)}")
        self.array[...] = out
        return self  # type: ignore[return-value]

    def neg_(self) -> "Tensor":
        """In-place :meth:`neg`."""
        return self._apply_(ops.neg, "neg_")

    def abs_(self) -> "Tensor":
        """In-place :meth:`abs`."""
        return self._apply_(ops.abs, "abs_")

    def pow_(self, exponent) -> "Tensor":
        """In-place :meth:`pow`."""
        return self._apply_(ops.pow, "pow_", exponent)

    def exp_(self) -> "Tensor":
        """In-place :meth:`exp`."""
        return self._apply_(ops.exp, "exp_")

    def log_(self) -> "Tensor":
        """In-place :meth:`log`."""
        return self._apply_(ops.log, "log_")

    def sqrt_(self) -> "Tensor":
        """In-place :meth:`sqrt`."""
        return self._apply_(ops.sqrt, "sqrt_")

    def rsqrt_(self) -> "Tensor":
        """In-place :meth:`rsqrt`."""
        return self._apply_(ops.rsqrt, "rsqrt_")

    def square_(self) -> "Tensor":
        """In-place :meth:`square`."""
        return self._apply_(ops.square, "square_")

    def reciprocal_(self) -> "Tensor":
        """In-place :meth:`reciprocal`."""
        return self._apply_(ops.reciprocal, "reciprocal_")

    def addcmul_(self, tensor1, tensor2, *, value=1) -> "Tensor":
        """In-place :meth:`addcmul`."""
        return self._apply_(ops.addcmul, "addcmul_", tensor1, tensor2, value=value)

    def addcdiv_(self, tensor1, tensor2, *, value=1) -> "Tensor":
        """In-place :meth:`addcdiv`."""
        return self._apply_(ops.addcdiv, "addcdiv_", tensor1, tensor2, value=value)

    def lerp_(self, end, weight) -> "Tensor":
        """In-place :meth:`lerp`."""
        return self._apply_(ops.lerp, "lerp_", end, weight)

    def fmod_(self, other) -> "Tensor":
        """In-place :meth:`fmod`."""
        return self._apply_(ops.fmod, "fmod_", other)

    def remainder_(self, other) -> "Tensor":
        """In-place :meth:`remainder`."""
        return self._apply_(ops.remainder, "remainder_", other)

    def floor_(self) -> "Tensor":
        """In-place :meth:`floor`."""
        return self._apply_(ops.floor, "floor_")

    def ceil_(self) -> "Tensor":
        """In-place :meth:`ceil`."""
        return self._apply_(ops.ceil, "ceil_")

    def round_(self, decimals=0) -> "Tensor":
        """In-place :meth:`round`."""
        return self._apply_(ops.round, "round_", decimals=decimals)

    def trunc_(self) -> "Tensor":
        """In-place :meth:`trunc`."""
        return self._apply_(ops.trunc, "trunc_")

    def fix_(self) -> "Tensor":
        """In-place :meth:`fix`."""
        return self._apply_(ops.fix, "fix_")

    def frac_(self) -> "Tensor":
        """In-place :meth:`frac`."""
        return self._apply_(ops.frac, "frac_")

    def sign_(self) -> "Tensor":
        """In-place :meth:`sign`."""
        return self._apply_(ops.sign, "sign_")

    def sgn_(self) -> "Tensor":
        """In-place :meth:`sgn`."""
        return self._apply_(ops.sgn, "sgn_")

    def log2_(self) -> "Tensor":
        """In-place :meth:`log2`."""
        return self._apply_(ops.log2, "log2_")

    def log10_(self) -> "Tensor":
        """In-place :meth:`log10`."""
        return self._apply_(ops.log10, "log10_")

    def log1p_(self) -> "Tensor":
        """In-place :meth:`log1p`."""
        return self._apply_(ops.log1p, "log1p_")

    def exp2_(self) -> "Tensor":
        """In-place :meth:`exp2`."""
        return self._apply_(ops.exp2, "exp2_")

    def expm1_(self) -> "Tensor":
        """In-place :meth:`expm1`."""
        return self._apply_(ops.expm1, "expm1_")

    def erf_(self) -> "Tensor":
        """In-place :meth:`erf`."""
        return self._apply_(ops.erf, "erf_")

    def erfc_(self) -> "Tensor":
        """In-place :meth:`erfc`."""
        return self._apply_(ops.erfc, "erfc_")

    def erfinv_(self) -> "Tensor":
        """In-place :meth:`erfinv`."""
        return self._apply_(ops.erfinv, "erfinv_")

    def sigmoid_(self) -> "Tensor":
        """In-place :meth:`sigmoid`."""
        return self._apply_(ops.sigmoid, "sigmoid_")

    def logit_(self, eps=None) -> "Tensor":
        """In-place :meth:`logit`."""
        return self._apply_(ops.logit, "logit_", eps)

    def relu_(self) -> "Tensor":
        """In-place :meth:`relu`."""
        return self._apply_(ops.relu, "relu_")

    def sin_(self) -> "Tensor":
        """In-place :meth:`sin`."""
        return self._apply_(ops.sin, "sin_")

    def cos_(self) -> "Tensor":
        """In-place :meth:`cos`."""
        return self._apply_(ops.cos, "cos_")

    def tan_(self) -> "Tensor":
        """In-place :meth:`tan`."""
        return self._apply_(ops.tan, "tan_")

    def asin_(self) -> "Tensor":
        """In-place :meth:`asin`."""
        return self._apply_(ops.asin, "asin_")

    def acos_(self) -> "Tensor":
        """In-place :meth:`acos`."""
        return self._apply_(ops.acos, "acos_")

    def atan_(self) -> "Tensor":
        """In-place :meth:`atan`."""
        return self._apply_(ops.atan, "atan_")

    def atan2_(self, other) -> "Tensor":
        """In-place :meth:`atan2`."""
        return self._apply_(ops.atan2, "atan2_", other)

    def sinh_(self) -> "Tensor":
        """In-place :meth:`sinh`."""
        return self._apply_(ops.sinh, "sinh_")

    def cosh_(self) -> "Tensor":
        """In-place :meth:`cosh`."""
        return self._apply_(ops.cosh, "cosh_")

    def tanh_(self) -> "Tensor":
        """In-place :meth:`tanh`."""
        return self._apply_(ops.tanh, "tanh_")

    def asinh_(self) -> "Tensor":
        """In-place :meth:`asinh`."""
        return self._apply_(ops.asinh, "asinh_")

    def acosh_(self) -> "Tensor":
        """In-place :meth:`acosh`."""
        return self._apply_(ops.acosh, "acosh_")

    def atanh_(self) -> "Tensor":
        """In-place :meth:`atanh`."""
        return self._apply_(ops.atanh, "atanh_")

    def hypot_(self, other) -> "Tensor":
        """In-place :meth:`hypot`."""
        return self._apply_(ops.hypot, "hypot_", other)

    def xlogy_(self, other) -> "Tensor":
        """In-place :meth:`xlogy`."""
        return self._apply_(ops.xlogy, "xlogy_", other)

    def nan_to_num_(self, nan=0.0, posinf=None, neginf=None) -> "Tensor":
        """In-place :meth:`nan_to_num`."""
        return self._apply_(ops.nan_to_num, "nan_to_num_", nan, posinf, neginf)

    def floor_divide_(self, other) -> "Tensor":
        """In-place :meth:`floor_divide`."""
        return self._apply_(ops.floor_divide, "floor_divide_", other)

    def true_divide_(self, other) -> "Tensor":
        """In-place :meth:`true_divide`."""
        return self._apply_(ops.true_divide, "true_divide_", other)

    def clip_(self, min=None, max=None) -> "Tensor":
        """In-place :meth:`clip`."""
        return self._apply_(ops.clip, "clip_", min, max)

    def eq_(self, other) -> "Tensor":
        """In-place :meth:`eq`."""
        return self._apply_(ops.eq, "eq_", other)

    def ne_(self, other) -> "Tensor":
        """In-place :meth:`ne`."""
        return self._apply_(ops.ne, "ne_", other)

    def lt_(self, other) -> "Tensor":
        """In-place :meth:`lt`."""
        return self._apply_(ops.lt, "lt_", other)

    def le_(self, other) -> "Tensor":
        """In-place :meth:`le`."""
        return self._apply_(ops.le, "le_", other)

    def gt_(self, other) -> "Tensor":
        """In-place :meth:`gt`."""
        return self._apply_(ops.gt, "gt_", other)

    def ge_(self, other) -> "Tensor":
        """In-place :meth:`ge`."""
        return self._apply_(ops.ge, "ge_", other)

    def bitwise_and_(self, other) -> "Tensor":
        """In-place :meth:`bitwise_and`."""
        return self._apply_(ops.bitwise_and, "bitwise_and_", other)

    def bitwise_or_(self, other) -> "Tensor":
        """In-place :meth:`bitwise_or`."""
        return self._apply_(ops.bitwise_or, "bitwise_or_", other)

    def bitwise_xor_(self, other) -> "Tensor":
        """In-place :meth:`bitwise_xor`."""
        return self._apply_(ops.bitwise_xor, "bitwise_xor_", other)

    def bitwise_not_(self) -> "Tensor":
        """In-place :meth:`bitwise_not`."""
        return self._apply_(ops.bitwise_not, "bitwise_not_")

    def bitwise_left_shift_(self, other) -> "Tensor":
        """In-place :meth:`bitwise_left_shift`."""
        return self._apply_(ops.bitwise_left_shift, "bitwise_left_shift_", other)

    def bitwise_right_shift_(self, other) -> "Tensor":
        """In-place :meth:`bitwise_right_shift`."""
        return self._apply_(ops.bitwise_right_shift, "bitwise_right_shift_", other)

    def logical_and_(self, other) -> "Tensor":
        """In-place :meth:`logical_and`."""
        return self._apply_(ops.logical_and, "logical_and_", other)

    def logical_or_(self, other) -> "Tensor":
        """In-place :meth:`logical_or`."""
        return self._apply_(ops.logical_or, "logical_or_", other)

    def logical_xor_(self, other) -> "Tensor":
        """In-place :meth:`logical_xor`."""
        return self._apply_(ops.logical_xor, "logical_xor_", other)

    def logical_not_(self) -> "Tensor":
        """In-place :meth:`logical_not`."""
        return self._apply_(ops.logical_not, "logical_not_")
