"""Training and evaluation data for the loop: loaders from arrays, datasets or loaders, and batches.

``fit`` and ``evaluate`` turn their data arguments into a :class:`~gradkit.data.DataLoader`
(arrays are checked for NaN/inf first; ``(X, {task: y})`` becomes a multi-task dataset), and
split each batch into inputs and targets.
"""

from __future__ import annotations

from ..data import DataLoader, Dataset, TensorDataset
from ..data.preprocessing import check_finite
from ..tensor import Tensor


def _as_loader(data, batch_size, shuffle, name, generator=None):
    """A DataLoader over ``data``; ``batch_size=None`` puts the whole dataset in one batch."""
    if data is None:
        return None
    if isinstance(data, DataLoader):
        return data
    if isinstance(data, Dataset) or (hasattr(data, "__getitem__") and hasattr(data, "__len__") and not isinstance(data, (tuple, list))):
        ds = data
    elif isinstance(data, (tuple, list)) and len(data) == 2 and isinstance(data[1], dict):
        # multi-task targets: NaN / ignore_index mark missing labels, so only X is checked
        x = data[0].array if isinstance(data[0], Tensor) else data[0]
        ds = _DictTargets(check_finite(x, f"{name}[0]"), data[1])
    elif isinstance(data, (tuple, list)) and len(data) >= 2:
        arrays = []
        for k, a in enumerate(data):
            a = a.array if isinstance(a, Tensor) else a
            arrays.append(check_finite(a, f"{name}[{k}]"))
        ds = TensorDataset(*arrays)
    else:
        raise TypeError(
            f"{name} must be a DataLoader, a Dataset or a tuple (X, y) of arrays, got {type(data).__name__}"
        )
    if batch_size is None:
        batch_size = max(len(ds), 1)
    return DataLoader(ds, batch_size=batch_size, shuffle=shuffle, generator=generator)


def _resolve_batch_size(batch_size):
    """``batch_size`` as a positive int, or ``None`` for the whole training set (``None``/``"full"``)."""
    import numbers

    if batch_size is None or (isinstance(batch_size, str) and batch_size.lower() == "full"):
        return None
    if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or batch_size < 1:
        raise ValueError(f"fit: batch_size must be a positive integer, None or 'full' (the whole training set "
                         f"per step), got {batch_size!r}")
    return int(batch_size)


def _as_tensor(a):
    return a if isinstance(a, Tensor) else Tensor(a)


class _DictTargets(TensorDataset):
    """``(X, {task: y})`` as a dataset; batches come out flat and the loop rebuilds the dict."""

    def __init__(self, X, targets):
        if not targets:
            raise ValueError("multi-task targets: the dict {task: y} is empty")
        self.target_keys = list(targets)
        super().__init__(X, *[t.array if isinstance(t, Tensor) else t for t in targets.values()])

    def __getitem__(self, index):
        x, *ys = super().__getitem__(index)
        return x, dict(zip(self.target_keys, ys))


def _model_device(model) -> str:
    """The device of ``model``'s first parameter (or buffer); ``'cpu'`` for a model without any."""
    for t in model.parameters():
        return t.device
    for t in model.buffers():
        return t.device
    return "cpu"


def _split_batch(batch, keys, device=None):
    """``(x, y)`` of a batch; ``y`` a dict for multi-task data (``keys`` from the dataset). With a
    ``device`` (the model's), tensors elsewhere are copied there: host data trains a GPU model."""
    if len(batch) < 2:
        raise ValueError(f"fit: each batch must hold (inputs, targets), got {len(batch)} field(s); "
                         "give the dataset its targets, e.g. TensorDataset(X, y)")
    if device is not None:
        batch = [b.to(device) if isinstance(b, Tensor) and b.device != device else b for b in batch]
    if keys is None:
        return batch[0], batch[1]
    return batch[0], dict(zip(keys, batch[1:]))


def _raw(out):
    return {k: v.array for k, v in out.items()} if isinstance(out, dict) else out.array


def _batch_len(xb, yb):
    return len(next(iter(yb.values()))) if isinstance(yb, dict) else len(yb)
