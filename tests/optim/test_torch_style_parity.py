"""An optimizer written the PyTorch way (subclass of gk.optim.Optimizer) works unchanged:
``self.state`` is a defaultdict keyed by parameter, ``@gk.no_grad()`` on ``step``, ``p.data.add_``,
closures, ``add_param_group``, ``zero_grad(set_to_none=True)`` by default, state_dict round trips."""

import collections

import numpy as np
import pytest

import gradkit as gk


class MomentumSGD(gk.optim.Optimizer):
    """Heavy-ball SGD exactly as one writes it for torch.optim."""

    def __init__(self, params, lr=0.1, momentum=0.9):
        super().__init__(params, dict(lr=lr, momentum=momentum))

    @gk.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with gk.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = 0
                    state["momentum_buffer"] = gk.zeros_like(p)
                state["step"] += 1
                buf = state["momentum_buffer"]
                buf.mul_(group["momentum"]).add_(p.grad)
                p.data.add_(buf, alpha=-group["lr"])
        return loss


def _reference(x0, grads, lr=0.1, mom=0.9):
    x, b = np.array(x0, dtype=np.float32), np.zeros(len(x0), np.float32)
    for g in grads:
        b = mom * b + g
        x = x - lr * b
    return x


def test_state_is_a_defaultdict_keyed_by_parameter():
    w = gk.tensor([1.0, 2.0], requires_grad=True)
    opt = MomentumSGD([w])
    assert isinstance(opt.state, collections.defaultdict)
    assert opt.state[w] == {}
    (w * w).sum().backward()
    opt.step()
    assert opt.state[w]["step"] == 1 and isinstance(opt.state[w]["momentum_buffer"], gk.Tensor)
    adam = gk.optim.Adam([w])
    assert isinstance(adam.state, collections.defaultdict)
    adam.step()
    assert set(adam.state[w]) == {"step", "exp_avg", "exp_avg_sq"}


def test_torch_style_optimizer_trains_and_matches_by_hand():
    rng = np.random.default_rng(0)
    w = gk.tensor([1.0, -1.0, 0.5], requires_grad=True)
    opt = MomentumSGD([w], lr=0.05)
    grads = []
    for _ in range(5):
        g = rng.standard_normal(3).astype(np.float32)
        grads.append(g)
        w.grad = gk.tensor(g)
        opt.step()
    np.testing.assert_allclose(w.numpy(), _reference([1.0, -1.0, 0.5], grads, lr=0.05), rtol=1e-6)


def test_closure_and_zero_grad_default_set_to_none():
    w = gk.tensor([3.0], requires_grad=True)
    opt = MomentumSGD([w], lr=0.1, momentum=0.0)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert float(loss) == 9.0
    np.testing.assert_allclose(w.numpy(), [2.4])
    opt.zero_grad()
    assert w.grad is None
    (w * w).sum().backward()
    opt.zero_grad(set_to_none=False)
    assert w.grad is not None and float(w.grad.sum()) == 0.0


def test_add_param_group_takes_defaults():
    a = gk.tensor([1.0], requires_grad=True)
    b = gk.tensor([1.0], requires_grad=True)
    opt = MomentumSGD([a], lr=0.1)
    opt.add_param_group({"params": [b], "momentum": 0.5})
    assert opt.param_groups[1]["lr"] == 0.1 and opt.param_groups[1]["momentum"] == 0.5
    with pytest.raises(ValueError, match="already in"):
        opt.add_param_group({"params": b})


def _run(opt, params, grads):
    for gs in grads:
        for p, g in zip(params, gs):
            p.grad = gk.tensor(g)
        opt.step()


@pytest.mark.parametrize("make", [lambda ps: MomentumSGD(ps, lr=0.05),
                                  lambda ps: gk.optim.Adam(ps, lr=0.01)], ids=["torch-style", "Adam"])
def test_state_dict_round_trip_is_bit_identical(make):
    rng = np.random.default_rng(1)
    shapes = [(3, 2), (2,)]
    grads = [[rng.standard_normal(s).astype(np.float32) for s in shapes] for _ in range(8)]
    p1 = [gk.tensor(rng.standard_normal(s).astype(np.float32), requires_grad=True) for s in shapes]
    opt1 = make([p1[0]])
    opt1.add_param_group({"params": [p1[1]], "lr": 0.02})
    _run(opt1, p1, grads[:4])
    sd = opt1.state_dict()
    assert all(isinstance(v, (np.ndarray, int, float)) for st in sd["state"].values() for v in st.values())
    p2 = [gk.tensor(p.numpy().copy(), requires_grad=True) for p in p1]
    opt2 = make([p2[0]])
    opt2.add_param_group({"params": [p2[1]]})
    opt2.load_state_dict(sd)
    assert opt2.param_groups[1]["lr"] == 0.02
    if isinstance(opt2, MomentumSGD):  # a torch-style optimizer gets its Tensors back
        assert isinstance(opt2.state[p2[0]]["momentum_buffer"], gk.Tensor)
        assert opt2.state[p2[0]]["step"] == 4
    _run(opt1, p1, grads[4:])
    _run(opt2, p2, grads[4:])
    for p, q in zip(p1, p2):
        np.testing.assert_array_equal(p.numpy(), q.numpy())
