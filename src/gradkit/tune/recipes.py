"""Ready-made trial functions for :mod:`gradkit.tune`: tune an MLP classifier on a built-in dataset.

:func:`train_mlp` is the ``train_fn(config, reporter)`` behind ``gradkit tune``. It is a
module-level function, so the local executor's worker processes and Ray import it by
reference instead of pickling its code. Everything a trial needs travels in its
``config``: the searched hyperparameters plus constants such as the dataset name and the
number of epochs.

One trial:

1. loads the dataset (cached per process), splits it 60/20/20 (stratified, seeded by
   ``config["split_seed"]``) and standardizes every split with the training split's mean and
   standard deviation only (z-scores; dev/test statistics never leak into training);
2. builds ``gk.models.MLP([n_in] + [hidden_units] * layers + [n_classes])`` with ``dropout``
   after each hidden activation;
3. trains it with :func:`gradkit.train.fit` (Adam by default) and the course's learning-rate
   decay ``lr_t = lr / (1 + lr_decay * t)`` after ``t`` epochs
   (:class:`gradkit.optim.lr_scheduler.InverseTimeDecay`);
4. reports ``loss``, ``accuracy``, ``val_loss``, ``val_accuracy`` and ``lr`` once per epoch
   through the reporter (so successive halving can stop a bad trial early), and returns the
   last epoch's metrics.

Examples:
    >>> import gradkit as gk
    >>> from gradkit.tune.recipes import train_mlp
    >>> rep = gk.tune.Reporter("val_accuracy")
    >>> out = train_mlp({"dataset": "iris", "epochs": 2, "lr": 0.01, "hidden_units": 16}, rep)
    >>> [r["epoch"] for r in rep.reports], sorted(out)
    ([0, 1], ['accuracy', 'loss', 'lr', 'val_accuracy', 'val_loss'])
"""

from __future__ import annotations

import functools
import math
import numbers

__all__ = ["DATASETS", "DATASETS_NEEDING_ROOT", "MLP_METRICS", "MLP_PARAMS", "check_mlp_space", "load_standardized",
           "train_mlp"]

#: Metrics :func:`train_mlp` reports every epoch (``--metric`` must be one of them).
MLP_METRICS = ("val_loss", "val_accuracy", "loss", "accuracy", "lr")

#: Every key :func:`train_mlp` reads from its config, with its default.
MLP_PARAMS = {
    "dataset": "digits",      # a name from DATASETS
    "data_root": None,        # folder with the files, for mnist / fashion_mnist / cifar10
    "epochs": 10,             # epochs per trial
    "lr": 1e-3,               # initial learning rate
    "lr_decay": 0.0,          # lr_t = lr / (1 + lr_decay * t)
    "hidden_units": 128,      # width of every hidden layer
    "layers": 1,              # number of hidden layers
    "batch_size": 64,         # mini-batch size
    "dropout": 0.0,           # drop probability after each hidden activation
    "activation": "relu",     # hidden activation (see gk.models.MLP)
    "optimizer": "adam",      # adam, adamw, nadam, sgd, rmsprop, adagrad
    "beta1": None,            # Adam-family beta1 / SGD-RMSprop momentum (None: the optimizer's default)
    "l2": 0.0,                # L2 strength lambda (the course's lambda / 2m * sum ||W||^2)
    "seed": 0,                # weight initialization and shuffling
    "split_seed": 0,          # the 60/20/20 split
}

#: Datasets that load without any files (scikit-learn's bundled copies, generated sets, MNIST-1D).
DATASETS = ("digits", "iris", "breast_cancer", "moons", "circles", "spirals", "flower", "mnist1d")
#: Datasets read from local files: they need ``data_root``.
DATASETS_NEEDING_ROOT = ("mnist", "fashion_mnist", "cifar10")


def check_mlp_space(space) -> None:
    """Check a search space / config for :func:`train_mlp` before any trial runs.

    Args:
        space: a dict of domains and constants (keys must be in :data:`MLP_PARAMS`).

    Raises:
        ValueError: for an unknown key (listing the valid ones), an unknown dataset (listing the
            valid ones), a dataset that needs ``data_root`` without one, or a constant out of range.
    """
    from ..optim import OPTIMIZERS

    unknown = sorted(set(space) - set(MLP_PARAMS))
    if unknown:
        raise ValueError(f"unknown hyperparameter(s) {unknown} for the MLP trial; valid: {', '.join(MLP_PARAMS)}")
    name = space.get("dataset", MLP_PARAMS["dataset"])
    if isinstance(name, str):
        key = _dataset_key(name)
        if key not in DATASETS + DATASETS_NEEDING_ROOT:
            raise ValueError(f"unknown dataset {name!r}; valid: {', '.join(DATASETS + DATASETS_NEEDING_ROOT)}")
        if key in DATASETS_NEEDING_ROOT and not space.get("data_root"):
            raise ValueError(f"dataset {name!r} is read from local files: give their folder as data_root "
                             f"(--data-root); datasets that need no files: {', '.join(DATASETS)}")
    checks = {
        "epochs": lambda v: _is_int(v) and v >= 1, "hidden_units": lambda v: _is_int(v) and v >= 1,
        "layers": lambda v: _is_int(v) and v >= 1, "batch_size": lambda v: _is_int(v) and v >= 1,
        "lr": lambda v: _is_num(v) and v > 0, "lr_decay": lambda v: _is_num(v) and v >= 0,
        "dropout": lambda v: _is_num(v) and 0 <= v < 1, "l2": lambda v: _is_num(v) and v >= 0,
        "optimizer": lambda v: isinstance(v, str) and v.lower() in OPTIMIZERS,
    }
    from .space import Domain

    for k, ok in checks.items():
        v = space.get(k)
        if v is None or isinstance(v, Domain):
            continue
        if not ok(v):
            hint = f"one of {', '.join(OPTIMIZERS)}" if k == "optimizer" else "see gradkit.tune.recipes.MLP_PARAMS"
            raise ValueError(f"bad value for {k!r}: {v!r} ({hint})")


def _is_int(v) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _is_num(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v)


def _dataset_key(name: str) -> str:
    key = str(name).strip().lower().replace("-", "_").replace(" ", "_")
    return {"cancer": "breast_cancer", "planar": "flower", "fashion": "fashion_mnist", "mnist_1d": "mnist1d",
            "cifar_10": "cifar10"}.get(key, key)


@functools.lru_cache(maxsize=4)
def load_standardized(dataset: str, data_root: str | None = None, split_seed: int = 0):
    """The standardized 60/20/20 split of ``dataset`` (cached per process; arrays are read-only).

    Args:
        dataset: a name from :data:`DATASETS` (or :data:`DATASETS_NEEDING_ROOT` with ``data_root``).
        data_root: the folder holding the files of mnist / fashion_mnist / cifar10.
        split_seed: seed of the stratified split.

    Returns:
        tuple: ``((X_train, y_train), (X_dev, y_dev), (X_test, y_test))``, features flattened to
        ``(N, D)`` float32 z-scores computed with the training split's statistics.
    """
    import numpy as np

    from ..data import Standardize, datasets, train_dev_test_split

    key = _dataset_key(dataset)
    kwargs = {"root": data_root} if key in DATASETS_NEEDING_ROOT else {}
    if key in DATASETS_NEEDING_ROOT:
        kwargs["as_images"] = False
    X, y = datasets.load(key, **kwargs)
    X = np.asarray(X).reshape(len(X), -1)
    sp = train_dev_test_split(X, y, sizes=(0.6, 0.2, 0.2), stratify=True, seed=split_seed)
    prep = Standardize(axis=0).fit(sp[0])  # training statistics only
    out = []
    for Xs, ys in ((sp[0], sp[1]), (sp[2], sp[3]), (sp[4], sp[5])):
        Xs = np.ascontiguousarray(prep.transform(Xs), dtype=np.float32)
        ys = np.asarray(ys)
        Xs.flags.writeable = False
        ys.flags.writeable = False
        out.append((Xs, ys))
    return tuple(out)


def _reporting_callback(reporter):
    """A :mod:`gradkit.train` callback that hands each epoch's logs to the tune reporter."""
    from ..train.callbacks import Callback

    class ReportToTune(Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            reporter(epoch=epoch, **{k: logs[k] for k in MLP_METRICS if k in logs})

    return ReportToTune()


def _optimizer(name: str, params, lr: float, beta1):
    from ..optim import optimizer_class

    name = name.lower()
    cls = optimizer_class(name)
    if name in ("adam", "adamw", "nadam"):
        return cls(params, lr=lr) if beta1 is None else cls(params, lr=lr, betas=(float(beta1), 0.999))
    if name in ("sgd", "rmsprop"):
        return cls(params, lr=lr, momentum=0.0 if beta1 is None else float(beta1))
    return cls(params, lr=lr)


def train_mlp(config: dict, reporter) -> dict:
    """Train one MLP classifier with the hyperparameters in ``config``; report per epoch.

    Args:
        config: hyperparameters and constants, keys from :data:`MLP_PARAMS` (missing keys take
            their defaults there): ``dataset``, ``epochs``, ``lr``, ``lr_decay``, ``hidden_units``,
            ``layers``, ``batch_size``, ``dropout``, ``activation``, ``optimizer``, ``beta1``, ``l2``,
            ``seed``, ``split_seed``, ``data_root``.
        reporter: called once per epoch as ``reporter(epoch=e, loss=..., accuracy=..., val_loss=...,
            val_accuracy=..., lr=...)`` (``lr`` is the rate that epoch trained with).

    Returns:
        dict: the last epoch's ``loss``, ``accuracy``, ``val_loss``, ``val_accuracy`` and ``lr``.

    Raises:
        ValueError: for an unknown key or dataset, or a value out of range.
    """
    from ..models import MLP
    from ..optim.lr_scheduler import InverseTimeDecay
    from ..random import manual_seed
    from ..train import fit

    check_mlp_space(config)
    c = {**MLP_PARAMS, **config}
    (Xtr, ytr), (Xdv, ydv), _ = load_standardized(c["dataset"], c["data_root"], int(c["split_seed"]))
    n_classes = int(max(ytr.max(), ydv.max())) + 1
    manual_seed(int(c["seed"]))
    hidden = [int(c["hidden_units"])] * int(c["layers"])
    model = MLP([Xtr.shape[1], *hidden, n_classes], activation=c["activation"], dropout=float(c["dropout"]))
    opt = _optimizer(c["optimizer"], model.parameters(), float(c["lr"]), c["beta1"])
    sched = InverseTimeDecay(opt, decay_rate=float(c["lr_decay"]))
    hist = fit(model, "cross_entropy", opt, (Xtr, ytr), (Xdv, ydv), epochs=int(c["epochs"]),
               batch_size=int(c["batch_size"]), metrics=["accuracy"], schedule=sched, l2=float(c["l2"]),
               callbacks=[_reporting_callback(reporter)], verbose=0)
    last = hist.last()
    return {k: float(last[k]) for k in MLP_METRICS if k in last}
