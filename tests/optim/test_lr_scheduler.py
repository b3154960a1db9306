"""Schedules: values at chosen epochs against their formulas, torch parity, state_dict."""

import math

import numpy as np
import pytest

import gradkit as gk
from gradkit.optim import lr_scheduler as S


def _opt(lr=0.1, groups=1):
    if groups == 1:
        return gk.optim.SGD([gk.tensor([1.0], requires_grad=True)], lr=lr)
    return gk.optim.SGD([{"params": [gk.tensor([1.0], requires_grad=True)], "lr": lr * (k + 1)} for k in range(groups)],
                        lr=lr)


def _trace(sched, n):
    out = []
    for _ in range(n):
        out.append(sched.get_last_lr()[0])
        sched.optimizer.step()
        sched.step()
    return out


FORMULAS = [
    (lambda o: S.InverseTimeDecay(o, decay_rate=0.5), lambda e: 0.1 / (1 + 0.5 * e)),
    (lambda o: S.InverseTimeDecay(o, decay_rate=1.0, decay_steps=3, staircase=True), lambda e: 0.1 / (1 + e // 3)),
    (lambda o: S.ExponentialLR(o, gamma=0.95), lambda e: 0.1 * 0.95 ** e),
    (lambda o: S.StepLR(o, step_size=3, gamma=0.5), lambda e: 0.1 * 0.5 ** (e // 3)),
    (lambda o: S.MultiStepLR(o, milestones=[2, 5, 5], gamma=0.1), lambda e: 0.1 * 0.1 ** ((e >= 2) + 2 * (e >= 5))),
    (lambda o: S.LambdaLR(o, lambda e: 1 / (e + 1)), lambda e: 0.1 / (e + 1)),
    (lambda o: S.MultiplicativeLR(o, lambda e: 0.9), lambda e: 0.1 * 0.9 ** e),
    (lambda o: S.CosineAnnealingLR(o, T_max=6, eta_min=0.01),
     lambda e: 0.01 + (0.1 - 0.01) * (1 + math.cos(math.pi * e / 6)) / 2),
    (lambda o: S.LinearLR(o, start_factor=0.25, total_iters=4), lambda e: 0.1 * (0.25 + 0.75 * min(e, 4) / 4)),
    (lambda o: S.ConstantLR(o, factor=0.5, total_iters=3), lambda e: 0.1 * (0.5 if e < 3 else 1.0)),
    (lambda o: S.LinearWarmup(o, warmup_steps=4), lambda e: 0.1 * min(1.0, (e + 1) / 4)),
    (lambda o: S.PolynomialLR(o, total_iters=5, power=2.0), lambda e: 0.1 * (1 - min(e, 5) / 5) ** 2),
]


@pytest.mark.parametrize("make,formula", FORMULAS, ids=[f"s{i}" for i in range(len(FORMULAS))])
def test_values_match_formula(make, formula):
    sched = make(_opt())
    got = _trace(sched, 12)
    np.testing.assert_allclose(got, [formula(e) for e in range(12)], rtol=1e-12)
    assert sched.last_epoch == 12
    assert sched.optimizer.param_groups[0]["lr"] == pytest.approx(formula(12), rel=1e-12)


def test_course_decay_values():
    """lr0 = 0.2, decay_rate = 1: epochs 1, 2, 3 give 0.1, 0.0667, 0.05 (the course's table)."""
    sched = S.InverseTimeDecay(_opt(0.2), decay_rate=1.0)
    vals = _trace(sched, 4)
    np.testing.assert_allclose(vals, [0.2, 0.1, 0.2 / 3, 0.05])


def test_groups_have_their_own_base_lr():
    sched = S.ExponentialLR(_opt(0.1, groups=2), gamma=0.5)
    sched.step()
    np.testing.assert_allclose(sched.get_last_lr(), [0.05, 0.1])


def test_sequential_warmup_then_cosine():
    opt = _opt(1.0)
    warm = S.LinearWarmup(opt, warmup_steps=3)
    cos = S.CosineAnnealingLR(opt, T_max=4)
    sched = S.SequentialLR(opt, [warm, cos], milestones=[3])
    got = _trace(sched, 8)
    expected = [1 / 3, 2 / 3, 1.0] + [(1 + math.cos(math.pi * e / 4)) / 2 for e in range(5)]
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)


def test_reduce_on_plateau():
    opt = _opt(1.0)
    sched = S.ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=2, cooldown=1, min_lr=0.2)
    losses = [1.0, 0.9] + [0.9] * 14
    lrs = []
    for loss in losses:
        sched.step(loss)
        lrs.append(sched.get_last_lr()[0])
    # 3 bad epochs (> patience 2) -> halve; 1 cooldown epoch does not count; 3 more bad -> halve; floor 0.2
    assert lrs == [1.0] * 4 + [0.5] * 4 + [0.25] * 4 + [0.2] * 4
    maxed = S.ReduceLROnPlateau(_opt(1.0), mode="max", patience=0, threshold=0.1, threshold_mode="abs")
    maxed.step(0.5)
    maxed.step(0.55)  # not better by more than 0.1
    assert maxed.get_last_lr() == [0.1]
    with pytest.raises(ValueError, match="mode"):
        S.ReduceLROnPlateau(_opt(), mode="up")
    with pytest.raises(ValueError, match="factor"):
        S.ReduceLROnPlateau(_opt(), factor=1.5)


def test_state_dict_resume():
    opt = _opt()
    sched = S.CosineAnnealingLR(opt, T_max=10)
    _trace(sched, 4)
    sd = sched.state_dict()
    assert all(isinstance(v, (int, float, bool, list, type(None))) for v in sd.values()), sd
    opt2 = _opt()
    sched2 = S.CosineAnnealingLR(opt2, T_max=10)
    sched2.load_state_dict(sd)
    assert _trace(sched, 5) == _trace(sched2, 5)
    plateau = S.ReduceLROnPlateau(_opt(), patience=0)
    plateau.step(1.0)
    plateau.step(2.0)
    p2 = S.ReduceLROnPlateau(_opt(), patience=0)
    p2.load_state_dict(plateau.state_dict())
    assert p2.best == 1.0 and p2.last_epoch == 2
    seq = S.SequentialLR(opt, [S.LinearWarmup(opt, 2), S.ExponentialLR(opt, 0.5)], milestones=[2])
    seq.step()
    seq2_opt = _opt()
    seq2 = S.SequentialLR(seq2_opt, [S.LinearWarmup(seq2_opt, 2), S.ExponentialLR(seq2_opt, 0.5)], milestones=[2])
    seq2.load_state_dict(seq.state_dict())
    assert _trace(seq, 4) == _trace(seq2, 4)


def test_bad_arguments():
    with pytest.raises(TypeError, match="Optimizer"):
        S.StepLR(object(), step_size=1)
    with pytest.raises(ValueError, match="step_size"):
        S.StepLR(_opt(), step_size=0)
    with pytest.raises(ValueError, match="start_factor"):
        S.LinearLR(_opt(), start_factor=0.0)
    with pytest.raises(ValueError, match="initial_lr"):
        S.StepLR(_opt(), step_size=1, last_epoch=3)
    with pytest.raises(ValueError, match="milestones"):
        o = _opt()
        S.SequentialLR(o, [S.StepLR(o, 1), S.StepLR(o, 1)], milestones=[])
    with pytest.raises(ValueError, match="one per group"):
        S.LambdaLR(_opt(groups=2), [lambda e: 1.0])


torch = None


@pytest.mark.parametrize("name,kw", [
    ("ExponentialLR", dict(gamma=0.9)),
    ("StepLR", dict(step_size=3, gamma=0.3)),
    ("MultiStepLR", dict(milestones=[2, 4], gamma=0.5)),
    ("CosineAnnealingLR", dict(T_max=5, eta_min=0.001)),
    ("LinearLR", dict(start_factor=0.2, end_factor=0.9, total_iters=4)),
    ("ConstantLR", dict(factor=0.4, total_iters=2)),
    ("PolynomialLR", dict(total_iters=6, power=1.5)),
])
def test_matches_torch(name, kw):
    torch = pytest.importorskip("torch")
    p = torch.nn.Parameter(torch.zeros(1))
    topt = torch.optim.SGD([p], lr=0.1)
    tsched = getattr(torch.optim.lr_scheduler, name)(topt, **kw)
    gsched = getattr(S, name)(_opt(0.1), **kw)
    for _ in range(12):
        assert gsched.get_last_lr()[0] == pytest.approx(tsched.get_last_lr()[0], rel=1e-9, abs=1e-15)
        topt.step()
        tsched.step()
        gsched.optimizer.step()
        gsched.step()


def test_reduce_on_plateau_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    losses = np.cumsum(rng.standard_normal(60)) * 0.1 + 5
    for kw in [dict(mode="min", patience=2, cooldown=1), dict(mode="max", factor=0.5, patience=1, threshold_mode="abs",
                                                               threshold=0.05, min_lr=0.01)]:
        p = torch.nn.Parameter(torch.zeros(1))
        topt = torch.optim.SGD([p], lr=0.1)
        tsched = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **kw)
        gsched = S.ReduceLROnPlateau(_opt(0.1), **kw)
        for loss in losses:
            tsched.step(float(loss))
            gsched.step(float(loss))
            assert gsched.get_last_lr()[0] == pytest.approx(tsched.get_last_lr()[0], rel=1e-12)


def test_multiplicative_lr_calls_its_lambda_once_per_step_and_recomputes_after_a_jump():
    opt = gk.optim.SGD([gk.tensor([1.0], requires_grad=True)], lr=1.0)
    calls = []
    s = S.MultiplicativeLR(opt, lambda e: (calls.append(e), 0.5 + 0.1 * e)[1])
    for _ in range(4):
        s.step()
    assert calls == [1, 2, 3, 4]  # one call per step, not a growing loop
    expected = 1.0
    for e in range(1, 5):
        expected *= 0.5 + 0.1 * e
    assert s.get_last_lr()[0] == expected
    state = s.state_dict()
    fresh = S.MultiplicativeLR(opt, lambda e: 0.5 + 0.1 * e)
    fresh.load_state_dict(state)
    fresh.step()
    assert fresh.get_last_lr()[0] == pytest.approx(expected * (0.5 + 0.1 * 5))


def test_numpy_scalar_arguments_match_python_ones():
    a = S.StepLR(_opt(), step_size=np.int64(2), gamma=np.float32(0.5))
    b = S.StepLR(_opt(), step_size=2, gamma=0.5)
    assert type(a.step_size) is int and type(a.gamma) is float
    assert _trace(a, 5) == _trace(b, 5)
    c = S.CosineAnnealingLR(_opt(), T_max=np.int32(4), eta_min=np.float64(0.01))
    assert _trace(c, 6) == _trace(S.CosineAnnealingLR(_opt(), T_max=4, eta_min=0.01), 6)
    with pytest.raises(ValueError, match=r"invalid gamma: expected a number >= 0"):
        S.ExponentialLR(_opt(), gamma=-0.1)
    with pytest.raises(ValueError, match=r"invalid T_max: expected a positive integer"):
        S.CosineAnnealingLR(_opt(), T_max=np.int64(0))
    with pytest.raises(ValueError, match="step_size"):
        S.StepLR(_opt(), step_size=2.0)
