"""A weight round trip torch -> gradkit -> torch through safetensors files.

A PyTorch model (conv + batch norm + linear, and an LSTM) is saved with
``safetensors.torch.save_file(model.state_dict())``; gradkit loads the file into the same
architecture with ``gk.io.load_weights`` (no renaming: gradkit's parameter names follow
PyTorch's), checks that both produce the same outputs, fine-tunes nothing, saves with
``gk.save``, and PyTorch loads that file back with ``load_file`` + ``load_state_dict``.
The script prints the largest differences (zero for the weights) and saves a small bar
chart of the output differences. Without PyTorch installed it prints a message and exits.

Run:
    PYTHONPATH=src python3 examples/torch_weight_roundtrip.py --out runs/examples
"""

from __future__ import annotations

import os
import tempfile

import numpy as np

import gradkit as gk
from _common import out_dir, parser, pyplot, save


def gradkit_model():
    return gk.nn.Sequential(gk.nn.Conv2d(1, 4, 3, padding=1), gk.nn.BatchNorm2d(4), gk.nn.ReLU(), gk.nn.Flatten(),
                            gk.nn.Linear(4 * 8 * 8, 10))


def torch_model(torch):
    nn = torch.nn
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(256, 10))


def run(folder: str, seed: int = 0, verbose: bool = True) -> dict | None:
    """Do the round trip in ``folder``; returns the differences, or None without PyTorch."""
    try:
        import torch
        from safetensors.torch import load_file, save_file
    except ImportError:
        if verbose:
            print("PyTorch (and safetensors) not installed: skipping the torch <-> gradkit round trip "
                  "(pip install torch safetensors)")
        return None
    torch.manual_seed(seed)
    tnet = torch_model(torch)
    lstm_t = torch.nn.LSTM(3, 5, batch_first=True)
    with torch.no_grad():  # non-trivial batch-norm statistics
        tnet[1].running_mean.uniform_(-1, 1)
        tnet[1].running_var.uniform_(0.5, 2)
    tnet.eval()
    p1 = os.path.join(folder, "torch_cnn.safetensors")
    p2 = os.path.join(folder, "torch_lstm.safetensors")
    save_file({k: v.contiguous() for k, v in tnet.state_dict().items()}, p1)
    save_file({k: v.contiguous() for k, v in lstm_t.state_dict().items()}, p2)

    gnet, lstm_g = gradkit_model().eval(), gk.nn.LSTM(3, 5, batch_first=True)
    r1 = gk.io.load_weights(gnet, p1, strict=True)
    r2 = gk.io.load_weights(lstm_g, p2, strict=True)
    x = np.random.default_rng(seed).standard_normal((6, 1, 8, 8)).astype(np.float32)
    s = np.random.default_rng(seed + 1).standard_normal((2, 7, 3)).astype(np.float32)
    with torch.no_grad():
        out_t = tnet(torch.from_numpy(x)).numpy()
        seq_t = lstm_t(torch.from_numpy(s))[0].numpy()
    out_g = gk.train.predict(gnet, x)
    with gk.no_grad():
        seq_g = lstm_g(gk.tensor(s))[0].numpy()

    p3 = os.path.join(folder, "gradkit_cnn.safetensors")
    gk.save(gnet, p3)
    back = torch_model(torch)
    back.load_state_dict(load_file(p3))
    weight_diff = max(float((back.state_dict()[k].double() - v.double()).abs().max())
                      for k, v in tnet.state_dict().items())
    res = {"loaded_cnn": len(r1.loaded), "loaded_lstm": len(r2.loaded),
           "cnn_output_diff": float(np.abs(out_t - out_g).max()), "lstm_output_diff": float(np.abs(seq_t - seq_g).max()),
           "roundtrip_weight_diff": weight_diff}
    if verbose:
        print(f"torch -> gradkit: loaded {res['loaded_cnn']} CNN tensors and {res['loaded_lstm']} LSTM tensors")
        print(f"  max |output difference|: CNN {res['cnn_output_diff']:.2e}, LSTM {res['lstm_output_diff']:.2e}")
        print(f"gradkit -> torch: max |weight difference| after the round trip {weight_diff:.1e}")
    return res


def plot(res: dict, folder: str) -> str:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5, 3))
    keys = ["cnn_output_diff", "lstm_output_diff"]
    ax.bar(["CNN output", "LSTM output"], [max(res[k], 1e-12) for k in keys])
    ax.set_yscale("log")
    ax.set_ylabel("max |torch - gradkit|")
    ax.set_title(f"round-trip weight difference: {res['roundtrip_weight_diff']:.1e}")
    return save(fig, folder, "torch_weight_roundtrip.png")


def main(argv=None):
    ap = parser(__doc__)  # --quick is accepted for uniformity: the script is already quick
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        res = run(tmp, seed=args.seed)
    if res is not None:
        plot(res, out_dir(args.out))
    return res


if __name__ == "__main__":
    main()
