"""The new parameterized layers trade safetensors weights with torch both ways (names, shapes, values)."""

import numpy as np
import pytest

import gradkit as gk

from .parity_helpers import rand

LAYERS = {
    "Bilinear": (lambda lib: lib.nn.Bilinear(3, 4, 2), [(5, 3), (5, 4)]),
    "GroupNorm": (lambda lib: lib.nn.GroupNorm(2, 4), [(3, 4, 5)]),
    "InstanceNorm1d": (lambda lib: lib.nn.InstanceNorm1d(4, affine=True, track_running_stats=True), [(3, 4, 5)]),
    "InstanceNorm2d": (lambda lib: lib.nn.InstanceNorm2d(3, affine=True), [(2, 3, 4, 4)]),
    "Embedding": (lambda lib: lib.nn.Embedding(7, 3, padding_idx=0, max_norm=None), None),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_safetensors_both_ways(name, tmp_path):
    torch = pytest.importorskip("torch")
    st = pytest.importorskip("safetensors.torch")
    make, shapes = LAYERS[name]
    ours, theirs = make(gk).double(), make(torch).double()
    # torch -> gradkit
    with torch.no_grad():
        for p in theirs.parameters():
            p.copy_(torch.randn_like(p))
    st.save_file({k: v.contiguous() for k, v in theirs.state_dict().items()}, str(tmp_path / "t.safetensors"))
    ours.load_state_dict(gk.io.load(str(tmp_path / "t.safetensors")))
    if shapes is None:
        ids = np.array([[0, 3, 6]])
        np.testing.assert_allclose(ours(gk.tensor(ids)).numpy(), theirs(torch.tensor(ids)).detach().numpy())
    else:
        xs = [rand(s, i) for i, s in enumerate(shapes)]
        ours.eval(), theirs.eval()
        np.testing.assert_allclose(ours(*[gk.tensor(x) for x in xs]).numpy(),
                                   theirs(*[torch.tensor(x) for x in xs]).detach().numpy(), rtol=1e-10)
    # gradkit -> torch
    for p in ours.parameters():
        p.array[...] = np.random.default_rng(3).standard_normal(p.shape)
    gk.io.save(ours, str(tmp_path / "g.safetensors"))
    loaded = st.load_file(str(tmp_path / "g.safetensors"))
    theirs.load_state_dict(loaded)
    for k, v in ours.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), theirs.state_dict()[k].numpy())
