"""Losses: gradient checks for every reduction and option, hand-computed values, errors, torch parity."""

import math

import numpy as np
import pytest

import gradkit as gk
import gradkit.nn.functional as F
from gradkit.diagnose import gradcheck, gradgradcheck

REDUCTIONS = ["mean", "sum", "none"]


def _t(shape, seed=0, requires_grad=True):
    return gk.tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=requires_grad)


def _probs(shape, seed=0, requires_grad=False):
    a = np.random.default_rng(seed).dirichlet(np.ones(shape[1]), size=shape[0])
    return gk.tensor(a, requires_grad=requires_grad)


def _check(fn, inputs):
    report = gradcheck(fn, inputs)
    assert report.passed, str(report)


# ----------------------------------------------------------------------------- regression losses
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "rmse_loss", "huber_loss"])
def test_regression_losses_gradcheck(name, reduction):
    fn = getattr(F, name)
    x = _t((4, 3), 0)
    y = gk.tensor(x.numpy() + np.random.default_rng(1).choice([-2.0, -0.4, 0.3, 1.7], size=(4, 3)), requires_grad=True)
    _check(lambda a, b: fn(a, b, reduction=reduction), [x, y])


def test_regression_known_values():
    p = gk.tensor([1.0, 2.0, 5.0], dtype="float64")
    t = gk.tensor([0.0, 4.0, 5.0], dtype="float64")
    # errors d = (1, -2, 0)
    assert F.mse_loss(p, t).item() == pytest.approx(5.0 / 3)
    assert F.mse_loss(p, t, reduction="sum").item() == pytest.approx(5.0)
    assert F.l1_loss(p, t).item() == pytest.approx(1.0)
    assert F.rmse_loss(p, t).item() == pytest.approx(math.sqrt(5.0 / 3), rel=1e-8)
    assert F.huber_loss(p, t, reduction="none").tolist() == [0.5, 1.5, 0.0]
    assert F.huber_loss(p, t, delta=2.5, reduction="none").tolist() == [0.5, 2.0, 0.0]
    assert gk.nn.MSELoss()(p, t).item() == pytest.approx(5.0 / 3)
    assert gk.nn.L1Loss(reduction="sum")(p, t).item() == pytest.approx(3.0)
    assert gk.nn.RMSELoss()(p, t).item() == pytest.approx(math.sqrt(5.0 / 3), rel=1e-8)
    assert gk.nn.HuberLoss(delta=2.5)(p, t).item() == pytest.approx(2.5 / 3)


def test_rmse_eps_keeps_gradient_finite_at_zero_error():
    p = gk.tensor([1.0, 2.0], requires_grad=True)
    loss = F.rmse_loss(p, gk.tensor([1.0, 2.0]))
    assert loss.item() == pytest.approx(1e-4)
    loss.backward()
    assert np.all(np.isfinite(p.grad.numpy()))


def test_shape_mismatch_names_both_shapes():
    for fn in (F.mse_loss, F.l1_loss, F.huber_loss, F.rmse_loss, F.binary_cross_entropy_with_logits):
        with pytest.raises(ValueError, match=r"\(8, 1\).*\(8,\)"):
            fn(gk.zeros(8, 1), gk.zeros(8))
    with pytest.raises(ValueError, match=r"\(8, 1\).*\(8,\)"):
        gk.nn.BCELoss()(gk.full((8, 1), 0.5), gk.zeros(8))
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        F.mse_loss(gk.zeros(2), gk.zeros(2), reduction="avg")


# ----------------------------------------------------------------------------- binary cross-entropy
def test_bce_hand_computed():
    p = gk.tensor([0.8, 0.3], dtype="float64")
    t = gk.tensor([1.0, 0.0], dtype="float64")
    # -(log 0.8 + log 0.7) / 2 = (0.22314355131 + 0.35667494394) / 2
    assert F.binary_cross_entropy(p, t).item() == pytest.approx(0.289909247625, abs=1e-11)
    assert F.binary_cross_entropy(p, t, reduction="sum").item() == pytest.approx(0.579818495253, abs=1e-11)
    # logits log(4) and log(3/7) give sigmoid 0.8 and 0.3: the same loss
    z = gk.tensor([math.log(4.0), math.log(3.0 / 7.0)], dtype="float64")
    assert F.binary_cross_entropy_with_logits(z, t).item() == pytest.approx(0.289909247625, abs=1e-11)
    # pos_weight 2 doubles the positive term: (2 * 0.22314355131 + 0.35667494394) / 2
    pw = gk.tensor([2.0], dtype="float64")
    assert F.binary_cross_entropy_with_logits(z, t, pos_weight=pw).item() == pytest.approx(0.40148102328, abs=1e-11)


def test_bce_clamps_log_at_minus_100():
    p = gk.tensor([0.0, 1.0, 1.0], requires_grad=True)
    t = gk.tensor([1.0, 0.0, 1.0])
    loss = F.binary_cross_entropy(p, t, reduction="none")
    assert loss.tolist() == [100.0, 100.0, 0.0]
    loss.sum().backward()
    assert np.all(np.isfinite(p.grad.numpy()))


def test_bce_rejects_non_probabilities():
    with pytest.raises(ValueError, match=r"\[0, 1\].*-0\.5.*with_logits"):
        F.binary_cross_entropy(gk.tensor([-0.5, 0.5]), gk.tensor([0.0, 1.0]))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_gradcheck(reduction):
    p = gk.tensor(np.random.default_rng(0).uniform(0.05, 0.95, (4, 3)), requires_grad=True)
    t = gk.tensor(np.random.default_rng(1).uniform(0, 1, (4, 3)), requires_grad=True)
    w = gk.tensor(np.random.default_rng(2).uniform(0.5, 2, (3,)))
    _check(lambda a, b: F.binary_cross_entropy(a, b, reduction=reduction), [p, t])
    _check(lambda a, b: F.binary_cross_entropy(a, b, weight=w, reduction=reduction), [p, t])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_gradcheck(reduction):
    x = _t((4, 3), 0)
    t = gk.tensor(np.random.default_rng(1).uniform(0, 1, (4, 3)), requires_grad=True)
    pw = gk.tensor(np.array([0.5, 2.0, 3.0]), requires_grad=True)
    w = gk.tensor(np.random.default_rng(2).uniform(0.5, 2, (4, 1)))
    _check(lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction=reduction), [x, t])
    _check(lambda a, b, c: F.binary_cross_entropy_with_logits(a, b, weight=w, reduction=reduction, pos_weight=c), [x, t, pw])


def test_bce_with_logits_stable_at_1e4():
    x = gk.tensor([1e4, -1e4, 1e4, -1e4], requires_grad=True)
    t = gk.tensor([1.0, 0.0, 0.0, 1.0])
    loss = F.binary_cross_entropy_with_logits(x, t, reduction="none")
    assert loss.tolist() == [0.0, 0.0, 1e4, 1e4]
    loss.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 1.0, -1.0]


# ----------------------------------------------------------------------------- cross-entropy
def test_cross_entropy_hand_computed():
    x = gk.tensor([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]], dtype="float64")
    # log(e + e^2 + e^3) = 3.40760596444; losses 3.4076 - 3 and 3.4076 - 1
    assert F.cross_entropy(x, gk.tensor([2, 0]), reduction="none").numpy() == pytest.approx([0.40760596444, 2.40760596444])
    assert F.cross_entropy(x, gk.tensor([2, 0])).item() == pytest.approx(1.40760596444)
    assert F.cross_entropy(x, gk.tensor([2, 0]), reduction="sum").item() == pytest.approx(2.81521192888)
    # class weights (1, 2, 3): (3 * 0.40760596444 + 1 * 2.40760596444) / (3 + 1)
    w = gk.tensor([1.0, 2.0, 3.0], dtype="float64")
    assert F.cross_entropy(x, gk.tensor([2, 0]), weight=w).item() == pytest.approx(0.90760596444)
    # label smoothing 0.1: 0.9 * 0.40760596444 + (0.1 / 3) * (2.4076 + 1.4076 + 0.4076)
    one = x[0:1]
    assert F.cross_entropy(one, gk.tensor([2]), label_smoothing=0.1).item() == pytest.approx(0.50760596444)
    # probability target (0.5, 0.25, 0.25): 0.5 * 2.4076 + 0.25 * 1.4076 + 0.25 * 0.4076
    pt = gk.tensor([[0.5, 0.25, 0.25]], dtype="float64")
    assert F.cross_entropy(one, pt).item() == pytest.approx(1.65760596444)
    # ignore_index: the ignored row neither adds to the sum nor counts in the mean
    assert F.cross_entropy(x, gk.tensor([2, -100])).item() == pytest.approx(0.40760596444)
    assert F.cross_entropy(x, gk.tensor([2, 0]), ignore_index=0).item() == pytest.approx(0.40760596444)
    # the module
    assert gk.nn.CrossEntropyLoss(weight=w)(x, gk.tensor([2, 0])).item() == pytest.approx(0.90760596444)


def test_cross_entropy_gradient_is_softmax_minus_onehot_over_n():
    x = _t((5, 4), 3)
    y = gk.tensor([0, 3, 1, 1, 2])
    F.cross_entropy(x, y).backward()
    p = np.exp(x.numpy()) / np.exp(x.numpy()).sum(1, keepdims=True)
    expected = (p - np.eye(4)[y.numpy()]) / 5
    assert np.allclose(x.grad.numpy(), expected, atol=1e-14)


_Y = [0, 3, 1, 1, 2]
_W = np.array([0.5, 1.0, 2.0, 3.0])
CE_CASES = {
    "index": lambda: dict(target=gk.tensor(_Y)),
    "weight": lambda: dict(target=gk.tensor(_Y), weight=gk.tensor(_W)),
    "ignore_index": lambda: dict(target=gk.tensor([0, -100, 1, 1, -100])),
    "ignore_custom_weight_smooth": lambda: dict(target=gk.tensor(_Y), weight=gk.tensor(_W), ignore_index=1, label_smoothing=0.2),
    "label_smoothing": lambda: dict(target=gk.tensor(_Y), label_smoothing=0.1),
    "prob_target": lambda: dict(target=_probs((5, 4), 7)),
    "prob_target_weight_smooth": lambda: dict(target=_probs((5, 4), 7), weight=gk.tensor(_W), label_smoothing=0.3),
}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", sorted(CE_CASES))
def test_cross_entropy_gradcheck(case, reduction):
    kw = CE_CASES[case]()
    _check(lambda x: F.cross_entropy(x, reduction=reduction, **kw), [_t((5, 4), 3)])
    if reduction == "mean":  # the module gives the same
        target = kw.pop("target")
        a = gk.nn.CrossEntropyLoss(**kw)(_t((5, 4), 3), target)
        assert a.item() == F.cross_entropy(_t((5, 4), 3), target, **kw).item()


def test_cross_entropy_gradcheck_shapes_and_target_grad():
    y3 = gk.tensor(np.random.default_rng(0).integers(0, 4, (2, 3, 2)))
    _check(lambda x: F.cross_entropy(x, y3, label_smoothing=0.1), [_t((2, 4, 3, 2), 1)])
    _check(lambda x: F.cross_entropy(x, y3, reduction="none"), [_t((2, 4, 3, 2), 1)])
    _check(lambda x: F.cross_entropy(x, gk.tensor(2)), [_t((4,), 2)])  # unbatched
    # gradient with respect to a probability target (d/dt = -(1 - eps) w log p)
    w = gk.tensor(np.array([0.5, 1.0, 2.0, 3.0]))
    _check(lambda x, t: F.cross_entropy(x, t, weight=w, label_smoothing=0.2), [_t((5, 4), 3), _probs((5, 4), 7, True)])
    _check(lambda x, t: F.cross_entropy(x, t, reduction="none"), [_t((2, 4, 3), 3), _t((2, 4, 3), 4)])


def test_cross_entropy_second_order():
    assert gradgradcheck(lambda x: F.cross_entropy(x, gk.tensor([0, 2, 1])), [_t((3, 3), 0)]).passed
    assert gradgradcheck(
        lambda x: F.cross_entropy(x, gk.tensor([0, -100, 1]), weight=gk.tensor(np.array([1.0, 2.0, 0.5])), label_smoothing=0.1),
        [_t((3, 3), 0)],
    ).passed
    assert gradgradcheck(lambda x, t: F.cross_entropy(x, t, reduction="sum"), [_t((3, 3), 0), _probs((3, 3), 1, True)]).passed


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", sorted(CE_CASES))
def test_cross_entropy_second_order_every_case(case, reduction):
    # gradgradcheck: gradcheck of x -> grad(loss(x), x, create_graph=True), through the composite
    kw = CE_CASES[case]()
    report = gradgradcheck(lambda x: F.cross_entropy(x, reduction=reduction, **kw), [_t((5, 4), 3)])
    assert report.passed, str(report)


def test_cross_entropy_second_order_shapes_and_target():
    y3 = gk.tensor(np.random.default_rng(0).integers(0, 4, (2, 3)))
    assert gradgradcheck(lambda x: F.cross_entropy(x, y3, label_smoothing=0.1, reduction="none"), [_t((2, 4, 3), 1)]).passed
    assert gradgradcheck(lambda x: F.cross_entropy(x, gk.tensor(2)), [_t((4,), 2)]).passed
    w = gk.tensor(_W)
    report = gradgradcheck(lambda x, t: F.cross_entropy(x, t, weight=w, label_smoothing=0.2),
                           [_t((5, 4), 3), _probs((5, 4), 7, True)])
    assert report.passed, str(report)


def _ce_ops():
    y3 = gk.tensor(np.random.default_rng(0).integers(0, 4, (2, 3)))
    for case, make in sorted(CE_CASES.items()):
        for reduction in REDUCTIONS:
            yield f"{case}-{reduction}", (lambda make=make, reduction=reduction: F.cross_entropy(
                _t((5, 4), 3), reduction=reduction, **make()))
    yield "3d", lambda: F.cross_entropy(_t((2, 4, 3), 1), y3, label_smoothing=0.1, reduction="none")
    yield "3d_probs", lambda: F.cross_entropy(_t((2, 4, 3), 1), _t((2, 4, 3), 2), weight=gk.tensor(_W))
    yield "unbatched", lambda: F.cross_entropy(_t((4,), 2), gk.tensor(2))
    yield "all_ignored", lambda: F.cross_entropy(_t((2, 4), 2), gk.tensor([-100, -100]))


@pytest.mark.parametrize("name,make", list(_ce_ops()), ids=[n for n, _ in _ce_ops()])
def test_cross_entropy_composite_matches_forward(name, make):
    loss = make()
    op = loss._ctx  # the fused op: its composite is the same function on primitives
    again = op.composite(*op.inputs)
    assert again.shape == loss.shape
    np.testing.assert_allclose(again.numpy(), loss.numpy(), rtol=1e-12, atol=1e-12)


def test_gradient_penalty_through_linear_and_cross_entropy():
    # d/dW of ||d loss / d x||^2 (a double backward through cross-entropy and linear)
    x0 = np.random.default_rng(3).standard_normal((6, 5))
    y = gk.tensor([0, 2, 1, 1, 0, 2])

    def penalty(w, b):
        with gk.enable_grad():  # gradcheck evaluates under no_grad
            x = gk.tensor(x0, requires_grad=True)
            loss = F.cross_entropy(gk.ops.linear(x, w, b), y, label_smoothing=0.1)
            (gx,) = gk.grad(loss, x, create_graph=True)
            return (gx * gx).sum()

    w, b = _t((3, 5), 4), _t((3,), 5)
    assert gradcheck(penalty, [w, b]).passed
    penalty(w, b).backward()
    assert np.isfinite(w.grad.numpy()).all() and np.abs(w.grad.numpy()).sum() > 0


def test_bce_second_order():
    p = gk.tensor(np.random.default_rng(0).uniform(0.05, 0.95, (3, 4)), requires_grad=True)
    t = gk.tensor(np.random.default_rng(1).uniform(0, 1, (3, 4)), requires_grad=True)
    assert gradgradcheck(lambda p, t: F.binary_cross_entropy(p, t), [p, t]).passed
    assert gradgradcheck(lambda z: F.binary_cross_entropy_with_logits(z, t.detach()), [_t((3, 4), 2)]).passed


def test_bce_gradient_at_clamped_log_is_zero():
    # log(0) is clamped to -100: no gradient flows from the clamped term (and no warning), to every order
    p = gk.tensor([0.0, 1.0, 0.5], dtype="float64", requires_grad=True)
    t = gk.tensor([0.0, 1.0, 1.0], dtype="float64")
    loss = F.binary_cross_entropy(p, t, reduction="sum")
    (g,) = gk.grad(loss, p, create_graph=True)
    assert g.tolist() == [1.0, -1.0, -2.0]
    (h,) = gk.grad(g.sum(), p)
    assert h.tolist() == [1.0, 1.0, 4.0]


def test_cross_entropy_float32_fast_path_no_upcast():
    x = gk.randn(64, 10, requires_grad=True)
    loss = F.cross_entropy(x, gk.randint(0, 10, (64,)))
    assert loss.dtype == np.float32 and loss.shape == ()
    loss.backward()
    assert x.grad.dtype == np.float32
    assert np.allclose(x.grad.numpy().sum(1), 0.0, atol=1e-7)


def test_cross_entropy_stable_at_1e4():
    x = gk.tensor([[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0]], requires_grad=True)
    loss = F.cross_entropy(x, gk.tensor([0, 0]), reduction="none")
    assert loss.tolist() == [0.0, 2e4]
    loss.sum().backward()
    assert np.all(np.isfinite(x.grad.numpy()))


def test_cross_entropy_all_ignored_is_nan_without_warning():
    loss = F.cross_entropy(gk.zeros(2, 3), gk.tensor([-100, -100]))
    assert math.isnan(loss.item())


def test_cross_entropy_errors():
    x = gk.zeros(4, 5)
    with pytest.raises(IndexError, match=r"index 7 is out of range for 5 classes"):
        F.cross_entropy(x, gk.tensor([0, 7, 1, 2]))
    with pytest.raises(IndexError, match=r"index -3 is out of range for 5 classes"):
        F.cross_entropy(x, gk.tensor([0, -3, 1, 2]))
    with pytest.raises(ValueError, match=r"floating-point target of shape \(4,\) where class indices are expected"):
        F.cross_entropy(x, gk.tensor([0.0, 1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match=r"integer target has the input's shape \(4, 5\).*floating point"):
        F.cross_entropy(x, gk.zeros(4, 5).long())
    with pytest.raises(ValueError, match=r"target of shape \(3,\) does not fit input of shape \(4, 5\)"):
        F.cross_entropy(x, gk.tensor([0, 1, 2]))
    with pytest.raises(ValueError, match=r"probability target of shape \(4, 4\) does not match input of shape \(4, 5\)"):
        F.cross_entropy(x, gk.zeros(4, 4))
    with pytest.raises(ValueError, match=r"weight must have one entry per class, shape \(5,\)"):
        F.cross_entropy(x, gk.tensor([0, 1, 2, 3]), weight=gk.ones(3))
    with pytest.raises(ValueError, match="label_smoothing"):
        F.cross_entropy(x, gk.tensor([0, 1, 2, 3]), label_smoothing=1.5)
    with pytest.raises(IndexError, match=r"index 5 is out of range for 5 classes"):
        F.nll_loss(x, gk.tensor([0, 5, 1, 2]))
    with pytest.raises(TypeError, match=r"class indices.*target.long\(\)"):
        F.nll_loss(x, gk.zeros(4))


# ----------------------------------------------------------------------------- NLL, hinge, perceptron, multi-margin
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_and_margin_losses_gradcheck(reduction):
    y = gk.tensor([0, 3, 1, 1, 2])
    w = gk.tensor(np.array([0.5, 1.0, 2.0, 3.0]))
    _check(lambda x: F.nll_loss(x, y, reduction=reduction), [_t((5, 4), 1)])
    _check(lambda x: F.nll_loss(x, gk.tensor([0, -100, 1, 1, 3]), weight=w, reduction=reduction), [_t((5, 4), 1)])
    _check(lambda x: F.nll_loss(x, gk.tensor([[0, 1], [3, 2]]), reduction=reduction), [_t((2, 4, 2), 1)])
    _check(lambda x: F.multi_margin_loss(x, y, reduction=reduction), [_t((5, 4), 1)])
    _check(lambda x: F.multi_margin_loss(x, y, p=2, margin=0.5, weight=w, reduction=reduction), [_t((5, 4), 1)])
    s = gk.tensor(np.array([1.0, -1.0, 1.0, -1.0, 1.0]))
    f = gk.tensor(np.array([2.0, 0.4, 0.3, -2.0, -0.6]), requires_grad=True)
    _check(lambda a: F.hinge_loss(a, s, reduction=reduction), [f])
    _check(lambda a: F.perceptron_loss(a, s, reduction=reduction), [f])
    _check(lambda a: F.hinge_embedding_loss(a, s, margin=1.5, reduction=reduction), [f])


def test_nll_of_log_softmax_equals_cross_entropy():
    x = _t((6, 5), 2)
    y = gk.tensor([0, 4, 2, 2, 1, 3])
    w = gk.tensor(np.linspace(0.5, 2.0, 5))
    a = F.nll_loss(F.log_softmax(x, dim=1), y, weight=w)
    b = F.cross_entropy(x, y, weight=w)
    assert a.item() == pytest.approx(b.item(), rel=1e-12)
    assert gk.nn.NLLLoss(weight=w)(F.log_softmax(x, 1), y).item() == pytest.approx(b.item(), rel=1e-12)


def test_hinge_and_perceptron_values():
    f = gk.tensor([2.0, 0.5, -1.0, -0.2], dtype="float64")
    y = gk.tensor([1.0, 1.0, 1.0, -1.0], dtype="float64")
    assert F.hinge_loss(f, y, reduction="none").numpy() == pytest.approx([0.0, 0.5, 2.0, 0.8])
    assert F.perceptron_loss(f, y, reduction="none").numpy() == pytest.approx([0.0, 0.0, 1.0, 0.0])
    assert gk.nn.HingeLoss(margin=2.0)(f, y).item() == pytest.approx((0 + 1.5 + 3.0 + 1.8) / 4)
    assert gk.nn.PerceptronLoss(reduction="sum")(f, y).item() == pytest.approx(1.0)
    # similar pairs (+1) cost their distance, dissimilar ones (-1) max(0, margin - distance)
    assert F.hinge_embedding_loss(f, y, reduction="none").numpy() == pytest.approx([2.0, 0.5, -1.0, 1.2])
    assert gk.nn.HingeEmbeddingLoss(margin=0.1)(f, y).item() == pytest.approx((2.0 + 0.5 - 1.0 + 0.3) / 4)
    with pytest.raises(ValueError, match=r"-1 or \+1, got 0"):
        F.hinge_loss(f, gk.tensor([1.0, 0.0, 1.0, 1.0]))


def test_perceptron_loss_step_is_the_perceptron_rule():
    # one SGD step with lr 1 on a misclassified example adds y * x to w
    x = gk.tensor([[1.0, 2.0]])
    w = gk.tensor([[-1.0, 0.0]], requires_grad=True)
    F.perceptron_loss((x * w).sum(1), gk.tensor([1.0]), reduction="sum").backward()
    assert (w.detach() - w.grad).tolist() == [[0.0, 2.0]]


def test_loss_modules_config_and_state():
    w = gk.tensor([1.0, 2.0, 3.0])
    m = gk.nn.CrossEntropyLoss(weight=w, label_smoothing=0.1)
    assert list(m.state_dict()) == ["weight"]
    cfg = m.get_config()
    assert cfg["weight"] == [1.0, 2.0, 3.0] and cfg["label_smoothing"] == 0.1
    m2 = gk.nn.CrossEntropyLoss.from_config(cfg)
    x, y = gk.randn(4, 3), gk.tensor([0, 1, 2, 0])
    assert m2(x, y).item() == pytest.approx(m(x, y).item())
    for cls in (gk.nn.MSELoss, gk.nn.L1Loss, gk.nn.HuberLoss, gk.nn.RMSELoss, gk.nn.HingeLoss):
        assert cls.from_config(cls(reduction="sum").get_config()).reduction == "sum"
    with pytest.raises(ValueError, match="reduction"):
        gk.nn.MSELoss(reduction="avg")
    bce = gk.nn.BCEWithLogitsLoss(pos_weight=gk.tensor([2.0]))
    assert bce.get_config()["pos_weight"] == [2.0]


def test_against_torch():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    rng = np.random.default_rng(5)
    x = rng.standard_normal((6, 4, 3))
    y = rng.integers(0, 4, (6, 3))
    y[0, 1] = -100
    probs = rng.dirichlet(np.ones(4), size=(6, 3)).transpose(0, 2, 1).copy()
    w = rng.uniform(0.5, 2.0, 4)
    gy = None
    for red in REDUCTIONS:
        for kw in ({}, {"weight": w}, {"label_smoothing": 0.15}, {"weight": w, "label_smoothing": 0.15}):
            for target in (y, probs):
                a = gk.tensor(x, requires_grad=True)
                t = torch.tensor(x, requires_grad=True)
                ours = F.cross_entropy(a, gk.tensor(target), reduction=red, **{k: gk.tensor(v) if k == "weight" else v for k, v in kw.items()})
                theirs = tf.cross_entropy(t, torch.tensor(target), reduction=red, **{k: torch.tensor(v) if k == "weight" else v for k, v in kw.items()})
                gy = rng.standard_normal(ours.shape)
                (ours * gk.tensor(gy)).sum().backward()
                (theirs * torch.tensor(gy)).sum().backward()
                assert np.allclose(ours.numpy(), theirs.detach().numpy(), atol=1e-12), (red, kw)
                assert np.allclose(a.grad.numpy(), t.grad.numpy(), atol=1e-12), (red, kw)
    p = rng.uniform(0.01, 0.99, (5, 3))
    z = rng.standard_normal((5, 3)) * 4
    tt = rng.uniform(0, 1, (5, 3))
    pw = rng.uniform(0.5, 3, 3)
    pairs = [
        (F.binary_cross_entropy(gk.tensor(p), gk.tensor(tt)), tf.binary_cross_entropy(torch.tensor(p), torch.tensor(tt))),
        (F.binary_cross_entropy_with_logits(gk.tensor(z), gk.tensor(tt), pos_weight=gk.tensor(pw)),
         tf.binary_cross_entropy_with_logits(torch.tensor(z), torch.tensor(tt), pos_weight=torch.tensor(pw))),
        (F.huber_loss(gk.tensor(z), gk.tensor(tt), delta=0.7), tf.huber_loss(torch.tensor(z), torch.tensor(tt), delta=0.7)),
        (F.hinge_embedding_loss(gk.tensor(z), gk.tensor(np.sign(tt - 0.5)), margin=0.8),
         tf.hinge_embedding_loss(torch.tensor(z), torch.tensor(np.sign(tt - 0.5)), margin=0.8)),
        (F.nll_loss(gk.tensor(x), gk.tensor(y), weight=gk.tensor(w)), tf.nll_loss(torch.tensor(x), torch.tensor(y), weight=torch.tensor(w))),
        (F.multi_margin_loss(gk.tensor(z), gk.tensor(y[:5, 0] % 3), p=2, weight=gk.tensor(pw)),
         tf.multi_margin_loss(torch.tensor(z), torch.tensor(y[:5, 0] % 3), p=2, weight=torch.tensor(pw))),
    ]
    for ours, theirs in pairs:
        assert ours.item() == pytest.approx(theirs.item(), rel=1e-12)


def test_float32_in_float32_out_for_every_loss_and_option():
    x = gk.randn(6, 4, requires_grad=True)
    w = gk.tensor([1.0, 2.0, 3.0, 4.0])
    y = gk.tensor([0, 1, 2, 3, -100, 1])
    calls = [
        lambda r: F.cross_entropy(x, y, weight=w, label_smoothing=0.1, reduction=r),
        lambda r: F.cross_entropy(x, gk.rand(6, 4), weight=w, label_smoothing=0.1, reduction=r),
        lambda r: F.nll_loss(x, y, weight=w, reduction=r),
        lambda r: F.multi_margin_loss(x, y.clamp(0, 3), weight=w, reduction=r),
        lambda r: F.mse_loss(x, gk.rand(6, 4), reduction=r),
        lambda r: F.l1_loss(x, gk.rand(6, 4), reduction=r),
        lambda r: F.rmse_loss(x, gk.rand(6, 4), reduction=r),
        lambda r: F.huber_loss(x, gk.rand(6, 4), reduction=r),
        lambda r: F.binary_cross_entropy_with_logits(x, gk.rand(6, 4), weight=w, pos_weight=w, reduction=r),
        lambda r: F.binary_cross_entropy(F.sigmoid(x), gk.rand(6, 4), weight=w, reduction=r),
        lambda r: F.hinge_loss(x, gk.ones(6, 4), reduction=r),
    ]
    for i, call in enumerate(calls):
        for r in REDUCTIONS:
            x.grad = None
            loss = call(r)
            loss.sum().backward()
            assert loss.dtype == np.float32 and x.grad.dtype == np.float32, (i, r)


# ---------------------------------------------------------------- losses by name
def test_resolve_loss_by_name_lives_in_nn():
    from gradkit.nn.loss import LOSS_NAMES, resolve_loss
    from gradkit.train import loop

    assert loop.resolve_loss is resolve_loss  # the old import location keeps working
    assert isinstance(resolve_loss("Cross_Entropy"), gk.nn.CrossEntropyLoss)
    assert isinstance(resolve_loss("binary_crossentropy"), gk.nn.BCEWithLogitsLoss)
    assert all(isinstance(resolve_loss(name), cls) for name, cls in LOSS_NAMES.items())
    fn = lambda out, y: out  # noqa: E731
    assert resolve_loss(fn) is fn
    mt = resolve_loss({"a": "mse", "b": "cross_entropy"})
    assert isinstance(mt, gk.nn.MultiTaskLoss) and isinstance(mt.loss_for("a"), gk.nn.MSELoss)
    with pytest.raises(ValueError, match="unknown loss 'msee'; valid names: .*mse"):
        resolve_loss("msee")
    with pytest.raises(TypeError, match="loss must be a name or a callable"):
        resolve_loss(3)
