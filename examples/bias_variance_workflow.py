"""The bias/variance workflow: train, read the verdict, follow the recipe, measure the improvement.

The course's basic recipe, on the 3-arm spirals (base error taken as 0 %: people separate the
arms without mistakes):

1. Does the model fit the *training* set?  If not (high avoidable bias = train error - base
   error): bigger network, train longer, another architecture.
2. Does it generalize to the *dev* set?  If not (high variance = dev error - train error): more
   data, regularization, another architecture.

Each round trains a model, computes the errors, asks ``gk.diagnose.bias_variance`` for the verdict
and its advice, and applies the first fitting remedy:

* round 1: logistic regression (a linear model) -> high bias -> "bigger network";
* round 2: a wide MLP on only the first 10 % of the training set -> high variance ->
  "more data, regularization";
* round 3: the same MLP on the whole training set with L2 regularization (``fit(..., l2=...)``).

A ``gk.diagnose.learning_curve`` of the round-3 model then shows train and dev error against the
training-set size. Saves ``bias_variance_workflow.png`` (errors per round, learning curve).

Run:
    PYTHONPATH=src python3 examples/bias_variance_workflow.py [--out DIR] [--quick]
"""

from __future__ import annotations

import numpy as np
from _common import error, out_dir, parser, pyplot, save, standardized_splits

import gradkit as gk


def train(net, X, y, X_dev, y_dev, epochs, l2=0.0, batch_size=64):
    gk.train.fit(net, "cross_entropy", gk.optim.Adam(net.parameters(), lr=0.01), (X, y), epochs=epochs,
                 batch_size=batch_size, l2=l2, verbose=0)
    return error(net, X, y), error(net, X_dev, y_dev)


def report(title, train_err, dev_err, base_error):
    r = gk.diagnose.bias_variance(train_err, dev_err, base_error=base_error)
    print(f"\n== {title}\n   train error {train_err:.3f}   dev error {dev_err:.3f}   verdict: {r.verdict}")
    print(f"   avoidable bias {r.avoidable_bias:+.3f}   variance {r.variance:+.3f}")
    for line in r.advice[:2]:
        print(f"   advice: {line}")
    return r


def main(argv=None):
    args = parser(__doc__).parse_args(argv)
    folder = out_dir(args.out)
    base_error = 0.0
    e_small, e_big = (15, 120) if args.quick else (60, 300)
    w = 32 if args.quick else 128  # hidden width
    X, y = gk.data.datasets.load("spirals", n_samples=900, n_classes=3, noise=0.2, seed=args.seed)
    X_tr, y_tr, X_dev, y_dev, X_te, y_te = standardized_splits(X, y, seed=args.seed)
    n_small = len(X_tr) // 10
    rounds = []

    gk.manual_seed(args.seed)
    net = gk.nn.Sequential(gk.nn.Linear(2, 3))  # logistic (softmax) regression
    tr, dv = train(net, X_tr, y_tr, X_dev, y_dev, e_small)
    r = report("round 1: logistic regression", tr, dv, base_error)
    rounds.append(("1: linear", tr, dv, r.verdict))

    # high bias -> bigger network (here trained on only 10 % of the data, as if data were scarce)
    gk.manual_seed(args.seed)
    net = gk.models.MLP([2, w, w, 3])
    tr, dv = train(net, X_tr[:n_small], y_tr[:n_small], X_dev, y_dev, e_big, batch_size=n_small)
    r = report(f"round 2: bigger network (MLP 2-{w}-{w}-3), {n_small} training examples", tr, dv, base_error)
    rounds.append(("2: bigger net", tr, dv, r.verdict))

    # high variance -> more data and regularization
    gk.manual_seed(args.seed)
    net = gk.models.MLP([2, w, w, 3])
    l2 = 0.05
    tr, dv = train(net, X_tr, y_tr, X_dev, y_dev, e_small, l2=l2, batch_size=32)
    r = report(f"round 3: all {len(X_tr)} training examples + L2 (lambda={l2})", tr, dv, base_error)
    rounds.append(("3: more data + L2", tr, dv, r.verdict))
    print(f"\nafter the recipe: dev error {rounds[0][2]:.3f} -> {rounds[1][2]:.3f} -> {rounds[2][2]:.3f}; "
          f"test error of the final model {error(net, X_te, y_te):.3f} (looked at once, at the end)")

    sizes = [n_small // 2, n_small, len(X_tr) // 3, len(X_tr)]
    curve = gk.diagnose.learning_curve(lambda: gk.models.MLP([2, w, w, 3]), ((X_tr, y_tr), (X_dev, y_dev)),
                                       sizes, epochs=6 if args.quick else 25, min_steps=60 if args.quick else 400,
                                       lr=0.01, l2=l2, seed=args.seed)
    print("\nlearning curve (round-3 model):")
    for n, te, de, reg in zip(curve.x, curve.train_error, curve.dev_error, curve.regimes):
        print(f"   {int(n):>4} examples: train error {te:.3f}   dev error {de:.3f}   {reg}")

    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    pos = np.arange(len(rounds))
    axes[0].bar(pos - 0.2, [t for _, t, _, _ in rounds], 0.4, label="train error")
    axes[0].bar(pos + 0.2, [d for _, _, d, _ in rounds], 0.4, label="dev error")
    axes[0].set_xticks(pos)
    axes[0].set_xticklabels([f"{name}\n{verdict}" for name, _, _, verdict in rounds], fontsize=8)
    axes[0].axhline(base_error, color="k", ls="--", lw=1, label="base error")
    axes[0].set_ylabel("error")
    axes[0].legend(fontsize=8)
    axes[0].set_title("the basic recipe, round by round")
    axes[1].plot(curve.x, curve.train_error, marker="o", label="train error")
    axes[1].plot(curve.x, curve.dev_error, marker="o", label="dev error")
    axes[1].set_xlabel("training-set size")
    axes[1].set_ylabel("error")
    axes[1].set_title("learning curve of the final model")
    axes[1].legend(fontsize=8)
    save(fig, folder, "bias_variance_workflow.png")
    return rounds


if __name__ == "__main__":
    main()
