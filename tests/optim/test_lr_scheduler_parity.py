"""Every torch.optim.lr_scheduler schedule: the same lr (and momentum) sequence as torch over many
steps with two param groups, get_last_lr(), and a state_dict round trip that continues identically."""

import json
import math

import numpy as np
import pytest

import gradkit as gk
from gradkit.optim import lr_scheduler as S

torch = pytest.importorskip("torch")

STEPS = 60

CASES = [
    ("LambdaLR", lambda m: dict(lr_lambda=lambda e: 1 / (1 + 0.1 * e))),
    ("MultiplicativeLR", lambda m: dict(lr_lambda=lambda e: 0.97)),
    ("StepLR", lambda m: dict(step_size=7, gamma=0.5)),
    ("MultiStepLR", lambda m: dict(milestones=[5, 20, 20, 41], gamma=0.3)),
    ("ConstantLR", lambda m: dict(factor=0.25, total_iters=9)),
    ("LinearLR", lambda m: dict(start_factor=0.1, end_factor=0.8, total_iters=25)),
    ("ExponentialLR", lambda m: dict(gamma=0.95)),
    ("PolynomialLR", lambda m: dict(total_iters=40, power=2.0)),
    ("CosineAnnealingLR", lambda m: dict(T_max=17, eta_min=0.001)),
    ("CosineAnnealingWarmRestarts", lambda m: dict(T_0=5, T_mult=2, eta_min=0.002)),
    ("CosineAnnealingWarmRestarts", lambda m: dict(T_0=7)),
    ("CyclicLR", lambda m: dict(base_lr=0.01, max_lr=[0.1, 0.2], step_size_up=6, step_size_down=4)),
    ("CyclicLR", lambda m: dict(base_lr=0.01, max_lr=0.1, step_size_up=5, mode="triangular2")),
    ("CyclicLR", lambda m: dict(base_lr=0.01, max_lr=0.1, step_size_up=5, mode="exp_range", gamma=0.97,
                                base_momentum=0.7, max_momentum=0.95)),
    ("CyclicLR", lambda m: dict(base_lr=0.01, max_lr=0.1, step_size_up=3, cycle_momentum=False)),
    ("OneCycleLR", lambda m: dict(max_lr=[0.5, 1.0], total_steps=STEPS + 1)),
    ("OneCycleLR", lambda m: dict(max_lr=0.5, epochs=6, steps_per_epoch=11, anneal_strategy="linear",
                                  pct_start=0.25)),
    ("OneCycleLR", lambda m: dict(max_lr=0.5, total_steps=STEPS, three_phase=True, div_factor=10)),
]

OPTIMIZERS = [("SGD", dict(momentum=0.9)), ("Adam", dict())]


def _pair(opt_name, okw):
    tp = [torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(3))]
    gp = [gk.tensor(np.zeros(2, np.float32), requires_grad=True), gk.tensor(np.zeros(3, np.float32),
                                                                             requires_grad=True)]
    topt = getattr(torch.optim, opt_name)([{"params": tp[:1]}, {"params": tp[1:], "lr": 0.2}], lr=0.1, **okw)
    gopt = getattr(gk.optim, opt_name)([{"params": gp[:1]}, {"params": gp[1:], "lr": 0.2}], lr=0.1, **okw)
    return topt, gopt


def _momenta(opt):
    return [g["betas"][0] if "betas" in g else g.get("momentum") for g in opt.param_groups]


def _check_same(tsched, gsched, topt, gopt, where):
    np.testing.assert_allclose(gsched.get_last_lr(), tsched.get_last_lr(), rtol=1e-9, atol=1e-15, err_msg=where)
    np.testing.assert_allclose([g["lr"] for g in gopt.param_groups], [g["lr"] for g in topt.param_groups],
                               rtol=1e-9, atol=1e-15, err_msg=where)
    np.testing.assert_allclose(np.asarray(_momenta(gopt), dtype=float), np.asarray(_momenta(topt), dtype=float),
                               rtol=1e-9, err_msg=where)


@pytest.mark.parametrize("opt_name,okw", OPTIMIZERS, ids=[o for o, _ in OPTIMIZERS])
@pytest.mark.parametrize("name,make", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_lr_sequence_matches_torch(name, make, opt_name, okw):
    topt, gopt = _pair(opt_name, okw)
    tsched = getattr(torch.optim.lr_scheduler, name)(topt, **make(torch))
    gsched = getattr(S, name)(gopt, **make(gk))
    for step in range(STEPS):
        _check_same(tsched, gsched, topt, gopt, f"step {step}")
        topt.step()
        gopt.step()
        tsched.step()
        gsched.step()


def _json(sd):
    return json.loads(json.dumps(sd))


@pytest.mark.parametrize("name,make", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_state_dict_round_trip_continues_identically(name, make):
    _, opt1 = _pair("SGD", dict(momentum=0.9))
    s1 = getattr(S, name)(opt1, **make(gk))
    for _ in range(23):
        opt1.step()
        s1.step()
    _, opt2 = _pair("SGD", dict(momentum=0.9))
    s2 = getattr(S, name)(opt2, **make(gk))
    opt2.load_state_dict(opt1.state_dict())
    s2.load_state_dict(_json(s1.state_dict()))
    assert s2.get_last_lr() == s1.get_last_lr()
    for _ in range(STEPS - 24):
        s1.step()
        s2.step()
        assert s2.get_last_lr() == s1.get_last_lr()
        assert _momenta(opt2) == _momenta(opt1)


def test_warm_restarts_fractional_epochs_match_torch():
    topt, gopt = _pair("SGD", {})
    t = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(topt, T_0=3, T_mult=2)
    g = S.CosineAnnealingWarmRestarts(gopt, T_0=3, T_mult=2)
    for e in np.arange(0, 20, 0.25):
        t.step(float(e))
        g.step(float(e))
        np.testing.assert_allclose(g.get_last_lr(), t.get_last_lr(), rtol=1e-12)


@pytest.mark.parametrize("opt_name,okw", OPTIMIZERS, ids=[o for o, _ in OPTIMIZERS])
def test_sequential_and_chained_match_torch(opt_name, okw):
    def build(lib, opt):
        L = lib.optim.lr_scheduler
        seq = L.SequentialLR(opt, [L.LinearLR(opt, start_factor=0.1, total_iters=5),
                                   L.CosineAnnealingLR(opt, T_max=20, eta_min=0.001),
                                   L.StepLR(opt, step_size=4, gamma=0.5)], milestones=[5, 25])
        return seq

    topt, gopt = _pair(opt_name, okw)
    ts, gs = build(torch, topt), build(gk, gopt)
    for step in range(STEPS):
        _check_same(ts, gs, topt, gopt, f"sequential step {step}")
        topt.step()
        ts.step()
        gs.step()
    topt, gopt = _pair(opt_name, okw)
    L, M = torch.optim.lr_scheduler, S
    tc = L.ChainedScheduler([L.ConstantLR(topt, factor=0.1, total_iters=4), L.ExponentialLR(topt, gamma=0.9),
                             L.MultiStepLR(topt, milestones=[10, 30], gamma=0.5)])
    gc = M.ChainedScheduler([M.ConstantLR(gopt, factor=0.1, total_iters=4), M.ExponentialLR(gopt, gamma=0.9),
                             M.MultiStepLR(gopt, milestones=[10, 30], gamma=0.5)])
    for step in range(STEPS):
        _check_same(tc, gc, topt, gopt, f"chained step {step}")
        topt.step()
        tc.step()
        gc.step()


def test_reduce_on_plateau_matches_torch_with_groups():
    rng = np.random.default_rng(0)
    losses = np.cumsum(rng.standard_normal(80)) * 0.1 + 5
    topt, gopt = _pair("SGD", {})
    kw = dict(mode="min", factor=0.5, patience=3, cooldown=2, min_lr=[0.001, 0.02])
    t = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **kw)
    g = S.ReduceLROnPlateau(gopt, **kw)
    for loss in losses:
        t.step(float(loss))
        g.step(float(loss))
        np.testing.assert_allclose(g.get_last_lr(), t.get_last_lr(), rtol=1e-12)


def test_one_cycle_errors_and_momentum_needs():
    _, opt = _pair("SGD", {})
    with pytest.raises(ValueError, match="total_steps"):
        S.OneCycleLR(opt, max_lr=0.1)
    s = S.OneCycleLR(opt, max_lr=0.1, total_steps=3)
    for _ in range(3):
        s.step()
    with pytest.raises(ValueError, match="more than total_steps=3"):
        s.step()
    ada = gk.optim.Adagrad([gk.tensor([1.0], requires_grad=True)])
    with pytest.raises(ValueError, match="cycle_momentum=False"):
        S.CyclicLR(ada, base_lr=0.01, max_lr=0.1)
    S.CyclicLR(ada, base_lr=0.01, max_lr=0.1, cycle_momentum=False)
    assert math.isclose(ada.param_groups[0]["lr"], 0.01)


@pytest.mark.parametrize("pair", [
    ("ExponentialLR", dict(gamma=0.9), "MultiStepLR", dict(milestones=[7, 30], gamma=0.1)),  # torch's doc example
    ("ConstantLR", dict(factor=0.1, total_iters=6), "ExponentialLR", dict(gamma=0.95)),
    ("LinearLR", dict(start_factor=0.2, total_iters=8), "CosineAnnealingLR", dict(T_max=40)),
    ("StepLR", dict(step_size=5, gamma=0.5), "LambdaLR", dict(lr_lambda=lambda e: 0.98 ** e)),
])
def test_two_schedulers_stepped_on_one_optimizer_compose_as_in_torch(pair):
    n1, k1, n2, k2 = pair
    topt, gopt = _pair("SGD", dict(momentum=0.9))
    t1 = getattr(torch.optim.lr_scheduler, n1)(topt, **k1)
    t2 = getattr(torch.optim.lr_scheduler, n2)(topt, **k2)
    g1 = getattr(S, n1)(gopt, **k1)
    g2 = getattr(S, n2)(gopt, **k2)
    for step in range(STEPS):
        np.testing.assert_allclose([g["lr"] for g in gopt.param_groups], [g["lr"] for g in topt.param_groups],
                                   rtol=1e-9, err_msg=f"step {step}")
        topt.step()
        gopt.step()
        for t, g in ((t1, g1), (t2, g2)):
            t.step()
            g.step()


def test_a_hand_set_rate_is_then_scaled_by_the_schedule_as_in_torch():
    topt, gopt = _pair("SGD", {})
    t = torch.optim.lr_scheduler.StepLR(topt, step_size=3, gamma=0.5)
    g = S.StepLR(gopt, step_size=3, gamma=0.5)
    for step in range(12):
        if step == 4:
            for opt in (topt, gopt):
                for group in opt.param_groups:
                    group["lr"] = 0.05
        topt.step()
        gopt.step()
        t.step()
        g.step()
        np.testing.assert_allclose(g.get_last_lr(), t.get_last_lr(), rtol=1e-12, err_msg=f"step {step}")


def test_chained_with_warm_restarts_matches_torch():
    topt, gopt = _pair("SGD", dict(momentum=0.9))
    L = torch.optim.lr_scheduler
    tc = L.ChainedScheduler([L.CosineAnnealingWarmRestarts(topt, T_0=5), L.ExponentialLR(topt, gamma=0.97)])
    gc = S.ChainedScheduler([S.CosineAnnealingWarmRestarts(gopt, T_0=5), S.ExponentialLR(gopt, gamma=0.97)])
    for step in range(30):
        _check_same(tc, gc, topt, gopt, f"step {step}")
        topt.step()
        tc.step()
        gc.step()
