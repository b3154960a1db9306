"""load_model finds every class it needs: gradkit's models in a fresh process, registered user classes."""

import subprocess
import sys

import numpy as np

import gradkit as gk
from gradkit import nn


def test_load_model_in_a_fresh_process_that_never_imported_models(tmp_path):
    import gradkit.models as models

    gk.manual_seed(0)
    net = models.MLP([3, 5, 2], activation="tanh")
    x = gk.randn(4, 3)
    p = tmp_path / "mlp.safetensors"
    gk.save(net, p)
    np.save(tmp_path / "x.npy", x.numpy())
    code = (
        "import sys, numpy as np, gradkit as gk\n"
        "assert 'gradkit.models' not in sys.modules\n"
        f"m = gk.load_model({str(p)!r})\n"
        f"x = gk.tensor(np.load({str(tmp_path / 'x.npy')!r}))\n"
        f"np.save({str(tmp_path / 'y.npy')!r}, m(x).numpy())\n"
        "print(type(m).__module__, type(m).__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "gradkit.models.classic MLP"
    np.testing.assert_array_equal(np.load(tmp_path / "y.npy"), net(x).numpy())


@nn.register_serializable
class UserBlock(nn.Module):
    """A user architecture: a nested module, a tuple, a keyword-only argument, a Module class."""

    def __init__(self, widths=(3, 4), *, act=nn.ReLU, head=None):
        super().__init__()
        self.body = nn.Linear(widths[0], widths[1])
        self.act = act()
        self.head = head if head is not None else nn.Identity()

    def forward(self, x):
        return self.head(self.act(self.body(x)))


def test_user_module_subclass_round_trips_through_save_and_load_model(tmp_path):
    gk.manual_seed(1)
    net = UserBlock((3, 6), act=nn.Tanh, head=nn.Sequential(nn.Linear(6, 2), nn.Sigmoid()))
    net.to(dtype="float64")
    p = tmp_path / "user.safetensors"
    gk.save(net, p)
    back = gk.load_model(p)
    assert type(back) is UserBlock
    assert isinstance(back.act, nn.Tanh) and isinstance(back.head[1], nn.Sigmoid)
    assert back.get_config() == net.get_config()
    assert back.body.weight.dtype == np.float64
    x = gk.randn(5, 3).double()
    np.testing.assert_array_equal(back(x).numpy(), net(x).numpy())
