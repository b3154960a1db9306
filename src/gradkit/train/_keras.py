"""Keras' ``fit`` habits for :mod:`gradkit.train.loop`: ``validation_split``, ``class_weight`` and
``sample_weight`` (a weighted loss), ``validation_freq``, the one-hot ``categorical_crossentropy``,
and the warning for a model that ends in ``Softmax``/``Sigmoid`` trained with a loss on logits.
"""

from __future__ import annotations

import copy
import math
import numbers
import warnings

import numpy as np

from ..backend import get_array_module
from ..data import DataLoader, Dataset, Subset
from ..nn.loss import CrossEntropyLoss
from ..nn.module import Module
from ..tensor import Tensor


class CategoricalCrossentropy(CrossEntropyLoss):
    """Keras' ``categorical_crossentropy`` on logits: one-hot (or probability) targets of any
    dtype, integer and boolean one-hot included, or class indices.

    Example:
        >>> import numpy as np, gradkit as gk
        >>> loss = CategoricalCrossentropy()
        >>> round(loss(gk.zeros(2, 4), gk.tensor(np.eye(4, dtype=np.int64)[[0, 3]])).item(), 4)  # log 4
        1.3863
    """

    def forward(self, input, target):
        if isinstance(target, Tensor) and target.shape == input.shape and target.dtype.kind in "biu":
            target = target.to(input.dtype)
        return super().forward(input, target)


def resolve_keras_loss(loss):
    """``loss``, or :class:`CategoricalCrossentropy` for the name ``'categorical_crossentropy'``."""
    if isinstance(loss, str) and loss.lower() == "categorical_crossentropy":
        return CategoricalCrossentropy()
    return loss


def _last_layer(model):
    """The model's last leaf module in registration order (the output layer of a Sequential)."""
    last = None
    for name, mod in model.named_modules():
        if not any(True for _ in mod.children()):
            last = (name, mod)
    return last


def warn_probability_output(model, loss_fn) -> None:
    """Warn when ``model`` ends in Softmax/Sigmoid while ``loss_fn`` applies it itself (expects logits)."""
    if not isinstance(model, Module) or not getattr(loss_fn, "expects_logits", False):
        return
    last = _last_layer(model)
    if last is None:
        return
    name, layer = last
    kind = type(layer).__name__
    loss_name = type(loss_fn).__name__
    if kind == "Softmax":
        fix = ("remove the Softmax layer (apply gk.softmax(model(x), dim=1) when you want probabilities), "
               "or keep it and train with gk.nn.NLLLoss on the log of its output")
    elif kind == "Sigmoid":
        fix = ("remove the Sigmoid layer (apply gk.sigmoid(model(x)) when you want probabilities), or keep it "
               "and train with gk.nn.BCELoss ('bce')")
    else:
        return
    warnings.warn(f"the model's last layer {name or kind} is {kind}, but the loss {loss_name} expects logits "
                  f"(raw scores) and applies the {kind.lower()} itself, so it is applied twice and training "
                  f"stalls; {fix}", UserWarning, stacklevel=4)


def split_validation(train_data, validation_split: float, sample_weight=None):
    """Keras' ``validation_split``: the last fraction of the samples (before any shuffling) as dev data.

    Returns:
        ``(train_data, dev_data, train_weights)``.

    Raises:
        ValueError: for a fraction outside [0, 1) or data that cannot be split (a DataLoader).
    """
    if isinstance(validation_split, bool) or not isinstance(validation_split, numbers.Real) \
            or not 0.0 <= validation_split < 1.0:
        raise ValueError(f"fit: validation_split must be a fraction in [0, 1), got {validation_split!r}")
    if validation_split == 0:
        return train_data, None, sample_weight
    if isinstance(train_data, DataLoader):
        raise ValueError("fit: validation_split needs arrays (X, y) or a Dataset; a DataLoader cannot be split, "
                         "give dev_data (validation_data) instead")
    if isinstance(train_data, (tuple, list)):
        n = len(train_data[0])
        cut = int(math.floor(n * (1.0 - validation_split)))
        if cut == 0 or cut == n:
            raise ValueError(f"fit: validation_split={validation_split} of {n} samples leaves an empty set")

        def part(a, sl):
            return {k: part(v, sl) for k, v in a.items()} if isinstance(a, dict) else a[sl]

        tr = type(train_data)(part(a, slice(0, cut)) for a in train_data)
        dv = type(train_data)(part(a, slice(cut, n)) for a in train_data)
        w = None if sample_weight is None else _weights_array(sample_weight, n)[:cut]
        return tr, dv, w
    if isinstance(train_data, Dataset) or hasattr(train_data, "__len__"):
        if sample_weight is not None:
            raise ValueError("fit: sample_weight needs arrays (X, y); for a Dataset return (x, y, weight) samples")
        n = len(train_data)
        cut = int(math.floor(n * (1.0 - validation_split)))
        return Subset(train_data, np.arange(cut)), Subset(train_data, np.arange(cut, n)), None
    raise ValueError(f"fit: cannot take validation_split of {type(train_data).__name__}")


def _weights_array(sample_weight, n: int) -> np.ndarray:
    w = sample_weight.array if isinstance(sample_weight, Tensor) else sample_weight
    w = np.asarray(w, dtype=np.float32).reshape(-1) if not hasattr(w, "__cuda_array_interface__") else w
    if w.shape[0] != n:
        raise ValueError(f"fit: sample_weight has {w.shape[0]} values for {n} training samples")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError("fit: sample_weight must be finite and non-negative")
    return w


def attach_sample_weight(train_data, sample_weight):
    """``(X, y)`` plus the weights as a third array, so they are batched (and shuffled) with the samples."""
    if sample_weight is None:
        return train_data
    if not isinstance(train_data, (tuple, list)) or len(train_data) != 2 or isinstance(train_data[1], dict):
        raise ValueError("fit: sample_weight needs train_data as arrays (X, y) (single task); for a Dataset return "
                         "(x, y, weight) samples")
    return (train_data[0], train_data[1], _weights_array(sample_weight, len(train_data[0])))


def class_weight_table(class_weight):
    """``{class: weight}`` as a lookup array indexed by class, or None."""
    if class_weight is None:
        return None
    if not isinstance(class_weight, dict) or not class_weight:
        raise TypeError(f"fit: class_weight must be a non-empty dict {{class index: weight}}, got {class_weight!r}")
    keys = [int(k) for k in class_weight]
    if min(keys) < 0:
        raise ValueError(f"fit: class_weight keys must be class indices >= 0, got {sorted(keys)}")
    table = np.ones(max(keys) + 1, dtype=np.float32)
    for k, v in class_weight.items():
        if not np.isfinite(v) or v < 0:
            raise ValueError(f"fit: class_weight[{k}] must be finite and >= 0, got {v}")
        table[int(k)] = v
    return table


def batch_weights(table, yb, wb):
    """The per-sample weights of a batch: ``class_weight`` of each target's class times ``sample_weight``."""
    w = None
    if table is not None:
        y = yb.array if isinstance(yb, Tensor) else yb
        xp = get_array_module(y)
        cls = y.argmax(axis=-1) if y.ndim > 1 else y.astype(np.int64)
        t = xp.asarray(table)
        if int(cls.max()) >= t.shape[0]:
            t = xp.concatenate([t, xp.ones(int(cls.max()) + 1 - t.shape[0], dtype=t.dtype)])
        w = t[cls]
    if wb is not None:
        wa = wb.array if isinstance(wb, Tensor) else wb
        w = wa if w is None else w * wa
    return w


def unreduced(loss_fn):
    """A copy of ``loss_fn`` with ``reduction='none'`` (for the weighted loss)."""
    if not hasattr(loss_fn, "reduction"):
        raise ValueError(f"fit: class_weight/sample_weight need a loss with a 'reduction' (a gk.nn loss), got "
                         f"{type(loss_fn).__name__}")
    fn = copy.copy(loss_fn)
    fn.reduction = "none"
    return fn


def weighted_mean(per_sample: Tensor, w) -> Tensor:
    """Keras' weighted loss: ``sum(w_i * l_i) / batch size`` (``l_i`` averaged over non-batch dims)."""
    n = per_sample.shape[0]
    if per_sample.ndim > 1:
        per_sample = per_sample.reshape(n, -1).mean(dim=1)
    wt = Tensor(w.astype(per_sample.dtype, copy=False))
    return (per_sample * wt).sum() / n


def validation_due(validation_freq, epoch: int) -> bool:
    """Keras' ``validation_freq``: an int N (every N-th epoch) or a container of 1-based epochs."""
    if isinstance(validation_freq, numbers.Integral) and not isinstance(validation_freq, bool):
        if validation_freq < 1:
            raise ValueError(f"fit: validation_freq must be >= 1, got {validation_freq}")
        return (epoch + 1) % int(validation_freq) == 0
    try:
        return (epoch + 1) in validation_freq
    except TypeError:
        raise TypeError(f"fit: validation_freq must be an int or a list of epochs, got {validation_freq!r}") from None


def setup(trainer, train_data, dev_data, validation_data, validation_split, class_weight, sample_weight,
          steps_per_epoch, validation_freq):
    """Keras' fit arguments on ``trainer``: the dev set from ``validation_data``/``validation_split``, the
    weighted loss for ``class_weight``/``sample_weight``, ``steps_per_epoch``, ``validation_freq``.

    Returns:
        ``(train_data, dev_data)``.
    """
    if validation_data is not None:
        if dev_data is not None and dev_data is not validation_data:
            raise ValueError("fit: give the dev set once, as dev_data or as validation_data")
        dev_data = validation_data
    if validation_split and dev_data is not None:
        warnings.warn("fit: dev_data (validation_data) is given, so validation_split is ignored (as in Keras)",
                      UserWarning, stacklevel=4)
    elif validation_split:
        train_data, dev_data, sample_weight = split_validation(train_data, validation_split, sample_weight)
    train_data = attach_sample_weight(train_data, sample_weight)
    trainer._weighted = sample_weight is not None
    trainer._cw_table = class_weight_table(class_weight)
    trainer._loss_none = None
    if trainer._weighted or trainer._cw_table is not None:
        if trainer.tasks is not None:
            raise ValueError("fit: class_weight/sample_weight are for a single-task loss; give a multi-task "
                             "loss its per-task weights instead")
        trainer._loss_none = unreduced(trainer.loss_fn)
    if steps_per_epoch is not None and (isinstance(steps_per_epoch, bool) or not isinstance(steps_per_epoch, int)
                                        or steps_per_epoch < 1):
        raise ValueError(f"fit: steps_per_epoch must be a positive integer or None, got {steps_per_epoch!r}")
    trainer._spe = steps_per_epoch
    validation_due(validation_freq, 0)  # checks it
    trainer._val_freq = validation_freq
    return train_data, dev_data


def run_stream(trainer, loader, resumed_mid_epoch, m_train, batch_hooks, cbs) -> None:
    """Keras' ``steps_per_epoch``: ``trainer._spe`` steps from a stream of passes over ``loader`` that
    continues across epochs (a resumed run continues the loader's interrupted pass)."""
    if not resumed_mid_epoch:
        trainer._steps_done = 0
    fresh_pass = False
    while trainer._steps_done < trainer._spe:
        if trainer._stream is None:
            trainer._stream = iter(loader)
            fresh_pass = True
        try:
            batch = next(trainer._stream)
        except StopIteration:
            trainer._stream = None
            if fresh_pass and len(loader) == 0:
                raise ValueError("fit: the training data has no batch") from None
            continue
        fresh_pass = False
        # the loader counts a batch when it hands it out: this one is not done until its step is
        trainer._batches_done = loader.state_dict()["batch"] - 1
        trainer._train_step(trainer._steps_done, batch, m_train, batch_hooks, cbs)
        trainer._steps_done += 1
        trainer._batches_done = loader.state_dict()["batch"]  # the position in the loader's pass
        if trainer._sigint:
            raise KeyboardInterrupt
        if trainer.stop_now:
            break
    trainer._steps_done = 0
