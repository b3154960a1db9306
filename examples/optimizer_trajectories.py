"""Trajectories of gradient descent, momentum, RMSprop and Adam on two 2-D landscapes.

On an elongated quadratic plain gradient descent zig-zags across the narrow direction (the
oscillation the course notes describe: the learning rate that is safe for the steep axis is
tiny for the flat one); momentum averages the zig-zag out, RMSprop and Adam rescale each
coordinate. On Rosenbrock's curved valley the differences in speed are plain to see.

Momentum is drawn in both conventions. The course's, ``gk.optim.Momentum(beta=0.9)``:
v = beta v + (1 - beta) dW, W -= lr v. PyTorch's, ``gk.optim.SGD(momentum=0.9)``: v = mu v + dW,
W -= lr v, with no (1 - beta) factor; at lr * (1 - beta) it visits exactly the course's points
(the dashed line lies on the course's). ``SGD(momentum=b, dampening=b)`` is neither: PyTorch
takes the whole first gradient into v.

Run: ``PYTHONPATH=src python3 examples/optimizer_trajectories.py [--out DIR] [--quick]``
(writes ``optimizer_trajectories.png`` into the folder; needs matplotlib).
"""

from __future__ import annotations

import os
import sys

import numpy as np

if os.path.dirname(os.path.abspath(__file__)) not in sys.path:  # also when loaded by path, not run as a script
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import out_dir, parser, pyplot, save  # noqa: E402

import gradkit as gk


def elongated_quadratic(x):
    """f(x, y) = x^2 / 20 + y^2 (curvature 20x larger along y); minimum at (0, 0)."""
    return x[0] ** 2 / 20.0 + x[1] ** 2


def rosenbrock(x):
    """f(x, y) = (1 - x)^2 + 100 (y - x^2)^2; minimum at (1, 1)."""
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


BETA = 0.9
COURSE_MOMENTUM, TORCH_MOMENTUM = "Momentum (course, beta=0.9)", "SGD(momentum=0.9) (PyTorch's)"
OPTIMIZERS = {
    "GD": lambda p, lr: gk.optim.SGD(p, lr=lr),
    # the course's momentum: v = beta v + (1 - beta) dW; W -= lr v
    COURSE_MOMENTUM: lambda p, lr: gk.optim.Momentum(p, lr=lr, beta=BETA),
    # PyTorch's momentum: v = mu v + dW; W -= lr v (run at lr (1 - beta): the course's path)
    TORCH_MOMENTUM: lambda p, lr: gk.optim.SGD(p, lr=lr, momentum=BETA),
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
    ap = parser(__doc__)
    ap.add_argument("--steps", type=int, default=None, help="steps on the quadratic (default 60; --quick 15)")
    args = ap.parse_args(argv)
    steps0 = args.steps or (15 if args.quick else 60)
    folder = out_dir(args.out)
    plt = pyplot()

    problems = [
        # learning rates per optimizer (GD, momentum, RMSprop, Adam), each a sensible choice for the problem;
        # PyTorch's momentum runs at the momentum's lr times (1 - beta)
        ("Elongated quadratic", elongated_quadratic, [-9.0, 1.5], (0.9, 0.3, 0.2, 0.3), (-10, 2, -2.2, 2.2),
         (0.0, 0.0), steps0),
        ("Rosenbrock", rosenbrock, [-1.5, 2.0], (1.5e-3, 1.5e-3, 1e-2, 5e-2), (-2, 2, -1, 3), (1.0, 1.0),
         steps0 * 25),
    ]
    fig, axes = plt.subplots(1, 2, figsize=(13, 5.5))
    colors = ["tab:red", "tab:orange", "k", "tab:green", "tab:blue"]
    for ax, (title, fn, start, lrs, box, opt_pt, steps) in zip(axes, problems):
        xs = np.linspace(box[0], box[1], 300)
        ys = np.linspace(box[2], box[3], 300)
        X, Y = np.meshgrid(xs, ys)
        Z = fn(gk.tensor(np.stack([X, Y]))).numpy()
        levels = np.logspace(np.log10(Z.min() + 1e-3), np.log10(Z.max()), 25)
        ax.contour(X, Y, Z, levels=levels, cmap="Greys", linewidths=0.6)
        lr_of = dict(zip(["GD", COURSE_MOMENTUM, "RMSprop", "Adam"], lrs))
        lr_of[TORCH_MOMENTUM] = lr_of[COURSE_MOMENTUM] * (1 - BETA)
        for (name, make), c in zip(OPTIMIZERS.items(), colors):
            lr, style = lr_of[name], ("--" if name == TORCH_MOMENTUM else "-o")
            path = trajectory(fn, start, make, lr, steps)
            final = float(fn(gk.tensor(path[-1])).item())
            print(f"{title}, {name}, lr={lr:g}: f = {final:.3g} after {steps} steps")
            ax.plot(path[:, 0], path[:, 1], style, ms=2, lw=1.2, color=c, label=f"{name}, lr={lr:g}: f={final:.2g}")
        ax.plot(*opt_pt, "k*", ms=12)
        ax.set_xlim(box[0], box[1])
        ax.set_ylim(box[2], box[3])
        ax.set_title(f"{title} ({steps} steps)")
        ax.legend(loc="lower right" if title == "Rosenbrock" else "upper right", fontsize=8)
    fig.suptitle("Optimizer trajectories: GD oscillates across the narrow direction")
    fig.tight_layout()
    return save(fig, folder, "optimizer_trajectories.png")


if __name__ == "__main__":
    main()
