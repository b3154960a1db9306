"""Backward rules written with gradkit ops give second derivatives: grad-of-grad against torch."""

import numpy as np
import pytest

import gradkit as gk

torch = pytest.importorskip("torch")

R = np.random.default_rng(3)


def _spd(n):
    m = R.standard_normal((n, n))
    return m @ m.T + n * np.eye(n)


def _sym(n):
    m = R.standard_normal((n, n))
    return m + m.T


CASES = [
    ("inv", lambda L, x: L.linalg.inv(x), R.standard_normal((3, 3)) + 3 * np.eye(3)),
    ("slogdet", lambda L, x: L.linalg.slogdet(x)[1], R.standard_normal((3, 3)) + 3 * np.eye(3)),
    ("solve", lambda L, x: L.linalg.solve(x, x[..., :1] * 2 + 1), R.standard_normal((3, 3)) + 3 * np.eye(3)),
    ("cholesky", lambda L, x: L.linalg.cholesky((x + x.mT) / 2), _spd(3)),
    ("eigh", lambda L, x: L.linalg.eigh((x + x.mT) / 2)[0], _sym(3)),
    ("eigh_vectors", lambda L, x: L.linalg.eigh((x + x.mT) / 2)[1] ** 2, _sym(3)),
    ("svdvals", lambda L, x: L.linalg.svdvals(x), R.standard_normal((3, 4))),
    ("svd_vectors", lambda L, x: L.linalg.svd(x, full_matrices=False)[0] ** 2, R.standard_normal((4, 3))),
    ("qr", lambda L, x: L.linalg.qr(x)[1] ** 2, R.standard_normal((4, 3))),
    ("vector_norm", lambda L, x: L.linalg.vector_norm(x, dim=1), R.standard_normal((3, 4))),
    ("matrix_norm_nuc", lambda L, x: L.linalg.matrix_norm(x, "nuc"), R.standard_normal((3, 4))),
    ("einsum_diag", lambda L, x: L.einsum("ii->i", x) * L.einsum("ij,jk->ik", x, x).sum(), R.standard_normal((3, 3))),
    ("layout", lambda L, x: L.roll(L.flip(x, [0]), 1, 1).tril().diagonal() * x.repeat(2, 1).sum(),
     R.standard_normal((3, 3))),
    ("index", lambda L, x: x[1, :, [0, 2, 2]] ** 2, R.standard_normal((2, 3, 4))),
]


@pytest.mark.parametrize("fn,arr", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_grad_of_grad_matches_torch(fn, arr):
    w = R.standard_normal(tuple(fn(torch, torch.tensor(arr)).shape))
    results = []
    for L, make in ((gk, gk.tensor), (torch, torch.tensor)):
        x = make(arr, requires_grad=True)
        y = (fn(L, x) * make(w)).sum()
        (g,) = L.autograd.grad(y, [x], create_graph=True)
        (g * g).sum().backward()
        results.append((g.detach().numpy(), x.grad.numpy()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-6, atol=1e-9)
