"""Process-wide settings for every test run, applied before any test module imports TensorFlow.

pytest imports this file (the rootdir's conftest) before it collects ``tests/``, and every
pytest-xdist worker imports it again before its own collection, so TensorFlow always starts with
the same numerics, whatever order the tests run in and whichever test imports TensorFlow first.
Subprocesses started by tests inherit these variables.

- ``TF_ENABLE_ONEDNN_OPTS=0``: TensorFlow's oneDNN kernels off. With them on (the default on x86
  CPUs), the fused ``MatMul + BiasAdd + Relu`` kernel that ``Model.fit``'s graph uses turns a NaN
  input into 0, so a NaN in the data never reaches the loss; results also differ in the last
  digits between runs. Off, the tests see the plain kernels' arithmetic in every order.
  ``tests/training/test_nan_inputs.py`` checks both settings against ``Model.fit``.
- ``TF_CPP_MIN_LOG_LEVEL=2``: TensorFlow's C++ INFO and WARNING lines off.

A value already in the environment wins (``TF_ENABLE_ONEDNN_OPTS=1 pytest ...`` runs the
suite with oneDNN on).
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
