"""Attention and the Transformer: values and gradients as PyTorch's (weights copied across), the layer
contract with float64 gradient checks, masks in both conventions, and errors that name the layer."""

import numpy as np
import pytest

import gradkit as gk
from gradkit import nn
from gradkit.testing import check_layer

F = gk.nn.functional


def _copy_from_torch(gk_mod, t_mod):
    sd = {k: v.detach().numpy().copy() for k, v in t_mod.state_dict().items()}
    missing = set(gk_mod.state_dict()) ^ set(sd)
    assert not missing, f"parameter names differ from torch's: {sorted(missing)}"
    gk_mod.load_state_dict(sd)


def _grads_match(gk_params, t_params, rtol=1e-4, atol=1e-5):
    for (name, p), tp in zip(gk_params, t_params):
        assert p.grad is not None, name
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=rtol, atol=atol, err_msg=name)


# ------------------------------------------------------------------ scaled_dot_product_attention
SDPA_CASES = [
    ("plain", (2, 4, 8), (2, 6, 8), (2, 6, 5), {}),
    ("heads", (2, 3, 4, 8), (2, 3, 6, 8), (2, 3, 6, 8), {}),
    ("broadcast_kv", (2, 3, 4, 8), (1, 3, 6, 8), (1, 3, 6, 8), {}),
    ("causal", (2, 5, 8), (2, 5, 8), (2, 5, 8), {"is_causal": True}),
    ("scale", (3, 4, 8), (3, 6, 8), (3, 6, 2), {"scale": 0.3}),
    ("bool_mask", (2, 4, 8), (2, 6, 8), (2, 6, 3), {"attn_mask": "bool"}),
    ("float_mask", (2, 4, 8), (2, 6, 8), (2, 6, 3), {"attn_mask": "float"}),
    ("gqa", (2, 4, 3, 8), (2, 2, 5, 8), (2, 2, 5, 8), {"enable_gqa": True}),
    ("one_query", (1, 1, 4), (1, 3, 4), (1, 3, 4), {}),
]


@pytest.mark.parametrize("name,qs,ks,vs,kw", SDPA_CASES, ids=[c[0] for c in SDPA_CASES])
def test_sdpa_matches_torch(name, qs, ks, vs, kw):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(np.float64) for s in (qs, ks, vs)]
    kw = dict(kw)
    mask = kw.pop("attn_mask", None)
    L, S = qs[-2], ks[-2]
    if mask == "bool":
        m = rng.random((L, S)) > 0.4
        m[:, 0] = True  # no query with every key masked
        kw_gk, kw_t = {"attn_mask": m}, {"attn_mask": torch.tensor(m)}
    elif mask == "float":
        m = rng.standard_normal((L, S))
        kw_gk, kw_t = {"attn_mask": gk.tensor(m)}, {"attn_mask": torch.tensor(m)}
    else:
        kw_gk, kw_t = {}, {}
    g = [gk.tensor(a, requires_grad=True) for a in arrays]
    t = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = F.scaled_dot_product_attention(*g, **kw_gk, **kw)
    ref = torch.nn.functional.scaled_dot_product_attention(*t, **kw_t, **kw)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-10, atol=1e-10)
    w = rng.standard_normal(ref.shape)
    (out * gk.tensor(w)).sum().backward()
    (ref * torch.tensor(w)).sum().backward()
    for a, b in zip(g, t):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-9, atol=1e-10)


def test_sdpa_gradcheck_and_errors():
    q, k, v = (gk.randn(2, 3, 4, dtype="float64", requires_grad=True) for _ in range(3))
    res = gk.diagnose.gradcheck(lambda q, k, v: (F.scaled_dot_product_attention(q, k, v, is_causal=True) ** 2).sum(),
                                [q, k, v])
    assert res.passed, res
    with pytest.raises(ValueError, match="embedding size"):
        F.scaled_dot_product_attention(gk.randn(2, 3, 4), gk.randn(2, 3, 5), gk.randn(2, 3, 5))
    with pytest.raises(ValueError, match="not both"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=np.ones((3, 3), bool), is_causal=True)


# ------------------------------------------------------------------ MultiheadAttention
MHA_CASES = [
    ("seq_first", dict(), {}),
    ("batch_first", dict(batch_first=True), {}),
    ("kdim_vdim", dict(kdim=5, vdim=3, batch_first=True), {}),
    ("bias_kv_zero_attn", dict(add_bias_kv=True, add_zero_attn=True, batch_first=True), {}),
    ("no_bias", dict(bias=False, batch_first=True), {}),
    ("padding_mask", dict(batch_first=True), {"key_padding_mask": True}),
    ("attn_mask_bool", dict(batch_first=True), {"attn_mask": "bool"}),
    ("attn_mask_float", dict(batch_first=True), {"attn_mask": "float"}),
    ("per_head_weights", dict(batch_first=True), {"average_attn_weights": False}),
    ("causal", dict(batch_first=True), {"is_causal": True}),
]


@pytest.mark.parametrize("name,ctor,call", MHA_CASES, ids=[c[0] for c in MHA_CASES])
def test_multihead_attention_matches_torch(name, ctor, call):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    E, H, B, L, S = 8, 2, 3, 4, 5
    t_mod = torch.nn.MultiheadAttention(E, H, dtype=torch.float64, **ctor)
    g_mod = nn.MultiheadAttention(E, H, dtype="float64", **ctor)
    _copy_from_torch(g_mod, t_mod)
    bf = ctor.get("batch_first", False)
    rng = np.random.default_rng(1)
    kd, vd = ctor.get("kdim", E), ctor.get("vdim", E)
    shape = (lambda n, d: (B, n, d)) if bf else (lambda n, d: (n, B, d))
    if name == "causal":
        S = L
    arrays = [rng.standard_normal(shape(L, E)), rng.standard_normal(shape(S, kd)), rng.standard_normal(shape(S, vd))]
    kw_g, kw_t = {}, {}
    if call.get("key_padding_mask"):
        m = np.zeros((B, S), bool)
        m[0, -2:] = True
        m[2, 1] = True
        kw_g["key_padding_mask"], kw_t["key_padding_mask"] = m, torch.tensor(m)
    if call.get("attn_mask") == "bool":
        m = rng.random((L, S)) > 0.6
        m[:, 0] = False
        kw_g["attn_mask"], kw_t["attn_mask"] = m, torch.tensor(m)
    elif call.get("attn_mask") == "float":
        m = rng.standard_normal((L, S))
        kw_g["attn_mask"], kw_t["attn_mask"] = gk.tensor(m), torch.tensor(m)
    if "average_attn_weights" in call:
        kw_g["average_attn_weights"] = kw_t["average_attn_weights"] = call["average_attn_weights"]
    if call.get("is_causal"):
        cm = np.triu(np.ones((L, S), bool), 1)
        kw_t["attn_mask"], kw_t["is_causal"] = torch.tensor(cm), True
        kw_g["is_causal"] = True
    g_in = [gk.tensor(a, requires_grad=True) for a in arrays]
    t_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, w = g_mod(*g_in, **kw_g)
    ref, rw = t_mod(*t_in, **kw_t)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(w.numpy(), rw.detach().numpy(), rtol=1e-9, atol=1e-10)
    gw = rng.standard_normal(ref.shape)
    ((out * gk.tensor(gw)).sum() + (w ** 2).sum()).backward()
    ((ref * torch.tensor(gw)).sum() + (rw ** 2).sum()).backward()
    _grads_match(list(g_mod.named_parameters()), list(t_mod.parameters()), rtol=1e-8, atol=1e-9)
    for a, b in zip(g_in, t_in):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-8, atol=1e-9)


def test_multihead_attention_unbatched_and_errors():
    mha = nn.MultiheadAttention(6, 3)
    out, w = mha(gk.randn(4, 6), gk.randn(5, 6), gk.randn(5, 6))
    assert out.shape == (4, 6) and w.shape == (4, 5)
    assert mha(gk.randn(4, 2, 6), gk.randn(5, 2, 6), gk.randn(5, 2, 6), need_weights=False)[1] is None
    with pytest.raises(ValueError, match="divisible"):
        nn.MultiheadAttention(7, 2)
    with pytest.raises(ValueError, match="query must have 6 features"):
        mha(gk.randn(4, 2, 5), gk.randn(5, 2, 6), gk.randn(5, 2, 6))
    with pytest.raises(ValueError, match="key_padding_mask"):
        mha(gk.randn(4, 2, 6), gk.randn(5, 2, 6), gk.randn(5, 2, 6), key_padding_mask=np.zeros((2, 4), bool))


# ------------------------------------------------------------------ encoder / decoder / Transformer
@pytest.mark.parametrize("norm_first,activation", [(False, "relu"), (True, "gelu")])
def test_encoder_and_decoder_layers_match_torch(norm_first, activation):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    kw = dict(dim_feedforward=16, dropout=0.0, activation=activation, batch_first=True, norm_first=norm_first)
    rng = np.random.default_rng(2)
    src, tgt = rng.standard_normal((2, 5, 8)), rng.standard_normal((2, 4, 8))
    pad = np.array([[False] * 4 + [True], [False] * 5])
    for t_cls, g_cls, args in ((torch.nn.TransformerEncoderLayer, nn.TransformerEncoderLayer, (src,)),
                               (torch.nn.TransformerDecoderLayer, nn.TransformerDecoderLayer, (tgt, src))):
        t_mod = t_cls(8, 2, dtype=torch.float64, **kw)
        g_mod = g_cls(8, 2, dtype="float64", **kw)
        _copy_from_torch(g_mod, t_mod)
        t_mod.eval()
        g_in = [gk.tensor(a, requires_grad=True) for a in args]
        t_in = [torch.tensor(a, requires_grad=True) for a in args]
        if len(args) == 1:
            out = g_mod(*g_in, src_key_padding_mask=pad)
            ref = t_mod(*t_in, src_key_padding_mask=torch.tensor(pad))
        else:
            cm = nn.Transformer.generate_square_subsequent_mask(4, dtype="float64")
            out = g_mod(*g_in, tgt_mask=cm, memory_key_padding_mask=pad)
            ref = t_mod(*t_in, tgt_mask=torch.tensor(cm.numpy()), memory_key_padding_mask=torch.tensor(pad))
        np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-8, atol=1e-9)
        (out ** 2).sum().backward()
        (ref ** 2).sum().backward()
        _grads_match(list(g_mod.named_parameters()), list(t_mod.parameters()), rtol=1e-7, atol=1e-8)


def test_transformer_matches_torch_and_starts_xavier():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    kw = dict(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=16, dropout=0.0)
    t_mod = torch.nn.Transformer(dtype=torch.float64, **kw)
    g_mod = nn.Transformer(dtype="float64", **kw)
    w = g_mod.encoder.layers[0].linear1.weight.numpy()
    bound = np.sqrt(6 / (8 + 16))
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.5 * bound
    _copy_from_torch(g_mod, t_mod)
    rng = np.random.default_rng(3)
    src, tgt = rng.standard_normal((6, 2, 8)), rng.standard_normal((5, 2, 8))
    mask = nn.Transformer.generate_square_subsequent_mask(5, dtype="float64")
    np.testing.assert_array_equal(mask.numpy(), torch.nn.Transformer.generate_square_subsequent_mask(5).numpy())
    out = g_mod(gk.tensor(src), gk.tensor(tgt), tgt_mask=mask)
    ref = t_mod(torch.tensor(src), torch.tensor(tgt), tgt_mask=torch.tensor(mask.numpy()))
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-8, atol=1e-9)


CONTRACT = [
    ("mha", lambda: nn.MultiheadAttention(4, 2, batch_first=True), (2, 3, 4), (2, 3, 4)),
    ("encoder_layer", lambda: nn.TransformerEncoderLayer(4, 2, 8, dropout=0.1, batch_first=True), (2, 3, 4), (2, 3, 4)),
    ("encoder_layer_prenorm", lambda: nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0, norm_first=True,
                                                                 activation="gelu"), (3, 2, 4), (3, 2, 4)),
]


@pytest.mark.parametrize("name,make,shape,out_shape", CONTRACT, ids=[c[0] for c in CONTRACT])
def test_layer_contract(name, make, shape, out_shape):
    if name == "mha":
        class SelfAttention(nn.Module):
            def __init__(self):
                super().__init__()
                self.mha = make()

            def forward(self, x):
                return self.mha(x, x, x)[0]
        report = check_layer(SelfAttention, shape, expected_output_shape=out_shape, check_config=True)
    else:
        report = check_layer(make, shape, expected_output_shape=out_shape, stochastic="dropout=0.1" in name or
                             name == "encoder_layer", check_config=True)
    assert report["output_shape"] == out_shape
