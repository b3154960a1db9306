"""gk.viz.graph: the structure of the recorded graph (nodes, edges, names), gradient flags, errors."""

import numpy as np
import pytest

import gradkit as gk
from gradkit import nn


def _labels(g, kind):
    return [n.label.split("\n")[0] for n in g.nodes if n.kind == kind]


def _incoming(g, node_id):
    return [e for e in g.edges if e.dst == node_id]


def test_mlp_nodes_edges_and_names():
    model = gk.models.MLP([4, 8, 3])
    x = gk.randn(5, 4)
    g = gk.viz.graph(model(x), params=dict(model.named_parameters()))
    assert _labels(g, "param") == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert _labels(g, "op") == ["Linear", "ReLU", "Linear"]
    assert _labels(g, "input") == ["input 0"]
    assert _labels(g, "output") == ["output 0"]
    assert len(g.nodes) == 9 and len(g.edges) == 8
    ops = [n for n in g.nodes if n.kind == "op"]
    assert [n.shape for n in ops] == [(5, 8), (5, 8), (5, 3)]
    assert all(n.dtype == "float32" for n in ops)
    first = ops[0]
    into = {g.node(e.src).label: e.shape for e in _incoming(g, first.id)}
    assert into == {"input 0": (5, 4), "0.weight": (8, 4), "0.bias": (8,)}
    # data-flow order: the output node is reached from the last Linear
    (last,) = _incoming(g, g.find("output 0").id)
    assert last.src == ops[-1].id and last.shape == (5, 3)


def test_module_as_params_names_the_same_way_and_unnamed_leaves_are_inputs():
    lin = nn.Linear(3, 2)
    a, b = gk.randn(4, 3), gk.randn(4, 2, requires_grad=True)
    out = lin(a) * b
    g = gk.viz.graph(out, params=lin)
    assert _labels(g, "param") == ["weight", "bias"]
    assert _labels(g, "input") == ["input 0", "input 1"]
    assert _labels(gk.viz.graph(out, params=lin.named_parameters()), "param") == ["weight", "bias"]
    g0 = gk.viz.graph(out)  # no names: every leaf is an input, in order of first appearance
    assert _labels(g0, "input") == ["input 0", "input 1", "input 2", "input 3"]


def test_residual_add_has_two_incoming_edges():
    block = gk.models.cnn.BasicBlock(4, 4)
    x = gk.randn(2, 4, 5, 5)
    g = gk.viz.graph(block(x), params=block)
    (add,) = [n for n in g.nodes if n.kind == "op" and n.label.startswith("Add")]
    into = _incoming(g, add.id)
    assert len(into) == 2
    assert all(e.shape == (2, 4, 5, 5) for e in into)
    # the input feeds both the first convolution and, through the identity shortcut, the add
    assert len([e for e in g.edges if e.src == "input0"]) == 2
    assert "conv1.weight" in _labels(g, "param") and "bn2.bias" in _labels(g, "param")


def test_lstm_one_step():
    lstm = nn.LSTM(3, 5, batch_first=True)
    out, (h, c) = lstm(gk.randn(2, 1, 3))
    g = gk.viz.graph((out, h, c), params=lstm)
    assert _labels(g, "param") == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]
    assert _labels(g, "output") == ["output 0", "output 1", "output 2"]
    assert [n.shape for n in g.nodes if n.kind == "output"] == [(2, 1, 5), (1, 2, 5), (1, 2, 5)]
    multi = [n for n in g.nodes if n.kind == "op" and n.shape and isinstance(n.shape[0], tuple)]
    assert multi, "the recurrent op has several outputs; its node lists each shape"
    for p in lstm.parameters():
        assert any(e.shape == tuple(p.shape) for e in g.edges)


def test_lstm_cell():
    cell = nn.LSTMCell(3, 4)
    h, c = cell(gk.randn(2, 3))
    g = gk.viz.graph((h, c), params=cell)
    assert set(_labels(g, "param")) == {"weight_ih", "weight_hh", "bias_ih", "bias_hh"}
    assert len(_labels(g, "output")) == 2
    assert all(e.src in {n.id for n in g.nodes} and e.dst in {n.id for n in g.nodes} for e in g.edges)


def test_multi_output_model_two_heads():
    net = nn.MultiTaskModel(nn.Linear(2, 4), {"a": nn.Linear(4, 1), "b": nn.Linear(4, 3)})
    out = net(gk.randn(6, 2))
    g = gk.viz.graph(out, params=net)
    assert _labels(g, "output") == ["output 0", "output 1"]
    assert [n.shape for n in g.nodes if n.kind == "output"] == [(6, 1), (6, 3)]
    trunk = [n for n in g.nodes if n.kind == "op"][0]
    assert trunk.label.startswith("Linear")
    assert len([e for e in g.edges if e.src == trunk.id]) == 2  # the trunk feeds both heads
    assert sorted(_labels(g, "param")) == sorted(n for n, _ in net.named_parameters())


def test_shared_input_counts_once():
    x = gk.randn(3, requires_grad=True)
    g = gk.viz.graph(x * x)
    assert _labels(g, "input") == ["input 0"]
    (mul,) = [n for n in g.nodes if n.kind == "op"]
    assert len(_incoming(g, mul.id)) == 2


def test_detached_branch_is_flagged_after_backward():
    a, b = nn.Linear(3, 3), nn.Linear(3, 1)
    model = nn.Sequential(a, b)
    x = gk.randn(4, 3)
    out = gk.linear(a(x), b.weight.detach(), b.bias)  # b.weight used via .detach()
    loss = out.sum()
    g = gk.viz.graph(loss, params=model)
    loss.backward()
    g.update_grads()
    node = g.find("1.weight")
    assert gk.viz.FLAG_NO_GRAD in node.flags and gk.viz.FLAG_UNUSED in node.flags
    assert "1.weight.detach()" in [n.label for n in g.nodes if n.kind == "const"]
    flagged = g.flags()
    assert set(flagged) == {"1.weight.detach()", "1.weight"}
    for name in ("0.weight", "0.bias", "1.bias"):
        n = g.find(name)
        assert not n.flags and n.grad_norm > 0
    assert "1.weight" in g.summary()


def test_show_grads_after_retained_backward_and_zero_nonfinite_flags():
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
    loss = model(gk.randn(3, 2)).sum()
    loss.backward(retain_graph=True)
    model[0].weight.grad = gk.zeros(2, 2)
    model[0].bias.grad = gk.tensor([float("nan"), 1.0])
    g = gk.viz.graph(loss, params=model, show_grads=True)
    assert g.find("0.weight").flags == {gk.viz.FLAG_ZERO_GRAD}
    assert g.find("0.bias").flags == {gk.viz.FLAG_NONFINITE_GRAD}
    w = g.find("1.weight")
    assert w.grad_norm == pytest.approx(float(np.linalg.norm(model[1].weight.grad.numpy())))
    dot = g.to_dot()
    assert "|grad|" in dot and "fillcolor" in dot


def test_freed_graph_names_the_remedy():
    model = nn.Linear(2, 1)
    loss = model(gk.randn(3, 2)).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match=r"retain_graph=True.*update_grads"):
        gk.viz.graph(loss, params=model)


def test_update_grads_before_backward_says_so():
    model = nn.Linear(2, 1)
    g = gk.viz.graph(model(gk.randn(3, 2)), params=model)
    with pytest.raises(ValueError, match="backward"):
        g.update_grads()


def test_errors_name_what_was_expected():
    with pytest.raises(TypeError, match="Tensor"):
        gk.viz.graph([1, 2])
    with pytest.raises(TypeError, match="params must be"):
        gk.viz.graph(gk.randn(2, requires_grad=True) * 2, params=3)
    lin = nn.Linear(2, 1)
    out = lin(gk.randn(1, 2))
    with pytest.raises(ValueError, match="needs the model"):
        gk.viz.graph(out, depth=1)
    with pytest.raises(ValueError, match="positive int"):
        gk.viz.graph(out, params=lin, depth=0)
    with pytest.raises(ValueError, match="trace"):
        gk.viz.graph(out, params=lin, depth=1)  # not traced
    with pytest.raises(KeyError, match="no node"):
        gk.viz.graph(out).find("nothing")


def test_graph_does_not_change_the_tensors():
    model = gk.models.MLP([4, 8, 3])
    out = model(gk.randn(2, 4))
    gk.viz.graph(out, params=model)
    out.sum().backward()  # the graph is intact for backward afterwards
    assert all(p.grad is not None for p in model.parameters())


def test_collapsed_graph_carries_gradient_norms_and_flags():
    model = nn.Sequential(nn.Linear(3, 3), nn.ReLU(), nn.Linear(3, 1))
    with gk.viz.trace(model):
        loss = model(gk.randn(4, 3)).sum()
    loss.backward(retain_graph=True)
    model[2].bias.grad = None  # as if it had been cut off
    g = gk.viz.graph(loss, params=model, depth=1, show_grads=True)
    boxes = {n.module: n for n in g.nodes if n.kind == "module"}
    assert boxes["0"].grad_norm > 0 and not boxes["0"].flags
    assert boxes["2"].flags == {f"2.bias: {gk.viz.FLAG_NO_GRAD}"}
    assert boxes["1"].grad_norm is None
