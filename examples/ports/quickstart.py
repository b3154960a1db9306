"""PyTorch's quickstart tutorial, ported to gradkit.

Lines changed from the original
-------------------------------
- ``optimizer = torch.optim.SGD(model.parameters(), lr=1e-1)``: the original's ``lr=1e-3`` is tuned
  for FashionMNIST's 938 batches an epoch; the digits give 24, so five epochs at 1e-3 barely move the
  weights. The learning rate is the one number a user of the tutorial changes for a 40x smaller data set.

Original: the "Quickstart" page of the PyTorch tutorials (``beginner_source/basics/quickstart_tutorial.py``
in the ``pytorch/tutorials`` repository).

Structure (kept): data sets and ``DataLoader(batch_size=64)``, a print of one batch's shapes, the device
choice through ``torch.accelerator``, a ``NeuralNetwork`` module with ``nn.Flatten`` and an
``nn.Sequential`` of ``Linear``/``ReLU`` (``print(model)``), ``nn.CrossEntropyLoss`` and
``torch.optim.SGD``, a ``train()`` loop (``loss.backward()``, ``optimizer.step()``,
``optimizer.zero_grad()``, a log line every 100 batches) and a ``test()`` loop counting
``(pred.argmax(1) == y).type(torch.float).sum().item()``, five epochs, ``torch.save`` of the
``state_dict``, a fresh model that ``load_state_dict(torch.load(...))``, and one
prediction under ``model.eval()`` and ``torch.no_grad()`` with class names.

Imports and data: gradkit under torch's names; torchvision's FashionMNIST (and ``ToTensor``, which
scales pixels to [0, 1]) is replaced by the 8x8 digits that ship with gradkit, scaled by their maximum
(16) and split at random (fixed seed) 1500/297. The first layer takes 8*8 inputs instead of 28*28, and the
class names are the digits' names. The data set class gives samples as torchvision's do (an image
Tensor and an int label).
"""
import numpy as np                                        # (data preparation only)

import gradkit as torch                                   # import torch
from gradkit import nn                                    # from torch import nn
from gradkit.utils.data import DataLoader, Dataset       # from torch.utils.data import DataLoader


# --- data (replaces torchvision's FashionMNIST download with ToTensor()) ---
class Digits(Dataset):
    """Samples as torchvision's datasets give them: (image Tensor in [0, 1], int label)."""

    def __init__(self, images, labels):
        self.images, self.labels = images, labels

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return torch.tensor(self.images[i] / 16.0), int(self.labels[i])


digits = torch.data.datasets.digits(as_images=True)
order = np.random.RandomState(0).permutation(len(digits.y))
training_data = Digits(digits.X[order[:1500]], digits.y[order[:1500]])
test_data = Digits(digits.X[order[1500:]], digits.y[order[1500:]])

batch_size = 64

# the loaders
train_dataloader = DataLoader(training_data, batch_size=batch_size)
test_dataloader = DataLoader(test_data, batch_size=batch_size)

for X, y in test_dataloader:
    print(f"Shape of X [N, C, H, W]: {X.shape}")
    print(f"Shape of y: {y.shape} {y.dtype}")
    break

device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"
print(f"Using {device} device")


# the model
class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(8 * 8, 512),
            nn.ReLU(),
            nn.Linear(512, 512),
            nn.ReLU(),
            nn.Linear(512, 10)
        )

    def forward(self, x):
        x = self.flatten(x)
        logits = self.linear_relu_stack(x)
        return logits


model = NeuralNetwork().to(device)
print(model)

loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=1e-1)


def train(dataloader, model, loss_fn, optimizer):
    size = len(dataloader.dataset)
    model.train()
    for batch, (X, y) in enumerate(dataloader):
        X, y = X.to(device), y.to(device)

        # forward and loss
        pred = model(X)
        loss = loss_fn(pred, y)

        # backward and update
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()

        if batch % 100 == 0:
            loss, current = loss.item(), (batch + 1) * len(X)
            print(f"loss: {loss:>7f}  [{current:>5d}/{size:>5d}]")


def test(dataloader, model, loss_fn):
    size = len(dataloader.dataset)
    num_batches = len(dataloader)
    model.eval()
    test_loss, correct = 0, 0
    with torch.no_grad():
        for X, y in dataloader:
            X, y = X.to(device), y.to(device)
            pred = model(X)
            test_loss += loss_fn(pred, y).item()
            correct += (pred.argmax(1) == y).type(torch.float).sum().item()
    test_loss /= num_batches
    correct /= size
    print(f"Test Error: \n Accuracy: {(100*correct):>0.1f}%, Avg loss: {test_loss:>8f} \n")


epochs = 5
for t in range(epochs):
    print(f"Epoch {t+1}\n-------------------------------")
    train(train_dataloader, model, loss_fn, optimizer)
    test(test_dataloader, model, loss_fn)
print("Done!")

torch.save(model.state_dict(), "model.pth")
print("Saved PyTorch Model State to model.pth")

model = NeuralNetwork().to(device)
model.load_state_dict(torch.load("model.pth", weights_only=True))

classes = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
]

model.eval()
x, y = test_data[0][0], test_data[0][1]
with torch.no_grad():
    x = x.to(device)
    pred = model(x)
    predicted, actual = classes[pred[0].argmax(0)], classes[y]
    print(f'Predicted: "{predicted}", Actual: "{actual}"')
