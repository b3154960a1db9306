"""Matrix products, einsum and tensordot against torch: values, gradients and a float64 gradient
check each, on batched, broadcast, 0-d and empty shapes."""

import numpy as np
import pytest

import gradkit as gk

from ._torch_compare import compare

torch = pytest.importorskip("torch")

R = np.random.default_rng(1)


def a(*shape):
    return R.standard_normal(shape)


CASES = [
    ("mm", gk.mm, torch.mm, [a(2, 3), a(3, 4)]),
    ("mm_empty", gk.mm, torch.mm, [a(2, 0), a(0, 4)]),
    ("bmm", lambda x, y: x.bmm(y), lambda x, y: x.bmm(y), [a(2, 3, 4), a(2, 4, 5)]),
    ("mv", lambda x, y: x.mv(y), lambda x, y: x.mv(y), [a(3, 4), a(4)]),
    ("dot", gk.dot, torch.dot, [a(5), a(5)]),
    ("vdot", gk.vdot, torch.vdot, [a(5), a(5)]),
    ("outer", gk.outer, torch.outer, [a(3), a(4)]),
    ("ger", lambda x, y: x.ger(y), lambda x, y: torch.outer(x, y), [a(3), a(2)]),
    ("addmm", lambda i, x, y: gk.addmm(i, x, y, beta=0.5, alpha=2.0),
     lambda i, x, y: torch.addmm(i, x, y, beta=0.5, alpha=2.0), [a(4), a(2, 3), a(3, 4)]),
    ("addmm_beta0", lambda i, x, y: i.addmm(x, y, beta=0), lambda i, x, y: i.addmm(x, y, beta=0),
     [a(2, 4), a(2, 3), a(3, 4)]),
    ("addmv", lambda i, x, y: gk.addmv(i, x, y, alpha=3), lambda i, x, y: torch.addmv(i, x, y, alpha=3),
     [a(3), a(3, 2), a(2)]),
    ("baddbmm", lambda i, x, y: gk.baddbmm(i, x, y, beta=2), lambda i, x, y: torch.baddbmm(i, x, y, beta=2),
     [a(1, 3), a(2, 1, 4), a(2, 4, 3)]),
    ("addbmm", gk.addbmm, torch.addbmm, [a(2, 3), a(4, 2, 5), a(4, 5, 3)]),
    ("addr", gk.addr, torch.addr, [a(2, 3), a(2), a(3)]),
    ("inner", gk.inner, torch.inner, [a(2, 3), a(4, 3)]),
    ("inner_0d", gk.inner, torch.inner, [a(), a(2, 3)]),
    ("tensordot_int", lambda x, y: gk.tensordot(x, y, 2), lambda x, y: torch.tensordot(x, y, 2),
     [a(2, 3, 4), a(3, 4, 5)]),
    ("tensordot_lists", lambda x, y: gk.tensordot(x, y, ([0, 2], [2, 1])),
     lambda x, y: torch.tensordot(x, y, ([0, 2], [2, 1])), [a(2, 3, 4), a(5, 4, 2)]),
    ("tensordot_0", lambda x, y: gk.tensordot(x, y, 0), lambda x, y: torch.tensordot(x, y, 0), [a(2), a(3)]),
    ("kron", gk.kron, torch.kron, [a(2, 3), a(2, 2)]),
    ("kron_ranks", gk.kron, torch.kron, [a(3), a(2, 2)]),
    ("trace", lambda x: x.trace(), lambda x: x.trace(), [a(3, 4)]),
    ("cross", lambda x, y: gk.cross(x, y, dim=1), lambda x, y: torch.cross(x, y, dim=1), [a(2, 3), a(1, 3)]),
    ("linalg_cross", gk.linalg.cross, torch.linalg.cross, [a(4, 3), a(4, 3)]),
    ("matrix_power", lambda x: x.matrix_power(3), lambda x: x.matrix_power(3), [a(2, 3, 3)]),
    ("matrix_power_0", lambda x: x.matrix_power(0), lambda x: x.matrix_power(0), [a(3, 3)]),
    ("matrix_power_neg", lambda x: gk.linalg.matrix_power(x, -2), lambda x: torch.linalg.matrix_power(x, -2),
     [a(3, 3) + 3 * np.eye(3)]),
    ("multi_dot", lambda *m: gk.linalg.multi_dot(m), lambda *m: torch.linalg.multi_dot(m), [a(3), a(3, 4), a(4)]),
    ("matmul_broadcast", gk.matmul, torch.matmul, [a(2, 1, 3, 4), a(5, 4, 2)]),
    ("matmul_vec", gk.matmul, torch.matmul, [a(4), a(2, 4, 3)]),
]

EINSUM = [
    ("ij,jk->ik", [a(2, 3), a(3, 4)]),
    ("bij,bjk->bik", [a(2, 2, 3), a(2, 3, 4)]),
    ("ij,jk", [a(2, 3), a(3, 4)]),
    ("ii", [a(3, 3)]),
    ("ii->i", [a(3, 3)]),
    ("iij->ij", [a(3, 3, 2)]),
    ("ij->", [a(2, 3)]),
    ("ij->j", [a(2, 3)]),
    ("ji", [a(2, 3)]),
    ("i,i->", [a(4), a(4)]),
    ("i,j->ij", [a(2), a(3)]),
    ("...ij,...jk->...ik", [a(2, 1, 3, 4), a(5, 4, 2)]),
    ("b...,b->...", [a(2, 3, 4), a(2)]),
    ("...,...", [a(3), a(2, 3)]),
    ("ij,jk,kl->il", [a(2, 3), a(3, 4), a(4, 2)]),
    ("bhqd,bhkd->bhqk", [a(2, 2, 3, 4), a(2, 2, 5, 4)]),
    ("ijk,k->ij", [a(2, 3, 4), a(4)]),
    ("i,j", [a(2), a(3)]),
    ("ab,ab->a", [a(0, 3), a(0, 3)]),
    ("Ab,bC->AC", [a(2, 3), a(3, 2)]),
]


@pytest.mark.parametrize("gk_fn,torch_fn,arrays", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_product_matches_torch(gk_fn, torch_fn, arrays):
    compare(gk_fn, torch_fn, arrays)


@pytest.mark.parametrize("eq,arrays", EINSUM, ids=[e for e, _ in EINSUM])
def test_einsum_matches_torch(eq, arrays):
    compare(lambda *xs: gk.einsum(eq, *xs), lambda *xs: torch.einsum(eq, *xs), arrays)


def test_einsum_second_derivative_and_list_form():
    x = gk.tensor(a(3, 3), requires_grad=True)
    y = gk.einsum("ij,jk->", [x, x])  # sum(x @ x)
    (g,) = gk.autograd.grad(y, [x], create_graph=True)
    tx = torch.tensor(x.numpy(), requires_grad=True)
    (tg,) = torch.autograd.grad(torch.einsum("ij,jk->", tx, tx), [tx], create_graph=True)
    np.testing.assert_allclose(g.numpy(), tg.detach().numpy())
    (g * g).sum().backward()
    (tg * tg).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())


@pytest.mark.parametrize("call", [
    lambda: gk.mm(gk.zeros(2, 3), gk.zeros(2, 3)), lambda: gk.mm(gk.zeros(3), gk.zeros(3, 3)),
    lambda: gk.bmm(gk.zeros(2, 3, 4), gk.zeros(3, 4, 5)), lambda: gk.dot(gk.zeros(2), gk.zeros(3)),
    lambda: gk.matmul(gk.zeros(2, 3), gk.zeros(4, 2)), lambda: gk.einsum("ij,jk", gk.zeros(2, 3), gk.zeros(4, 2)),
    lambda: gk.einsum("ijk", gk.zeros(2, 3)), lambda: gk.tensordot(gk.zeros(2, 3), gk.zeros(2, 3), 1),
    lambda: gk.cross(gk.zeros(2, 4), gk.zeros(2, 4)), lambda: gk.addmm(gk.zeros(3), gk.zeros(2, 3), gk.zeros(3, 4)),
])
def test_product_shape_errors_are_runtime_errors(call):
    with pytest.raises(RuntimeError, match=r"\("):
        call()
