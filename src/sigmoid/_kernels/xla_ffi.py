"""The loops as XLA FFI handlers: JAX on the CPU runs them on XLA's own buffers.

An XLA FFI handler is a C function ``XLA_FFI_Error* handler(XLA_FFI_CallFrame*)``;
`sigmoid._kernels.loops` compiles one per function of the family as a numba
``cfunc`` (no C compiler involved), and `sigmoid._backends.autodiff` registers
it with ``jax.ffi.register_ffi_target`` and calls it with ``jax.ffi.ffi_call``.
Against ``jax.pure_callback`` this saves the copies to and from NumPy and the
trip through Python: ~250 µs a call, and ~2 ms at 10^6 elements.

The call frame is read through `numba.carray` views at the byte offsets of
XLA's C API (``xla/ffi/api/c_api.h``, shipped in jaxlib's wheel; LP64: size_t,
pointers and int64 take 8 bytes, enums 4). Every struct starts with its
``struct_size``, which is checked before a field is read. The handler claims
FFI API version 0.1, whose structs are the ones read here (XLA accepts any
version from 0.1 to its own), and refuses a runtime whose major version is not
0: registration then fails and the caller keeps the host callback.

XLA asks each handler, once at registration, for its API version: a call frame
whose extension chain holds a metadata extension and no arguments. Otherwise
the frame holds one float32 or float64 buffer in and one of the same dtype and
size out; the handler runs the function's contiguous loop from one to the
other, with flush-to-zero off (XLA's threads run with it on).
"""

from __future__ import annotations

import ctypes
import sys

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

__all__ = [
    "F32",
    "F64",
    "SIGNATURE",
    "SUPPORTED",
    "float32_views",
    "float64_views",
    "frame_buffers",
]

#: What XLA calls: ``XLA_FFI_Error* handler(XLA_FFI_CallFrame* frame)``.
SIGNATURE = types.voidptr(types.voidptr)
#: The C layout read here: 64-bit pointers, little-endian (int32 fields are
#: read as int32 views of int64-aligned words).
SUPPORTED = ctypes.sizeof(ctypes.c_void_p) == 8 and sys.byteorder == "little"

# STRUCT_SIZE of each struct: the offset of its last field plus that field's size.
_CALL_FRAME_SIZE = 168  # XLA_FFI_CallFrame
_ARGS_SIZE = 40  # XLA_FFI_Args, XLA_FFI_Rets
_BUFFER_SIZE = 48  # XLA_FFI_Buffer
_METADATA_EXTENSION_SIZE = 32  # XLA_FFI_Metadata_Extension
_METADATA_SIZE = 36  # XLA_FFI_Metadata
_API_VERSION_SIZE = 24  # XLA_FFI_Api_Version
_ERROR_CREATE_ARGS_SIZE = 28  # XLA_FFI_Error_Create_Args
_ERROR_CREATE_AT = 48  # the offset of XLA_FFI_Api's XLA_FFI_Error_Create
_EXTENSION_METADATA = 1  # XLA_FFI_Extension_Type
_STAGE_EXECUTE = 3  # XLA_FFI_ExecutionStage
_BUFFER = 1  # XLA_FFI_ArgType_BUFFER, XLA_FFI_RetType_BUFFER
F32, F64 = 11, 12  # XLA_FFI_DataType
_INVALID_ARGUMENT = 3  # XLA_FFI_Error_Code
# The API version whose structs are read here.
_MAJOR, _MINOR = 0, 1


@intrinsic
def _ptr(typingctx, address):  # type: ignore[no-untyped-def]
    """The integer `address` as a void pointer."""
    if not isinstance(address, types.Integer):
        return None

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        return builder.inttoptr(args[0], context.get_value_type(types.voidptr))

    return types.voidptr(address), codegen


@intrinsic
def _is_null(typingctx, pointer):  # type: ignore[no-untyped-def]
    """Whether a void pointer is NULL."""
    if pointer != types.voidptr:
        return None

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        return builder.icmp_unsigned(
            "==", builder.ptrtoint(args[0], ir.IntType(64)), ir.Constant(ir.IntType(64), 0)
        )

    return types.boolean(types.voidptr), codegen


@intrinsic
def _error(typingctx, api, message):  # type: ignore[no-untyped-def]
    """``api->XLA_FFI_Error_Create(&{size, NULL, message, INVALID_ARGUMENT})``.

    `message` is a string literal, compiled in as a constant C string (XLA
    copies it).
    """
    if not isinstance(message, types.StringLiteral):
        return None
    text = message.literal_value

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        i8p, i32, i64 = ir.IntType(8).as_pointer(), ir.IntType(32), ir.IntType(64)
        record = ir.LiteralStructType([i64, i8p, i8p, i32])  # offsets 0, 8, 16, 24
        slot = cgutils.alloca_once(builder, record)
        fields = (
            ir.Constant(i64, _ERROR_CREATE_ARGS_SIZE),
            ir.Constant(i8p, None),
            context.insert_const_string(builder.module, text),
            ir.Constant(i32, _INVALID_ARGUMENT),
        )
        for i, value in enumerate(fields):
            builder.store(value, cgutils.gep_inbounds(builder, slot, 0, i))
        create = ir.FunctionType(i8p, [record.as_pointer()])
        at = builder.add(builder.ptrtoint(args[0], i64), ir.Constant(i64, _ERROR_CREATE_AT))
        function = builder.load(builder.inttoptr(at, create.as_pointer().as_pointer()))
        return builder.call(function, [slot])

    return types.voidptr(types.int64, message), codegen


_inline = numba.njit(error_model="numpy", inline="always")


@_inline
def _words(address, n):  # type: ignore[no-untyped-def]
    return numba.carray(_ptr(address), n, np.int64)


@_inline
def _int32s(address, n):  # type: ignore[no-untyped-def]
    return numba.carray(_ptr(address), n, np.int32)


@_inline
def _answer_metadata(api, extension):  # type: ignore[no-untyped-def]
    """Write our API version into XLA's metadata query; NULL, or an XLA_FFI_Error*."""
    # XLA_FFI_Api's own version (struct_size at 16, major at 32): a new major
    # may have moved the structs, so refuse it rather than misread them.
    if _words(api, 3)[2] >= _API_VERSION_SIZE and _int32s(api, 9)[8] != _MAJOR:
        return _error(api, "sigmoid: unsupported XLA FFI major version")
    if _words(extension, 1)[0] < _METADATA_EXTENSION_SIZE:
        return _error(api, "sigmoid: XLA FFI metadata extension too small")
    metadata = _words(extension, 4)[3]
    words, int32s = _words(metadata, 5), _int32s(metadata, 9)
    if words[0] < _METADATA_SIZE:
        return _error(api, "sigmoid: XLA_FFI_Metadata too small")
    words[1] = _API_VERSION_SIZE  # api_version: struct_size, extension_start, major, minor
    words[2] = 0
    int32s[6] = _MAJOR
    int32s[7] = _MINOR
    int32s[8] = 0  # traits
    return _ptr(0)


@_inline
def _buffer(api, types_at, pointers_at):  # type: ignore[no-untyped-def]
    """(dtype, data address, element count, error) of the first buffer of an args/rets list."""
    if _int32s(types_at, 1)[0] != _BUFFER:
        return 0, 0, 0, _error(api, "sigmoid: XLA FFI operand is not a buffer")
    at = _words(pointers_at, 1)[0]
    words = _words(at, 6)  # struct_size, extension_start, dtype, data, rank, dims
    if words[0] < _BUFFER_SIZE:
        return 0, 0, 0, _error(api, "sigmoid: XLA_FFI_Buffer too small")
    count = 1
    dims = _words(words[5], words[4])
    for d in range(words[4]):
        count *= dims[d]
    return _int32s(at, 5)[4], words[3], count, _ptr(0)


@_inline
def frame_buffers(frame):  # type: ignore[no-untyped-def]
    """(dtype, x address, out address, count, error) of a call frame; dtype 0: nothing to run.

    The error is NULL (success) or an XLA_FFI_Error*, which the handler
    returns; the metadata query is answered here.
    """
    head = numba.carray(frame, 3, np.int64)  # struct_size, extension_start, api
    api = head[2]
    if head[0] < _CALL_FRAME_SIZE:
        return 0, 0, 0, 0, _error(api, "sigmoid: XLA_FFI_CallFrame too small")
    f = numba.carray(frame, _CALL_FRAME_SIZE // 8, np.int64)
    if f[1] != 0 and _int32s(f[1], 3)[2] == _EXTENSION_METADATA:
        return 0, 0, 0, 0, _answer_metadata(api, f[1])
    if numba.carray(frame, 9, np.int32)[8] != _STAGE_EXECUTE:
        return 0, 0, 0, 0, _ptr(0)
    # args at 40 (struct_size, extension_start, size, types, args), rets at 80.
    if f[5] < _ARGS_SIZE or f[10] < _ARGS_SIZE or f[7] != 1 or f[12] != 1:
        return 0, 0, 0, 0, _error(api, "sigmoid: XLA FFI call needs one argument and one result")
    dtype, x, n, error = _buffer(api, f[8], f[9])
    if not _is_null(error):
        return 0, 0, 0, 0, error
    out_dtype, out, m, error = _buffer(api, f[13], f[14])
    if not _is_null(error):
        return 0, 0, 0, 0, error
    if dtype != out_dtype or n != m or (dtype != F32 and dtype != F64):
        return 0, 0, 0, 0, _error(api, "sigmoid: XLA FFI buffers must be float32 or float64, alike")
    return (dtype if n > 0 else 0), x, out, n, _ptr(0)


@_inline
def float32_views(x, out, n):  # type: ignore[no-untyped-def]
    return numba.carray(_ptr(x), n, np.float32), numba.carray(_ptr(out), n, np.float32)


@_inline
def float64_views(x, out, n):  # type: ignore[no-untyped-def]
    return numba.carray(_ptr(x), n, np.float64), numba.carray(_ptr(out), n, np.float64)
