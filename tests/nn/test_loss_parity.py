"""The losses PyTorch has beyond the classic ones: gradcheck, torch parity (values and grads), modules, CTC."""

import json

import numpy as np
import pytest

import gradkit as gk
import gradkit.nn.functional as F
from gradkit.diagnose import gradcheck

from .parity_helpers import compare, rand

REDS = ["mean", "sum", "none"]


def _g(a):
    return gk.tensor(a, requires_grad=True)


def _prob(shape, seed):
    a = np.exp(rand(shape, seed))
    return a / a.sum(-1, keepdims=True)


def _pm1(shape, seed):
    return np.where(np.random.default_rng(seed).random(shape) < 0.5, -1.0, 1.0)


def _cases():
    """name -> (gradkit fn, torch fn, arrays, differentiable inputs)."""
    x, y = rand((4, 5), 1), rand((4, 5), 2)
    lp = np.log(_prob((4, 5), 3))
    p = _prob((4, 5), 4)
    counts = np.random.default_rng(5).poisson(2.0, (4, 5)).astype(float)
    var = np.exp(rand((4, 5), 6) * 0.5)
    var1 = np.exp(rand((4, 1), 7) * 0.5)
    lab = (np.random.default_rng(8).random((4, 5)) < 0.5).astype(float)
    return {
        "kl_div": ("kl_div", {}, [lp, p], None),
        "kl_div_batchmean": ("kl_div", {"reduction": "batchmean"}, [lp, p], None),
        "kl_div_log_target": ("kl_div", {"log_target": True}, [lp, np.log(p)], None),
        "poisson": ("poisson_nll_loss", {}, [x, counts], [0]),
        "poisson_rate_full": ("poisson_nll_loss", {"log_input": False, "full": True}, [np.exp(x), counts], [0]),
        "gaussian": ("gaussian_nll_loss", {}, [x, y, var], None),
        "gaussian_full_shared": ("gaussian_nll_loss", {"full": True}, [x, y, var1], None),
        "gaussian_dropped_dim": ("gaussian_nll_loss", {}, [x, y, var[:, 0]], None),
        "smooth_l1": ("smooth_l1_loss", {"beta": 0.7}, [x, y], None),
        "smooth_l1_beta0": ("smooth_l1_loss", {"beta": 0.0}, [x, y], None),
        "soft_margin": ("soft_margin_loss", {}, [x, _pm1((4, 5), 9)], [0]),
        "multilabel_soft_margin": ("multilabel_soft_margin_loss", {}, [x, lab], [0]),
        "cosine_embedding": ("cosine_embedding_loss", {"margin": 0.1}, [x, y, _pm1((4,), 10)], [0, 1]),
        "cosine_embedding_1d": ("cosine_embedding_loss", {"margin": -0.5}, [x[0], y[0], np.array(-1.0)], [0, 1]),
        "margin_ranking": ("margin_ranking_loss", {"margin": 0.3}, [x[:, 0], y[:, 0], _pm1((4,), 11)], [0, 1]),
        "triplet": ("triplet_margin_loss", {"margin": 2.0}, [x, y, rand((4, 5), 12)], None),
        "triplet_swap_p1": ("triplet_margin_loss", {"margin": 2.0, "p": 1, "swap": True}, [x, y, rand((4, 5), 12)], None),
    }


CASES = _cases()


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradcheck(name):
    fname, kw, arrays, diff = CASES[name]
    diff = list(range(len(arrays))) if diff is None else diff
    if name.startswith("kl_div") and not kw.get("log_target"):
        diff = [0]  # d/dtarget of target log target is fine too, but keep targets positive
    fn = getattr(F, fname)
    tensors = [gk.tensor(a, requires_grad=i in diff) for i, a in enumerate(arrays)]
    report = gradcheck(lambda *t: fn(*t, **kw), tensors)
    assert report.passed, str(report)


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides")
@pytest.mark.parametrize("reduction", REDS)
@pytest.mark.parametrize("name", sorted(CASES))
def test_against_torch(name, reduction):
    torch = pytest.importorskip("torch")
    fname, kw, arrays, diff = CASES[name]
    kw = dict(kw)
    if "reduction" not in kw:
        kw["reduction"] = reduction
    elif reduction != "mean":
        pytest.skip("fixed reduction")
    compare(torch, lambda *t: getattr(F, fname)(*t, **kw), lambda *t: getattr(torch.nn.functional, fname)(*t, **kw),
            arrays, grad=diff)


def test_legacy_size_average_reduce():
    torch = pytest.importorskip("torch")
    x, y = rand((3, 4), 1), rand((3, 4), 2)
    for sa, rd in [(False, None), (None, False), (True, True)]:
        ours = F.smooth_l1_loss(gk.tensor(x), gk.tensor(y), sa, rd)
        with pytest.warns(UserWarning):
            theirs = torch.nn.functional.smooth_l1_loss(torch.tensor(x), torch.tensor(y), sa, rd)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy())


def test_gaussian_nll_errors_and_clamp():
    with pytest.raises(ValueError, match="incorrect size"):
        F.gaussian_nll_loss(gk.zeros(4, 5), gk.zeros(4, 5), gk.ones(4, 3))
    with pytest.raises(ValueError, match="negative"):
        F.gaussian_nll_loss(gk.zeros(2), gk.zeros(2), gk.tensor([1.0, -1.0]))
    torch = pytest.importorskip("torch")
    compare(torch, lambda a, b, v: F.gaussian_nll_loss(a, b, v, eps=0.1),
            lambda a, b, v: torch.nn.functional.gaussian_nll_loss(a, b, v, eps=0.1),
            [rand((3,), 1), rand((3,), 2), np.array([0.01, 1.0, 0.05])])


MODULES = {
    "KLDivLoss": ({"reduction": "batchmean", "log_target": False}, 2),
    "PoissonNLLLoss": ({"log_input": True, "full": True}, 2),
    "GaussianNLLLoss": ({"full": True, "eps": 1e-5}, 3),
    "SmoothL1Loss": ({"beta": 0.5}, 2),
    "SoftMarginLoss": ({}, 2),
    "MultiLabelSoftMarginLoss": ({"reduction": "sum"}, 2),
    "CosineEmbeddingLoss": ({"margin": 0.2}, 3),
    "MarginRankingLoss": ({"margin": 0.2}, 3),
    "TripletMarginLoss": ({"margin": 0.5, "swap": True}, 3),
}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_loss_modules_match_torch_and_rebuild_from_config(name):
    torch = pytest.importorskip("torch")
    kw, n_in = MODULES[name]
    ours, theirs = getattr(gk.nn, name)(**kw), getattr(torch.nn, name)(**kw)
    x, y, z = rand((4, 5), 1), rand((4, 5), 2), rand((4, 5), 3)
    if name == "KLDivLoss":
        arrays, diff = [np.log(_prob((4, 5), 1)), _prob((4, 5), 2)], [0, 1]
    elif name == "PoissonNLLLoss":
        arrays, diff = [x, np.abs(np.round(y * 3))], [0]
    elif name == "GaussianNLLLoss":
        arrays, diff = [x, y, np.exp(z)], None
    elif name in ("SoftMarginLoss",):
        arrays, diff = [x, _pm1((4, 5), 4)], [0]
    elif name == "MultiLabelSoftMarginLoss":
        arrays, diff = [x, (y > 0).astype(float)], [0]
    elif name == "CosineEmbeddingLoss":
        arrays, diff = [x, y, _pm1((4,), 5)], [0, 1]
    elif name == "MarginRankingLoss":
        arrays, diff = [x, y, _pm1((4, 5), 5)], [0, 1]
    elif name == "TripletMarginLoss":
        arrays, diff = [x, y, z], None
    else:
        arrays, diff = [x, y], None
    compare(torch, ours, theirs, arrays, grad=diff)
    spec = {"class": name, "config": json.loads(json.dumps(ours.get_config()))}
    again = gk.nn.module_from_config(spec)
    assert repr(again) == repr(ours)


def test_multilabel_weight_buffer():
    torch = pytest.importorskip("torch")
    w = np.array([0.5, 1.0, 2.0])
    m = gk.nn.MultiLabelSoftMarginLoss(weight=gk.tensor(w))
    assert list(m.state_dict()) == list(torch.nn.MultiLabelSoftMarginLoss(weight=torch.tensor(w)).state_dict())
    compare(torch, m.double(), torch.nn.MultiLabelSoftMarginLoss(weight=torch.tensor(w)),
            [rand((2, 3), 1), np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])], grad=[0])


# ---------------------------------------------------------------------------------------------- CTC
def _ctc_data(seed=0, T=7, N=4, C=5):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((T, N, C))
    tg = np.array([[1, 2, 2, 0], [3, 0, 0, 0], [1, 1, 1, 1], [4, 3, 0, 0]])[:N]
    return z, tg, [7, 5, 6, 3][:N], [3, 1, 2, 2][:N]


@pytest.mark.parametrize("reduction", REDS)
@pytest.mark.parametrize("concat", [False, True])
def test_ctc_matches_torch_through_log_softmax(reduction, concat):
    torch = pytest.importorskip("torch")
    z, tg, il, tl = _ctc_data()
    targets = np.concatenate([t[:n] for t, n in zip(tg, tl)]) if concat else tg
    compare(torch, lambda a: F.ctc_loss(F.log_softmax(a, 2), gk.tensor(targets), il, tl, reduction=reduction),
            lambda a: torch.nn.functional.ctc_loss(a.log_softmax(2), torch.tensor(targets), il, tl, reduction=reduction),
            [z])


def test_ctc_gradcheck_on_log_probs():
    z, tg, il, tl = _ctc_data(T=5, N=2)
    lp = F.log_softmax(gk.tensor(z), 2).detach().requires_grad_(True)
    report = gradcheck(lambda a: F.ctc_loss(a, gk.tensor(tg), [5, 4], [3, 1], reduction="sum"), [lp])
    assert report.passed, str(report)


def test_ctc_impossible_alignment_and_unbatched():
    torch = pytest.importorskip("torch")
    z = rand((3, 1, 4), 1)
    tg = np.array([[1, 1, 1]])  # needs 5 frames (blanks between repeats): impossible in 3
    for zi in (False, True):
        ours = F.ctc_loss(F.log_softmax(gk.tensor(z), 2), gk.tensor(tg), [3], [3], reduction="none", zero_infinity=zi)
        theirs = torch.nn.functional.ctc_loss(torch.tensor(z).log_softmax(2), torch.tensor(tg), [3], [3],
                                              reduction="none", zero_infinity=zi)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy())
    zz = gk.tensor(z, requires_grad=True)
    F.ctc_loss(F.log_softmax(zz, 2), gk.tensor(tg), [3], [3], zero_infinity=True).backward()
    assert np.array_equal(zz.grad.numpy(), np.zeros_like(z))
    # unbatched (T, C) with 1-D targets
    z2 = rand((6, 4), 2)
    compare(torch, lambda a: F.ctc_loss(F.log_softmax(a, 1), gk.tensor([1, 2]), [6], [2]),
            lambda a: torch.nn.functional.ctc_loss(a.log_softmax(1), torch.tensor([1, 2]), torch.tensor([6]),
                                                   torch.tensor([2])), [z2])
    crit = gk.nn.CTCLoss(blank=3)
    t_crit = torch.nn.CTCLoss(blank=3)
    z3, tg3, il3, tl3 = _ctc_data(seed=4)
    tg3 = np.where(tg3 == 3, 0, tg3)
    compare(torch, lambda a: crit(F.log_softmax(a, 2), gk.tensor(tg3), il3, tl3),
            lambda a: t_crit(a.log_softmax(2), torch.tensor(tg3), il3, tl3), [z3])


def test_triplet_with_distance_matches_torch():
    torch = pytest.importorskip("torch")
    a, p, n = rand((4, 5), 1), rand((4, 5), 2), rand((4, 5), 3)
    for swap in (False, True):
        compare(torch, gk.nn.TripletMarginWithDistanceLoss(margin=2.0, swap=swap),
                torch.nn.TripletMarginWithDistanceLoss(margin=2.0, swap=swap), [a, p, n])
        compare(torch, lambda x, y, z: F.triplet_margin_with_distance_loss(
                    x, y, z, distance_function=lambda u, v: 1.0 - F.cosine_similarity(u, v), swap=swap, reduction="none"),
                lambda x, y, z: torch.nn.functional.triplet_margin_with_distance_loss(
                    x, y, z, distance_function=lambda u, v: 1.0 - torch.nn.functional.cosine_similarity(u, v), swap=swap,
                    reduction="none"), [a, p, n])


@pytest.mark.filterwarnings("ignore:size_average and reduce args will be deprecated")
def test_classic_losses_take_torchs_positional_signature():
    torch = pytest.importorskip("torch")
    x, y = rand((4, 3), 1), rand((4, 3), 2)
    labels = np.array([0, 2, 1, 2])
    w = np.array([1.0, 2.0, 0.5])
    cases = [
        ("MSELoss", (None, False, "mean"), [x, y], None),
        ("L1Loss", (False, None, "mean"), [x, y], None),
        ("BCEWithLogitsLoss", (None, None, None, "sum"), [x, (y > 0).astype(float)], [0]),
        ("CrossEntropyLoss", ("W", None, 1, None, "sum", 0.1), [x, labels], [0]),
        ("NLLLoss", ("W", None, 2, None, "none"), [x, labels], [0]),
        ("HingeEmbeddingLoss", (0.5, None, None, "sum"), [x, np.sign(y)], [0]),
        ("MultiMarginLoss", (2, 0.7, "W", False), [x, labels], [0]),
    ]
    for name, args, arrays, diff in cases:
        ours = getattr(gk.nn, name)(*[gk.tensor(w) if a == "W" else a for a in args])
        theirs = getattr(torch.nn, name)(*[torch.tensor(w) if a == "W" else a for a in args])
        assert ours.reduction == theirs.reduction, name
        compare(torch, ours.double(), theirs, arrays, grad=diff)
        spec = {"class": name, "config": json.loads(json.dumps(ours.get_config()))}
        assert "size_average" not in spec["config"] and gk.nn.module_from_config(spec).reduction == ours.reduction
    compare(torch, lambda a, t: F.cross_entropy(a, t, None, None, -100, None, "sum"),
            lambda a, t: torch.nn.functional.cross_entropy(a, t, None, None, -100, None, "sum"), [x, labels], grad=[0])
    compare(torch, lambda a, t: F.mse_loss(a, t, None, False), lambda a, t: torch.nn.functional.mse_loss(a, t, None, False),
            [x, y])
