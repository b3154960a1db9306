"""Trajectories of gradient descent, momentum, RMSprop and Adam on two 2-D landscapes.

On an elongated quadratic plain gradient descent zig-zags across the narrow direction (the
oscillation the course notes describe: the learning rate that is safe for the steep axis is
tiny for the flat one); momentum averages the zig-zag out, RMSprop and Adam rescale each
coordinate. On Rosenbrock's curved valley the differences in speed are plain to see.

Run: ``PYTHONPATH=src python3 examples/optimizer_trajectories.py --out figures``
(writes ``optimizer_trajectories.png`` into the folder; needs matplotlib).
"""

from __future__ import annotations

import argparse
import os

import numpy as np

import gradkit as gk


def elongated_quadratic(x):
    """f(x, y) = x^2 / 20 + y^2 (curvature 20x larger along y); minimum at (0, 0)."""
    return x[0] ** 2 / 20.0 + x[1] ** 2


def rosenbrock(x):
    """f(x, y) = (1 - x)^2 + 100 (y - x^2)^2; minimum at (1, 1)."""
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


OPTIMIZERS = {
    "GD": lambda p, lr: gk.optim.SGD(p, lr=lr),
    # the course's momentum: v = beta v + (1 - beta) dW
    "Momentum (beta=0.9)": lambda p, lr: gk.optim.SGD(p, lr=lr, momentum=0.9, dampening=0.9),
    "RMSprop": lambda p, lr: gk.optim.RMSprop(p, lr=lr, alpha=0.9),
    "Adam": lambda p, lr: gk.optim.Adam(p, lr=lr),
}


def trajectory(fn, start, make_opt, lr, steps):
    """The points visited by an optimizer from ``start`` (an array of shape (steps + 1, 2))."""
    x = gk.tensor(start, dtype="float64", requires_grad=True)
    opt = make_opt([x], lr)
    path = [x.numpy().copy()]
    for _ in range(steps):
        opt.zero_grad()
        fn(x).backward()
        opt.step()
        path.append(x.numpy().copy())
    return np.array(path)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="figures", help="folder for the PNG")
    ap.add_argument("--steps", type=int, default=60)
    args = ap.parse_args(argv)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    problems = [
        # learning rates per optimizer (GD, momentum, RMSprop, Adam), each a sensible choice for the problem
        ("Elongated quadratic", elongated_quadratic, [-9.0, 1.5], (0.9, 0.3, 0.2, 0.3), (-10, 2, -2.2, 2.2),
         (0.0, 0.0), args.steps),
        ("Rosenbrock", rosenbrock, [-1.5, 2.0], (1.5e-3, 1.5e-3, 1e-2, 5e-2), (-2, 2, -1, 3), (1.0, 1.0),
         args.steps * 25),
    ]
    fig, axes = plt.subplots(1, 2, figsize=(13, 5.5))
    colors = ["tab:red", "tab:orange", "tab:green", "tab:blue"]
    for ax, (title, fn, start, lrs, box, opt_pt, steps) in zip(axes, problems):
        xs = np.linspace(box[0], box[1], 300)
        ys = np.linspace(box[2], box[3], 300)
        X, Y = np.meshgrid(xs, ys)
        Z = fn(gk.tensor(np.stack([X, Y]))).numpy()
        levels = np.logspace(np.log10(Z.min() + 1e-3), np.log10(Z.max()), 25)
        ax.contour(X, Y, Z, levels=levels, cmap="Greys", linewidths=0.6)
        for (name, make), c, lr in zip(OPTIMIZERS.items(), colors, lrs):
            path = trajectory(fn, start, make, lr, steps)
            final = float(fn(gk.tensor(path[-1])).item())
            ax.plot(path[:, 0], path[:, 1], "-o", ms=2, lw=1.2, color=c, label=f"{name}, lr={lr:g}: f={final:.2g}")
        ax.plot(*opt_pt, "k*", ms=12)
        ax.set_xlim(box[0], box[1])
        ax.set_ylim(box[2], box[3])
        ax.set_title(f"{title} ({steps} steps)")
        ax.legend(loc="lower right" if title == "Rosenbrock" else "upper right", fontsize=8)
    fig.suptitle("Optimizer trajectories: GD oscillates across the narrow direction")
    fig.tight_layout()
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "optimizer_trajectories.png")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"wrote {path}")
    return path


if __name__ == "__main__":
    main()
