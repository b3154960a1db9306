"""A small Transformer learns to reverse sequences of digits.

Each input is a sequence of 8 random digits; the target at position i is the digit at position
7 - i. No position can be solved by looking at itself: every output must attend to another
position, chosen by position alone, which is what self-attention with position embeddings does.

The model is an encoder-only Transformer: token embedding + learned position embedding ->
``gk.nn.TransformerEncoder`` (2 pre-norm layers, d_model 32, 4 heads, feed-forward 64) -> a
linear read-out per position, trained with Adam and cross-entropy over every position. It
prints the per-token and whole-sequence accuracy on held-out sequences (about 100 % per token
after the full run; the script asserts at least 95 %) and saves the attention pattern of the
first layer for one sequence: the anti-diagonal, each position looking at its mirror.

Run:
    PYTHONPATH=src python3 examples/transformer_sequence.py [--out DIR] [--quick]
"""

from __future__ import annotations

import numpy as np
from _common import out_dir, parser, pyplot, save

import gradkit as gk
from gradkit import nn

VOCAB, LENGTH = 10, 8


class Reverser(nn.Module):
    def __init__(self, d_model=32, nhead=4, layers=2):
        super().__init__()
        self.tokens = nn.Embedding(VOCAB, d_model)
        self.positions = nn.Embedding(LENGTH, d_model)
        layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward=2 * d_model, dropout=0.0,
                                           batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, norm=nn.LayerNorm(d_model))
        self.head = nn.Linear(d_model, VOCAB)

    def forward(self, x):
        pos = gk.tensor(np.arange(x.shape[1]))
        return self.head(self.encoder(self.tokens(x) + self.positions(pos)))


def batches(rng, n):
    x = rng.integers(0, VOCAB, size=(n, LENGTH))
    return x, x[:, ::-1].copy()


def main(argv=None):
    args = parser(__doc__).parse_args(argv)
    folder = out_dir(args.out)
    steps = 150 if args.quick else 600
    gk.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    model = Reverser()
    opt = gk.optim.Adam(model.parameters(), lr=3e-3)
    for step in range(steps):
        x, y = batches(rng, 64)
        logits = model(gk.tensor(x))
        loss = gk.nn.functional.cross_entropy(logits.reshape(-1, VOCAB), gk.tensor(y.reshape(-1)))
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 100 == 0 or step == steps - 1:
            print(f"step {step:4d}  loss {loss.item():.4f}")
    model.eval()
    x, y = batches(np.random.default_rng(args.seed + 1), 1000)
    with gk.no_grad():
        pred = model(gk.tensor(x)).argmax(dim=-1).numpy()
    token_acc = float((pred == y).mean())
    seq_acc = float((pred == y).all(axis=1).mean())
    print(f"held-out accuracy: {100 * token_acc:.1f} % of tokens, {100 * seq_acc:.1f} % of whole sequences")
    if not args.quick:
        assert token_acc >= 0.95, token_acc

    layer = model.encoder.layers[0]
    with gk.no_grad():
        h = layer.norm1(model.tokens(gk.tensor(x[:1])) + model.positions(gk.tensor(np.arange(LENGTH))))
        _, weights = layer.self_attn(h, h, h)
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(4.2, 4))
    ax.imshow(weights.numpy()[0], cmap="viridis")
    ax.set_xlabel("key position")
    ax.set_ylabel("query position")
    ax.set_title("layer 1 attention (mean over heads)")
    save(fig, folder, "transformer_sequence.png")
    return {"token_accuracy": token_acc, "sequence_accuracy": seq_acc}


if __name__ == "__main__":
    main()
