"""``gk.onnx``: models out to ONNX (``export``) and in from ONNX (``load``).

Needs the ``onnx`` package (``pip install 'gradkit[onnx]'``); ``onnxruntime`` is what the tests
use to run exported graphs.
"""

from ._graph import OnnxExportError
from ._import_ops import OnnxImportError
from .export import export
from .load import OnnxModule, load

__all__ = ["OnnxExportError", "OnnxImportError", "OnnxModule", "export", "load"]
