"""Creation, conversion and in-place fills as Tensor methods (new_zeros, type, fill_...).

Mixed into :class:`gradkit.Tensor`. Each method that has a function of the same name in
:mod:`gradkit.ops` is one plain call of it, with the same signature;
tests/core/test_tensor_methods.py checks that the signatures match.
"""

from __future__ import annotations

# gradkit.ops imports Tensor, which is built from this class, so the module is bound here by
# gradkit.tensor once both exist (see _methods.bind_ops); methods look it up when called.
ops = None


class ConvertMethods:
    """Mixed into :class:`gradkit.Tensor`."""

    __slots__ = ()
