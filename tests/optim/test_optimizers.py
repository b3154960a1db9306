"""Optimizer behaviour: hand-computed first steps, convergence, groups, state_dict lockstep, errors."""

import json

import numpy as np
import pytest

import gradkit as gk
from gradkit.optim import optimizer as optmod


def _param(values, dtype="float64"):
    return gk.tensor(values, dtype=dtype, requires_grad=True)


def _set_grad(p, g):
    p.grad = gk.tensor(np.asarray(g, dtype=p.dtype))


# ---------------------------------------------------------------- hand-computed first steps
def test_sgd_plain_step():
    w = _param([1.0, -2.0])
    opt = gk.optim.SGD([w], lr=0.1)
    _set_grad(w, [0.5, 1.0])
    opt.step()
    np.testing.assert_allclose(w.numpy(), [1.0 - 0.05, -2.0 - 0.1])
    assert opt.state_dict()["state"] == {}  # no momentum: no state, as in torch


def test_sgd_momentum_two_steps_by_hand():
    w = _param([1.0])
    opt = gk.optim.SGD([w], lr=0.1, momentum=0.9)
    _set_grad(w, [2.0])
    opt.step()  # b1 = g1 = 2 -> w = 1 - 0.2
    np.testing.assert_allclose(w.numpy(), [0.8])
    _set_grad(w, [1.0])
    opt.step()  # b2 = 0.9*2 + 1 = 2.8 -> w = 0.8 - 0.28
    np.testing.assert_allclose(w.numpy(), [0.52])
    np.testing.assert_allclose(opt.state[w]["momentum_buffer"], [2.8])


def test_sgd_nesterov_two_steps_by_hand():
    w = _param([1.0])
    opt = gk.optim.SGD([w], lr=0.1, momentum=0.9, nesterov=True)
    _set_grad(w, [2.0])
    opt.step()  # b1 = 2, d = g + 0.9 b = 3.8 -> w = 1 - 0.38
    np.testing.assert_allclose(w.numpy(), [0.62])
    _set_grad(w, [1.0])
    opt.step()  # b2 = 2.8, d = 1 + 2.52 = 3.52 -> w = 0.62 - 0.352
    np.testing.assert_allclose(w.numpy(), [0.268])


def test_sgd_dampening_is_not_course_momentum():
    """torch's dampening keeps the full first gradient in the buffer: b1 = dW, not (1 - beta) dW."""
    w = _param([0.0])
    opt = gk.optim.SGD([w], lr=1.0, momentum=0.9, dampening=0.9)
    _set_grad(w, [1.0])
    opt.step()
    np.testing.assert_allclose(opt.state[w]["momentum_buffer"], [1.0])
    _set_grad(w, [3.0])
    opt.step()
    np.testing.assert_allclose(opt.state[w]["momentum_buffer"], [0.9 * 1.0 + 0.1 * 3.0])
    course = gk.optim.Momentum([_param([0.0])], lr=1.0, beta=0.9)
    (q,) = course.param_groups[0]["params"]
    _set_grad(q, [1.0])
    course.step()
    np.testing.assert_allclose(course.state[q]["velocity"], [0.1])


def test_momentum_course_iterates():
    """The course's numbers: w**2 from w0 = 1, lr 0.1, beta 0.9."""
    w = _param(1.0)
    opt = gk.optim.Momentum([w], lr=0.1, beta=0.9)
    seen = []
    for _ in range(3):
        opt.zero_grad()
        (w ** 2).backward()
        opt.step()
        seen.append(w.item())
    np.testing.assert_allclose(seen, [0.98, 0.9424, 0.889712], rtol=1e-12)
    assert opt.state[w]["step"] == 3.0


def test_momentum_bias_correction_and_weight_decay_by_hand():
    w = _param([1.0])
    opt = gk.optim.Momentum([w], lr=0.1, beta=0.9, bias_correction=True, weight_decay=0.5)
    _set_grad(w, [2.0])
    opt.step()  # g = 2 + 0.5 = 2.5, v = 0.25, v_hat = 2.5 -> w = 1 - 0.25
    np.testing.assert_allclose(w.numpy(), [0.75])
    _set_grad(w, [1.0])
    opt.step()  # g = 1 + 0.375 = 1.375, v = 0.225 + 0.1375 = 0.3625, v_hat = v / 0.19
    np.testing.assert_allclose(w.numpy(), [0.75 - 0.1 * 0.3625 / 0.19])
    np.testing.assert_allclose(opt.state[w]["velocity"], [0.3625])


def test_momentum_equals_sgd_with_lr_scaled_by_one_minus_beta():
    rng = np.random.default_rng(5)
    a = _param(rng.standard_normal(6))
    b = _param(a.numpy().copy())
    m = gk.optim.Momentum([a], lr=0.2, beta=0.8)
    s = gk.optim.SGD([b], lr=0.2 * (1 - 0.8), momentum=0.8)
    for _ in range(10):
        g = rng.standard_normal(6)
        _set_grad(a, g)
        _set_grad(b, g)
        m.step()
        s.step()
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(m.state[a]["velocity"], 0.2 * s.state[b]["momentum_buffer"], rtol=1e-12)


@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam_first_update_is_lr_times_sign(amsgrad):
    w = _param([1.0, 2.0, -3.0, 0.5])
    opt = gk.optim.Adam([w], lr=0.01, amsgrad=amsgrad)
    g = np.array([3.0, -0.001, 250.0, -7.0])
    _set_grad(w, g)
    opt.step()
    np.testing.assert_allclose(w.numpy() - np.array([1.0, 2.0, -3.0, 0.5]), -0.01 * np.sign(g), rtol=1e-4)
    st = opt.state[w]
    assert st["step"] == 1.0
    np.testing.assert_allclose(st["exp_avg"], 0.1 * g)
    np.testing.assert_allclose(st["exp_avg_sq"], 0.001 * g * g)


def test_adam_second_step_by_hand():
    w = _param([0.0])
    opt = gk.optim.Adam([w], lr=0.1, betas=(0.5, 0.75), eps=0.0)
    _set_grad(w, [1.0])
    opt.step()
    _set_grad(w, [3.0])
    opt.step()
    m = 0.5 * 0.5 + 0.5 * 3.0
    v = 0.75 * 0.25 + 0.25 * 9.0
    expected = -0.1 - 0.1 * (m / (1 - 0.25)) / np.sqrt(v / (1 - 0.5625))
    np.testing.assert_allclose(w.numpy(), [expected], rtol=1e-12)


def test_adamw_decay_is_decoupled():
    w = _param([2.0])
    opt = gk.optim.AdamW([w], lr=0.1, weight_decay=0.5)
    _set_grad(w, [0.0])
    opt.step()  # zero gradient: Adam's part is 0 / (0 + eps) = 0, only p *= 1 - lr*wd
    np.testing.assert_allclose(w.numpy(), [2.0 * 0.95])
    w2 = _param([2.0])
    opt2 = gk.optim.Adam([w2], lr=0.1, weight_decay=0.5)  # coupled: g = 0.5 * 2 -> step = lr * sign
    _set_grad(w2, [0.0])
    opt2.step()
    np.testing.assert_allclose(w2.numpy(), [1.9], rtol=1e-6)


def test_adagrad_first_steps_by_hand():
    w = _param([1.0])
    opt = gk.optim.Adagrad([w], lr=0.5, lr_decay=0.1, initial_accumulator_value=1.0, eps=0.0)
    _set_grad(w, [2.0])
    opt.step()  # s = 1 + 4 = 5, w = 1 - 0.5 * 2 / sqrt(5)
    w1 = 1 - 0.5 * 2 / np.sqrt(5)
    np.testing.assert_allclose(w.numpy(), [w1])
    _set_grad(w, [1.0])
    opt.step()  # clr = 0.5 / 1.1, s = 6
    np.testing.assert_allclose(w.numpy(), [w1 - 0.5 / 1.1 / np.sqrt(6)])


def test_rmsprop_first_steps_by_hand():
    w = _param([1.0])
    opt = gk.optim.RMSprop([w], lr=0.01, alpha=0.9, eps=0.0, centered=True)
    _set_grad(w, [2.0])
    opt.step()  # v = 0.4, a = 0.2, denom = sqrt(0.4 - 0.04)
    np.testing.assert_allclose(w.numpy(), [1 - 0.01 * 2 / np.sqrt(0.36)])


def test_nadam_first_step_by_hand():
    w = _param([1.0])
    lr, b1, b2, psi = 0.1, 0.9, 0.999, 4e-3
    opt = gk.optim.NAdam([w], lr=lr, eps=0.0)
    _set_grad(w, [2.0])
    opt.step()
    mu1 = b1 * (1 - 0.5 * 0.96 ** psi)
    mu2 = b1 * (1 - 0.5 * 0.96 ** (2 * psi))
    mu1_f32 = float(np.float32(np.float32(1.0) * np.float32(mu1)))
    m, denom = 0.1 * 2.0, np.sqrt((0.001 * 4.0) / (1 - b2))
    expected = 1 - lr * (1 - mu1) / (1 - mu1_f32) * 2.0 / denom - lr * mu2 / (1 - mu1_f32 * mu2) * m / denom
    np.testing.assert_allclose(w.numpy(), [expected], rtol=1e-12)


def test_maximize_ascends():
    w = _param([0.0])
    opt = gk.optim.SGD([w], lr=0.1, maximize=True)
    _set_grad(w, [1.0])
    opt.step()
    np.testing.assert_allclose(w.numpy(), [0.1])


# ---------------------------------------------------------------- convergence
def _quadratic(x):
    # elongated bowl: condition number 25, minimum at (1, -2)
    return 0.5 * ((x[0] - 1.0) ** 2 + 25.0 * (x[1] + 2.0) ** 2)


def _rosenbrock(x):
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


CONVERGE = [
    ("SGD", dict(lr=0.03), 400, dict(lr=1e-3, momentum=0.9), 3000, 1e-3),
    ("SGD", dict(lr=0.03, momentum=0.5, nesterov=True), 200, dict(lr=1e-3, momentum=0.9, nesterov=True), 3000, 1e-3),
    ("Adagrad", dict(lr=0.5), 500, dict(lr=0.3), 6000, 4e-2),  # Adagrad is slow on the valley
    ("RMSprop", dict(lr=0.01), 800, dict(lr=1e-3, momentum=0.9, centered=True), 3000, 1e-3),
    ("Adam", dict(lr=0.05), 800, dict(lr=0.02), 3000, 5e-3),
    ("AdamW", dict(lr=0.05, weight_decay=1e-4), 800, dict(lr=0.02, weight_decay=0.0), 3000, 5e-3),
    ("NAdam", dict(lr=0.05), 800, dict(lr=0.02), 3000, 2e-2),
    ("Momentum", dict(lr=0.07), 300, dict(lr=1e-2, beta=0.9), 3000, 1e-3),
    # bias correction makes the first step lr * g: on Rosenbrock that needs a smaller lr
    ("Momentum", dict(lr=0.07, bias_correction=True), 300, dict(lr=3e-3, bias_correction=True), 6000, 1e-3),
]


def _train(name, kw, fn, x0, steps):
    x = _param(x0)
    opt = getattr(gk.optim, name)([x], **kw)
    for _ in range(steps):
        opt.zero_grad()
        fn(x).backward()
        opt.step()
    return x.numpy()


@pytest.mark.parametrize("name,qkw,qsteps,rkw,rsteps,rtol", CONVERGE, ids=[c[0] + str(i) for i, c in enumerate(CONVERGE)])
def test_converges_on_quadratic_and_rosenbrock(name, qkw, qsteps, rkw, rsteps, rtol):
    np.testing.assert_allclose(_train(name, qkw, _quadratic, [-3.0, 2.0], qsteps), [1.0, -2.0], atol=1e-3)
    np.testing.assert_allclose(_train(name, rkw, _rosenbrock, [-1.0, 1.5], rsteps), [1.0, 1.0], atol=rtol)


@pytest.mark.parametrize("line_search", [None, "strong_wolfe"])
def test_lbfgs_converges(line_search):
    for fn, x0, target, steps in [(_quadratic, [-3.0, 2.0], [1.0, -2.0], 2), (_rosenbrock, [-1.0, 1.5], [1.0, 1.0], 10)]:
        x = _param(x0)
        opt = gk.optim.LBFGS([x], lr=1.0 if line_search else 0.1, max_iter=50 if line_search else 200,
                             line_search_fn=line_search)
        if line_search is None and fn is _rosenbrock:
            opt.param_groups[0]["lr"] = 0.05
        gk.optim.minimize(lambda fn=fn, x=x: fn(x), [x], opt, steps=steps if line_search else 40)
        np.testing.assert_allclose(x.numpy(), target, atol=1e-4 if line_search else 1e-2)


def test_newton_one_step_solves_a_quadratic_and_converges_on_rosenbrock():
    x = _param([-3.0, 2.0])
    opt = gk.optim.Newton([x])
    loss = opt.step(lambda: _quadratic(x))
    np.testing.assert_allclose(loss.item(), _quadratic(gk.tensor([-3.0, 2.0], dtype="float64")).item())
    np.testing.assert_allclose(x.numpy(), [1.0, -2.0], atol=1e-12)
    y = _param([-1.0, 1.5])
    opt = gk.optim.Newton([y], damping=1e-3)
    gk.optim.minimize(lambda: _rosenbrock(y), [y], opt, steps=30)
    np.testing.assert_allclose(y.numpy(), [1.0, 1.0], atol=1e-6)
    assert y.grad is not None  # the gradient of the last evaluation is left in .grad


def test_newton_errors():
    big = _param(np.zeros(2001))
    with pytest.raises(ValueError, match="LBFGS"):
        gk.optim.Newton([big])
    x = _param([1.0])
    opt = gk.optim.Newton([x])
    with pytest.raises(ValueError, match="closure"):
        opt.step()

    def closure_with_backward():
        loss = (x ** 2).sum()
        loss.backward()
        return loss

    with pytest.raises(RuntimeError, match="without calling backward"):
        opt.step(closure_with_backward)


# ---------------------------------------------------------------- groups, skipping, zero_grad
def test_param_groups_with_different_lrs():
    a, b = _param([1.0]), _param([1.0])
    opt = gk.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.01}], lr=0.1)
    _set_grad(a, [1.0])
    _set_grad(b, [1.0])
    opt.step()
    np.testing.assert_allclose(a.numpy(), [0.9])
    np.testing.assert_allclose(b.numpy(), [0.99])
    c = _param([1.0])
    opt.add_param_group({"params": c, "lr": 1.0})
    _set_grad(c, [0.5])
    opt.step()
    np.testing.assert_allclose(c.numpy(), [0.5])
    assert opt.param_groups[2]["momentum"] == 0.0  # defaults filled in


def test_frozen_and_gradless_params_are_skipped():
    a, b = _param([1.0, 1.0]), _param([1.0])
    frozen = _param([5.0])
    frozen.requires_grad_(False)
    frozen.grad = gk.tensor([1.0], dtype="float64")
    opt = gk.optim.Adam([a, b, frozen], lr=0.1)
    _set_grad(a, [1.0, 1.0])
    opt.step()
    np.testing.assert_allclose(b.numpy(), [1.0])
    np.testing.assert_allclose(frozen.numpy(), [5.0])
    assert b not in opt.state and frozen not in opt.state
    # b gets its first gradient later: its own step count starts at 1
    _set_grad(b, [2.0])
    opt.step()
    assert opt.state[b]["step"] == 1.0 and opt.state[a]["step"] == 2.0
    np.testing.assert_allclose(b.numpy(), [0.9], rtol=1e-6)


def test_zero_grad():
    w = _param([1.0])
    opt = gk.optim.SGD([w], lr=0.1)
    _set_grad(w, [3.0])
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(w.grad.numpy(), [0.0])
    opt.zero_grad()
    assert w.grad is None


def test_float32_stays_float32_and_data_reassignment_is_detected():
    w = gk.tensor(np.ones((3, 2), np.float32), requires_grad=True)
    b = gk.tensor(np.zeros(2, np.float32), requires_grad=True)
    opt = gk.optim.Adam([w, b], lr=0.1)
    for _ in range(2):
        _set_grad(w, np.ones((3, 2)))
        _set_grad(b, np.ones(2))
        opt.step()
    assert w.dtype == np.float32 and opt.state[w]["exp_avg"].dtype == np.float32
    # someone replaces the data array (checkpoint load, .to()): the next step must act on the new array
    w.array = np.full((3, 2), 10.0, np.float32)
    _set_grad(w, np.ones((3, 2)))
    _set_grad(b, np.ones(2))
    opt.step()
    assert np.all(w.numpy() < 10.0) and np.all(w.numpy() > 9.8)
    assert opt.state[w]["step"] == 3.0
    np.testing.assert_allclose(opt.state[w]["exp_avg"], 0.271, rtol=1e-5)  # 1 - 0.9**3


def test_params_of_mixed_dtypes():
    a = gk.tensor(np.ones(3, np.float32), requires_grad=True)
    b = gk.tensor(np.ones(2, np.float64), requires_grad=True)
    opt = gk.optim.SGD([a, b], lr=0.5, momentum=0.9)
    _set_grad(a, np.ones(3))
    _set_grad(b, np.ones(2))
    opt.step()
    assert a.dtype == np.float32 and b.dtype == np.float64
    np.testing.assert_allclose(a.numpy(), 0.5)
    np.testing.assert_allclose(b.numpy(), 0.5)


# ---------------------------------------------------------------- state_dict
LOCKSTEP = [
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("Adagrad", dict(lr=0.1)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, centered=True)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("AdamW", dict(lr=0.01)),
    ("NAdam", dict(lr=0.01)),
    ("Momentum", dict(lr=0.1, beta=0.9, bias_correction=True, weight_decay=0.01)),
]


def _to_json_and_back(sd):
    """Serialise as a checkpoint would: arrays apart (as lists here), everything else JSON."""

    def enc(v):
        if isinstance(v, np.ndarray):
            return {"__array__": v.tolist(), "dtype": str(v.dtype), "shape": list(v.shape)}
        if isinstance(v, dict):
            return {str(k): enc(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [enc(x) for x in v]
        return v

    def dec(v):
        if isinstance(v, dict) and "__array__" in v:
            return np.array(v["__array__"], dtype=v["dtype"]).reshape(v["shape"])
        if isinstance(v, dict):
            return {k: dec(x) for k, x in v.items()}
        if isinstance(v, list):
            return [dec(x) for x in v]
        return v

    return dec(json.loads(json.dumps(enc(sd))))


@pytest.mark.parametrize("name,kw", LOCKSTEP, ids=[n for n, _ in LOCKSTEP])
def test_state_dict_round_trip_lockstep(name, kw):
    rng = np.random.default_rng(0)
    shapes = [(4, 3), (3,), (2,)]
    p1 = [gk.tensor(rng.standard_normal(s).astype(np.float32), requires_grad=True) for s in shapes]
    opt1 = getattr(gk.optim, name)([{"params": p1[:2]}, {"params": p1[2:], "lr": kw["lr"] / 2}], **kw)
    for _ in range(3):
        for p in p1:
            _set_grad(p, rng.standard_normal(p.shape))
        opt1.step()
    sd = opt1.state_dict()
    # plain arrays and numbers only, keyed by index
    assert sorted(sd["state"]) == [0, 1, 2]
    for st in sd["state"].values():
        for v in st.values():
            assert isinstance(v, (np.ndarray, float, int)), type(v)
    sd = _to_json_and_back(sd)
    p2 = [gk.tensor(p.numpy().copy(), requires_grad=True) for p in p1]
    opt2 = getattr(gk.optim, name)([{"params": p2[:2]}, {"params": p2[2:]}], **dict(kw, lr=123.0))
    opt2.load_state_dict(sd)
    assert opt2.param_groups[1]["lr"] == kw["lr"] / 2
    # deep copy: changing the loaded dict does not touch the optimizer
    for st in sd["state"].values():
        for v in st.values():
            if isinstance(v, np.ndarray):
                v[...] = 999.0
    for _ in range(4):
        for p, q in zip(p1, p2):
            g = rng.standard_normal(p.shape)
            _set_grad(p, g)
            _set_grad(q, g)
        opt1.step()
        opt2.step()
        for p, q in zip(p1, p2):
            np.testing.assert_array_equal(p.numpy(), q.numpy())


def test_lbfgs_state_dict_round_trip_lockstep():
    def make():
        x = _param([-1.0, 1.5])
        opt = gk.optim.LBFGS([x], max_iter=3, history_size=3, line_search_fn="strong_wolfe")

        def closure():
            opt.zero_grad()
            loss = _rosenbrock(x)
            loss.backward()
            return loss

        return x, opt, closure

    x1, o1, c1 = make()
    o1.step(c1)
    o1.step(c1)
    sd = _to_json_and_back(o1.state_dict())
    assert sd["state"]["0"]["old_dirs"].ndim == 2  # JSON made the index a string; loading accepts it
    x2, o2, c2 = make()
    with gk.no_grad():
        x2.copy_(x1)
    o2.load_state_dict(sd)
    for _ in range(3):
        o1.step(c1)
        o2.step(c2)
        np.testing.assert_array_equal(x1.numpy(), x2.numpy())


def test_load_state_dict_mismatch_errors():
    a = _param([1.0])
    opt = gk.optim.Adam([a])
    other = gk.optim.Adam([{"params": [_param([1.0])]}, {"params": [_param([2.0])]}])
    with pytest.raises(ValueError, match="parameter groups"):
        opt.load_state_dict(other.state_dict())
    two = gk.optim.Adam([_param([1.0]), _param([2.0])])
    with pytest.raises(ValueError, match="has 2 parameters"):
        opt.load_state_dict(two.state_dict())


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("make,match", [
    (lambda p: gk.optim.SGD(p, lr=-0.1), "learning rate"),
    (lambda p: gk.optim.Adam(p, lr=-1e-3), "learning rate"),
    (lambda p: gk.optim.Adam(p, betas=(1.0, 0.999)), r"beta1.*\[0, 1\)"),
    (lambda p: gk.optim.AdamW(p, betas=(0.9, -0.1)), r"beta2.*\[0, 1\)"),
    (lambda p: gk.optim.NAdam(p, betas=(0.9,)), "betas"),
    (lambda p: gk.optim.Adam(p, eps=-1.0), "eps"),
    (lambda p: gk.optim.SGD(p, momentum=-0.5), "momentum"),
    (lambda p: gk.optim.SGD(p, nesterov=True), "nesterov"),
    (lambda p: gk.optim.Momentum(p, beta=1.0), r"beta.*\[0, 1\)"),
    (lambda p: gk.optim.Momentum(p, weight_decay=-1.0), "weight_decay"),
    (lambda p: gk.optim.Momentum(p, bias_correction="yes"), "bias_correction"),
    (lambda p: gk.optim.RMSprop(p, alpha=1.5), "alpha"),
    (lambda p: gk.optim.Adagrad(p, lr_decay=-1), "lr_decay"),
    (lambda p: gk.optim.LBFGS(p, line_search_fn="backtracking"), "line_search_fn"),
    (lambda p: gk.optim.Newton(p, damping=-1), "damping"),
])
def test_bad_hyperparameters(make, match):
    with pytest.raises(ValueError, match=match):
        make([_param([1.0])])


def test_bad_parameter_lists():
    with pytest.raises(ValueError, match="empty parameter list"):
        gk.optim.Adam([])
    with pytest.raises(ValueError, match="empty 'params'"):
        gk.optim.Adam([{"params": []}])
    w = _param([1.0])
    with pytest.raises(ValueError, match="only one group"):
        gk.optim.SGD([{"params": [w]}, {"params": [_param([2.0]), w]}], lr=0.1)
    with pytest.raises(TypeError, match="single Tensor"):
        gk.optim.SGD(w, lr=0.1)
    with pytest.raises(TypeError, match="only optimize Tensors"):
        gk.optim.SGD([np.zeros(3)], lr=0.1)
    opt = gk.optim.SGD([w], lr=0.1)
    with pytest.raises(ValueError, match="only one group"):
        opt.add_param_group({"params": [w]})
    with pytest.warns(UserWarning, match="twice"):
        gk.optim.SGD([w, w], lr=0.1)


def test_lbfgs_step_without_closure():
    opt = gk.optim.LBFGS([_param([1.0])])
    with pytest.raises(ValueError, match="needs a closure"):
        opt.step()
    with pytest.raises(ValueError, match="one group"):
        gk.optim.LBFGS([{"params": [_param([1.0])]}, {"params": [_param([1.0])]}])


def test_step_returns_closure_loss_and_threads_setting():
    w = _param([2.0])
    opt = gk.optim.Adam([w], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (w ** 2).sum()
        loss.backward()
        return loss

    assert opt.step(closure).item() == 4.0
    with pytest.raises(ValueError, match="positive integer"):
        gk.optim.set_num_threads(0)
    n = gk.optim.get_num_threads()
    gk.optim.set_num_threads(1)
    assert gk.optim.get_num_threads() == 1
    assert gk.get_num_threads() == 1  # one setting: gradkit's intra-op threads
    gk.optim.set_num_threads(n)
    assert gk.get_num_threads() == n


def test_changing_a_group_option_that_adds_state_mid_training():
    w = _param([1.0, -1.0])
    opt = gk.optim.Adam([w], lr=0.1)
    for _ in range(2):
        _set_grad(w, [1.0, 2.0])
        opt.step()
    v = opt.state[w]["exp_avg_sq"].copy()
    opt.param_groups[0]["amsgrad"] = True  # the flat buffers are rebuilt with the new buffer
    _set_grad(w, [0.0, 0.0])
    opt.step()
    np.testing.assert_allclose(opt.state[w]["max_exp_avg_sq"], 0.999 * v)  # max(0-filled buffer, decayed v)
    assert opt.state[w]["step"] == 3.0


# ---------------------------------------------------------------- optimizers by name
def test_one_optimizer_name_registry_serves_fit_cli_and_tune():
    from gradkit import cli
    from gradkit.train.loop import resolve_optimizer
    from gradkit.tune.recipes import _optimizer, check_mlp_space

    assert set(gk.optim.OPTIMIZERS) == {"adam", "adamw", "sgd", "rmsprop", "adagrad", "nadam", "momentum", "adahessian",
                                        "lbfgs", "newton", "adadelta", "adamax", "radam", "rprop"}
    assert cli.OPTIMIZERS is gk.optim.OPTIMIZERS
    net = gk.nn.Linear(2, 1)
    for name, cls in gk.optim.OPTIMIZERS.items():
        assert gk.optim.optimizer_class(name.upper()) is cls
        assert type(resolve_optimizer(name, net, lr=0.1)) is cls
        assert type(_optimizer(name, net.parameters(), 0.1, None)) is cls
        check_mlp_space({"optimizer": name})
    with pytest.raises(ValueError, match="unknown optimizer 'adamm'; valid names: adadelta, adagrad, adahessian, adam, adamax, adamw"):
        gk.optim.optimizer_class("adamm")
    with pytest.raises(TypeError, match="an optimizer name must be a string, got int"):
        gk.optim.optimizer_class(3)
