"""gk.viz.model_graph and depth collapsing: module boxes, parameter counts, the model left as it was."""

import numpy as np
import pytest

import gradkit as gk
from gradkit import nn


def _modules(g):
    return {n.module: n for n in g.nodes if n.kind == "module"}


def _count(m):
    return sum(int(np.prod(p.shape)) for p in m.parameters())


def test_mlp_model_graph_is_a_chain_of_layer_boxes():
    model = gk.models.MLP([4, 8, 3])
    g = gk.viz.model_graph(model, gk.randn(2, 4))
    assert [n.kind for n in g.nodes] == ["input", "module", "module", "module", "output"]
    boxes = _modules(g)
    assert boxes["0"].label == "0\nLinear\n40 params"
    assert boxes["1"].label == "1\nReLU\n0 params"
    assert boxes["2"].label == "2\nLinear\n27 params"
    assert [(e.src, e.dst, e.shape) for e in g.edges] == [
        ("input0", "module:0", (2, 4)), ("module:0", "module:1", (2, 8)),
        ("module:1", "module:2", (2, 8)), ("module:2", "output0", (2, 3)),
    ]


def test_small_resnet_depth_one_and_two():
    model = gk.models.SmallResNet(1, 10)
    x = gk.randn(2, 1, 8, 8)
    g1 = gk.viz.model_graph(model, x, depth=1)
    boxes = _modules(g1)
    assert list(boxes) == ["stem", "layers", "pool", "fc"]
    for path, node in boxes.items():
        sub = model.get_submodule(path) if hasattr(model, "get_submodule") else dict(model.named_modules())[path]
        assert node.label == f"{path}\n{type(sub).__name__}\n{_count(sub):,} params"
    assert sum(_count(dict(model.named_modules())[p]) for p in boxes) == _count(model)
    assert len(g1.edges) == 5
    g2 = gk.viz.model_graph(model, x, depth=2)
    boxes2 = _modules(g2)
    assert {"stem.0", "stem.1", "stem.2", "layers.0", "layers.1", "layers.2", "fc"} <= set(boxes2)
    assert boxes2["layers.1"].label.split("\n")[1] == "BasicBlock"
    # every edge joins existing nodes and no module box feeds itself
    ids = {n.id for n in g2.nodes}
    assert all(e.src in ids and e.dst in ids and e.src != e.dst for e in g2.edges)
    # depth 3 opens the blocks: the residual add is an op between module boxes
    g3 = gk.viz.model_graph(model, x, depth=3)
    adds = [n for n in g3.nodes if n.kind == "op" and n.label.startswith("Add")]
    assert len(adds) == 3 and all(len([e for e in g3.edges if e.dst == a.id]) == 2 for a in adds)
    assert "layers.0.conv1" in _modules(g3)


def test_trace_then_graph_with_depth():
    model = nn.Sequential(nn.Sequential(nn.Linear(3, 4), nn.Tanh()), nn.Linear(4, 1))
    with gk.viz.trace(model):
        out = model(gk.randn(5, 3))
    g = gk.viz.graph(out, params=dict(model.named_parameters()), model=model, depth=1)
    assert [n.label for n in g.nodes if n.kind == "module"] == ["0\nSequential\n16 params", "1\nLinear\n5 params"]
    assert not [n for n in g.nodes if n.kind == "param"]  # parameters live inside their boxes
    assert not model[0]._forward_hooks  # trace removed its hooks


def test_model_graph_leaves_mode_parameters_buffers_and_rng_alone():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Dropout(0.5), nn.Linear(4, 2))
    x = gk.randn(8, 3)
    for training in (True, False):
        model.train(training)
        before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
        state = gk.get_rng_state()
        g = gk.viz.model_graph(model, x, depth=1)
        # Dropout in eval mode records no op, so it has no box (documented)
        assert list(_modules(g)) == (["0", "1", "2", "3"] if training else ["0", "1", "3"])
        assert all(m.training == training for m in model.modules())
        after = model.state_dict()
        for k, v in before.items():
            np.testing.assert_array_equal(after[k].numpy(), v, err_msg=k)
        assert all(p.grad is None for p in model.parameters())
        a, b = gk.randn(3), (gk.set_rng_state(state), gk.randn(3))[1]
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_model_graph_two_heads_and_tuple_input():
    net = nn.MultiTaskModel(nn.Linear(2, 4), {"a": nn.Linear(4, 1), "b": nn.Linear(4, 3)})
    g = gk.viz.model_graph(net, gk.randn(6, 2), depth=2)
    assert set(_modules(g)) == {"shared_trunk", "heads.a", "heads.b"}
    assert len([e for e in g.edges if e.src == "module:shared_trunk"]) == 2
    assert [n.kind for n in g.nodes].count("output") == 2


def test_model_graph_errors():
    with pytest.raises(TypeError, match="nn.Module"):
        gk.viz.model_graph(lambda x: x, gk.randn(2))
    with pytest.raises(TypeError, match="Tensor"):
        gk.viz.model_graph(nn.Linear(2, 1), [[1.0, 2.0]])
    with pytest.raises(TypeError, match="nn.Module"):
        with gk.viz.trace("model"):
            pass


class _Shared(nn.Module):
    """One Linear applied twice: its box is entered twice, a loop in the module picture."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(3, 3)

    def forward(self, x):
        return self.lin(gk.relu(self.lin(x)))


def test_module_called_twice_is_one_box_and_still_draws(monkeypatch):
    pytest.importorskip("matplotlib")
    from gradkit.viz import render

    model = _Shared()
    g = gk.viz.model_graph(model, gk.randn(2, 3))
    assert [n.label for n in g.nodes if n.kind == "module"] == ["lin\nLinear\n12 params"]
    relu = [n for n in g.nodes if n.kind == "op"][0]
    assert {(e.src, e.dst) for e in g.edges} == {
        ("input0", "module:lin"), ("module:lin", relu.id), (relu.id, "module:lin"), ("module:lin", "output0"),
    }
    monkeypatch.setattr(render.shutil, "which", lambda name: None)
    assert g.draw() is not None
    assert "->" in g.to_dot()
