"""The XLA FFI handler on call frames made by hand: its checks and errors, without JAX.

JAX only ever sends well-formed frames (tests/test_jax.py), so the handler's
refusals are reached here: a fake XLA_FFI_Api whose XLA_FFI_Error_Create is a
ctypes callback records the message and returns a token the handler must
pass back as its result.
"""

from __future__ import annotations

import ctypes
from typing import Any

import numpy as np
import pytest

import sigmoid as sg
from sigmoid._family import FAMILY
from sigmoid._kernels import loops
from sigmoid._kernels import xla_ffi as X

pytestmark = pytest.mark.skipif(
    not X.SUPPORTED, reason="the FFI handler needs a 64-bit little-endian CPU"
)

TOKEN = 0x5151  # what the fake Error_Create returns: the handler must return it
CREATE = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p)


class FakeApi:
    """An XLA_FFI_Api that only creates errors (no thread pool: too small for one)."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.create = CREATE(self._create)  # (kept alive with the table)
        self.table = np.zeros(X._API_WITH_POOL // 8 - 1, np.int64)  # struct_size below the pool's
        self.table[0] = self.table.nbytes
        self.table[X._ERROR_CREATE_AT // 8] = ctypes.cast(self.create, ctypes.c_void_p).value

    def _create(self, args: int) -> int:
        record = (ctypes.c_int64 * 3).from_address(args)  # struct_size, extension, message
        assert record[0] == X._ERROR_CREATE_ARGS_SIZE
        self.messages.append(ctypes.string_at(record[2]).decode())
        return TOKEN


def buffer(array: np.ndarray, dtype: int) -> tuple[np.ndarray, list[Any]]:
    """An XLA_FFI_Buffer for a 1-D array (and what must stay alive with it)."""
    dims = np.array([array.size], np.int64)
    words = np.array([X._BUFFER_SIZE, 0, dtype, array.ctypes.data, 1, dims.ctypes.data], np.int64)
    return words, [dims, array]


def frame(
    api: FakeApi, x: np.ndarray, out: np.ndarray, **change: int
) -> tuple[np.ndarray, list[Any]]:
    """A call frame (execute stage) of one argument and one result; `change` sets words."""
    dtype = {np.dtype(np.float32): X.F32, np.dtype(np.float64): X.F64}
    arg, keep_arg = buffer(x, dtype.get(x.dtype, 99))
    ret, keep_ret = buffer(out, dtype.get(out.dtype, 99))
    kinds = np.array([X._BUFFER], np.int32)
    arg_at, ret_at = (np.array([b.ctypes.data], np.int64) for b in (arg, ret))
    f = np.zeros(X._CALL_FRAME_SIZE // 8, np.int64)
    f[0], f[2], f[4] = X._CALL_FRAME_SIZE, api.table.ctypes.data, X._STAGE_EXECUTE
    f[5], f[7], f[8], f[9] = X._ARGS_SIZE, 1, kinds.ctypes.data, arg_at.ctypes.data
    f[10], f[12], f[13], f[14] = X._ARGS_SIZE, 1, kinds.ctypes.data, ret_at.ctypes.data
    for index, value in change.items():
        f[int(index[1:])] = value
    return f, [arg, ret, kinds, arg_at, ret_at, keep_arg, keep_ret]


@pytest.fixture(scope="module")
def handler() -> Any:
    return loops.build("ffi", FAMILY["sigmoid"]).ctypes


def call(handler: Any, f: np.ndarray) -> int:
    return handler(ctypes.c_void_p(f.ctypes.data)) or 0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_well_formed_frame_runs_the_loop(handler: Any, dtype: type) -> None:
    api = FakeApi()
    x = np.linspace(-20, 20, 1001).astype(dtype)
    out = np.full_like(x, np.nan)
    f, _keep = frame(api, x, out)
    assert call(handler, f) == 0
    assert api.messages == []
    assert out.tobytes() == sg.sigmoid(x).tobytes()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"w0": X._CALL_FRAME_SIZE - 8}, "XLA_FFI_CallFrame too small"),
        ({"w7": 2}, "needs one argument and one result"),
        ({"w12": 0}, "needs one argument and one result"),
        ({"w5": X._ARGS_SIZE - 8}, "needs one argument and one result"),
    ],
)
def test_a_malformed_frame_is_refused_with_an_error(
    handler: Any, change: dict[str, int], message: str
) -> None:
    api = FakeApi()
    x = np.zeros(4, np.float32)
    out = np.full_like(x, 7.0)
    f, _keep = frame(api, x, out, **change)
    assert call(handler, f) == TOKEN
    assert len(api.messages) == 1
    assert message in api.messages[0]
    assert (out == 7.0).all()  # nothing written


@pytest.mark.parametrize(
    ("x", "out"),
    [
        (np.zeros(4, np.float32), np.zeros(4, np.float64)),  # dtypes differ
        (np.zeros(4, np.float32), np.zeros(5, np.float32)),  # sizes differ
        (np.zeros(4, np.int32), np.zeros(4, np.int32)),  # not a float type we compute
    ],
)
def test_buffers_that_do_not_match_are_refused(
    handler: Any, x: np.ndarray, out: np.ndarray
) -> None:
    api = FakeApi()
    f, _keep = frame(api, x, out)
    assert call(handler, f) == TOKEN
    assert api.messages == ["sigmoid: XLA FFI buffers must be float32 or float64, alike"]


def test_an_operand_that_is_not_a_buffer_is_refused(handler: Any) -> None:
    api = FakeApi()
    x = np.zeros(4, np.float32)
    f, _keep = frame(api, x, np.zeros_like(x))
    kinds = np.array([X._BUFFER + 1], np.int32)  # a token or attribute, not a buffer
    f[8] = kinds.ctypes.data
    assert call(handler, f) == TOKEN
    assert api.messages == ["sigmoid: XLA FFI operand is not a buffer"]
