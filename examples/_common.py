"""Shared plumbing for the example scripts: the ``--out``/``--quick`` arguments, data, plots.

Not an example itself; each script imports it (``python examples/<name>.py`` puts this folder
on ``sys.path``).
"""

from __future__ import annotations

import argparse
import os
import tempfile

import numpy as np

import gradkit as gk


def parser(doc: str) -> argparse.ArgumentParser:
    """An argument parser with the options every example takes: ``--out DIR``, ``--quick``, ``--seed``."""
    ap = argparse.ArgumentParser(description=doc.strip().split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=None,
                    help="folder for the picture (default: runs/examples, or a temp folder if that is not writable)")
    ap.add_argument("--quick", action="store_true", help="tiny settings (seconds), for smoke tests")
    ap.add_argument("--seed", type=int, default=0, help="seed for gk.manual_seed and the generated data")
    return ap


def out_dir(path: str | None) -> str:
    """Create and return the output folder (``runs/examples`` by default)."""
    if path is None:
        path = os.path.join("runs", "examples")
        try:
            os.makedirs(path, exist_ok=True)
            return path
        except OSError:
            return tempfile.mkdtemp(prefix="gradkit-examples-")
    os.makedirs(path, exist_ok=True)
    return path


def pyplot():
    """matplotlib's pyplot on the non-interactive Agg backend (imported lazily)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def standardized_splits(X, y, sizes=(0.6, 0.2, 0.2), seed: int = 0):
    """Train/dev/test splits, standardized with statistics of the TRAINING split only."""
    s = gk.data.train_dev_test_split(X, y, sizes=sizes, stratify=True, seed=seed)
    scaler = gk.data.Standardize().fit(s.X_train)
    return (scaler.transform(s.X_train), s.y_train, scaler.transform(s.X_dev), s.y_dev,
            scaler.transform(s.X_test), s.y_test)


def error(model, X, y) -> float:
    """Classification error (1 - accuracy) of ``model`` on ``(X, y)``, in eval mode."""
    logits = gk.train.predict(model, X)
    return float(1.0 - (logits.argmax(axis=1) == y).mean())


def plot_boundary(ax, model, X, y, title: str, steps: int = 200) -> None:
    """Draw ``model``'s decision regions on a grid around ``X`` and the points on top."""
    pad = 0.5
    x0 = np.linspace(X[:, 0].min() - pad, X[:, 0].max() + pad, steps, dtype=np.float32)
    x1 = np.linspace(X[:, 1].min() - pad, X[:, 1].max() + pad, steps, dtype=np.float32)
    g0, g1 = np.meshgrid(x0, x1)
    grid = np.stack([g0.ravel(), g1.ravel()], axis=1)
    z = gk.train.predict(model, grid).argmax(axis=1).reshape(g0.shape)
    ax.contourf(g0, g1, z, alpha=0.3, cmap="coolwarm")
    ax.scatter(X[:, 0], X[:, 1], c=y, s=8, cmap="coolwarm", edgecolors="none")
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])


def save(fig, folder: str, name: str) -> str:
    """Save ``fig`` as ``folder/name``, close it, print and return the path."""
    path = os.path.join(folder, name)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    pyplot().close(fig)
    print(f"saved {path}")
    return path
