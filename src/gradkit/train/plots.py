"""Pictures of a run (matplotlib, PNG files, imported lazily).

Figures are made with matplotlib's object API (:func:`new_figure`), never through ``pyplot``
and never by switching matplotlib's backend: drawing a picture leaves the user's plotting
set-up (a notebook's inline backend, an open GUI window) as it was.

Examples:
    >>> from gradkit.train.history import History
    >>> import os, tempfile
    >>> h = History()
    >>> for e, (l, v) in enumerate([(1.0, 1.1), (0.6, 0.8), (0.4, 0.7)]):
    ...     h.append(e, {"loss": l, "val_loss": v})
    >>> p = plot_history(h, os.path.join(tempfile.mkdtemp(), "curves.png"))
    >>> os.path.exists(p)
    True
"""

from __future__ import annotations

import numpy as np


def new_figure(nrows: int = 1, ncols: int = 1, *, figsize, squeeze: bool = True):
    """A matplotlib figure and its axes, outside pyplot (nothing global changes; no close needed).

    Args:
        nrows: rows of axes.
        ncols: columns of axes.
        figsize: (width, height) in inches.
        squeeze: as in ``Figure.subplots``: a single axes object when there is one.

    Returns:
        ``(figure, axes)``; ``figure.savefig(path)`` writes the picture.
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize)
    return fig, fig.subplots(nrows, ncols, squeeze=squeeze)


def plot_history(history, path, metrics=None) -> str:
    """Learning curves: train vs dev loss per epoch, and each metric beside it. Returns ``path``.

    Args:
        history: a :class:`~gradkit.train.history.History`.
        path: the PNG file to write.
        metrics: metric names to plot (default: every logged one with a ``val_`` twin or not).
    """
    h = history.history
    names = metrics or [k for k in h if not k.startswith("val_") and k not in ("loss", "lr")]
    panels = ["loss", *names]
    fig, axes = new_figure(1, len(panels), figsize=(5 * len(panels), 3.6), squeeze=False)
    epochs = np.asarray(history.epoch) + 1
    for ax, key in zip(axes[0], panels):
        if key in h:
            ax.plot(epochs, _vals(h[key]), marker="o", ms=3, label=f"train {key}")
        if f"val_{key}" in h:
            ax.plot(epochs, _vals(h[f"val_{key}"]), marker="o", ms=3, label=f"dev {key}")
        ax.set_xlabel("epoch")
        ax.set_ylabel(key)
        ax.set_title(key)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return str(path)


def _vals(col):
    return np.array([np.nan if v is None else v for v in col], dtype=float)


def plot_confusion_matrix(cm, path, labels=None, title="confusion matrix") -> str:
    """A confusion matrix as a heat map with counts in the cells. Returns ``path``."""
    cm = np.asarray(cm)
    n = cm.shape[0]
    labels = labels if labels is not None else [str(i) for i in range(n)]
    fig, ax = new_figure(figsize=(1.0 + 0.5 * n, 0.8 + 0.5 * n))
    im = ax.imshow(cm, cmap="Blues")
    ax.set_xticks(range(n), labels)
    ax.set_yticks(range(n), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    thresh = cm.max() / 2 if cm.size else 0
    for i in range(n):
        for j in range(n):
            ax.text(j, i, int(cm[i, j]), ha="center", va="center", fontsize=8,
                    color="white" if cm[i, j] > thresh else "black")
    fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return str(path)
