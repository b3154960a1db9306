"""Transfer learning on digits: pretrain on 0-4, fine-tune to 5-9 with a few labels per class.

The 8x8 scikit-learn digits are split by class. A ``gk.models.DigitsCNN`` is trained on the
digits 0-4 (about 900 images). Its convolutional body has learned strokes and shapes that
also describe 5-9, so we keep it (``gk.io.load_weights(..., prefix="features.")``), give it a
new 5-way head, and fine-tune on only ``--shots`` labelled images per class of 5-9 (two by
default), the whole network training (``param_groups_for_finetuning``; ``--body-lr-factor``
below 1 gives the pretrained body a smaller learning rate). The
baseline trains the same network from scratch on the same few labels, for the same number
of steps. Both are tested on every other image of 5-9 and the accuracies printed (the
numbers are averaged over ``--repeats`` draws of the few-shot set, fixed seed); a bar
chart is saved.

What to expect: the pretrained body reaches about 0.95 on held-out digits 0-4. On these easy
8x8 images the gain of fine-tuning over training from scratch with 2 labels per class is small
next to the spread between few-shot draws (over 12 paired draws: +0.007 +- 0.01 accuracy, both
about 0.8), and it disappears with 5 or more labels per class, where both reach about 0.95.
Use ``--repeats`` to average over more draws before reading a difference into it. A 10x
smaller body learning rate was worse here: the features of 0-4 need adapting to 5-9.

Run:
    PYTHONPATH=src python3 examples/transfer_digits.py --out runs/examples
    PYTHONPATH=src python3 examples/transfer_digits.py --quick
"""

from __future__ import annotations


import numpy as np

import gradkit as gk
from gradkit.train.transfer import param_groups_for_finetuning
from _common import out_dir, parser, pyplot, save


def split_digits(seed: int = 0):
    """(X_source, y_source) for digits 0-4 and (X_target, y_target) for 5-9 relabelled 0-4."""
    d = gk.data.datasets.load("digits", as_images=True)
    X, y = d.X, d.y
    src = y < 5
    return (X[src], y[src]), (X[~src], y[~src] - 5)


def few_shot(X, y, shots: int, rng):
    """``shots`` labelled examples per class (the training set) and the rest (the test set)."""
    idx = np.concatenate([rng.choice(np.flatnonzero(y == c), shots, replace=False) for c in np.unique(y)])
    rest = np.setdiff1d(np.arange(len(y)), idx)
    return (X[idx], y[idx]), (X[rest], y[rest])


def accuracy(model, X, y) -> float:
    return float((gk.train.predict(model, X).argmax(1) == y).mean())


def pretrain(source, width: int, epochs: int, seed: int):
    """A DigitsCNN trained on the source task (digits 0-4)."""
    gk.manual_seed(seed)
    net = gk.models.DigitsCNN(num_classes=5, width=width)
    gk.train.fit(net, "cross_entropy", gk.optim.Adam(net.parameters(), lr=3e-3), source, epochs=epochs,
                 batch_size=32, verbose=0)
    return net


def finetune(pretrained, train, width: int, steps: int, lr: float, seed: int, body_lr_factor: float = 1.0):
    """A new DigitsCNN whose body is loaded from ``pretrained``, fine-tuned on ``train``."""
    gk.manual_seed(seed)
    net = gk.models.DigitsCNN(num_classes=5, width=width)
    report = gk.io.load_weights(net, pretrained.state_dict(), prefix="features.")
    assert not [k for k in report.missing if k.startswith("features.")]
    opt = gk.optim.Adam(param_groups_for_finetuning(net, head="classifier", head_lr=lr,
                                                    body_lr_factor=body_lr_factor), lr=lr)
    gk.train.fit(net, "cross_entropy", opt, train, epochs=steps, batch_size=len(train[1]), verbose=0)
    return net


def from_scratch(train, width: int, steps: int, lr: float, seed: int):
    """The baseline: the same network trained on the same few labels from a random start."""
    gk.manual_seed(seed)
    net = gk.models.DigitsCNN(num_classes=5, width=width)
    gk.train.fit(net, "cross_entropy", gk.optim.Adam(net.parameters(), lr=lr), train, epochs=steps,
                 batch_size=len(train[1]), verbose=0)
    return net


def run(shots: int = 2, quick: bool = False, seed: int = 0, repeats: int | None = None, verbose: bool = True,
        body_lr_factor: float = 1.0) -> dict:
    """Pretrain, fine-tune and train from scratch; return the test accuracies.

    Args:
        shots: labelled examples per class of the target task.
        quick: small network and few epochs (seconds).
        seed: the seed of everything.
        repeats: how many few-shot draws to average over (default 3, quick 2).
        verbose: print the numbers.
        body_lr_factor: the body's learning rate relative to the head's when fine-tuning.

    Returns:
        ``{"finetune": mean accuracy, "scratch": mean accuracy, "finetune_runs": [...],
        "scratch_runs": [...], "source_accuracy": ...}``.
    """
    width = 16 if quick else 32
    pre_epochs = 12
    steps = 30 if quick else 60
    repeats = repeats or (2 if quick else 3)
    source, target = split_digits(seed)
    rng = np.random.default_rng(seed)
    (Xs_tr, ys_tr), (Xs_te, ys_te) = few_shot(*source, 20, rng)  # hold out part of 0-4 to check pretraining
    base = pretrain((np.concatenate([Xs_tr, Xs_te[20:]]), np.concatenate([ys_tr, ys_te[20:]])), width, pre_epochs,
                    seed)
    src_acc = accuracy(base, Xs_te[:20], ys_te[:20])
    ft, sc = [], []
    for r in range(repeats):
        train, test = few_shot(*target, shots, rng)
        ft.append(accuracy(finetune(base, train, width, steps, 3e-3, seed + r, body_lr_factor), *test))
        sc.append(accuracy(from_scratch(train, width, steps, 3e-3, seed + r), *test))
    res = {"finetune": float(np.mean(ft)), "scratch": float(np.mean(sc)), "finetune_runs": ft, "scratch_runs": sc,
           "source_accuracy": src_acc, "shots": shots}
    if verbose:
        print(f"pretrained on digits 0-4: held-out accuracy {src_acc:.3f}")
        print(f"digits 5-9 with {shots} labels per class ({repeats} draws):")
        print(f"  fine-tuned from 0-4 : test accuracy {res['finetune']:.3f}  {np.round(ft, 3).tolist()}")
        print(f"  trained from scratch: test accuracy {res['scratch']:.3f}  {np.round(sc, 3).tolist()}")
    return res


def plot(res: dict, folder: str) -> str:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(4.5, 3.5))
    names = ["from scratch", "fine-tuned\n(body from 0-4)"]
    vals = [res["scratch"], res["finetune"]]
    ax.bar(names, vals, color=["#999999", "#3366cc"])
    for i, runs in enumerate([res["scratch_runs"], res["finetune_runs"]]):
        ax.plot([i] * len(runs), runs, "k.", alpha=0.6)
    ax.set_ylim(0, 1)
    ax.set_ylabel("test accuracy on digits 5-9")
    ax.set_title(f"{res['shots']} labelled examples per class")
    return save(fig, folder, "transfer_digits.png")


def main(argv=None) -> dict:
    ap = parser(__doc__)
    ap.add_argument("--shots", type=int, default=2, help="labelled examples per class of 5-9")
    ap.add_argument("--body-lr-factor", type=float, default=1.0, help="body learning rate / head learning rate")
    ap.add_argument("--repeats", type=int, default=None, help="few-shot draws to average over (default 3, quick 2)")
    args = ap.parse_args(argv)
    res = run(shots=args.shots, quick=args.quick, seed=args.seed, repeats=args.repeats,
              body_lr_factor=args.body_lr_factor)
    plot(res, out_dir(args.out))
    return res


if __name__ == "__main__":
    main()
