"""gk.nn.utils.parameters_to_vector / vector_to_parameters, and gradient checking over theta by hand."""

import numpy as np
import pytest

import gradkit as gk
from gradkit.nn.utils import parameters_to_vector, vector_to_parameters


def _mlp(dtype="float64"):
    gk.manual_seed(0)
    net = gk.nn.Sequential(gk.nn.Linear(3, 4), gk.nn.Tanh(), gk.nn.Linear(4, 2))
    return net.double() if dtype == "float64" else net


def test_round_trip_order_and_layout():
    net = _mlp()
    params = list(net.parameters())
    theta = parameters_to_vector(params)
    assert theta.shape == (3 * 4 + 4 + 4 * 2 + 2,)
    np.testing.assert_array_equal(theta.numpy(), np.concatenate([p.numpy().reshape(-1) for p in params]))
    new = gk.tensor(np.arange(theta.shape[0], dtype=np.float64))
    vector_to_parameters(new, params)
    np.testing.assert_array_equal(params[0].numpy(), np.arange(12).reshape(4, 3))
    np.testing.assert_array_equal(params[1].numpy(), np.arange(12, 16))
    np.testing.assert_array_equal(parameters_to_vector(params).numpy(), new.numpy())
    new.array[0] = -1.0  # as in torch, the parameters now view the vector
    assert params[0].numpy()[0, 0] == -1.0
    assert all(p.requires_grad and p.is_leaf for p in params)


def test_vector_is_differentiable_back_to_the_parameters():
    a = gk.tensor([[1.0, 2.0], [3.0, 4.0]], dtype="float64", requires_grad=True)
    b = gk.tensor([5.0], dtype="float64", requires_grad=True)
    theta = parameters_to_vector([a, b])
    (theta ** 2).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), 2 * a.numpy())
    np.testing.assert_array_equal(b.grad.numpy(), [10.0])


def test_dtype_is_kept_and_optimizer_sees_the_new_values():
    net = _mlp("float32")
    params = list(net.parameters())
    opt = gk.optim.SGD(params, lr=0.1)
    for p in params:
        p.grad = gk.zeros_like(p)
    opt.step()  # builds the optimizer's flat buffer
    vector_to_parameters(gk.ones(sum(p.numel() for p in params), dtype="float64"), params)
    assert all(p.dtype == np.float32 for p in params)
    for p in params:
        p.grad = gk.ones_like(p)
    opt.step()
    np.testing.assert_allclose(parameters_to_vector(params).numpy(), 0.9, rtol=1e-6)


def test_gradient_checking_over_theta_by_hand():
    """The course's recipe: theta from the parameters, a two-sided difference per component,
    compared with the backprop gradient vector by ||d_approx - d|| / (||d_approx|| + ||d||) < 1e-7."""
    net = _mlp()
    params = list(net.parameters())
    rng = np.random.default_rng(0)
    x = gk.tensor(rng.standard_normal((5, 3)))
    y = gk.tensor(rng.standard_normal((5, 2)))

    def cost():
        return ((net(x) - y) ** 2).mean()

    net.zero_grad()
    cost().backward()
    dtheta = parameters_to_vector([p.grad for p in params]).numpy()
    theta = parameters_to_vector(params).detach().numpy().copy()
    eps = 1e-7
    approx = np.zeros_like(theta)
    for i in range(theta.size):
        plus, minus = theta.copy(), theta.copy()
        plus[i] += eps
        minus[i] -= eps
        vector_to_parameters(gk.tensor(plus), params)
        j_plus = cost().item()
        vector_to_parameters(gk.tensor(minus), params)
        j_minus = cost().item()
        approx[i] = (j_plus - j_minus) / (2 * eps)
    vector_to_parameters(gk.tensor(theta), params)
    difference = np.linalg.norm(approx - dtheta) / (np.linalg.norm(approx) + np.linalg.norm(dtheta))
    assert difference < 1e-7, difference
    # and it does notice a wrong gradient
    wrong = dtheta.copy()
    wrong[3] *= 1.01
    assert np.linalg.norm(approx - wrong) / (np.linalg.norm(approx) + np.linalg.norm(wrong)) > 1e-5


def test_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal(s) for s in [(4, 3), (4,), (2, 1, 3), ()]]
    gp = [gk.tensor(a.copy(), requires_grad=True) for a in arrays]
    tp = [torch.nn.Parameter(torch.from_numpy(a.copy())) for a in arrays]
    np.testing.assert_array_equal(parameters_to_vector(gp).numpy(),
                                  torch.nn.utils.parameters_to_vector(tp).detach().numpy())
    vec = rng.standard_normal(12 + 4 + 6 + 1)
    vector_to_parameters(gk.tensor(vec.copy()), gp)
    torch.nn.utils.vector_to_parameters(torch.from_numpy(vec.copy()), tp)
    for p, q in zip(gp, tp):
        assert p.shape == tuple(q.shape)
        np.testing.assert_array_equal(p.numpy(), q.detach().numpy())


def test_errors_name_what_was_expected():
    w = gk.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match="at least one parameter"):
        parameters_to_vector([])
    with pytest.raises(TypeError, match="expected Tensors, got ndarray at position 1"):
        parameters_to_vector([w, np.zeros(2)])
    with pytest.raises(TypeError, match="vec to be a Tensor, got list"):
        vector_to_parameters([1.0, 2.0], [w])
    with pytest.raises(ValueError, match="has 3 entries, but the 1 parameters have 2 together"):
        vector_to_parameters(gk.tensor([1.0, 2.0, 3.0]), [w])
    with pytest.raises(ValueError, match=r"1-d vector, got shape \(1, 2\)"):
        vector_to_parameters(gk.tensor([[1.0, 2.0]]), [w])
    assert parameters_to_vector(w).shape == (2,)  # a single tensor is accepted
