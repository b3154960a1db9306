"""RNN/LSTM/GRU modules and cells: known values, gradchecks, state_dict, variable lengths, errors."""

import numpy as np
import pytest

import gradkit as gk
from gradkit.diagnose import gradcheck
from gradkit.nn import functional_call


def sig(a):
    return 1.0 / (1.0 + np.exp(-a))


def _np(t):
    return None if t is None else t.numpy().astype(np.float64)


# ----------------------------------------------------------------------------- one step, known values
def test_rnn_cell_one_step_matches_equations(rng):
    for nl, act in (("tanh", np.tanh), ("relu", lambda a: np.maximum(a, 0))):
        cell = gk.nn.RNNCell(3, 4, nonlinearity=nl)
        x, h = rng.standard_normal((2, 3)), rng.standard_normal((2, 4))
        out = cell(gk.tensor(x, dtype="float32"), gk.tensor(h, dtype="float32"))
        W_ih, W_hh, b_ih, b_hh = (_np(p) for p in (cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh))
        want = act(x @ W_ih.T + b_ih + h @ W_hh.T + b_hh)
        np.testing.assert_allclose(out.numpy(), want, rtol=1e-5, atol=1e-6)


def test_lstm_cell_one_step_matches_equations(rng):
    H = 4
    cell = gk.nn.LSTMCell(3, H)
    x, h, c = rng.standard_normal((2, 3)), rng.standard_normal((2, H)), rng.standard_normal((2, H))
    h2, c2 = cell(gk.tensor(x, dtype="float32"), (gk.tensor(h, dtype="float32"), gk.tensor(c, dtype="float32")))
    W_ih, W_hh, b_ih, b_hh = (_np(p) for p in (cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh))
    a = x @ W_ih.T + b_ih + h @ W_hh.T + b_hh
    i, f, g, o = sig(a[:, :H]), sig(a[:, H : 2 * H]), np.tanh(a[:, 2 * H : 3 * H]), sig(a[:, 3 * H :])
    c_want = f * c + i * g
    np.testing.assert_allclose(c2.numpy(), c_want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h2.numpy(), o * np.tanh(c_want), rtol=1e-5, atol=1e-6)


def test_gru_cell_one_step_matches_equations(rng):
    H = 4
    cell = gk.nn.GRUCell(3, H)
    x, h = rng.standard_normal((2, 3)), rng.standard_normal((2, H))
    out = cell(gk.tensor(x, dtype="float32"), gk.tensor(h, dtype="float32"))
    W_ih, W_hh, b_ih, b_hh = (_np(p) for p in (cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh))
    gi, gh = x @ W_ih.T + b_ih, h @ W_hh.T + b_hh
    r = sig(gi[:, :H] + gh[:, :H])
    z = sig(gi[:, H : 2 * H] + gh[:, H : 2 * H])
    n = np.tanh(gi[:, 2 * H :] + r * gh[:, 2 * H :])
    np.testing.assert_allclose(out.numpy(), (1 - z) * n + z * h, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cls,mode", [(gk.nn.RNN, "tanh"), (gk.nn.LSTM, None), (gk.nn.GRU, None)])
def test_one_step_layer_equals_cell(cls, mode, rng):
    """A one-step sequence through the fused layer equals the cell with the same weights."""
    layer = cls(3, 4) if mode is None else cls(3, 4, nonlinearity=mode)
    cell_cls = {gk.nn.RNN: gk.nn.RNNCell, gk.nn.LSTM: gk.nn.LSTMCell, gk.nn.GRU: gk.nn.GRUCell}[cls]
    cell = cell_cls(3, 4)
    cell.load_state_dict({k[: -len("_l0")]: v for k, v in layer.state_dict().items()})
    x = gk.tensor(rng.standard_normal((1, 2, 3)).astype(np.float32))
    out, hn = layer(x)
    ref = cell(x[0])
    ref_h = ref[0] if isinstance(ref, tuple) else ref
    np.testing.assert_allclose(out.numpy()[0], ref_h.numpy(), rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------------------- gradchecks of the modules
CONFIGS = [
    ("RNN", dict(nonlinearity="relu", num_layers=2)),
    ("RNN", dict(bidirectional=True)),
    ("LSTM", dict(num_layers=2, bidirectional=True)),
    ("GRU", dict(num_layers=2, bidirectional=True, batch_first=True)),
    ("LSTM", dict(bias=False, batch_first=True)),
]


@pytest.mark.parametrize("name,kw", CONFIGS)
@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("with_lengths", [False, True])
def test_module_gradcheck_inputs_states_and_parameters(name, kw, fused, with_lengths, rng):
    T, B, I, H = 4, 3, 2, 3
    m = getattr(gk.nn, name)(I, H, dtype="float64", fused=fused, **kw)
    dirs = 2 if m.bidirectional else 1
    shape = (B, T, I) if m.batch_first else (T, B, I)
    x = gk.tensor(rng.standard_normal(shape), dtype="float64", requires_grad=True)
    h0 = gk.tensor(rng.standard_normal((m.num_layers * dirs, B, H)) * 0.5, dtype="float64", requires_grad=True)
    c0 = gk.tensor(rng.standard_normal((m.num_layers * dirs, B, H)) * 0.5, dtype="float64", requires_grad=True)
    names = [n for n, _ in m.named_parameters()]
    params = [gk.tensor(p.numpy().copy(), requires_grad=True) for _, p in m.named_parameters()]
    lengths = np.array([4, 1, 3]) if with_lengths else None

    def fn(x, h0, c0, *ps):
        hx = (h0, c0) if name == "LSTM" else h0
        out, hn = functional_call(m, dict(zip(names, ps)), (x, hx), {"lengths": lengths})
        hs = [hn[0], hn[1]] if name == "LSTM" else [hn]
        return gk.cat([out.reshape(-1)] + [h.reshape(-1) for h in hs])

    res = gradcheck(fn, [x, h0, c0, *params])
    assert res.passed, str(res)


def test_lengths_give_per_sequence_results(rng):
    """Each padded sequence gets what it gets when run alone, in both directions and across layers."""
    m = gk.nn.LSTM(2, 3, num_layers=2, bidirectional=True, batch_first=True, dtype="float64")
    lengths = [5, 2, 4]
    x = gk.tensor(rng.standard_normal((3, 5, 2)), dtype="float64")
    out, (h, c) = m(x, lengths=lengths)
    for b, L in enumerate(lengths):
        ob, (hb, cb) = m(x[b : b + 1, :L])
        np.testing.assert_allclose(out.numpy()[b, :L], ob.numpy()[0], atol=1e-12)
        np.testing.assert_allclose(h.numpy()[:, b], hb.numpy()[:, 0], atol=1e-12)
        np.testing.assert_allclose(c.numpy()[:, b], cb.numpy()[:, 0], atol=1e-12)
        assert np.all(out.numpy()[b, L:] == 0)
    # an equivalent (batch, time) mask gives the same
    mask = np.arange(5)[None, :] < np.array(lengths)[:, None]
    out2, _ = m(x, mask=mask)
    np.testing.assert_array_equal(out2.numpy(), out.numpy())


def test_dropout_only_between_layers(rng):
    x = gk.tensor(rng.standard_normal((6, 2, 3)).astype(np.float32))
    m = gk.nn.GRU(3, 4, num_layers=2, dropout=0.5)
    ref = gk.nn.GRU(3, 4, num_layers=2)
    ref.load_state_dict(m.state_dict())
    m.eval()
    np.testing.assert_array_equal(m(x)[0].numpy(), ref(x)[0].numpy())
    m.train()
    assert not np.allclose(m(x)[0].numpy(), ref(x)[0].numpy())
    one = gk.nn.GRU(3, 4, num_layers=1, dropout=0.5)  # no layer after the last: dropout has no effect
    ref1 = gk.nn.GRU(3, 4)
    ref1.load_state_dict(one.state_dict())
    np.testing.assert_array_equal(one(x)[0].numpy(), ref1(x)[0].numpy())


def test_unbatched_and_batch_first_layouts(rng):
    m = gk.nn.LSTM(3, 4, num_layers=2)
    x = gk.tensor(rng.standard_normal((5, 3)).astype(np.float32))
    out, (h, c) = m(x)
    assert out.shape == (5, 4) and h.shape == (2, 4) and c.shape == (2, 4)
    out_b, (h_b, _) = m(x.unsqueeze(1))
    np.testing.assert_allclose(out.numpy(), out_b.numpy()[:, 0], rtol=1e-6)
    mb = gk.nn.LSTM(3, 4, num_layers=2, batch_first=True)
    mb.load_state_dict(m.state_dict())
    out_f, _ = mb(x.unsqueeze(0))
    np.testing.assert_allclose(out_f.numpy()[0], out.numpy(), rtol=1e-6)


# ----------------------------------------------------------------------------- state_dict
def test_state_dict_names_and_shapes_match_torch_layout():
    m = gk.nn.LSTM(10, 20, num_layers=2, bidirectional=True)
    sd = m.state_dict()
    expect = []
    for k in range(2):
        in_size = 10 if k == 0 else 40
        for sfx in ("", "_reverse"):
            expect += [
                (f"weight_ih_l{k}{sfx}", (80, in_size)),
                (f"weight_hh_l{k}{sfx}", (80, 20)),
                (f"bias_ih_l{k}{sfx}", (80,)),
                (f"bias_hh_l{k}{sfx}", (80,)),
            ]
    assert [(n, tuple(v.shape)) for n, v in sd.items()] == expect
    g = gk.nn.GRU(3, 5, bias=False)
    assert [(n, tuple(v.shape)) for n, v in g.state_dict().items()] == [("weight_ih_l0", (15, 3)), ("weight_hh_l0", (15, 5))]
    cell = gk.nn.LSTMCell(3, 5)
    assert {n: tuple(v.shape) for n, v in cell.state_dict().items()} == {
        "weight_ih": (20, 3), "weight_hh": (20, 5), "bias_ih": (20,), "bias_hh": (20,)
    }


def test_init_is_uniform_in_one_over_sqrt_hidden():
    m = gk.nn.GRU(7, 16, num_layers=2)
    k = 1 / np.sqrt(16)
    allw = np.concatenate([p.numpy().ravel() for p in m.parameters()])
    assert allw.min() >= -k and allw.max() <= k
    assert allw.min() < -0.9 * k and allw.max() > 0.9 * k
    assert abs(allw.mean()) < 0.02
    assert all(p.dtype == np.float32 for p in m.parameters())


# ----------------------------------------------------------------------------- errors
def test_wrong_feature_size_names_shapes():
    m = gk.nn.LSTM(32, 8)
    with pytest.raises(ValueError, match=r"LSTM\(32, 8\).*32 features.*got input of shape \(5, 2, 31\)"):
        m(gk.zeros(5, 2, 31))
    with pytest.raises(ValueError, match=r"expected input of shape \(batch, 3\).*got \(2, 4\)"):
        gk.nn.GRUCell(3, 4)(gk.zeros(2, 4))


def test_wrong_initial_state_shape_names_shapes():
    m = gk.nn.GRU(3, 4, num_layers=2, bidirectional=True)
    with pytest.raises(ValueError, match=r"expected hx of shape \(4, 2, 4\).*got \(2, 2, 4\)"):
        m(gk.zeros(5, 2, 3), gk.zeros(2, 2, 4))
    lstm = gk.nn.LSTM(3, 4)
    with pytest.raises(ValueError, match=r"expected c_0 of shape \(1, 2, 4\).*got \(1, 2, 5\)"):
        lstm(gk.zeros(5, 2, 3), (gk.zeros(1, 2, 4), gk.zeros(1, 2, 5)))
    with pytest.raises(TypeError, match="pair"):
        lstm(gk.zeros(5, 2, 3), gk.zeros(1, 2, 4))
    with pytest.raises(ValueError, match=r"expected h_0 of shape \(2, 4\), got \(3, 4\)"):
        gk.nn.LSTMCell(3, 4)(gk.zeros(2, 3), (gk.zeros(3, 4), gk.zeros(2, 4)))


def test_lengths_longer_than_sequence_names_shapes():
    m = gk.nn.RNN(3, 4, batch_first=True)
    with pytest.raises(ValueError, match=r"sequence length 5.*length of 7"):
        m(gk.zeros(2, 5, 3), lengths=[7, 2])
    with pytest.raises(ValueError, match=r"expected lengths of shape \(2,\).*got \(3,\)"):
        m(gk.zeros(2, 5, 3), lengths=[1, 2, 3])
    with pytest.raises(ValueError, match=r"expected a mask of shape \(2, 5\)"):
        m(gk.zeros(2, 5, 3), mask=np.ones((5, 2), bool))


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="nonlinearity"):
        gk.nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="hidden_size"):
        gk.nn.LSTM(3, 0)
    with pytest.raises(ValueError, match="dropout"):
        gk.nn.GRU(3, 4, dropout=1.5)


# ----------------------------------------------------------------------------- pad_sequence, training
def test_pad_sequence_values_and_gradient():
    a = gk.tensor([[1.0], [2.0], [3.0]], requires_grad=True)
    b = gk.tensor([[4.0]], requires_grad=True)
    p = gk.nn.pad_sequence([a, b], batch_first=True, padding_value=-1.0)
    np.testing.assert_array_equal(p.numpy()[..., 0], [[1, 2, 3], [4, -1, -1]])
    p_tm = gk.nn.pad_sequence([a, b])
    assert p_tm.shape == (3, 2, 1)
    left = gk.nn.pad_sequence([a, b], batch_first=True, padding_side="left")
    np.testing.assert_array_equal(left.numpy()[1, :, 0], [0, 0, 4])
    (p * 2).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [[2], [2], [2]])
    with pytest.raises(ValueError, match="trailing"):
        gk.nn.pad_sequence([gk.zeros(2, 3), gk.zeros(2, 4)])


def test_lstm_learns_to_remember_the_first_element():
    """Many-to-one memory task: the label is the sign of the first input (+-1, then small noise);
    the LSTM must carry it across 12 steps."""
    gen = np.random.default_rng(1)
    T, B = 12, 64
    m = gk.nn.LSTM(1, 8, batch_first=True)
    head = gk.nn.Linear(8, 1)
    params = list(m.parameters()) + list(head.parameters())
    moments = [[np.zeros_like(p.numpy()), np.zeros_like(p.numpy())] for p in params]
    for step in range(120):
        xs = (0.2 * gen.standard_normal((B, T, 1))).astype(np.float32)
        xs[:, 0, 0] = np.sign(xs[:, 0, 0])
        y = (xs[:, 0, 0] > 0).astype(np.float32)
        out, (h, _) = m(gk.tensor(xs))
        logit = head(h[0]).reshape(-1)
        p = logit.sigmoid()
        yt = gk.tensor(y)
        loss = -(yt * (p + 1e-7).log() + (1 - yt) * (1 - p + 1e-7).log()).mean()
        for p in params:
            p.grad = None
        loss.backward()
        norm = np.sqrt(sum(float((p.grad.numpy() ** 2).sum()) for p in params))
        scale = min(1.0, 1.0 / (norm + 1e-6))  # clip the global gradient norm to 1
        with gk.no_grad():  # a minimal Adam (lr 0.01), so this test depends on the layer only
            for p, (m1, m2) in zip(params, moments):
                g = p.grad.numpy() * scale
                m1 += 0.1 * (g - m1)
                m2 += 0.001 * (g * g - m2)
                mh, vh = m1 / (1 - 0.9 ** (step + 1)), m2 / (1 - 0.999 ** (step + 1))
                p.array -= (0.01 * mh / (np.sqrt(vh) + 1e-8)).astype(p.dtype)
    assert loss.item() < 0.1
