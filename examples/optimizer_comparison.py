"""Optimizer comparison: SGD, SGD with momentum, RMSprop and Adam on the digits classification task.

The same MLP (64 -> 64 -> 10, ReLU, same initial weights) is trained with mini-batches of 64 by
each optimizer at its customary learning rate:

* SGD: w -= lr * dw.
* momentum (beta = 0.9): v = beta v + dw; w -= lr * v, an exponentially weighted average of the
  gradients that damps the oscillations across the valley.
* RMSprop (Hinton's lecture 6e): s = alpha s + (1 - alpha) dw^2; w -= lr * dw / (sqrt(s) + eps).
* Adam (Kingma & Ba, 2015): momentum + RMSprop with bias correction.

It prints the training loss after the first and the last epoch and the dev accuracy of each, and
saves the loss curves (log scale) to ``optimizer_comparison.png``.

Run:
    PYTHONPATH=src python3 examples/optimizer_comparison.py [--out DIR] [--quick]
"""

from __future__ import annotations

import numpy as np
from _common import out_dir, parser, pyplot, save, standardized_splits

import gradkit as gk

OPTIMIZERS = {
    "SGD (lr=0.01)": lambda p: gk.optim.SGD(p, lr=0.01),
    "momentum (lr=0.01, 0.9)": lambda p: gk.optim.SGD(p, lr=0.01, momentum=0.9),
    "RMSprop (lr=0.001)": lambda p: gk.optim.RMSprop(p, lr=0.001),
    "Adam (lr=0.001)": lambda p: gk.optim.Adam(p, lr=0.001),
}


def main(argv=None):
    args = parser(__doc__).parse_args(argv)
    folder = out_dir(args.out)
    epochs = 3 if args.quick else 30
    X, y = gk.data.datasets.load("digits")
    X_tr, y_tr, X_dev, y_dev, _, _ = standardized_splits(X, y, seed=args.seed)

    gk.manual_seed(args.seed)
    start = gk.models.MLP([64, 64, 10]).state_dict()  # every optimizer starts from the same weights
    curves = {}
    for name, make_opt in OPTIMIZERS.items():
        net = gk.models.MLP([64, 64, 10])
        net.load_state_dict(start)
        gen = gk.Generator(args.seed)  # the same mini-batch order for everyone
        hist = gk.train.fit(net, "cross_entropy", make_opt(net.parameters()), (X_tr, y_tr), (X_dev, y_dev),
                            epochs=epochs, batch_size=64, metrics=["accuracy"], verbose=0, generator=gen)
        curves[name] = hist["loss"]
        print(f"{name:>24}: loss {hist['loss'][0]:.4f} -> {hist['loss'][-1]:.4f}   "
              f"dev acc {hist['val_accuracy'][-1]:.3f}")

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for name, loss in curves.items():
        ax.plot(np.arange(1, len(loss) + 1), loss, marker=".", label=name)
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss (cross-entropy)")
    ax.set_title("digits, MLP 64-64-10, mini-batch 64")
    ax.legend()
    save(fig, folder, "optimizer_comparison.png")
    return {k: v[-1] for k, v in curves.items()}


if __name__ == "__main__":
    main()
