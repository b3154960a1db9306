"""Multi-task learning on a synthetic dataset: hard parameter sharing against separate models.

Two related regression targets are made from the same hidden features: inputs ``x`` (20-D)
drive a shared latent ``h = tanh(A x)`` (4-D), and task ``a`` is ``w_a . h``, task ``b`` is
``w_b . h`` (plus noise), with ``w_a`` and ``w_b`` correlated. With few training examples a
single network per task must learn ``A`` alone from its own labels; with a shared trunk
(``gk.nn.MultiTaskModel``) both tasks' labels train the same features. Half of the task-b
labels are missing (NaN), which ``gk.nn.MultiTaskLoss`` masks out. The script trains

* separate: one MLP per task (``MultiTaskModel(None, heads=...)``: nothing shared);
* soft sharing: the same two MLPs plus ``soft_sharing_penalty`` pulling their first layers together;
* hard sharing: one trunk, two linear heads,

with the same optimizer and epochs, prints the test RMSE of each task, and plots the
per-task validation losses.

Run:
    PYTHONPATH=src python3 examples/multitask_synthetic.py --out runs/examples
    PYTHONPATH=src python3 examples/multitask_synthetic.py --quick
"""

from __future__ import annotations


import numpy as np

import gradkit as gk
from _common import out_dir, parser, pyplot, save


def make_data(n: int, seed: int = 0, missing_b: float = 0.5, noise: float = 0.1):
    """``(X, {"a": y_a, "b": y_b})`` with a fraction ``missing_b`` of task-b labels set to NaN."""
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((4, 20)) / np.sqrt(20) * 2.0
    w_a = rng.standard_normal(4)
    w_b = 0.7 * w_a + 0.7 * rng.standard_normal(4)

    def draw(m, rng):
        X = rng.standard_normal((m, 20))
        h = np.tanh(X @ A.T)
        ya = h @ w_a + noise * rng.standard_normal(m)
        yb = h @ w_b + noise * rng.standard_normal(m)
        return X.astype(np.float32), ya[:, None].astype(np.float32), yb[:, None].astype(np.float32)

    X, ya, yb = draw(n, rng)
    yb_train = yb.copy()
    yb_train[rng.random(n) < missing_b] = np.nan
    Xt, yat, ybt = draw(2000, rng)
    return (X, {"a": ya, "b": yb_train}), (Xt, {"a": yat, "b": ybt})


def mlp(hidden: int):
    return gk.nn.Sequential(gk.nn.Linear(20, hidden), gk.nn.Tanh(), gk.nn.Linear(hidden, 1))


def build(kind: str, hidden: int, lam: float):
    """The model and loss for ``kind`` in ``("separate", "soft", "hard")``."""
    if kind == "hard":
        model = gk.nn.MultiTaskModel(gk.nn.Sequential(gk.nn.Linear(20, hidden), gk.nn.Tanh()),
                                     heads={"a": gk.nn.Linear(hidden, 1), "b": gk.nn.Linear(hidden, 1)})
        return model, gk.nn.MultiTaskLoss({"a": "mse", "b": "mse"})
    model = gk.nn.MultiTaskModel(None, heads={"a": mlp(hidden), "b": mlp(hidden)})
    penalty = None
    if kind == "soft":
        nets = [model.heads["a"], model.heads["b"]]
        penalty = lambda: gk.nn.soft_sharing_penalty(nets, lam, norm="l2", prefix="0.")  # noqa: E731
    return model, gk.nn.MultiTaskLoss({"a": "mse", "b": "mse"}, penalty=penalty)


def run(n_train: int = 80, quick: bool = False, seed: int = 0, verbose: bool = True) -> dict:
    """Train the three variants; return ``{kind: {"rmse_a":, "rmse_b":, "history":}}``."""
    epochs = 60 if quick else 200
    train, test = make_data(n_train, seed)
    results = {}
    for kind in ("separate", "soft", "hard"):
        gk.manual_seed(seed)
        model, loss = build(kind, hidden=16, lam=0.05)
        hist = gk.train.fit(model, loss, gk.optim.Adam(model.parameters(), lr=1e-2), train, test, epochs=epochs,
                            batch_size=32, metrics=["rmse"], verbose=0)
        ev = gk.train.evaluate(model, loss, test, metrics=["rmse"])
        results[kind] = {"rmse_a": ev["a_rmse"], "rmse_b": ev["b_rmse"], "history": hist}
        if verbose:
            print(f"{kind:9s}: test RMSE a {ev['a_rmse']:.3f}  b {ev['b_rmse']:.3f}  "
                  f"({model.num_parameters()} parameters)")
    return results


def plot(results: dict, folder: str) -> str:
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.5), sharey=True)
    for ax, task in zip(axes, ("a", "b")):
        for kind, res in results.items():
            ax.plot(res["history"][f"val_loss_{task}"], label=kind)
        ax.set_yscale("log")
        ax.set_title(f"task {task}: test MSE per epoch")
        ax.set_xlabel("epoch")
    axes[0].legend()
    return save(fig, folder, "multitask_synthetic.png")


def main(argv=None) -> dict:
    ap = parser(__doc__)
    ap.add_argument("--n-train", type=int, default=80, help="training examples")
    args = ap.parse_args(argv)
    res = run(args.n_train, quick=args.quick, seed=args.seed)
    plot(res, out_dir(args.out))
    return res


if __name__ == "__main__":
    main()
