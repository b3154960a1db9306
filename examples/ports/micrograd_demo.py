"""micrograd's demo, as a PyTorch user writes it, run on gradkit.

Lines changed from the original
-------------------------------
(none)

Original: ``demo.ipynb`` in the ``karpathy/micrograd`` repository: a binary classifier on scikit-learn's
``make_moons`` (100 points, noise 0.1, labels mapped to -1/+1), an MLP 2-16-16-1 with ReLU, the SVM
max-margin loss ``(1 + -yi*scorei).relu()`` averaged over the points, L2 regularization
``alpha * sum(p*p)`` with ``alpha = 1e-4``, the accuracy ``(yi > 0) == (scorei > 0)``, and 100 steps of
full-batch SGD with ``learning_rate = 1.0 - 0.9*k/100``, ``model.zero_grad()``, ``total_loss.backward()``
and ``p.data -= learning_rate * p.grad``, printing loss and accuracy every step.

Structure (as a torch user writes it): micrograd works on scalar ``Value`` objects, so this port is the
demo written with tensors (the reference this file follows line by line): ``MLP(2, [16, 16, 1])`` becomes an
``nn.Sequential`` of ``Linear``/``ReLU``; the list comprehensions over points become the same
expressions on a batch tensor (``(1 + -yb*scores).relu()``, ``losses.mean()``,
``sum((p*p).sum() for p in model.parameters())``), ``random.seed`` becomes ``torch.manual_seed`` and
``len(model.parameters())`` a sum of ``p.numel()``; the update loop is micrograd's, unchanged. Nothing
in that torch program had to change for gradkit but the import line and the data line.

Imports and data: gradkit under torch's name; scikit-learn's ``make_moons(n_samples=100, noise=0.1)``
is replaced by gradkit's ``moons`` of the same size and noise (gradkit's own seed instead of NumPy's
global one). The decision-boundary plot at the end of the notebook is left out (it only draws).
"""
import numpy as np

import gradkit as torch                                   # import torch
import gradkit.nn as nn                                   # import torch.nn as nn

np.random.seed(1337)
torch.manual_seed(1337)

# --- data (replaces sklearn.datasets.make_moons(n_samples=100, noise=0.1)) ---
moons = torch.data.datasets.moons(n_samples=100, noise=0.1, seed=1337)
X, y = moons.X, moons.y

y = y * 2 - 1  # labels in {-1, +1}

# the model
model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(),
                      nn.Linear(16, 16), nn.ReLU(),
                      nn.Linear(16, 1))
print(model)
print("number of parameters", sum(p.numel() for p in model.parameters()))


# the objective, with the accuracy beside it
def loss(batch_size=None):
    # the whole set, or a random mini-batch of it
    if batch_size is None:
        Xb, yb = X, y
    else:
        ri = np.random.permutation(X.shape[0])[:batch_size]
        Xb, yb = X[ri], y[ri]
    inputs = torch.tensor(Xb, dtype=torch.float32)
    yb = torch.tensor(yb, dtype=torch.float32)

    # one score per point
    scores = model(inputs).squeeze(1)

    # hinge (max-margin) loss
    losses = (1 + -yb * scores).relu()
    data_loss = losses.mean()
    # weight decay as a penalty
    alpha = 1e-4
    reg_loss = alpha * sum((p * p).sum() for p in model.parameters())
    total_loss = data_loss + reg_loss

    # fraction of points on the right side
    accuracy = ((yb > 0) == (scores > 0)).float().mean()
    return total_loss, accuracy.item()


total_loss, acc = loss()
print(total_loss, acc)

# gradient descent with a falling step size
for k in range(100):

    total_loss, acc = loss()

    model.zero_grad()
    total_loss.backward()

    learning_rate = 1.0 - 0.9 * k / 100
    for p in model.parameters():
        p.data -= learning_rate * p.grad

    if k % 1 == 0:
        print(f"step {k} loss {total_loss.item()}, accuracy {acc*100}%")
