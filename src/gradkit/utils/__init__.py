"""``gradkit.utils``: PyTorch's ``torch.utils`` import paths, so ``from gradkit.utils.data import
DataLoader`` works as ``from torch.utils.data import DataLoader`` does.

The objects are those of :mod:`gradkit.data` (one implementation, two import paths).

Example:
    >>> import gradkit as gk
    >>> from gradkit.utils.data import DataLoader
    >>> DataLoader is gk.data.DataLoader
    True
"""

from . import data  # noqa: F401

__all__ = ["data"]
