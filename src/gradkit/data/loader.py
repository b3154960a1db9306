"""``DataLoader``: batches of gk.Tensors from a dataset, shuffled reproducibly, resumable exactly.

Speed: for datasets held in memory (:class:`~gradkit.data.TensorDataset` and its
:class:`~gradkit.data.Subset`) a batch is built with one fancy-index per array; there
is no Python loop over samples. Other datasets are read sample by sample and
collated with :func:`default_collate`.

Exact resume: :meth:`DataLoader.state_dict` holds plain numbers only (epoch, batches
already yielded in the current epoch, and the shuffling generator's state at the
start of that epoch). After :meth:`DataLoader.load_state_dict`, the next iteration
yields exactly the batches the interrupted epoch had left, in the same order, and
the following epochs continue as the uninterrupted run would.

Example:
    >>> import numpy as np, gradkit as gk
    >>> from gradkit.data import DataLoader, TensorDataset
    >>> ds = TensorDataset(np.arange(10, dtype=np.float32).reshape(5, 2), np.arange(5))
    >>> loader = DataLoader(ds, batch_size=2, shuffle=True, generator=gk.Generator(0))
    >>> len(loader)
    3
    >>> [tuple(x.shape) for x, y in loader]
    [(2, 2), (2, 2), (1, 2)]
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..backend import get_array_module, get_default_dtype, is_cupy_array
from ..random import Generator, default_generator
from ..tensor import Tensor
from .dataset import supports_batches


def _to_tensor(a) -> Tensor:
    if isinstance(a, Tensor):
        return a
    return Tensor(np.ascontiguousarray(a) if isinstance(a, np.ndarray) else a)


def _stack(items):
    first = items[0]
    if isinstance(first, Tensor):
        xp_items = [it.array for it in items]
        return get_array_module(*xp_items).stack(xp_items)
    if isinstance(first, np.ndarray) or is_cupy_array(first):
        return get_array_module(*items).stack(items)
    if isinstance(first, (bool, np.bool_)):
        return np.asarray(items, dtype=np.bool_)
    if isinstance(first, numbers.Integral):
        return np.asarray(items, dtype=np.int64)
    if isinstance(first, numbers.Real):
        return np.asarray(items, dtype=np.float64 if isinstance(first, np.float64) else get_default_dtype())
    return np.asarray(items)


def default_collate(samples):
    """Stack a list of samples into a batch of gk.Tensors (PyTorch's ``default_collate``).

    A sample that is a tuple/list gives a tuple of Tensors (one per field); a dict gives
    a dict; an array, Tensor or number gives one Tensor with a new first dimension.
    Python floats become the default float dtype, Python ints int64, NumPy arrays keep
    their dtype.

    Args:
        samples: a non-empty list of samples with the same structure.

    Returns:
        The batch: a Tensor, a tuple of Tensors or a dict of Tensors.

    Raises:
        ValueError: for an empty list, or samples whose fields differ in number.

    Example:
        >>> import numpy as np
        >>> x, y = default_collate([(np.zeros(3), 1), (np.ones(3), 0)])
        >>> tuple(x.shape), y.tolist()
        ((2, 3), [1, 0])
    """
    if not samples:
        raise ValueError("default_collate needs at least one sample, got an empty list")
    first = samples[0]
    if isinstance(first, dict):
        return {k: default_collate([s[k] for s in samples]) for k in first}
    if isinstance(first, (tuple, list)):
        n = len(first)
        if any(len(s) != n for s in samples):
            raise ValueError(f"default_collate: every sample must have {n} fields like the first one")
        return tuple(default_collate([s[i] for s in samples]) for i in range(n))
    return _to_tensor(_stack(samples))


class DataLoader:
    """Iterate over a dataset in batches of gk.Tensors (PyTorch's ``DataLoader``).

    Each batch is a tuple of Tensors (one per array of a TensorDataset, one per field
    of a sample otherwise). Shuffling draws a permutation per epoch from ``generator``
    (or gradkit's global generator, seeded by ``gk.manual_seed``); NumPy's global RNG
    is never used. Batches are always fresh arrays, never views of the dataset.

    Args:
        dataset: a :class:`~gradkit.data.Dataset` (anything with ``__getitem__`` and ``__len__``).
        batch_size: samples per batch (``>= 1``).
        shuffle: draw a new order of the samples every epoch.
        drop_last: drop the last batch when it has fewer than ``batch_size`` samples.
        generator: a :class:`gradkit.Generator` used for shuffling; ``None`` uses the global one.
        collate_fn: a function from a list of samples to a batch; when given, samples are
            read one by one (the in-memory fast path is skipped) and passed to it.

    Raises:
        ValueError: for a non-positive ``batch_size``.
        TypeError: for a dataset without ``__len__``/``__getitem__`` or a bad ``generator``.

    Example:
        >>> import numpy as np
        >>> from gradkit.data import TensorDataset
        >>> ds = TensorDataset(np.arange(6, dtype=np.float32), np.arange(6))
        >>> loader = DataLoader(ds, batch_size=4, drop_last=True)
        >>> [y.tolist() for _, y in loader]
        [[0, 1, 2, 3]]
    """

    def __init__(self, dataset, batch_size: int = 1, shuffle: bool = False, drop_last: bool = False,
                 generator: Generator | None = None, collate_fn=None):
        if not (hasattr(dataset, "__getitem__") and hasattr(dataset, "__len__")):
            raise TypeError(
                f"DataLoader expects a dataset with __getitem__ and __len__, got {type(dataset).__name__}"
            )
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or batch_size < 1:
            raise ValueError(f"DataLoader batch_size must be a positive integer, got {batch_size!r}")
        if generator is not None and not isinstance(generator, Generator):
            raise TypeError(
                f"DataLoader generator must be a gradkit.Generator (e.g. gk.Generator(0)), got {type(generator).__name__}"
            )
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.generator = generator
        self.collate_fn = collate_fn
        self._fast = collate_fn is None and supports_batches(dataset)
        # Resume bookkeeping (plain numbers; see state_dict()).
        self._epoch = 0            # index of the epoch in progress, or of the next one
        self._batch = 0            # batches already yielded in the epoch in progress
        self._active = False       # an epoch has started and not finished
        self._epoch_rng_state = None  # shuffling generator's state when the epoch began
        self._resume_pending = False

    # ------------------------------------------------------------------ sizes
    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    @property
    def epoch(self) -> int:
        """Index of the epoch in progress (or of the next one to start)."""
        return self._epoch

    # ------------------------------------------------------------------ iteration
    def _gen(self) -> Generator:
        return self.generator if self.generator is not None else default_generator

    def _order(self, n: int, rng_state) -> np.ndarray:
        """The sample order of an epoch: a permutation drawn from the generator in ``rng_state``."""
        g = Generator(0)
        g.load_state_dict(rng_state)
        return g.np.permutation(n)

    def __iter__(self):
        n = len(self.dataset)
        gen = self._gen()
        if self._resume_pending:
            self._resume_pending = False
            order = self._order(n, self._epoch_rng_state) if self.shuffle else None
            start = self._batch
        else:
            if self._active:  # the previous epoch was abandoned (a `break`): start the next one
                self._epoch += 1
            self._epoch_rng_state = gen.state_dict() if self.shuffle else None
            order = gen.np.permutation(n) if self.shuffle else None
            start = 0
            self._batch = 0
        self._active = True
        return self._run(n, order, start)

    def _run(self, n: int, order, start: int):
        bs = self.batch_size
        stop = (n // bs) * bs if self.drop_last else n
        for b in range(start, len(self)):
            lo, hi = b * bs, min((b + 1) * bs, stop)
            idx = order[lo:hi] if order is not None else None
            batch = self._fetch(idx if idx is not None else slice(lo, hi), lo, hi)
            self._batch = b + 1  # counted before handing out: a checkpoint taken now skips this batch
            yield batch
        self._active = False
        self._batch = 0
        self._epoch += 1

    def _fetch(self, idx, lo: int, hi: int):
        if self._fast:
            return tuple(_to_tensor(a) for a in self.dataset.get_batch(idx))
        positions = range(lo, hi) if isinstance(idx, slice) else idx.tolist()
        samples = [self.dataset[int(i)] for i in positions]
        if self.collate_fn is not None:
            return self.collate_fn(samples)
        batch = default_collate(samples)
        return batch if isinstance(batch, (tuple, dict)) else (batch,)

    # ------------------------------------------------------------------ resume
    def state_dict(self) -> dict:
        """The loader's position as plain numbers (JSON-serializable), for exact resume.

        Returns:
            ``{"epoch", "batch", "in_epoch", "epoch_rng_state", "generator", "num_samples",
            "batch_size", "shuffle", "drop_last"}``: the epoch index, batches already
            yielded in it, whether it is in progress, the shuffling generator's state at
            its start (``None`` without shuffling), the loader's own generator's current
            state (``None`` when it uses gradkit's global one, which the training
            checkpoint saves separately), and the settings the position refers to.
        """
        return {
            "epoch": int(self._epoch),
            "batch": int(self._batch),
            "in_epoch": bool(self._active),
            "epoch_rng_state": None if self._epoch_rng_state is None else dict(self._epoch_rng_state),
            "generator": None if self.generator is None else self.generator.state_dict(),
            "num_samples": int(len(self.dataset)),
            "batch_size": self.batch_size,
            "shuffle": self.shuffle,
            "drop_last": self.drop_last,
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore a position saved by :meth:`state_dict`.

        The next ``iter(loader)`` then yields the remaining batches of the interrupted
        epoch (exactly those, in the same order); later epochs follow as in the
        uninterrupted run.

        Args:
            state: a dict from :meth:`state_dict`.

        Raises:
            KeyError: when a field is missing.
            ValueError: when the dataset size or the batching settings differ from the saved ones.
        """
        missing = [k for k in ("epoch", "batch", "in_epoch", "epoch_rng_state", "num_samples",
                               "batch_size", "shuffle", "drop_last") if k not in state]
        if missing:
            raise KeyError(f"DataLoader.load_state_dict: missing keys {missing}")
        mine = {"num_samples": len(self.dataset), "batch_size": self.batch_size,
                "shuffle": self.shuffle, "drop_last": self.drop_last}
        diff = {k: (state[k], v) for k, v in mine.items() if state[k] != v}
        if diff:
            desc = ", ".join(f"{k}: saved {a!r}, this loader {b!r}" for k, (a, b) in diff.items())
            raise ValueError(f"DataLoader.load_state_dict: the saved position belongs to another loader ({desc})")
        if state["in_epoch"] and self.shuffle and state["epoch_rng_state"] is None:
            raise ValueError("DataLoader.load_state_dict: a shuffled epoch in progress needs 'epoch_rng_state'")
        if int(state["batch"]) < 0 or int(state["batch"]) > len(self):
            raise ValueError(f"DataLoader.load_state_dict: batch {state['batch']} is outside [0, {len(self)}]")
        self._epoch = int(state["epoch"])
        self._batch = int(state["batch"])
        self._active = bool(state["in_epoch"])
        self._epoch_rng_state = None if state["epoch_rng_state"] is None else dict(state["epoch_rng_state"])
        if self.generator is not None and state.get("generator") is not None:
            self.generator.load_state_dict(state["generator"])
        self._resume_pending = self._active

    def __repr__(self) -> str:
        return (f"DataLoader({type(self.dataset).__name__} of {len(self.dataset)}, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last})")
