"""PyTorch's MNIST example, ported to gradkit.

Lines changed from the original
-------------------------------
(none)

Original: ``mnist/main.py`` in the ``pytorch/examples`` repository.

Structure (kept as the original has it): a ``Net`` module with ``conv1``/``conv2``/``dropout1``/
``dropout2``/``fc1``/``fc2`` whose ``forward`` ends in ``F.log_softmax``; a ``train()`` function
(``model.train()``, ``optimizer.zero_grad()``, ``F.nll_loss``, ``backward``, ``step``, a log line
every ``log_interval`` batches) and a ``test()`` function (``model.eval()``, ``torch.no_grad()``,
summed ``nll_loss``, ``output.argmax(dim=1, keepdim=True)``, ``pred.eq(target.view_as(pred))``);
``main()`` parses the original's command-line arguments, picks the accelerator, builds two
``DataLoader``s, trains with ``optim.Adadelta`` and ``StepLR(step_size=1, gamma)``, and saves
``model.state_dict()`` with ``torch.save`` when ``--save-model`` is given.

Imports and data: the imports name gradkit's modules under torch's names; torchvision's MNIST
download is replaced by the 8x8 digits that ship with gradkit (normalized with their own mean and
standard deviation, as the original normalizes MNIST with MNIST's), split at random (fixed seed) 1500/297 into train/test.
For 8x8 inputs the layer sizes follow the image size: two 3x3 convolutions take 8x8 to 4x4, the
2x2 max pool to 2x2, so ``fc1`` takes 64*2*2 = 256 features instead of 9216.
"""
import argparse

import numpy as np                                        # (data preparation only)

import gradkit as torch                                   # import torch
import gradkit.nn as nn                                   # import torch.nn as nn
import gradkit.nn.functional as F                         # import torch.nn.functional as F
import gradkit.optim as optim                             # import torch.optim as optim
from gradkit.optim.lr_scheduler import StepLR             # from torch.optim.lr_scheduler import StepLR


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(256, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(x)
        x = self.conv2(x)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.dropout2(x)
        x = self.fc2(x)
        output = F.log_softmax(x, dim=1)
        return output


def train(args, model, device, train_loader, optimizer, epoch):
    model.train()
    for batch_idx, (data, target) in enumerate(train_loader):
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        if batch_idx % args.log_interval == 0:
            print('Train Epoch: {} [{}/{} ({:.0f}%)]\tLoss: {:.6f}'.format(
                epoch, batch_idx * len(data), len(train_loader.dataset),
                100. * batch_idx / len(train_loader), loss.item()))
            if args.dry_run:
                break


def test(model, device, test_loader):
    model.eval()
    test_loss = 0
    correct = 0
    with torch.no_grad():
        for data, target in test_loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction='sum').item()  # summed over the batch
            pred = output.argmax(dim=1, keepdim=True)  # index of the largest log-probability
            correct += pred.eq(target.view_as(pred)).sum().item()

    test_loss /= len(test_loader.dataset)

    print('\nTest set: Average loss: {:.4f}, Accuracy: {}/{} ({:.0f}%)\n'.format(
        test_loss, correct, len(test_loader.dataset),
        100. * correct / len(test_loader.dataset)))


def load_digits():
    # --- data (replaces torchvision's MNIST download and transforms) ---
    digits = torch.data.datasets.digits(as_images=True)
    order = np.random.RandomState(0).permutation(len(digits.y))  # a fixed shuffled split
    x, y = digits.X[order], digits.y[order]
    x = (x - x.mean()) / x.std()
    dataset1 = torch.utils.data.TensorDataset(x[:1500], y[:1500])
    dataset2 = torch.utils.data.TensorDataset(x[1500:], y[1500:])
    return dataset1, dataset2


def main():
    parser = argparse.ArgumentParser(description='gradkit port of the PyTorch MNIST example')
    parser.add_argument('--batch-size', type=int, default=64, metavar='N',
                        help='training batch size')
    parser.add_argument('--test-batch-size', type=int, default=1000, metavar='N',
                        help='test batch size')
    parser.add_argument('--epochs', type=int, default=14, metavar='N',
                        help='epochs')
    parser.add_argument('--lr', type=float, default=1.0, metavar='LR',
                        help='Adadelta learning rate')
    parser.add_argument('--gamma', type=float, default=0.7, metavar='M',
                        help='factor of the learning rate after each epoch')
    parser.add_argument('--no-accel', action='store_true',
                        help='stay on the CPU')
    parser.add_argument('--dry-run', action='store_true',
                        help='one batch an epoch, to check the program runs')
    parser.add_argument('--seed', type=int, default=1, metavar='S',
                        help='seed')
    parser.add_argument('--log-interval', type=int, default=10, metavar='N',
                        help='batches between log lines')
    parser.add_argument('--save-model', action='store_true',
                        help='save the weights at the end')
    args = parser.parse_args()

    use_accel = not args.no_accel and torch.accelerator.is_available()

    torch.manual_seed(args.seed)

    if use_accel:
        device = torch.accelerator.current_accelerator()
    else:
        device = torch.device("cpu")

    train_kwargs = {'batch_size': args.batch_size}
    test_kwargs = {'batch_size': args.test_batch_size}
    if use_accel:
        accel_kwargs = {'num_workers': 1,
                        'pin_memory': True,
                        'shuffle': True}
        train_kwargs.update(accel_kwargs)
        test_kwargs.update(accel_kwargs)

    dataset1, dataset2 = load_digits()
    train_loader = torch.utils.data.DataLoader(dataset1, **train_kwargs)
    test_loader = torch.utils.data.DataLoader(dataset2, **test_kwargs)

    model = Net().to(device)
    optimizer = optim.Adadelta(model.parameters(), lr=args.lr)

    scheduler = StepLR(optimizer, step_size=1, gamma=args.gamma)
    for epoch in range(1, args.epochs + 1):
        train(args, model, device, train_loader, optimizer, epoch)
        test(model, device, test_loader)
        scheduler.step()

    if args.save_model:
        torch.save(model.state_dict(), "mnist_cnn.pt")


if __name__ == '__main__':
    main()
