"""The vanishing-gradient picture: how much the loss at the last step depends on each earlier input.

For a sequence x_1..x_T the loss reads only the final state h_T. Backpropagation through time
multiplies one Jacobian dh_t/dh_{t-1} per step, so for a plain tanh RNN the gradient norm
||dL/dx_t|| shrinks geometrically as t moves away from T (Bengio et al., 1994; Pascanu et al.,
2013). The LSTM's cell state is updated additively (c_t = f * c_{t-1} + i * g), so with forget
gates near one (forget-gate bias initialised to 1) the gradient reaches far back. This script measures ||dL/dx_t|| for every t,
averaged over a few random initializations, prints the numbers and plots both curves
(log scale) to a PNG.

It then trains both networks for a few steps on a task that needs the first input (label = its
sign) with gradient clipping (``gk.optim.clip_grad_norm_``) and prints the accuracies.

Run:
    PYTHONPATH=src python3 examples/rnn_vanishing_gradients.py [--out DIR] [--quick]
(writes ``rnn_vanishing_gradients.png`` into the folder; ``--quick``: T = 20, 2 initializations,
40 training steps.)
"""

from __future__ import annotations

import numpy as np
from _common import out_dir, parser, pyplot, save

import gradkit as gk


def lstm_with_forget_bias(input_size, hidden, value=1.0, **kw):
    """An LSTM whose forget-gate biases start at ``value`` each (b_ih and b_hh), so f = sigmoid(~2)
    ~ 0.9 at first: the usual practice (Gers et al., 2000; Jozefowicz et al., 2015) that lets the
    cell state carry information, and gradients, across many steps from the start."""
    m = gk.nn.LSTM(input_size, hidden, **kw)
    with gk.no_grad():
        for name, p in m.named_parameters():
            if name.startswith("bias"):
                p.array[hidden : 2 * hidden] = value
    return m


def gradient_per_step(model, T: int, batch: int, gen) -> np.ndarray:
    """||dL/dx_t|| (mean over the batch) for L = sum of the final hidden state."""
    x = gk.tensor(gen.standard_normal((batch, T, 1)).astype(np.float32), requires_grad=True)
    _, state = model(x)
    h_n = state[0] if isinstance(state, tuple) else state
    h_n.sum().backward()
    g = x.grad.numpy()[:, :, 0]
    return np.abs(g).mean(axis=0)


def train_memory_task(model, head, T: int, steps: int, gen) -> float:
    """Train on 'label = sign of the first input' with Adam and clipping; return the accuracy."""
    params = list(model.parameters()) + list(head.parameters())
    opt = gk.optim.Adam(params, lr=1e-2)
    for _ in range(steps):
        xs = (0.2 * gen.standard_normal((64, T, 1))).astype(np.float32)
        xs[:, 0, 0] = np.sign(xs[:, 0, 0])
        y = gk.tensor((xs[:, 0, 0] > 0).astype(np.float32))
        _, state = model(gk.tensor(xs))
        h_n = state[0] if isinstance(state, tuple) else state
        p = head(h_n[-1]).reshape(-1).sigmoid()
        loss = -(y * (p + 1e-7).log() + (1 - y) * (1 - p + 1e-7).log()).mean()
        opt.zero_grad()
        loss.backward()
        gk.optim.clip_grad_norm_(params, max_norm=1.0)  # exploding gradients are cut, vanishing ones are not
        opt.step()
    with gk.no_grad():
        xs = (0.2 * gen.standard_normal((512, T, 1))).astype(np.float32)
        xs[:, 0, 0] = np.sign(xs[:, 0, 0])
        _, state = model(gk.tensor(xs))
        h_n = state[0] if isinstance(state, tuple) else state
        pred = head(h_n[-1]).reshape(-1).numpy() > 0
    return float((pred == (xs[:, 0, 0] > 0)).mean())


def main(argv=None):
    ap = parser(__doc__)
    ap.add_argument("--steps", type=int, default=None, help="sequence length T (default 50; --quick 20)")
    ap.add_argument("--hidden", type=int, default=32)
    ap.add_argument("--inits", type=int, default=None, help="random initializations averaged (default 5; --quick 2)")
    ap.add_argument("--train-steps", type=int, default=None,
                    help="training steps of the memory task (0: skip; default 150; --quick 40)")
    args = ap.parse_args(argv)
    args.steps = args.steps or (20 if args.quick else 50)
    args.inits = args.inits or (2 if args.quick else 5)
    if args.train_steps is None:
        args.train_steps = 40 if args.quick else 150
    folder = out_dir(args.out)

    gk.manual_seed(args.seed)
    gen = np.random.default_rng(args.seed)
    curves = {}
    for name, cls in (("RNN (tanh)", gk.nn.RNN), ("LSTM", lstm_with_forget_bias)):
        runs = [gradient_per_step(cls(1, args.hidden, batch_first=True), args.steps, 32, gen) for _ in range(args.inits)]
        curves[name] = np.mean(runs, axis=0)

    print(f"mean |dL/dx_t| for L = sum(h_T), T = {args.steps}, hidden {args.hidden}, {args.inits} initializations")
    print(f"{'t':>4}{'RNN (tanh)':>14}{'LSTM':>14}")
    for t in list(range(0, args.steps, max(1, args.steps // 10))) + [args.steps - 1]:
        print(f"{t + 1:>4}{curves['RNN (tanh)'][t]:>14.3e}{curves['LSTM'][t]:>14.3e}")
    for name, c in curves.items():
        print(f"{name}: gradient at t=1 is {c[0] / c[-1]:.2e} of the gradient at t=T")

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    for name, c in curves.items():
        ax.semilogy(np.arange(1, args.steps + 1), c, label=name)
    ax.set_xlabel("time step t of the input")
    ax.set_ylabel("mean |dL / dx_t|  (L reads h_T only)")
    ax.set_title("Vanishing gradients: plain RNN vs LSTM")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    save(fig, folder, "rnn_vanishing_gradients.png")

    if args.train_steps:
        T = 20
        for name, cls in (("RNN (tanh)", gk.nn.RNN), ("LSTM", lstm_with_forget_bias)):
            gk.manual_seed(1)
            acc = train_memory_task(cls(1, 16, batch_first=True), gk.nn.Linear(16, 1), T, args.train_steps, gen)
            print(f"remember the first of {T} inputs, {args.train_steps} steps with clipping: {name} accuracy {acc:.2f}")


if __name__ == "__main__":
    main()
