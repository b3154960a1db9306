"""Hot paths stay on the device: a training step makes no host copy and no upload.

The strict double counts every explicit crossing (``.get()``, ``asnumpy``, uploads, scalar
syncs); an implicit one is refused outright. A forward + backward + optimizer step of each model
kind, with its data already on the device, must make none (but for the two scalars cross-entropy
reads to check its targets), and an evaluation forward none at all.
"""

import numpy as np
import pytest

import gradkit as gk

from . import strict_backend
from .conftest import strict_only




def _models():
    return {
        "mlp": (lambda: gk.nn.Sequential(gk.nn.Linear(12, 16), gk.nn.ReLU(), gk.nn.Linear(16, 3)), (8, 12)),
        "cnn": (lambda: gk.nn.Sequential(
            gk.nn.Conv2d(1, 4, 3, padding=1), gk.nn.BatchNorm2d(4), gk.nn.ReLU(), gk.nn.MaxPool2d(2),
            gk.nn.Conv2d(4, 4, 3, stride=2, padding=1), gk.nn.ReLU(), gk.nn.AvgPool2d(2),
            gk.nn.AdaptiveAvgPool2d(1), gk.nn.Flatten(), gk.nn.Linear(4, 3)), (4, 1, 8, 8)),
        "conv1d": (lambda: gk.nn.Sequential(gk.nn.Conv1d(2, 4, 3, padding="same"), gk.nn.ReLU(), gk.nn.MaxPool1d(2),
                                            gk.nn.Flatten(), gk.nn.Linear(4 * 5, 3)), (4, 2, 10)),
    }


class _Seq(gk.nn.Module):
    def __init__(self, kind, fused=True):
        super().__init__()
        self.rnn = getattr(gk.nn, kind)(3, 5, num_layers=2, batch_first=True, fused=fused)
        self.head = gk.nn.Linear(5, 3)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[:, -1])


CASES = dict(_models())
for _kind in ("LSTM", "GRU", "RNN"):
    for _fused in (True, False):
        CASES[f"{_kind.lower()}{'' if _fused else '_unfused'}"] = (
            lambda k=_kind, f=_fused: _Seq(k, f), (4, 6, 3))


@strict_only
@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
def test_a_training_step_makes_no_host_copy(name, optimizer):
    make, shape = CASES[name]
    gk.manual_seed(0)
    net = make().to("cuda")
    opt = getattr(gk.optim, optimizer)(net.parameters(), lr=0.01)
    x = gk.randn(*shape, device="cuda")
    y = gk.randint(0, 3, (shape[0],), device="cuda")
    loss_fn = gk.nn.CrossEntropyLoss()
    for step in range(2):  # the first step builds the optimizer's flat buffers
        if step == 1:
            counts = strict_backend.reset_transfers()
        opt.zero_grad()
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()
    # the one sync left: cross-entropy reads its targets' range (min, max) to name a bad class index
    assert counts == {"to_host": 0, "to_device": 0, "scalars": 2}, f"{name}: {counts}"
    net.eval()
    strict_backend.reset_transfers()
    with gk.no_grad():
        net(x)
    assert counts == {"to_host": 0, "to_device": 0, "scalars": 0}, f"{name} (eval): {counts}"


@pytest.mark.parametrize("name", ["cnn", "conv1d", "lstm", "gru_unfused", "mlp"])
def test_the_cpu_thread_pool_and_blas_control_are_never_entered_on_the_device(name, monkeypatch):
    """Threads and BLAS settings are CPU tools: device arrays take the whole-array path by construction."""
    from gradkit import parallel

    def refuse(*args, **kwargs):
        raise AssertionError("the CPU thread pool was entered for device work")

    monkeypatch.setattr(parallel, "parallel_for", refuse)
    monkeypatch.setattr(parallel, "_run_pieces", refuse)
    monkeypatch.setattr(parallel, "_own_blas", None)  # any `with _own_blas:` on device work fails
    make, shape = CASES[name]
    old = gk.get_num_threads()
    gk.set_num_threads(4)
    try:
        gk.manual_seed(0)
        net = make().to("cuda")
        opt = gk.optim.Adam(net.parameters(), lr=0.01)
        x = gk.randn(*shape, device="cuda")
        y = gk.randint(0, 3, (shape[0],), device="cuda")
        for _ in range(2):
            opt.zero_grad()
            gk.nn.CrossEntropyLoss()(net(x), y).backward()
            opt.step()
    finally:
        gk.set_num_threads(old)
