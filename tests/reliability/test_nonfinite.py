"""Non-finite losses stop fit; non-finite or out-of-range hyperparameters are refused where they enter."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradkit as gk
from gradkit.io import CheckpointError

INF, NAN = float("inf"), float("nan")


def _data(n=32):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, 3)).astype(np.float32)
    return X, (X[:, 0] > 0).astype(np.int64)


def _w():
    return gk.zeros(3, requires_grad=True)


# ---------------------------------------------------------------- fit stops at a non-finite loss
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_fit_stops_at_nan_loss_and_keeps_the_last_good_checkpoint(tmp_path, capsys):
    X, y = _data()
    net = gk.nn.Linear(3, 2)
    ckpt = tmp_path / "c.safetensors"

    class Poison(gk.train.callbacks.Callback):
        def on_batch_begin(self, batch, logs=None):
            if self.trainer.epoch == 2 and batch == 1:
                net.weight.array[...] = np.inf

    hist = gk.train.fit(net, "cross_entropy", "sgd", (X, y), epochs=5, batch_size=8, verbose=0, checkpoint=ckpt,
                        callbacks=[Poison()])
    assert len(hist) == 3 and hist.nonfinite["epoch"] == 2 and hist.nonfinite["batch"] == 1
    err = capsys.readouterr().err
    assert "epoch 3, batch 2" in err and "stop_on_nonfinite=False" in err
    ck = gk.io.load_checkpoint(ckpt)
    assert ck["epoch"] == 2 and all(np.isfinite(v.numpy()).all() for v in ck["model"].values())


def test_stop_on_nonfinite_false_goes_on_but_never_writes_nonfinite_weights(tmp_path, capsys):
    X, y = _data()
    net = gk.nn.Linear(3, 2)
    ckpt = tmp_path / "c.safetensors"

    class Poison(gk.train.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                net.weight.array[...] = np.nan

    hist = gk.train.fit(net, "cross_entropy", "sgd", (X, y), epochs=4, batch_size=8, verbose=0, checkpoint=ckpt,
                        callbacks=[Poison()], stop_on_nonfinite=False)
    assert len(hist) == 4
    assert gk.io.load_checkpoint(ckpt)["epoch"] == 1  # epochs 2..4 had nan weights: not written
    assert "holds nan or inf" in capsys.readouterr().err


def test_keras_terminate_on_nan_still_works():
    X, y = _data()
    net = gk.nn.Linear(3, 2)
    cb = gk.train.callbacks.TerminateOnNaN()

    class Poison(gk.train.callbacks.Callback):
        def on_batch_begin(self, batch, logs=None):
            if self.trainer.epoch == 1 and batch == 2:
                net.bias.array[...] = np.nan

    gk.train.fit(net, "cross_entropy", "sgd", (X, y), epochs=3, batch_size=8, verbose=0, callbacks=[Poison(), cb])
    assert cb.terminated_at == (1, 2) and np.isfinite(net.bias.numpy()).all()


def test_model_checkpoint_does_not_save_nonfinite_weights(tmp_path):
    X, y = _data()
    net = gk.nn.Linear(3, 2)
    path = tmp_path / "best.safetensors"

    class Poison(gk.train.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                net.weight.array[...] = np.nan

    gk.train.fit(net, "cross_entropy", "sgd", (X, y), epochs=3, batch_size=8, verbose=0, stop_on_nonfinite=False,
                 callbacks=[Poison(), gk.train.callbacks.ModelCheckpoint(path, monitor="loss")])
    assert np.isfinite(gk.load(path)["weight"].numpy()).all()


# ---------------------------------------------------------------- fit's own arguments
@pytest.mark.parametrize("kw, exc, match", [
    ({"epochs": 2.5}, TypeError, "epochs must be an int"),
    ({"epochs": "3"}, TypeError, "epochs must be an int"),
    ({"epochs": -1}, ValueError, "epochs"),
    ({"batch_size": 0}, ValueError, "batch_size"),
    ({"batch_size": -4}, ValueError, "batch_size"),
    ({"batch_size": 2.0}, ValueError, "batch_size"),
])
def test_fit_arguments_refused(kw, exc, match):
    X, y = _data()
    with pytest.raises(exc, match=match):
        gk.train.fit(gk.nn.Linear(3, 2), "cross_entropy", "sgd", (X, y), verbose=0, **kw)


def test_empty_dataset_refused():
    X, y = _data()
    with pytest.raises(ValueError, match="empty"):
        gk.train.fit(gk.nn.Linear(3, 2), "cross_entropy", "sgd", (X[:0], y[:0]), verbose=0)


# ---------------------------------------------------------------- optimizers
BAD_OPTIONS = [
    ("SGD", {"lr": INF}), ("SGD", {"lr": NAN}), ("SGD", {"lr": -1.0}), ("SGD", {"lr": 0.1, "weight_decay": INF}),
    ("SGD", {"lr": 0.1, "momentum": 1.5}), ("SGD", {"lr": 0.1, "momentum": -0.1}), ("SGD", {"lr": 0.1, "momentum": NAN}),
    ("SGD", {"lr": 0.1, "dampening": INF}), ("Adam", {"lr": INF}), ("Adam", {"betas": (0.9, 1.0)}),
    ("Adam", {"betas": (NAN, 0.9)}), ("Adam", {"eps": INF}), ("Adam", {"weight_decay": INF}),
    ("AdamW", {"weight_decay": INF}), ("RMSprop", {"alpha": 2.0}), ("RMSprop", {"lr": INF}),
    ("Adagrad", {"lr": INF}), ("Adagrad", {"lr_decay": INF}),
]


@pytest.mark.parametrize("name, kw", BAD_OPTIONS, ids=[f"{n}-{k}" for n, k in BAD_OPTIONS])
def test_bad_hyperparameter_refused_at_construction(name, kw):
    with pytest.raises(ValueError, match="invalid"):
        getattr(gk.optim, name)([_w()], **kw)


def test_bad_hyperparameter_refused_in_add_param_group():
    opt = gk.optim.SGD([_w()], lr=0.1)
    with pytest.raises(ValueError, match=r"param_groups\[1\].*lr"):
        opt.add_param_group({"params": [_w()], "lr": INF})


@settings(max_examples=40, deadline=None)
@given(lr=st.floats(allow_nan=True, allow_infinity=True), mom=st.floats(allow_nan=True, allow_infinity=True))
def test_sgd_accepts_exactly_the_valid_range(lr, mom):
    valid = math.isfinite(lr) and lr >= 0 and math.isfinite(mom) and 0 <= mom < 1
    try:
        gk.optim.SGD([_w()], lr=lr, momentum=mom)
        accepted = True
    except ValueError:
        accepted = False
    assert accepted == valid


# ---------------------------------------------------------------- schedules
def test_schedule_factor_inf_refused():
    for make in (lambda o: gk.optim.lr_scheduler.StepLR(o, 1, gamma=INF),
                 lambda o: gk.optim.lr_scheduler.ExponentialLR(o, gamma=INF),
                 lambda o: gk.optim.lr_scheduler.CosineAnnealingLR(o, T_max=5, eta_min=NAN)):
        with pytest.raises(ValueError, match="invalid"):
            make(gk.optim.SGD([_w()], lr=0.1))


def test_schedule_refused_at_the_step_that_produces_nan():
    opt = gk.optim.SGD([_w()], lr=0.1)
    sched = gk.optim.lr_scheduler.LambdaLR(opt, lambda e: 1.0 if e < 2 else NAN)
    sched.step()
    with pytest.raises(ValueError, match=r"LambdaLR: step 2 produced learning rate nan"):
        sched.step()
    assert opt.param_groups[0]["lr"] == 0.1  # not applied


def test_schedule_overflow_to_inf_refused():
    opt = gk.optim.SGD([_w()], lr=1.0)
    sched = gk.optim.lr_scheduler.ExponentialLR(opt, gamma=1e200)
    with pytest.raises(ValueError, match="produced learning rate inf"):
        sched.step()
        sched.step()


# ---------------------------------------------------------------- checkpoints being resumed
def _ckpt(tmp_path, mutate):
    net = gk.nn.Linear(3, 2)
    opt = gk.optim.Adam(net.parameters(), lr=0.01)
    net(gk.randn(4, 3)).sum().backward()
    opt.step()
    sd = opt.state_dict()
    rng = gk.get_rng_state()
    model = net.state_dict()
    mutate(sd, rng, model)
    path = tmp_path / "c.safetensors"
    gk.io.save_checkpoint(path, model=model, optimizer=sd, rng=rng)
    return path, gk.nn.Linear(3, 2)


BAD_CKPTS = {
    "lr_inf": (lambda sd, rng, m: sd["param_groups"][0].__setitem__("lr", INF), "lr"),
    "lr_string": (lambda sd, rng, m: sd["param_groups"][0].__setitem__("lr", "fast"), "lr"),
    "betas_bad": (lambda sd, rng, m: sd["param_groups"][0].__setitem__("betas", (0.9, 7.0)), "betas"),
    "moment_nan": (lambda sd, rng, m: sd["state"][0]["exp_avg"].__setitem__(Ellipsis, np.nan), "exp_avg"),
    "state_not_dict": (lambda sd, rng, m: sd["state"].__setitem__(0, [1, 2]), r"state\[0\]"),
    "groups_not_list": (lambda sd, rng, m: sd.__setitem__("param_groups", {"a": 1}), "param_groups"),
    "rng_kind": (lambda sd, rng, m: rng.__setitem__("bit_generator", "MT19937"), "PCG64"),
    "rng_state_str": (lambda sd, rng, m: rng.__setitem__("state", "12"), "state"),
    "rng_negative": (lambda sd, rng, m: rng.__setitem__("inc", -3), "inc"),
    "weights_nan": (lambda sd, rng, m: m["weight"].array.__setitem__(Ellipsis, np.nan), "weight"),
}


@pytest.mark.parametrize("case", list(BAD_CKPTS))
def test_bad_checkpoint_refused_when_loaded_before_anything_changes(tmp_path, case):
    mutate, match = BAD_CKPTS[case]
    path, net = _ckpt(tmp_path, mutate)
    before = {k: v.numpy().copy() for k, v in net.state_dict().items()}
    rng_before = gk.get_rng_state()
    opt = gk.optim.Adam(net.parameters(), lr=0.01)
    with pytest.raises(CheckpointError, match=match):
        gk.io.restore_checkpoint(path, model=net, optimizer=opt)
    assert all((v.numpy() == before[k]).all() for k, v in net.state_dict().items())
    assert gk.get_rng_state() == rng_before


def test_malformed_trainer_state_refused_naming_the_key(tmp_path):
    X, y = _data()
    net = gk.nn.Linear(3, 2)
    ckpt = tmp_path / "c.safetensors"
    hist = gk.train.fit(net, "cross_entropy", "sgd", (X, y), epochs=1, batch_size=8, verbose=0, checkpoint=ckpt)
    ck = gk.io.load_checkpoint(ckpt)
    ck["extra"]["epoch"] = "one"
    gk.io.save_checkpoint(ckpt, model=ck["model"], optimizer=ck["optimizer"], loader=ck["loader"], rng=ck["rng"],
                          epoch=ck["epoch"], history=ck["history"], extra=ck["extra"])
    opt = hist.trainer.optimizer
    with pytest.raises(CheckpointError, match="epoch"):
        gk.train.fit(net, "cross_entropy", opt, (X, y), epochs=2, batch_size=8, verbose=0, resume=ckpt)
