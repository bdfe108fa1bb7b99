"""Optional libraries the tests use: import one, or skip with what to install.

The README's test command installs every optional library but PyTorch (an
unpinned torch is gigabytes of CUDA on Linux), so on a fresh machine the
PyTorch tests skip, all with one reason and one line in pytest's summary.
`.ci/run` installs PyTorch and sets SIGMOID_NO_SKIP=1, which turns any skip
into a failure (see the conftest.py at the top of the repository).
"""

from __future__ import annotations

import importlib
from types import ModuleType

import pytest

#: In every skip reason of `require`.
MISSING = "is not installed:"

_INSTALL = {
    "torch": "pip install torch==2.13.0 (the CPU build)",
    "dask": "pip install -e '.[test]'",
}


def require(module: str) -> ModuleType:
    """Import `module`, or skip the test saying how to install its library."""
    try:
        return importlib.import_module(module)
    except ImportError:
        top = module.partition(".")[0]
        hint = _INSTALL.get(top, "pip install -e '.[test]'")
        # allow_module_level: a test module may need it at import (test_dask_backend).
        pytest.skip(f"{top} {MISSING} {hint}", allow_module_level=True)
