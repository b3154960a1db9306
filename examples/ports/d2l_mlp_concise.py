"""d2l.ai's "Concise Implementation of Multilayer Perceptrons", ported to gradkit.

Lines changed from the original
-------------------------------
- ``batch_size, lr, num_epochs = 16, 0.1, 10``: the book uses a batch size of 256, which on
  Fashion-MNIST's 60,000 images gives 235 updates an epoch; on 1,500 digits it gives 6, and ten epochs
  of them leave the model near chance (measured: train loss 2.25). A batch of 16 gives 94 updates an
  epoch; the learning rate and the number of epochs stay the book's.

Original: the PyTorch version of section "Concise Implementation of Multilayer Perceptrons"
(chapter "Multilayer Perceptrons") of *Dive into Deep Learning* (d2l.ai, ``d2l-ai/d2l-en``), with
the helpers it calls from the ``d2l`` package (``Accumulator``, ``accuracy``, ``evaluate_accuracy``,
``train_epoch_ch3``, ``train_ch3``), which are written out here as the book defines them in its
softmax-regression chapter (the animated plot replaced by a printed line per epoch).

Structure (kept): ``net = nn.Sequential(nn.Flatten(), nn.Linear, nn.ReLU(), nn.Linear)``, an
``init_weights`` function applied with ``net.apply`` that calls ``nn.init.normal_(m.weight, std=0.01)``
on each ``nn.Linear`` (found with ``type(m) == nn.Linear``), ``batch_size, lr, num_epochs``,
``loss = nn.CrossEntropyLoss(reduction='none')``, ``trainer = torch.optim.SGD(net.parameters(), lr=lr)``,
and the chapter-3 loop: ``updater.zero_grad()``, ``l.mean().backward()``, ``updater.step()``,
accuracy counted with ``y_hat.argmax(axis=1)`` and ``.type(y.dtype)``.

Imports and data: gradkit under torch's names; ``d2l.load_data_fashion_mnist(batch_size)`` is replaced
by ``load_data_digits(batch_size)``, which gives the same pair of shuffled/unshuffled loaders over the
8x8 digits that ship with gradkit (scaled to [0, 1], split at random with a fixed seed 1500/297).
The input layer takes 8*8 = 64 pixels instead of 784.
"""
import numpy as np                                        # (data preparation only)

import gradkit as torch                                   # import torch
from gradkit import nn                                    # from torch import nn


# --- data (replaces d2l.load_data_fashion_mnist) ---
def load_data_digits(batch_size):
    digits = torch.data.datasets.digits(as_images=True)
    order = np.random.RandomState(0).permutation(len(digits.y))
    x, y = digits.X[order] / 16.0, digits.y[order]
    train = torch.utils.data.TensorDataset(x[:1500], y[:1500])
    test = torch.utils.data.TensorDataset(x[1500:], y[1500:])
    return (torch.utils.data.DataLoader(train, batch_size, shuffle=True),
            torch.utils.data.DataLoader(test, batch_size, shuffle=False))


# --- the d2l package's helpers used by this section ---
class Accumulator:
    """Sums over ``n`` variables."""

    def __init__(self, n):
        self.data = [0.0] * n

    def add(self, *args):
        self.data = [a + float(b) for a, b in zip(self.data, args)]

    def reset(self):
        self.data = [0.0] * len(self.data)

    def __getitem__(self, idx):
        return self.data[idx]


def accuracy(y_hat, y):
    """The number of correct predictions."""
    if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(axis=1)
    cmp = y_hat.type(y.dtype) == y
    return float(cmp.type(y.dtype).sum())


def evaluate_accuracy(net, data_iter):
    """The accuracy of a model on a data set."""
    if isinstance(net, torch.nn.Module):
        net.eval()  # evaluation mode
    metric = Accumulator(2)  # correct predictions, predictions
    with torch.no_grad():
        for X, y in data_iter:
            metric.add(accuracy(net(X), y), y.numel())
    return metric[0] / metric[1]


def train_epoch_ch3(net, train_iter, loss, updater):
    """One epoch of training (chapter 3)."""
    if isinstance(net, torch.nn.Module):
        net.train()
    metric = Accumulator(3)  # summed loss, correct predictions, examples
    for X, y in train_iter:
        y_hat = net(X)
        l = loss(y_hat, y)
        if isinstance(updater, torch.optim.Optimizer):
            updater.zero_grad()
            l.mean().backward()
            updater.step()
        else:
            l.sum().backward()
            updater(X.shape[0])
        metric.add(float(l.sum()), accuracy(y_hat, y), y.numel())
    return metric[0] / metric[2], metric[1] / metric[2]


def train_ch3(net, train_iter, test_iter, loss, num_epochs, updater):
    """Train a model (chapter 3), printing what the book's animator draws."""
    for epoch in range(num_epochs):
        train_metrics = train_epoch_ch3(net, train_iter, loss, updater)
        test_acc = evaluate_accuracy(net, test_iter)
        print(f'epoch {epoch + 1}, train loss {train_metrics[0]:.3f}, '
              f'train acc {train_metrics[1]:.3f}, test acc {test_acc:.3f}')
    train_loss, train_acc = train_metrics
    assert train_loss < 0.5, train_loss
    assert train_acc <= 1 and train_acc > 0.7, train_acc
    assert test_acc <= 1 and test_acc > 0.7, test_acc


# --- the section ---
net = nn.Sequential(nn.Flatten(),
                    nn.Linear(64, 256),
                    nn.ReLU(),
                    nn.Linear(256, 10))


def init_weights(m):
    if type(m) == nn.Linear:
        nn.init.normal_(m.weight, std=0.01)


net.apply(init_weights)

batch_size, lr, num_epochs = 16, 0.1, 10
loss = nn.CrossEntropyLoss(reduction='none')
trainer = torch.optim.SGD(net.parameters(), lr=lr)

train_iter, test_iter = load_data_digits(batch_size)
train_ch3(net, train_iter, test_iter, loss, num_epochs, trainer)
