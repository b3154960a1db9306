"""The ``gradkit`` command line.

    gradkit train [--out DIR] [--epochs N] [--lr LR] [--seed S]

Until the training loop lands, ``train`` fits logistic regression by gradient descent on
the breast-cancer dataset bundled with scikit-learn, written directly on the engine.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def _default_out() -> Path:
    return Path("runs") / time.strftime("%Y%m%d-%H%M%S")


def cmd_train(args) -> int:
    import numpy as np

    import gradkit as gk

    try:
        from sklearn.datasets import load_breast_cancer
    except ImportError:
        print("gradkit train needs scikit-learn for its bundled dataset: pip install 'gradkit[datasets]'", file=sys.stderr)
        return 2
    gk.manual_seed(args.seed)
    data = load_breast_cancer()
    X, y = data.data.astype(np.float32), data.target.astype(np.float32)
    order = np.random.default_rng(args.seed).permutation(len(X))
    n_train, n_dev = int(0.6 * len(X)), int(0.2 * len(X))
    parts = np.split(order, [n_train, n_train + n_dev])
    mu, sd = X[parts[0]].mean(0), X[parts[0]].std(0) + 1e-8  # fitted on the training split only
    splits = {name: (gk.tensor((X[i] - mu) / sd), gk.tensor(y[i])) for name, i in zip(("train", "dev", "test"), parts)}

    w = gk.zeros(X.shape[1], requires_grad=True)
    b = gk.zeros(1, requires_grad=True)

    def loss_and_acc(Xs, ys):
        z = Xs @ w + b
        # binary cross-entropy from logits: max(z, 0) - z*y + log(1 + exp(-|z|))
        loss = (z.relu() - z * ys + (1 + (-abs(z)).exp()).log()).mean()
        acc = float(((z.detach() > 0).numpy() == (ys.numpy() > 0.5)).mean())
        return loss, acc

    Xtr, ytr = splits["train"]
    for epoch in range(1, args.epochs + 1):
        loss, acc = loss_and_acc(Xtr, ytr)
        loss.backward()
        with gk.no_grad():
            w -= args.lr * w.grad
            b -= args.lr * b.grad
        w.grad = b.grad = None
        if epoch % max(1, args.epochs // 5) == 0 or epoch == 1:
            print(f"epoch {epoch:4d}  train loss {loss.item():.4f}  train accuracy {acc:.4f}")
    metrics = {}
    with gk.no_grad():
        for name, (Xs, ys) in splits.items():
            loss, acc = loss_and_acc(Xs, ys)
            metrics[name] = {"loss": round(loss.item(), 6), "accuracy": round(acc, 6)}
    print(f"{'split':<6} {'loss':>8} {'accuracy':>9}")
    for name, m in metrics.items():
        print(f"{name:<6} {m['loss']:8.4f} {m['accuracy']:9.4f}")
    out = Path(args.out) if args.out else _default_out()
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2))
    print(f"wrote {out / 'metrics.json'}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="gradkit", description="Train and inspect neural networks with gradkit.")
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train the default model and write metrics to --out")
    t.add_argument("--out", help="output folder (default runs/<timestamp>)")
    t.add_argument("--epochs", type=int, default=300)
    t.add_argument("--lr", type=float, default=0.5)
    t.add_argument("--seed", type=int, default=0)
    t.set_defaults(func=cmd_train)
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)
