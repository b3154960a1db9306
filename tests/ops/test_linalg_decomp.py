"""gk.linalg against torch.linalg: values, gradients and float64 gradient checks for inverses,
determinants, solves, Cholesky, eigh, SVD values and norms, with batch dimensions."""

import numpy as np
import pytest

import gradkit as gk

from ._torch_compare import compare

torch = pytest.importorskip("torch")

R = np.random.default_rng(2)
INF = float("inf")


def a(*shape):
    return R.standard_normal(shape)


def spd(*shape):
    m = R.standard_normal(shape)
    return m @ np.swapaxes(m, -1, -2) + shape[-1] * np.eye(shape[-1])


def sym(*shape):
    m = R.standard_normal(shape)
    return m + np.swapaxes(m, -1, -2)


def well(*shape):
    return R.standard_normal(shape) + 3 * np.eye(shape[-1])


def sym_loss_v(v):
    """A function of eigen/singular vectors that does not depend on their signs."""
    return v * v


CASES = [
    ("inv", gk.linalg.inv, torch.linalg.inv, [well(3, 3)]),
    ("inv_batched", gk.linalg.inv, torch.linalg.inv, [well(2, 4, 4)]),
    ("inverse_method", lambda x: x.inverse(), lambda x: x.inverse(), [well(3, 3)]),
    ("inv_empty_batch", gk.linalg.inv, torch.linalg.inv, [well(0, 2, 2)]),
    ("det", gk.linalg.det, torch.linalg.det, [a(3, 3)]),
    ("det_batched", lambda x: x.det(), lambda x: x.det(), [a(2, 3, 3)]),
    ("det_1x1", gk.det, torch.det, [a(1, 1)]),
    ("slogdet", gk.linalg.slogdet, torch.linalg.slogdet, [a(2, 3, 3)]),
    ("logdet", lambda x: x.logdet(), lambda x: x.logdet(), [spd(3, 3)]),
    ("solve", gk.linalg.solve, torch.linalg.solve, [well(3, 3), a(3, 2)]),
    ("solve_vec", gk.linalg.solve, torch.linalg.solve, [well(3, 3), a(3)]),
    ("solve_batched_vec", gk.linalg.solve, torch.linalg.solve, [well(2, 3, 3), a(2, 3)]),
    ("solve_broadcast", gk.linalg.solve, torch.linalg.solve, [well(3, 3), a(2, 3, 4)]),
    ("solve_broadcast_a", gk.linalg.solve, torch.linalg.solve, [well(2, 1, 3, 3), a(4, 3, 1)]),
    ("solve_right", lambda x, y: gk.linalg.solve(x, y, left=False), lambda x, y: torch.linalg.solve(x, y, left=False),
     [well(3, 3), a(2, 3)]),
    ("cholesky", gk.linalg.cholesky, torch.linalg.cholesky, [spd(3, 3)]),
    ("cholesky_batched_upper", lambda x: gk.linalg.cholesky(x, upper=True),
     lambda x: torch.linalg.cholesky(x, upper=True), [spd(2, 4, 4)]),
    ("eigvalsh", gk.linalg.eigvalsh, torch.linalg.eigvalsh, [sym(2, 4, 4)]),
    ("eigh", lambda x: [e if i == 0 else sym_loss_v(e) for i, e in enumerate(gk.linalg.eigh(x))],
     lambda x: [e if i == 0 else sym_loss_v(e) for i, e in enumerate(torch.linalg.eigh(x))], [sym(2, 4, 4)]),
    ("eigh_vectors_only", lambda x: sym_loss_v(gk.linalg.eigh(x)[1]), lambda x: sym_loss_v(torch.linalg.eigh(x)[1]),
     [sym(3, 3)]),
    ("svdvals", gk.linalg.svdvals, torch.linalg.svdvals, [a(2, 3, 5)]),
    ("svd_s", lambda x: gk.linalg.svd(x)[1], lambda x: torch.linalg.svd(x)[1], [a(4, 3)]),
    ("vector_norm", gk.linalg.vector_norm, torch.linalg.vector_norm, [a(3, 4)]),
    ("vector_norm_0d", gk.linalg.vector_norm, torch.linalg.vector_norm, [a()]),
    ("vector_norm_zero", gk.linalg.vector_norm, torch.linalg.vector_norm, [np.zeros(3)]),
    ("matrix_norm_fro", gk.linalg.matrix_norm, torch.linalg.matrix_norm, [a(2, 3, 4)]),
    ("norm_default", gk.linalg.norm, torch.linalg.norm, [a(2, 3, 4)]),
    ("norm_method", lambda x: x.norm(), lambda x: x.norm(), [a(2, 3)]),
    ("norm_method_p1_dim", lambda x: x.norm(1, 1, True), lambda x: x.norm(1, 1, True), [a(2, 3)]),
    ("norm_method_nuc", lambda x: x.norm("nuc"), lambda x: x.norm("nuc"), [a(2, 3)]),
    ("norm_fn_p3", lambda x: gk.norm(x, 3, dim=(0, 1)), lambda x: torch.norm(x, 3, dim=(0, 1)), [a(2, 3)]),
]

CASES += [
    ("dist", gk.dist, torch.dist, [a(3, 4), a(4)]),
    ("dist_p1", lambda x, y: gk.dist(x, y, 1), lambda x, y: torch.dist(x, y, 1), [a(3), a(3)]),
    ("cdist", gk.cdist, torch.cdist, [a(4, 3), a(5, 3)]),
    ("cdist_batched_p1", lambda x, y: gk.cdist(x, y, 1.0), lambda x, y: torch.cdist(x, y, 1.0), [a(2, 4, 3), a(1, 2, 3)]),
    ("vecdot", lambda x, y: gk.linalg.vecdot(x, y, dim=0), lambda x, y: torch.linalg.vecdot(x, y, dim=0),
     [a(3, 4), a(3, 1)]),
    ("solve_triangular_lower", lambda x, y: gk.linalg.solve_triangular(x, y, upper=False),
     lambda x, y: torch.linalg.solve_triangular(x, y, upper=False), [well(3, 3), a(3, 2)]),
    ("solve_triangular_upper_right_unit", lambda x, y: gk.linalg.solve_triangular(x, y, upper=True, left=False,
                                                                                  unitriangular=True),
     lambda x, y: torch.linalg.solve_triangular(x, y, upper=True, left=False, unitriangular=True),
     [well(2, 3, 3), a(2, 4, 3)]),
]

for _ord in (2, 1, INF, -INF, 0, 3, 0.5, -1):
    for _dim, _keep in ((None, False), (1, True), ((0, 2), False)):
        CASES.append((f"vector_norm_{_ord}_{_dim}_{_keep}",
                      lambda x, o=_ord, d=_dim, k=_keep: gk.linalg.vector_norm(x, o, d, k),
                      lambda x, o=_ord, d=_dim, k=_keep: torch.linalg.vector_norm(x, o, d, k), [a(2, 3, 4)]))
for _ord in ("fro", "nuc", 2, -2, 1, -1, INF, -INF):
    for _dim, _keep in (((-2, -1), False), ((2, 0), True)):
        CASES.append((f"matrix_norm_{_ord}_{_dim}_{_keep}",
                      lambda x, o=_ord, d=_dim, k=_keep: gk.linalg.matrix_norm(x, o, d, k),
                      lambda x, o=_ord, d=_dim, k=_keep: torch.linalg.matrix_norm(x, o, d, k), [a(2, 3, 4)]))
for _ord, _dim in ((None, 1), (2, None), ("fro", (0, 1)), (INF, None), (-1, (1, 0))):
    CASES.append((f"linalg_norm_{_ord}_{_dim}", lambda x, o=_ord, d=_dim: gk.linalg.norm(x, o, d),
                  lambda x, o=_ord, d=_dim: torch.linalg.norm(x, o, d), [a(3, 4)]))


def _symmetrise(x):
    return ((x + x.mT) / 2,)


@pytest.mark.parametrize("name,gk_fn,torch_fn,arrays", CASES, ids=[c[0] for c in CASES])
def test_linalg_matches_torch(name, gk_fn, torch_fn, arrays):
    # Cholesky and eigh read one triangle; their gradient (as torch's) is the symmetric one
    pre = _symmetrise if name.startswith(("cholesky", "eig")) else None
    compare(gk_fn, torch_fn, arrays, rtol=1e-6, atol=1e-8, pre=pre)


def test_decompositions_reconstruct_their_input():
    x = a(2, 4, 3)
    u, s, vh = gk.linalg.svd(gk.tensor(x), full_matrices=False)
    np.testing.assert_allclose((u @ gk.diag_embed(s) @ vh).numpy(), x, atol=1e-12)
    q, r = gk.linalg.qr(gk.tensor(x))
    np.testing.assert_allclose((q @ r).numpy(), x, atol=1e-12)
    assert np.allclose(np.tril(r.numpy(), -1), 0)
    tq, tr = torch.linalg.qr(torch.tensor(x))
    np.testing.assert_allclose(np.abs(q.numpy()), np.abs(tq.numpy()), atol=1e-12)
    m = sym(3, 3)
    w, v = gk.linalg.eigh(gk.tensor(m))
    np.testing.assert_allclose((v @ gk.diag_embed(w) @ v.mT).numpy(), m, atol=1e-12)
    np.testing.assert_allclose(gk.linalg.pinv(gk.tensor(x)).numpy(), np.linalg.pinv(x), atol=1e-12)
    assert gk.linalg.matrix_rank(gk.tensor(np.ones((3, 3)))).item() == 1
    b = a(4, 2)
    sol = gk.linalg.lstsq(gk.tensor(x[0]), gk.tensor(b))[0]
    np.testing.assert_allclose(sol.numpy(), np.linalg.lstsq(x[0], b, rcond=None)[0], atol=1e-10)


def _sign_free_svd(lib, x, full):
    u, s, vh = lib.linalg.svd(x, full_matrices=full)
    k = s.shape[-1]
    return s, u[..., :k] * u[..., :k], vh[..., :k, :] * vh[..., :k, :]


def _sign_free_qr(lib, x, mode):
    q, r = lib.linalg.qr(x, mode=mode)
    return q * q, r * r, q @ r


@pytest.mark.parametrize("shape,full", [((3, 3), False), ((4, 3), False), ((3, 5), False), ((2, 4, 3), True),
                                        ((3, 4), True)])
def test_svd_vector_gradients_match_torch(shape, full):
    compare(lambda x: _sign_free_svd(gk, x, full), lambda x: _sign_free_svd(torch, x, full), [a(*shape)])


@pytest.mark.parametrize("shape,mode", [((3, 3), "reduced"), ((5, 3), "reduced"), ((2, 4, 2), "reduced"),
                                        ((3, 3), "complete")])
def test_qr_gradients_match_torch(shape, mode):
    compare(lambda x: _sign_free_qr(gk, x, mode), lambda x: _sign_free_qr(torch, x, mode), [a(*shape)])


def test_unimplemented_gradients_raise_naming_the_op():
    x = gk.tensor(a(3, 5), requires_grad=True)
    q, r = gk.linalg.qr(x)
    with pytest.raises(NotImplementedError, match=r"linalg.qr.*m >= n.*3 x 5"):
        r.sum().backward()
    s = gk.linalg.svdvals(x)
    s.sum().backward()  # the singular values alone are fine
    assert x.grad is not None


def test_second_derivatives_of_inv_and_det_match_torch():
    m = well(3, 3)
    x, tx = gk.tensor(m, requires_grad=True), torch.tensor(m, requires_grad=True)
    (g,) = gk.autograd.grad(gk.linalg.det(gk.linalg.inv(x)), [x], create_graph=True)
    (tg,) = torch.autograd.grad(torch.linalg.det(torch.linalg.inv(tx)), [tx], create_graph=True)
    np.testing.assert_allclose(g.numpy(), tg.detach().numpy(), rtol=1e-8)
    (g * g).sum().backward()
    (tg * tg).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-8)


def test_linalg_errors():
    with pytest.raises(RuntimeError, match="(?i)singular"):
        gk.linalg.inv(gk.zeros(2, 2))
    with pytest.raises(RuntimeError, match="positive"):
        gk.linalg.cholesky(-gk.eye(2))
    with pytest.raises(RuntimeError, match=r"square.*\(2, 3\)"):
        gk.linalg.det(gk.zeros(2, 3))
    with pytest.raises(RuntimeError, match=r"solve.*\(4,\)"):
        gk.linalg.solve(gk.eye(3), gk.zeros(4))
