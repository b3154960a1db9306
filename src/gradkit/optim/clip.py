"""Gradient clipping in place (``gk.optim.clip_grad_norm_``, ``gk.optim.clip_grad_value_``).

The functions live in :mod:`gradkit.nn.utils` (PyTorch's ``torch.nn.utils``), below the
optimizers in gradkit's layering; they are re-exported here because ``gk.optim`` has long
offered them.

Examples:
    >>> import gradkit as gk
    >>> gk.optim.clip_grad_norm_ is gk.nn.utils.clip_grad_norm_
    True
"""

from ..nn.utils import clip_grad_norm_, clip_grad_value_

__all__ = ["clip_grad_norm_", "clip_grad_value_"]
