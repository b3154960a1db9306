"""Architecture capture (gradkit.nn.architecture): recording, the registry, the per-value hook."""

import ast
import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import gradkit as gk
from gradkit import nn
from gradkit.nn import architecture
from gradkit.nn.architecture import MODULE_REGISTRY, constructor_arguments, module_from_config

SRC = pathlib.Path(architecture.__file__).resolve().parents[1]


def test_module_reexports_the_one_registry_and_functions():
    from gradkit.nn import module

    assert module.MODULE_REGISTRY is MODULE_REGISTRY is nn.MODULE_REGISTRY
    assert module.module_from_config is module_from_config
    assert module.register_serializable is architecture.register_serializable
    assert issubclass(nn.Module, architecture.ArchitectureMixin)
    assert "Module" not in MODULE_REGISTRY  # the root class is not a layer


def test_architecture_capture_imports_nothing_by_string_or_upward():
    for name in ("module.py", "architecture.py"):
        tree = ast.parse((SRC / "nn" / name).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                assert not any(a.name.startswith("importlib") for a in node.names), name
            elif isinstance(node, ast.ImportFrom):
                assert not (node.module or "").startswith("importlib"), name
                if node.level >= 2:  # from ..x import y / from .. import y: only the layers below nn
                    targets = [node.module.split(".")[0]] if node.module else [a.name for a in node.names]
                    below = ("backend", "random", "parallel", "tensor", "autograd", "ops", "creation")
                    assert all(t in below for t in targets), f"{name} imports {targets}"


def test_module_source_is_a_readable_size():
    for name in ("module.py", "architecture.py"):
        assert len((SRC / "nn" / name).read_text().splitlines()) <= 800, name


def test_constructor_arguments_fill_defaults_and_flatten_kwargs():
    class WithKw(nn.Module):
        def __init__(self, a, *rest, b=2, **extra):
            super().__init__()

    m = WithKw(1, 5, 6, c="x")
    assert constructor_arguments(m) == [("a", 1), ("rest", (5, 6)), ("b", 2), ("c", "x")]
    assert m.get_config() == {"a": 1, "rest": [5, 6], "b": 2, "c": "x"}
    assert constructor_arguments(nn.Module()) == []


def test_outermost_init_is_the_one_recorded():
    class Base(nn.Module):
        def __init__(self, width=3):
            super().__init__()
            self.lin = nn.Linear(width, width)

    class Child(Base):
        def __init__(self, depth):
            super().__init__(width=depth * 2)

    assert Child(2).get_config() == {"depth": 2}
    assert Child.from_config({"depth": 2}).lin.weight.shape == (4, 4)


def test_config_value_hook_is_the_one_place_values_are_encoded():
    class Tagged(nn.Module):
        def __init__(self, scale, name="t"):
            super().__init__()
            self.register_buffer("scale", gk.tensor(scale))

        def _config_value(self, name, value):
            if name == "scale":
                return float(self.scale.item())
            return super()._config_value(name, value)

    m = Tagged(np.float64(0.5))
    assert m.get_config() == {"scale": 0.5, "name": "t"}
    json.dumps(m.get_config())


def test_loss_weights_use_the_hook_and_round_trip():
    ce = nn.CrossEntropyLoss(weight=gk.tensor([1.0, 2.0]), ignore_index=np.int64(3))
    cfg = ce.get_config()
    assert cfg == {"weight": [1.0, 2.0], "ignore_index": 3, "reduction": "mean", "label_smoothing": 0.0}
    assert type(cfg["ignore_index"]) is int  # encoded like every other module's values
    rebuilt = module_from_config(json.loads(json.dumps({"class": "CrossEntropyLoss", "config": cfg})))
    np.testing.assert_array_equal(rebuilt.weight.numpy(), [1.0, 2.0])
    assert rebuilt.ignore_index == 3
    assert "get_config" not in vars(nn.loss._Loss)  # no copy of Module.get_config
    bce = nn.BCEWithLogitsLoss()
    assert bce.get_config() == {"weight": None, "reduction": "mean", "pos_weight": None}
    with pytest.raises(TypeError, match="argument 'label_smoothing' of CrossEntropyLoss"):
        _with_arg(nn.CrossEntropyLoss(), "label_smoothing", object()).get_config()


def _with_arg(module, name, value):
    init, args, kwargs = module._init_record
    object.__setattr__(module, "_init_record", (init, args, {**kwargs, name: value}))
    return module


def test_unregistered_name_explains_both_causes():
    with pytest.raises(ValueError, match="'NoSuchLayer' is not one of gradkit's built-in layers.*import gradkit.models"):
        module_from_config({"class": "NoSuchLayer", "config": {}})
    with pytest.raises(ValueError, match="expects a dict"):
        module_from_config(["Linear"])


def test_registry_does_not_import_models_by_itself():
    code = (
        "import sys, gradkit as gk\n"
        "from gradkit.nn.module import module_from_config\n"
        "lin = module_from_config({'class': 'Linear', 'config': {'in_features': 2, 'out_features': 1}})\n"
        "try:\n"
        "    module_from_config({'class': 'MLP', 'config': {'sizes': [2, 3]}})\n"
        "except ValueError:\n"
        "    print('not registered', 'gradkit.models' in sys.modules)\n"
        "import gradkit.models\n"
        "print(type(module_from_config({'class': 'MLP', 'config': {'sizes': [2, 3]}})).__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:2] == ["not registered False", "MLP"]


def test_register_serializable_rejects_non_modules():
    with pytest.raises(TypeError, match="expects a Module subclass"):
        architecture.register_serializable(int)
