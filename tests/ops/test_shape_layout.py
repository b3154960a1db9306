"""Shape and layout ops against torch: values and gradients on random shapes (0-d, empty, batched),
a float64 gradient check each, and PyTorch's errors (RuntimeError-catchable)."""

import numpy as np
import pytest

import gradkit as gk

from ._torch_compare import compare

torch = pytest.importorskip("torch")

R = np.random.default_rng(0)


def a(*shape):
    return R.standard_normal(shape)


# (id, gradkit function, torch function, input arrays)
CASES = [
    ("t", lambda x: x.t(), lambda x: x.t(), [a(3, 4)]),
    ("t_1d", lambda x: x.t(), lambda x: x.t(), [a(3)]),
    ("narrow", lambda x: x.narrow(1, 1, 2), lambda x: x.narrow(1, 1, 2), [a(3, 4)]),
    ("narrow_neg", lambda x: gk.narrow(x, -1, -3, 2), lambda x: torch.narrow(x, -1, -3, 2), [a(3, 4)]),
    ("contiguous", lambda x: x.T.contiguous(), lambda x: x.T.contiguous(), [a(3, 4)]),
    ("view_as", lambda x, y: x.view_as(y), lambda x, y: x.view_as(y), [a(3, 4), a(2, 6)]),
    ("reshape_as", lambda x, y: x.reshape_as(y), lambda x, y: x.reshape_as(y), [a(3, 4), a(12)]),
    ("expand_as", lambda x, y: x.expand_as(y), lambda x, y: x.expand_as(y), [a(3, 1), a(2, 3, 4)]),
    ("repeat", lambda x: x.repeat(2, 1, 3), lambda x: x.repeat(2, 1, 3), [a(3, 2)]),
    ("repeat_0d", lambda x: x.repeat(2, 2), lambda x: x.repeat(2, 2), [a()]),
    ("repeat_zero", lambda x: x.repeat(0, 2), lambda x: x.repeat(0, 2), [a(3, 2)]),
    ("tile", lambda x: x.tile((2,)), lambda x: x.tile((2,)), [a(3, 2)]),
    ("tile_more", lambda x: gk.tile(x, (2, 1, 2)), lambda x: torch.tile(x, (2, 1, 2)), [a(3, 2)]),
    ("repeat_interleave", lambda x: x.repeat_interleave(2), lambda x: x.repeat_interleave(2), [a(2, 3)]),
    ("repeat_interleave_dim", lambda x: x.repeat_interleave(3, dim=1), lambda x: x.repeat_interleave(3, dim=1), [a(2, 3)]),
    ("repeat_interleave_tensor", lambda x: x.repeat_interleave(gk.tensor([1, 0, 2]), dim=-1),
     lambda x: x.repeat_interleave(torch.tensor([1, 0, 2]), dim=-1), [a(2, 3)]),
    ("flip", lambda x: x.flip((0, 2)), lambda x: x.flip((0, 2)), [a(2, 3, 4)]),
    ("flip_0d", lambda x: gk.flip(x, ()), lambda x: torch.flip(x, ()), [a()]),
    ("fliplr", gk.fliplr, torch.fliplr, [a(2, 3, 4)]),
    ("flipud", gk.flipud, torch.flipud, [a(2, 3)]),
    ("roll", lambda x: x.roll(1, 0), lambda x: x.roll(1, 0), [a(3, 4)]),
    ("roll_flat", lambda x: x.roll(-5), lambda x: x.roll(-5), [a(3, 4)]),
    ("roll_multi", lambda x: x.roll((1, -2), (1, 0)), lambda x: x.roll((1, -2), (1, 0)), [a(3, 4, 2)]),
    ("rot90", lambda x: x.rot90(), lambda x: x.rot90(), [a(2, 3, 4)]),
    ("rot90_k2", lambda x: x.rot90(2, (1, 2)), lambda x: x.rot90(2, (1, 2)), [a(2, 3, 4)]),
    ("rot90_k3", lambda x: x.rot90(-1, (2, 0)), lambda x: x.rot90(-1, (2, 0)), [a(2, 3, 4)]),
    ("tril", lambda x: x.tril(), lambda x: x.tril(), [a(2, 3, 4)]),
    ("tril_k", lambda x: x.tril(-1), lambda x: x.tril(-1), [a(4, 3)]),
    ("triu_k", lambda x: gk.triu(x, diagonal=2), lambda x: torch.triu(x, diagonal=2), [a(3, 5)]),
    ("diag_1d", lambda x: x.diag(1), lambda x: x.diag(1), [a(3)]),
    ("diag_2d", lambda x: x.diag(-1), lambda x: x.diag(-1), [a(3, 4)]),
    ("diagonal", lambda x: x.diagonal(), lambda x: x.diagonal(), [a(3, 4)]),
    ("diagonal_dims", lambda x: x.diagonal(1, 2, 0), lambda x: x.diagonal(1, 2, 0), [a(3, 2, 4)]),
    ("diagonal_off_out", lambda x: x.diagonal(7), lambda x: x.diagonal(7), [a(3, 4)]),
    ("diag_embed", lambda x: x.diag_embed(), lambda x: x.diag_embed(), [a(2, 3)]),
    ("diag_embed_dims", lambda x: x.diag_embed(-1, 0, 2), lambda x: x.diag_embed(-1, 0, 2), [a(2, 3)]),
    ("diagflat", lambda x: x.diagflat(1), lambda x: x.diagflat(1), [a(2, 2)]),
    ("unflatten", lambda x: x.unflatten(1, (2, -1)), lambda x: x.unflatten(1, (2, -1)), [a(3, 8)]),
    ("unfold", lambda x: x.unfold(1, 3, 2), lambda x: x.unfold(1, 3, 2), [a(2, 7, 3)]),
    ("unfold_0d", lambda x: x.unfold(0, 1, 1), lambda x: x.unfold(0, 1, 1), [a()]),
    ("movedim", lambda x: x.movedim(0, -1), lambda x: x.movedim(0, -1), [a(2, 3, 4)]),
    ("movedim_multi", lambda x: gk.movedim(x, (0, 1), (2, 0)), lambda x: torch.movedim(x, (0, 1), (2, 0)), [a(2, 3, 4)]),
    ("moveaxis", lambda x: x.moveaxis(2, 0), lambda x: x.moveaxis(2, 0), [a(2, 3, 4)]),
    ("swapaxes", lambda x: x.swapaxes(0, 2), lambda x: x.swapaxes(0, 2), [a(2, 3, 4)]),
    ("swapdims", lambda x: gk.swapdims(x, 0, 1), lambda x: torch.swapdims(x, 0, 1), [a(2, 3, 4)]),
    ("tensor_split_n", lambda x: x.tensor_split(3, 1), lambda x: x.tensor_split(3, 1), [a(2, 7)]),
    ("tensor_split_idx", lambda x: x.tensor_split([1, 5, 4, 9]), lambda x: x.tensor_split([1, 5, 4, 9]), [a(7, 2)]),
    ("hsplit", lambda x: x.hsplit(2), lambda x: x.hsplit(2), [a(3, 4)]),
    ("vsplit", lambda x: x.vsplit([1]), lambda x: x.vsplit([1]), [a(3, 4)]),
    ("dsplit", lambda x: gk.dsplit(x, 2), lambda x: torch.dsplit(x, 2), [a(1, 3, 4)]),
    ("unbind", lambda x: x.unbind(1), lambda x: x.unbind(1), [a(2, 3)]),
    ("split_sizes", lambda x: x.split([1, 3], 1), lambda x: x.split([1, 3], 1), [a(2, 4)]),
    ("split_int", lambda x: x.split(3), lambda x: x.split(3), [a(7)]),
    ("chunk", lambda x: x.chunk(3, 1), lambda x: x.chunk(3, 1), [a(2, 7)]),
    ("meshgrid_ij", lambda x, y: gk.meshgrid(x, y, indexing="ij"), lambda x, y: torch.meshgrid(x, y, indexing="ij"),
     [a(2), a(3)]),
    ("meshgrid_xy", lambda x, y, z: gk.meshgrid(x, y, z, indexing="xy"),
     lambda x, y, z: torch.meshgrid(x, y, z, indexing="xy"), [a(2), a(3), a(4)]),
    ("broadcast_tensors", gk.broadcast_tensors, torch.broadcast_tensors, [a(3, 1), a(4), a()]),
    ("block_diag", gk.block_diag, torch.block_diag, [a(2, 3), a(), a(2), a(1, 1)]),
    ("cartesian_prod", gk.cartesian_prod, torch.cartesian_prod, [a(2), a(3), a(2)]),
    ("atleast_2d", gk.atleast_2d, torch.atleast_2d, [a(3)]),
    ("atleast_3d", lambda x, y: gk.atleast_3d(x, y), lambda x, y: torch.atleast_3d(x, y), [a(3), a(2, 3)]),
    ("atleast_1d_0d", gk.atleast_1d, torch.atleast_1d, [a()]),
    ("squeeze_tuple", lambda x: x.squeeze((0, 2)), lambda x: x.squeeze((0, 2)), [a(1, 3, 1, 1)]),
    ("squeeze_0d", lambda x: x.squeeze(-1), lambda x: x.squeeze(-1), [a()]),
    ("unsqueeze_0d", lambda x: x.unsqueeze(-1), lambda x: x.unsqueeze(-1), [a()]),
    ("flatten_0d", lambda x: x.flatten(), lambda x: x.flatten(), [a()]),
    ("empty_flip", lambda x: x.flip(0), lambda x: x.flip(0), [a(0, 3)]),
    ("empty_tril", lambda x: x.tril(), lambda x: x.tril(), [a(2, 0, 3)]),
    ("empty_repeat", lambda x: x.repeat(2, 2), lambda x: x.repeat(2, 2), [a(0, 3)]),
    ("empty_diag_embed", lambda x: x.diag_embed(), lambda x: x.diag_embed(), [a(0, 2)]),
    ("empty_unbind", lambda x: x.unbind(0), lambda x: x.unbind(0), [a(0, 2)]),
]


@pytest.mark.parametrize("gk_fn,torch_fn,arrays", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_layout_op_matches_torch(gk_fn, torch_fn, arrays):
    compare(gk_fn, torch_fn, arrays)


def test_contiguity():
    x = gk.zeros(3, 4)
    assert x.is_contiguous() and x.contiguous() is x
    assert not x.T.is_contiguous() and x.T.contiguous().is_contiguous()


def test_broadcast_shapes_and_repeat_interleave_counts():
    assert gk.broadcast_shapes((3, 1), (4,), ()) == torch.broadcast_shapes((3, 1), (4,), ())
    assert gk.broadcast_shapes(2, (3, 1)) == torch.broadcast_shapes(2, (3, 1))
    assert gk.repeat_interleave(gk.tensor([2, 0, 1])).tolist() == [0, 0, 2]


@pytest.mark.parametrize("call", [
    lambda m: m.reshape(5, -1), lambda m: m.reshape(-1, -1), lambda m: m.view(7), lambda m: m.repeat(2),
    lambda m: m.expand(3, 5), lambda m: m.diagonal(0, 1, 1), lambda m: m.tril() if m.ndim < 2 else m[0].tril(),
    lambda m: m.unflatten(1, (2, 3)), lambda m: gk.broadcast_shapes((2,), (3,)),
    lambda m: gk.cat([m, gk.zeros(3, 3)], 0), lambda m: m.unfold(1, 5, 1), lambda m: m.t().t().flatten().t().mm(m),
])
def test_shape_errors_are_runtime_errors_as_in_torch(call):
    m = gk.zeros(2, 4)
    with pytest.raises(RuntimeError):
        call(m)


def test_index_and_dim_errors_are_index_errors():
    with pytest.raises(IndexError):
        gk.zeros(2).squeeze(3)
    with pytest.raises(IndexError):
        gk.zeros(2, 3).narrow(1, 2, 5)
    with pytest.raises(IndexError):
        gk.zeros(2, 3).flip(2)
