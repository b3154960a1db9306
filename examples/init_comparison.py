"""Initialization comparison: zeros vs large random vs He, on a 3-layer ReLU net and the moons data.

The course experiment: the same network (2 -> 10 -> 5 -> 2, ReLU) trained with plain gradient
descent from three starting points.

* zeros: every hidden unit computes the same function and receives the same gradient, so the
  symmetry is never broken; with ReLU the hidden gradients are exactly zero and the network stays
  a constant predictor (about 50 % accuracy).
* large random (N(0, 1) * 10): huge pre-activations, huge first losses, and a slow, noisy start.
* He (He et al., 2015, ``gk.nn.init.kaiming_normal_``, Var(W) = 2 / fan_in): keeps the variance
  of the activations roughly constant through ReLU layers; trains fastest.

The script prints the first/last training loss and the train/dev accuracy of each, and saves the
loss curves and the three decision boundaries to ``init_comparison.png``.

Run:
    PYTHONPATH=src python3 examples/init_comparison.py [--out DIR] [--quick]
"""

from __future__ import annotations

import numpy as np
from _common import out_dir, parser, plot_boundary, pyplot, save, standardized_splits

import gradkit as gk


def make_net(init: str) -> gk.nn.Module:
    """The 3-layer net with every Linear initialized by ``init`` ('zeros', 'large', 'he')."""
    net = gk.nn.Sequential(gk.nn.Linear(2, 10), gk.nn.ReLU(), gk.nn.Linear(10, 5), gk.nn.ReLU(), gk.nn.Linear(5, 2))
    for layer in net:
        if isinstance(layer, gk.nn.Linear):
            if init == "zeros":
                gk.nn.init.zeros_(layer.weight)
            elif init == "large":
                gk.nn.init.normal_(layer.weight, mean=0.0, std=10.0)
            elif init == "he":
                gk.nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
            else:
                raise ValueError(f"unknown init {init!r}; expected 'zeros', 'large' or 'he'")
            gk.nn.init.zeros_(layer.bias)
    return net


def main(argv=None):
    args = parser(__doc__).parse_args(argv)
    folder = out_dir(args.out)
    epochs = 60 if args.quick else 600
    X, y = gk.data.datasets.load("moons", n_samples=300, noise=0.2, seed=args.seed)
    X_tr, y_tr, X_dev, y_dev, _, _ = standardized_splits(X, y, seed=args.seed)

    results = {}
    for init in ("zeros", "large", "he"):
        gk.manual_seed(args.seed)
        net = make_net(init)
        opt = gk.optim.SGD(net.parameters(), lr=0.1)
        hist = gk.train.fit(net, "cross_entropy", opt, (X_tr, y_tr), (X_dev, y_dev), epochs=epochs,
                            batch_size=len(X_tr), metrics=["accuracy"], verbose=0)
        results[init] = (net, hist)
        print(f"{init:>6}: loss {hist['loss'][0]:9.4f} -> {hist['loss'][-1]:.4f}   "
              f"train acc {hist['accuracy'][-1]:.3f}   dev acc {hist['val_accuracy'][-1]:.3f}")

    plt = pyplot()
    fig, axes = plt.subplots(1, 4, figsize=(15, 3.6))
    for init, (net, hist) in results.items():
        axes[0].plot(np.asarray(hist["loss"]), label=init)
    axes[0].set_yscale("log")
    axes[0].set_xlabel("epoch (full batch)")
    axes[0].set_ylabel("training loss")
    axes[0].legend()
    for ax, (init, (net, hist)) in zip(axes[1:], results.items()):
        plot_boundary(ax, net, X_tr, y_tr, f"{init}: dev acc {hist['val_accuracy'][-1]:.2f}",
                      steps=60 if args.quick else 200)
    save(fig, folder, "init_comparison.png")
    return {k: (h["loss"][-1], h["val_accuracy"][-1]) for k, (_, h) in results.items()}


if __name__ == "__main__":
    main()
