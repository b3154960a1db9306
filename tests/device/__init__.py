"""gradkit's GPU path, checked on any machine.

``strict_backend.py`` is a strict CuPy double: its arrays refuse every implicit host/device
crossing, exactly where code written for NumPy breaks on a GPU, and it counts the explicit ones.
``conftest.py`` registers it as ``'cuda'`` (``gradkit.backend.register_cuda_module``) for every test
here, so tensors, modules, optimizers, ``fit``, checkpoints and the mixing errors take the code paths
they take on a GPU. With ``GRADKIT_TEST_DEVICE=cupy`` the same tests run on real CuPy
(``benchmarks/gpu_check.py`` does that on a lent GPU). The double lives in tests/, not in gradkit:
it is a test instrument, and the package needs nothing of it but the registration hook.
"""
