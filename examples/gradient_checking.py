"""Gradient checking: catch a deliberately wrong backward, then find the layer it lives in.

Backprop bugs are quiet: a wrong gradient still lowers the loss a little, so training "works",
just badly. The course's remedy is gradient checking: compare backprop's gradient with the
two-sided difference (J(theta + eps) - J(theta - eps)) / (2 eps) by the relative error
||d_approx - d|| / (||d_approx|| + ||d||); about 1e-7 is right, 1e-3 is a bug.

This script writes a custom linear op, ``gk.autograd.Function`` with forward and backward, twice:

* ``LinearFn``, correct: dx = g W, dW = g^T x, db = sum_rows(g);
* ``BuggyLinearFn``, the classic slip: db = mean_rows(g) (the 1/m applied twice).

1. ``gk.diagnose.gradcheck`` on the op alone: the correct one passes, the buggy one fails, and the
   report names the input (the bias) whose gradient is wrong.
2. ``gk.diagnose.gradcheck_model`` on a whole network (Linear -> Tanh -> custom linear): it flattens
   every parameter into theta, checks in float64, and reports the relative error per parameter
   tensor and per layer, naming the failing layer ("try to locate where it fails").

Saves the per-tensor relative errors of both networks to ``gradient_checking.png``.

Run:
    PYTHONPATH=src python3 examples/gradient_checking.py [--out DIR] [--quick]
"""

from __future__ import annotations

import math

import numpy as np
from _common import out_dir, parser, pyplot, save

import gradkit as gk


class LinearFn(gk.autograd.Function):
    """y = x W^T + b with a correct hand-written backward."""

    @staticmethod
    def forward(ctx, x, w, b):
        ctx.save_for_backward(x, w)
        return x @ w.transpose(0, 1) + b

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        return g @ w, g.transpose(0, 1) @ x, g.sum(dim=0)


class BuggyLinearFn(LinearFn):
    """The same op with a bug in the bias gradient: mean over the batch instead of sum."""

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        return g @ w, g.transpose(0, 1) @ x, g.mean(dim=0)  # BUG: should be g.sum(dim=0)


class CustomLinear(gk.nn.Module):
    """A linear layer whose forward and backward come from ``fn`` (one of the Functions above)."""

    def __init__(self, in_features, out_features, fn=LinearFn):
        super().__init__()
        self.fn = fn
        bound = 1.0 / math.sqrt(in_features)
        self.weight = gk.nn.Parameter(gk.empty(out_features, in_features))
        self.bias = gk.nn.Parameter(gk.empty(out_features))
        gk.nn.init.uniform_(self.weight, -bound, bound)
        gk.nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        return self.fn.apply(x, self.weight, self.bias)


def make_net(fn):
    return gk.nn.Sequential(gk.nn.Linear(4, 8), gk.nn.Tanh(), CustomLinear(8, 3, fn))


def main(argv=None):
    args = parser(__doc__).parse_args(argv)
    folder = out_dir(args.out)
    gk.manual_seed(args.seed)
    m = 4 if args.quick else 16

    # 1. the op alone, in float64
    x = gk.randn(m, 5, dtype="float64", requires_grad=True)
    w = gk.randn(3, 5, dtype="float64", requires_grad=True)
    b = gk.randn(3, dtype="float64", requires_grad=True)
    for label, fn in (("correct op", LinearFn), ("buggy op", BuggyLinearFn)):
        rep = gk.diagnose.gradcheck(lambda x, w, b, fn=fn: (fn.apply(x, w, b) ** 2).sum(), [x, w, b])
        print(f"{label}: passed={rep.passed}   max relative error {rep.max_rel_error:.2e}")
    print(rep)

    # 2. the whole model: which layer is wrong?
    X = gk.randn(m, 4)
    y = gk.tensor(np.arange(m) % 3)
    reports = {}
    for label, fn in (("correct model", LinearFn), ("buggy model", BuggyLinearFn)):
        gk.manual_seed(args.seed)
        reports[label] = rep = gk.diagnose.gradcheck_model(make_net(fn), "cross_entropy", X, y,
                                                           max_elements_per_tensor=None)
        print(f"{label}: passed={rep.passed}   overall relative error {rep.rel_error:.2e}")
    print(reports["buggy model"])
    failing = [name.split(" ")[0] for name in reports["buggy model"].failing_layers]
    print(f"gradcheck_model names the failing layer(s): {failing}  (tensors: {reports['buggy model'].failing})")

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 3.8))
    names = [r.name for r in reports["correct model"].rows]
    pos = np.arange(len(names))
    for k, (label, rep) in enumerate(reports.items()):
        errs = [max(r.rel_error, 1e-16) for r in rep.rows]
        ax.bar(pos + (k - 0.5) * 0.38, errs, width=0.38, label=label)
    ax.axhline(1e-7, color="k", ls="--", lw=1, label="pass threshold 1e-7")
    ax.set_yscale("log")
    ax.set_xticks(pos)
    ax.set_xticklabels(names)
    ax.set_ylabel("relative error (float64)")
    ax.set_title("gradcheck_model: relative error per parameter tensor")
    ax.legend(fontsize=8)
    save(fig, folder, "gradient_checking.png")
    return reports


if __name__ == "__main__":
    main()
