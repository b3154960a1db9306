"""gk.device objects, device= everywhere, gk.cuda / gk.accelerator without a GPU, device mixes."""

import copy
import importlib.util
import json

import numpy as np
import pytest

import gradkit as gk
from gradkit import backend, nn

HAS_GPU = gk.cuda.is_available()


@pytest.mark.parametrize("args, type_, index, text", [
    (("cpu",), "cpu", None, "cpu"), (("cuda",), "cuda", None, "cuda"), (("cuda", 0), "cuda", 0, "cuda:0"),
    (("cuda:1",), "cuda", 1, "cuda:1"), ((2,), "cuda", 2, "cuda:2"), ((gk.device("cuda:0"),), "cuda", 0, "cuda:0"),
])
def test_device_objects_as_torch(args, type_, index, text):
    d = gk.device(*args)
    assert (d.type, d.index, str(d), f"{d}") == (type_, index, text, text)
    torch = pytest.importorskip("torch")
    if isinstance(args[0], int):  # torch.device(2) asks for the accelerator, which this machine may lack
        return
    t = torch.device(*[str(a) if isinstance(a, gk.device) else a for a in args])
    assert (t.type, t.index, str(t), repr(t)) == (d.type, d.index, str(d), repr(d))


def test_device_equality_with_strings_and_devices():
    cpu, cuda0 = gk.device("cpu"), gk.device("cuda:0")
    assert cpu == "cpu" and "cpu" == cpu and cpu != "cuda" and cpu in ("cpu", "cuda")
    assert cuda0 == "cuda" and cuda0 == "cuda:0" and cuda0 != "cuda:1" and cuda0 == gk.device("cuda")
    assert cuda0 != gk.device("cuda", 1) and cpu != cuda0 and cpu != 3 and cpu != "tpu"
    assert {"cpu": 1, "cuda": 2}[cuda0] == 2 and len({cpu, gk.device("cpu")}) == 1
    assert isinstance(cpu, str) and json.dumps([cpu, cuda0]) == '["cpu", "cuda:0"]'
    assert copy.deepcopy(cuda0) == cuda0 and repr(copy.deepcopy(cuda0)) == "device(type='cuda', index=0)"


@pytest.mark.parametrize("bad, match", [("tpu", "unknown device"), ("cuda:x", "index"), ("cpu:1", "no index"),
                                        ("cuda:0", "already has an index")])
def test_bad_devices_say_what_is_wrong(bad, match):
    with pytest.raises(ValueError, match=match):
        gk.device(bad, 1) if match == "already has an index" else gk.device(bad)
    with pytest.raises(TypeError, match="string"):
        gk.device(1.5)


def test_tensor_device_is_a_device_that_equals_its_name():
    t = gk.zeros(2)
    assert isinstance(t.device, gk.device) and t.device == "cpu" and t.device == gk.device("cpu")
    assert repr(t.device) == "device(type='cpu')" and t.is_cpu and not t.is_cuda
    assert gk.get_default_device() == "cpu" and isinstance(gk.get_default_device(), gk.device)


def test_devices_accepted_where_names_are():
    cpu = gk.device("cpu")
    for t in (gk.zeros(2, device=cpu), gk.rand(2, device=cpu), gk.arange(2, device=cpu), gk.eye(2, device=cpu),
              gk.tensor([1.0], device=cpu), gk.full((1,), 1.0, device=cpu), gk.zeros(1).new_zeros(2, device=cpu),
              gk.ones(2).to(cpu), gk.ones(2).to(cpu, gk.float64), gk.ones(2).to(device=cpu), gk.ones(2).cpu()):
        assert t.device == cpu
    m = nn.Linear(2, 2).to(cpu)
    assert m.weight.device == "cpu"
    assert m.to(gk.zeros(1).device, gk.float64).weight.dtype is gk.float64
    assert backend.parse_to_args((cpu,)) == ("cpu", None)


def test_device_as_a_context_manager_sets_the_default():
    with gk.device("cpu") as d:
        assert d == "cpu" and gk.get_default_device() == "cpu" and gk.zeros(1).device == "cpu"
    assert gk.get_default_device() == "cpu"


@pytest.mark.skipif(HAS_GPU, reason="checks the answers without a GPU")
def test_cuda_and_accelerator_without_a_gpu():
    assert gk.cuda.is_available() is False and gk.cuda.device_count() == 0
    assert gk.accelerator.is_available() is False and gk.accelerator.device_count() == 0
    assert gk.accelerator.current_accelerator() is None
    gk.cuda.manual_seed(0)
    gk.cuda.manual_seed_all(0)
    gk.cuda.synchronize()
    gk.cuda.empty_cache()
    with pytest.raises(RuntimeError, match="no CUDA GPU"):
        gk.cuda.current_device()
    if importlib.util.find_spec("cupy") is None:
        for use in (lambda: gk.zeros(2, device="cuda"), lambda: gk.ones(2).cuda(), lambda: gk.ones(2).to("cuda:0")):
            with pytest.raises(gk.errors.DeviceError, match="needs CuPy"):
                use()
    with pytest.raises(TypeError, match="integer"):
        gk.cuda.manual_seed("0")


def test_the_torch_device_idiom_runs():
    device = gk.device("cuda" if gk.cuda.is_available() else "cpu")
    x = gk.randn(3, 2, device=device)
    model = nn.Linear(2, 1).to(device)
    assert model(x).device == device


@pytest.mark.skipif(not HAS_GPU, reason="needs a CUDA GPU and CuPy")
def test_cuda_tensors_and_device_mix_error():  # pragma: no cover - runs on GPU machines
    x = gk.ones(2, device="cuda:0")
    assert x.is_cuda and x.device == gk.device("cuda", 0) and str(x.device) == "cuda:0"
    assert x.type() == "gradkit.cuda.FloatTensor" and x.cpu().device == "cpu"
    assert gk.zeros(2).cuda().device == "cuda" and gk.zeros(2).to(gk.device("cuda")).is_cuda
    with pytest.raises(gk.errors.DeviceError, match="'cpu' and 'cuda'"):
        x + gk.ones(2)
    assert gk.accelerator.current_accelerator() == "cuda"
    gk.manual_seed(0)
    a = gk.rand(3, device="cuda").cpu().numpy()
    gk.manual_seed(0)
    np.testing.assert_array_equal(a, gk.rand(3).numpy())  # one generator: same numbers on every device
