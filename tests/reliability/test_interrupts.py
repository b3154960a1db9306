"""A Ctrl-C at any phase of a step leaves either an exact checkpoint or none (the previous one stays).

Each case interrupts a run (dropout, an augmentation drawing from gradkit's RNG, Adam, a dev set,
a schedule) at one phase of one step with a ``KeyboardInterrupt``, then resumes from whatever
checkpoint is on disk in a freshly seeded process state and checks that the final weights equal
those of the uninterrupted run bit for bit.
"""

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import gradkit as gk
from gradkit.io import _format
from gradkit.train import callbacks as C

EPOCHS, STOP_EPOCH, STOP_BATCH = 3, 1, 2


class Tripwire(gk.nn.Module):
    """Identity; raises KeyboardInterrupt in forward or backward when armed for that phase."""

    phase = None
    armed = False

    def forward(self, x):
        if Tripwire.armed and Tripwire.phase == ("forward" if self.training else "dev_forward"):
            Tripwire.armed = False
            raise KeyboardInterrupt
        return _Boom.apply(x) if self.training else x


class _Boom(gk.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x

    @staticmethod
    def backward(ctx, g):
        if Tripwire.armed and Tripwire.phase == "backward":
            Tripwire.armed = False
            raise KeyboardInterrupt
        return g


def _augment(x):
    return x + 0.01 * gk.randn(*x.shape).numpy().astype(x.dtype)


def _setup(seed=0):
    gk.manual_seed(seed)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 4)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64) + (X[:, 1] > 0)
    net = gk.nn.Sequential(gk.nn.Linear(4, 16), gk.nn.ReLU(), gk.nn.Dropout(0.3), Tripwire(), gk.nn.Linear(16, 3))
    if seed != 0:  # a resumed process starts from other weights; the checkpoint must restore them
        for p in net.parameters():
            p.array[...] = 7.0
    opt = gk.optim.Adam(net.parameters(), lr=0.01)
    return X, y, net, opt


class Arm(C.Callback):
    """Arms the tripwire at (STOP_EPOCH, STOP_BATCH); raises itself for the callback phases."""

    def __init__(self, phase):
        self.phase = phase

    def _here(self, batch):
        return self.trainer.epoch == STOP_EPOCH and batch == STOP_BATCH

    def on_batch_begin(self, batch, logs=None):
        if self._here(batch):
            if self.phase == "on_batch_begin":
                raise KeyboardInterrupt
            if self.phase in ("forward", "backward"):
                Tripwire.phase, Tripwire.armed = self.phase, True
            if self.phase == "first_ctrl_c":
                self.trainer._sigint = True

    def on_batch_end(self, batch, logs=None):
        if self._here(batch) and self.phase == "on_batch_end":
            raise KeyboardInterrupt

    def on_epoch_end(self, epoch, logs=None):
        if epoch == STOP_EPOCH and self.phase == "on_epoch_end":
            raise KeyboardInterrupt


def _fit(net, opt, X, y, ckpt, callbacks=(), resume=None):
    sched = gk.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    return gk.train.fit(net, "cross_entropy", opt, (X, y), (X, y), epochs=EPOCHS, batch_size=16, verbose=0,
                        checkpoint=ckpt, resume=resume, augment=_augment, schedule=sched,
                        callbacks=[Arm("none"), *callbacks])


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    X, y, net, opt = _setup()
    _fit(net, opt, X, y, tmp_path_factory.mktemp("ref") / "c.safetensors", callbacks=[Arm("none")])
    return {k: v.numpy().copy() for k, v in net.state_dict().items()}


class StepRaises(gk.optim.Adam):
    """Adam whose step raises once, before or after updating, at the armed step."""

    when = None
    count = 0
    at = None

    def step(self, closure=None):
        StepRaises.count += 1
        if StepRaises.count == StepRaises.at and StepRaises.when == "before":
            raise KeyboardInterrupt
        out = super().step(closure)
        if StepRaises.count == StepRaises.at and StepRaises.when == "after":
            raise KeyboardInterrupt
        return out


PHASES = ["on_batch_begin", "forward", "backward", "step_before", "step_after", "on_batch_end", "on_epoch_end",
          "dev_forward", "checkpoint_write", "first_ctrl_c", "loss"]


@pytest.mark.parametrize("phase", PHASES)
def test_interrupt_at_every_phase_leaves_an_exact_checkpoint_or_none(phase, tmp_path, reference, monkeypatch,
                                                                     capsys):
    ckpt = tmp_path / "run.safetensors"
    X, y, net, opt = _setup()
    Tripwire.armed = False
    if phase.startswith("step_"):
        opt = StepRaises(net.parameters(), lr=0.01)
        StepRaises.when, StepRaises.count, StepRaises.at = phase[5:], 0, STOP_EPOCH * 4 + STOP_BATCH + 1
    if phase == "dev_forward":
        class ArmDev(C.Callback):
            def on_batch_end(self, batch, logs=None):
                if self.trainer.epoch == STOP_EPOCH and batch == 3:
                    Tripwire.phase, Tripwire.armed = "dev_forward", True
        extra = [ArmDev()]
    else:
        extra = [Arm(phase)]
    if phase == "checkpoint_write":
        calls = {"n": 0}
        real = _format._write_payload

        def flaky(f, payload):
            calls["n"] += 1
            if calls["n"] == STOP_EPOCH + 1:  # the epoch-end save of STOP_EPOCH
                f.write(bytes(memoryview(payload)[:10]))
                raise KeyboardInterrupt
            return real(f, payload)

        monkeypatch.setattr(_format, "_write_payload", flaky)
    loss = "cross_entropy"
    if phase == "loss":
        ce = gk.nn.CrossEntropyLoss()
        n = {"i": 0}

        def loss(out, target):
            n["i"] += 1
            if n["i"] == STOP_EPOCH * 4 + STOP_BATCH + 1:
                raise KeyboardInterrupt
            return ce(out, target)
    sched = gk.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    hist = gk.train.fit(net, loss, opt, (X, y), (X, y), epochs=EPOCHS, batch_size=16, verbose=0, checkpoint=ckpt,
                        augment=_augment, schedule=sched, callbacks=[Arm("none"), *extra])
    monkeypatch.undo()
    assert hist.interrupted, phase
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]
    assert ckpt.exists()  # at least the first epoch's checkpoint
    X, y, net2, opt2 = _setup(seed=123)
    _fit(net2, opt2, X, y, ckpt, resume=ckpt, callbacks=[Arm("none")])  # callbacks' states match by position
    for k, v in net2.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), reference[k], err_msg=f"{phase}: {k}")


def test_interrupt_in_a_step_writes_nothing_new(tmp_path, capsys):
    ckpt = tmp_path / "run.safetensors"
    X, y, net, opt = _setup()
    Tripwire.armed = False
    _fit(net, opt, X, y, ckpt, callbacks=[Arm("backward")])
    before = gk.io.load_checkpoint(ckpt)["epoch"]
    assert before == STOP_EPOCH  # the last epoch-end checkpoint, not a half step
    assert "no checkpoint written" in capsys.readouterr().err


_SCRIPT = textwrap.dedent("""
    import sys, numpy as np, gradkit as gk
    ckpt, mode = sys.argv[1], sys.argv[2]
    gk.manual_seed(0 if mode != "resume" else 5)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((2048, 8)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    net = gk.nn.Sequential(gk.nn.Linear(8, 64), gk.nn.ReLU(), gk.nn.Dropout(0.2), gk.nn.Linear(64, 2))
    opt = gk.optim.Adam(net.parameters(), lr=1e-3)
    print("ready", flush=True)
    gk.train.fit(net, "cross_entropy", opt, (X, y), epochs=4, batch_size=8, verbose=0,
                 checkpoint=None if mode == "ref" else ckpt, resume=ckpt if mode == "resume" else None)
    if mode != "train":
        np.save(sys.argv[3], np.concatenate([p.numpy().ravel() for p in net.parameters()]))
""")


@pytest.mark.slow
def test_real_double_sigint_to_a_subprocess(tmp_path):
    script = tmp_path / "t.py"
    script.write_text(_SCRIPT)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.path.join(os.path.dirname(__file__), "..", "..", "src"),
                                                       os.environ.get("PYTHONPATH", "")]))
    run = [sys.executable, str(script)]
    subprocess.run(run + [str(tmp_path / "x"), "ref", str(tmp_path / "ref.npy")], env=env, check=True, timeout=120)
    ref = np.load(tmp_path / "ref.npy")
    for i, delay in enumerate((0.6, 1.3)):
        ckpt = tmp_path / f"c{i}.safetensors"
        p = subprocess.Popen(run + [str(ckpt), "train"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert p.stdout.readline().strip() == b"ready"
        time.sleep(delay)
        p.send_signal(signal.SIGINT)
        time.sleep(0.002 * (i + 1))
        p.send_signal(signal.SIGINT)
        p.communicate(timeout=120)
        assert not [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]
        if not ckpt.exists():
            continue  # interrupted mid-step before any checkpoint: nothing written, which is allowed
        out = tmp_path / f"r{i}.npy"
        subprocess.run(run + [str(ckpt), "resume", str(out)], env=env, check=True, timeout=120)
        np.testing.assert_array_equal(np.load(out), ref)


def test_resume_with_other_callbacks_warns(tmp_path):
    ckpt = tmp_path / "run.safetensors"
    X, y, net, opt = _setup()
    _fit(net, opt, X, y, ckpt, callbacks=[Arm("on_batch_begin")])
    X, y, net, opt = _setup(seed=3)
    with pytest.warns(UserWarning, match="restored by position"):
        _fit(net, opt, X, y, ckpt, resume=ckpt)
