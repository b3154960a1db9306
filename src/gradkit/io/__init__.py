"""Saving and loading: weights, whole models, training checkpoints and weight transfer.

Everything is stored as safetensors files (readable by PyTorch and other frameworks) with
JSON metadata and SHA-256 checksums; nothing is ever pickled. ``gk.save``, ``gk.load``
and ``gk.load_model`` are the same functions as here.

* :func:`save`, :func:`load`, :func:`load_metadata`, :func:`load_model`: weights and models.
* :func:`save_checkpoint`, :func:`load_checkpoint`, :func:`restore_checkpoint`: exact resume.
* :func:`load_weights`, :class:`LoadReport`: partial loads for transfer learning.
* :func:`flatten_state`, :func:`unflatten_state`: nested state <-> named arrays + JSON.
* :class:`CheckpointError`: a corrupt, truncated or foreign file, with its path and reason.

Examples:
    >>> import os, tempfile
    >>> import gradkit as gk
    >>> net = gk.nn.Sequential(gk.nn.Linear(3, 4), gk.nn.ReLU(), gk.nn.Linear(4, 1))
    >>> path = os.path.join(tempfile.mkdtemp(), "net.safetensors")
    >>> gk.save(net, path)
    >>> twin = gk.load_model(path)
    >>> x = gk.randn(2, 3)
    >>> bool((twin(x) == net(x)).all())
    True
"""

from ._format import CheckpointError
from .checkpoint import (
    load, load_checkpoint, load_metadata, load_model, restore_checkpoint, save, save_checkpoint,
)
from .transfer import LoadReport, load_weights
from .tree import flatten_state, unflatten_state

__all__ = [
    "save", "load", "load_metadata", "load_model",
    "save_checkpoint", "load_checkpoint", "restore_checkpoint",
    "load_weights", "LoadReport", "flatten_state", "unflatten_state", "CheckpointError",
]
