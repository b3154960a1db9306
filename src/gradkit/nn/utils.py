"""``gk.nn.utils``: PyTorch's spellings of utilities that live elsewhere in gradkit.

Example:
    >>> import gradkit as gk
    >>> w = gk.tensor([0.0, 0.0], requires_grad=True)
    >>> (w * gk.tensor([3.0, 4.0])).sum().backward()
    >>> round(gk.nn.utils.clip_grad_norm_([w], max_norm=1.0).item(), 4)
    5.0
"""

from ..optim.clip import clip_grad_norm_, clip_grad_value_  # noqa: F401

__all__ = ["clip_grad_norm_", "clip_grad_value_"]
