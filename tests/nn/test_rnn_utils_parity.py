"""nn.utils.rnn (pad/pack/unpack) and packed input to RNN/LSTM/GRU: same outputs, final states and grads as torch."""

import numpy as np
import pytest

import gradkit as gk
from gradkit.nn.utils import rnn as R


def _seqs(lengths, feat=3, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((n, feat)) for n in lengths]


@pytest.mark.parametrize("enforce_sorted,lengths", [(True, [5, 3, 3, 1]), (False, [2, 5, 1, 4]), (False, [3])])
@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_pad_round_trip_matches_torch(enforce_sorted, lengths, batch_first):
    torch = pytest.importorskip("torch")
    tr = torch.nn.utils.rnn
    seqs = _seqs(lengths)
    ours_pad = R.pad_sequence([gk.tensor(s) for s in seqs], batch_first=batch_first)
    t_pad = tr.pad_sequence([torch.tensor(s) for s in seqs], batch_first=batch_first)
    np.testing.assert_array_equal(ours_pad.numpy(), t_pad.numpy())
    xo = gk.tensor(ours_pad.numpy(), requires_grad=True)
    xt = torch.tensor(t_pad.numpy(), requires_grad=True)
    po = R.pack_padded_sequence(xo, lengths, batch_first=batch_first, enforce_sorted=enforce_sorted)
    pt = tr.pack_padded_sequence(xt, torch.tensor(lengths), batch_first=batch_first, enforce_sorted=enforce_sorted)
    np.testing.assert_array_equal(po.data.numpy(), pt.data.detach().numpy())
    np.testing.assert_array_equal(po.batch_sizes.numpy(), pt.batch_sizes.numpy())
    for a, b in ((po.sorted_indices, pt.sorted_indices), (po.unsorted_indices, pt.unsorted_indices)):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    uo, lo = R.pad_packed_sequence(po, batch_first=batch_first, padding_value=-2.0, total_length=6)
    ut, lt = tr.pad_packed_sequence(pt, batch_first=batch_first, padding_value=-2.0, total_length=6)
    np.testing.assert_array_equal(uo.numpy(), ut.detach().numpy())
    np.testing.assert_array_equal(lo.numpy(), lt.numpy())
    w = np.random.default_rng(1).standard_normal(uo.shape)
    (uo * gk.tensor(w)).sum().backward()
    (ut * torch.tensor(w)).sum().backward()
    np.testing.assert_array_equal(xo.grad.numpy(), xt.grad.numpy())
    for a, b in zip(R.unpack_sequence(po), tr.unpack_sequence(pt)):
        np.testing.assert_array_equal(a.numpy(), b.detach().numpy())
    ps = R.pack_sequence([gk.tensor(s) for s in seqs], enforce_sorted=enforce_sorted)
    np.testing.assert_array_equal(ps.data.numpy(), tr.pack_sequence([torch.tensor(s) for s in seqs], enforce_sorted).data.numpy())


def test_pack_errors():
    with pytest.raises(RuntimeError, match="sorted in decreasing order"):
        R.pack_padded_sequence(gk.zeros(3, 2, 1), [1, 3])
    with pytest.raises(RuntimeError, match="at least 1"):
        R.pack_padded_sequence(gk.zeros(3, 2, 1), [3, 0])
    with pytest.raises(ValueError, match="total_length"):
        R.pad_packed_sequence(R.pack_sequence([gk.ones(3)]), total_length=2)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("bidirectional,num_layers,batch_first", [(False, 1, False), (True, 2, True), (True, 1, False)])
def test_rnn_on_packed_input_matches_torch(kind, bidirectional, num_layers, batch_first):
    torch = pytest.importorskip("torch")
    tr = torch.nn.utils.rnn
    ours = getattr(gk.nn, kind)(3, 4, num_layers=num_layers, bidirectional=bidirectional, batch_first=batch_first).double()
    theirs = getattr(torch.nn, kind)(3, 4, num_layers=num_layers, bidirectional=bidirectional,
                                     batch_first=batch_first).double()
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    ours.flatten_parameters()
    theirs.flatten_parameters()
    lengths = [2, 5, 1, 4]
    seqs = _seqs(lengths, seed=3)
    xo = [gk.tensor(s, requires_grad=True) for s in seqs]
    xt = [torch.tensor(s, requires_grad=True) for s in seqs]
    po = R.pack_sequence(xo, enforce_sorted=False)
    pt = tr.pack_sequence(xt, enforce_sorted=False)
    dirs = 2 if bidirectional else 1
    h0 = np.random.default_rng(4).standard_normal((num_layers * dirs, 4, 4))
    if kind == "LSTM":
        hx_o, hx_t = (gk.tensor(h0), gk.tensor(h0 * 0.5)), (torch.tensor(h0), torch.tensor(h0 * 0.5))
    else:
        hx_o, hx_t = gk.tensor(h0), torch.tensor(h0)
    out_o, h_o = ours(po, hx_o)
    out_t, h_t = theirs(pt, hx_t)
    assert isinstance(out_o, R.PackedSequence)
    np.testing.assert_allclose(out_o.data.numpy(), out_t.data.detach().numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(out_o.batch_sizes.numpy(), out_t.batch_sizes.numpy())
    hs_o = h_o if kind == "LSTM" else (h_o,)
    hs_t = h_t if kind == "LSTM" else (h_t,)
    for a, b in zip(hs_o, hs_t):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-9, atol=1e-12)
    rng = np.random.default_rng(5)
    w = rng.standard_normal(out_o.data.shape)
    wh = [rng.standard_normal(a.shape) for a in hs_o]
    loss_o = (out_o.data * gk.tensor(w)).sum() + sum((a * gk.tensor(v)).sum() for a, v in zip(hs_o, wh))
    loss_t = (out_t.data * torch.tensor(w)).sum() + sum((a * torch.tensor(v)).sum() for a, v in zip(hs_t, wh))
    loss_o.backward()
    loss_t.backward()
    for a, b in zip(xo, xt):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-8, atol=1e-10)
    for (k, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-8, atol=1e-10, err_msg=k)
    padded, lens = R.pad_packed_sequence(out_o, batch_first=batch_first)
    assert lens.tolist() == lengths


def test_packed_rejects_lengths_too():
    rnn = gk.nn.GRU(2, 3)
    with pytest.raises(ValueError, match="PackedSequence"):
        rnn(R.pack_sequence([gk.ones(2, 2)]), lengths=[2])
