"""Batch norm comparison: a deep MLP trained with and without batch normalization.

Batch norm (Ioffe & Szegedy, 2015) normalizes each hidden pre-activation over the mini-batch,
z_hat = (z - mu_B) / sqrt(sigma_B^2 + eps), then rescales it, gamma * z_hat + beta, so later
layers see inputs of a steady scale while earlier weights change ("covariate shift"); it
allows larger learning rates and makes deep nets train in fewer epochs.

Two identical 6-layer MLPs (64 -> 5 x 64 -> 10, sigmoid, plain SGD lr 0.1, mini-batch 64) are trained
on digits, one with ``gk.models.MLP(..., batchnorm=True)`` (``gk.nn.BatchNorm1d`` after each hidden
Linear). The script prints the loss and dev accuracy per epoch, the epochs each needs to reach
90 % dev accuracy, seconds per epoch, the gradient-to-weight norm ratio of the first and last
Linear at initialization (``gk.diagnose.health_report``: without batch norm the sigmoid layers
shrink the gradient at every layer, so the first layer barely learns), and checks batch norm at
test time: in ``eval()`` the layer
uses its running averages, so one example alone gets the same prediction as inside a batch.
Saves ``batchnorm_comparison.png``.

Run:
    PYTHONPATH=src python3 examples/batchnorm_comparison.py [--out DIR] [--quick]
"""

from __future__ import annotations

import time

import numpy as np
from _common import out_dir, parser, pyplot, save, standardized_splits

import gradkit as gk


def epochs_to(values, target):
    """First epoch (1-based) whose value reaches ``target``, or None."""
    for i, v in enumerate(values):
        if v >= target:
            return i + 1
    return None


def main(argv=None):
    args = parser(__doc__).parse_args(argv)
    folder = out_dir(args.out)
    epochs = 3 if args.quick else 25
    X, y = gk.data.datasets.load("digits")
    X_tr, y_tr, X_dev, y_dev, _, _ = standardized_splits(X, y, seed=args.seed)

    runs = {}
    for name, bn in (("without batch norm", False), ("with batch norm", True)):
        gk.manual_seed(args.seed)
        net = gk.models.MLP([64] + [64] * 5 + [10], activation="sigmoid", batchnorm=bn)
        health = gk.diagnose.health_report(net, "cross_entropy", X_tr[:256], y_tr[:256])
        ratios = [lh.ratio for lh in health.layers if lh.type == "Linear"]
        print(f"{name:>19}: at initialization |dW|/|W| first Linear {ratios[0]:.1e}, last {ratios[-1]:.1e}; "
              f"health warnings: {[w.kind for w in health.warnings if w.severity == 'warning'] or 'none'}")
        t0 = time.perf_counter()
        hist = gk.train.fit(net, "cross_entropy", gk.optim.SGD(net.parameters(), lr=0.1), (X_tr, y_tr),
                            (X_dev, y_dev), epochs=epochs, batch_size=64, metrics=["accuracy"], verbose=0,
                            generator=gk.Generator(args.seed))
        sec = (time.perf_counter() - t0) / epochs
        runs[name] = (net, hist)
        reach = epochs_to(hist["val_accuracy"], 0.9)
        print(f"{name:>19}: loss {hist['loss'][0]:.3f} -> {hist['loss'][-1]:.3f}   "
              f"dev acc {hist['val_accuracy'][-1]:.3f}   epochs to 90% dev acc: {reach or f'> {epochs}'}   "
              f"{sec * 1000:.0f} ms/epoch")

    net = runs["with batch norm"][0]
    batch_pred = gk.train.predict(net, X_dev).argmax(axis=1)
    alone = np.array([gk.train.predict(net, X_dev[i:i + 1]).argmax(axis=1)[0] for i in range(20)])
    print(f"batch norm at test time: single-example predictions match batch predictions: "
          f"{bool((alone == batch_pred[:20]).all())}")

    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for name, (_, hist) in runs.items():
        ep = np.arange(1, len(hist["loss"]) + 1)
        axes[0].plot(ep, hist["loss"], marker=".", label=name)
        axes[1].plot(ep, hist["val_accuracy"], marker=".", label=name)
    axes[0].set_ylabel("training loss")
    axes[1].set_ylabel("dev accuracy")
    for ax in axes:
        ax.set_xlabel("epoch")
        ax.legend()
    fig.suptitle("digits, 6-layer sigmoid MLP, SGD lr 0.1")
    save(fig, folder, "batchnorm_comparison.png")
    return {k: h["val_accuracy"][-1] for k, (_, h) in runs.items()}


if __name__ == "__main__":
    main()
