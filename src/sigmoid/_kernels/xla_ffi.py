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
other, with flush-to-zero off (XLA's threads run with it on). From
`POOL_FROM` elements it splits the work into slices and runs them on XLA's
intra-op thread pool too (``XLA_FFI_ThreadPool_Schedule``, where the runtime's
API has it; see `pooled`), as the NumPy path splits a large array over its
threads.
"""

from __future__ import annotations

import ctypes
import sys

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic, register_jitable

__all__ = [
    "F32",
    "F64",
    "POOL_FROM",
    "SIGNATURE",
    "SUPPORTED",
    "TASK_SIGNATURE",
    "float32_views",
    "float64_views",
    "frame_buffers",
    "next_slice",
    "pooled",
    "release",
    "schedule",
    "slice_done",
    "task_address",
    "task_state",
    "task_symbol",
    "wait",
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
# XLA_FFI_Api's function pointers used for the thread pool, by offset, and the
# struct_size an XLA_FFI_Api must have to hold the last of them.
_ERROR_DESTROY_AT = 64
_SCHEDULE_AT = 136
_NUM_THREADS_AT = 144
_API_WITH_POOL = 152
_ERROR_DESTROY_ARGS_SIZE = 24  # XLA_FFI_Error_Destroy_Args
_SCHEDULE_ARGS_SIZE = 40  # XLA_FFI_ThreadPool_Schedule_Args
_NUM_THREADS_ARGS_SIZE = 32  # XLA_FFI_ThreadPool_NumThreads_Args
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
        create = _api_function(builder, args[0], ir.Constant(i64, _ERROR_CREATE_AT), returns=True)
        return builder.call(create, [builder.bitcast(slot, i8p)])

    return types.voidptr(types.int64, message), codegen


def _api_function(builder, api, offset, returns):  # type: ignore[no-untyped-def]
    """The function pointer at byte `offset` of the XLA_FFI_Api at address `api`."""
    i8p = ir.IntType(8).as_pointer()
    function_type = ir.FunctionType(i8p if returns else ir.VoidType(), [i8p])
    at = builder.inttoptr(builder.add(api, offset), function_type.as_pointer().as_pointer())
    return builder.load(at)


@intrinsic
def _call_api(typingctx, api, offset, args):  # type: ignore[no-untyped-def]
    """``api->F(args)`` for the XLA_FFI_Api function F at byte `offset`: its XLA_FFI_Error*."""

    def codegen(context, builder, signature, values):  # type: ignore[no-untyped-def]
        function = _api_function(builder, values[0], values[1], returns=True)
        return builder.call(function, [builder.inttoptr(values[2], ir.IntType(8).as_pointer())])

    return types.voidptr(types.int64, types.int64, types.int64), codegen


@intrinsic
def _call_api_void(typingctx, api, offset, args):  # type: ignore[no-untyped-def]
    """``api->F(args)`` for an XLA_FFI_Api function F that returns nothing."""

    def codegen(context, builder, signature, values):  # type: ignore[no-untyped-def]
        function = _api_function(builder, values[0], values[1], returns=False)
        builder.call(function, [builder.inttoptr(values[2], ir.IntType(8).as_pointer())])
        return context.get_dummy_value()

    return types.none(types.int64, types.int64, types.int64), codegen


@intrinsic
def _address(typingctx, pointer):  # type: ignore[no-untyped-def]
    """A void pointer as an integer."""
    if pointer != types.voidptr:
        return None

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        return builder.ptrtoint(args[0], ir.IntType(64))

    return types.int64(types.voidptr), codegen


@intrinsic
def _stack_words(typingctx, count):  # type: ignore[no-untyped-def]
    """The address of `count` int64 words on the calling function's stack."""
    if not isinstance(count, types.IntegerLiteral):
        return None
    n = count.literal_value

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        slot = cgutils.alloca_once(builder, ir.ArrayType(ir.IntType(64), n))
        return builder.ptrtoint(slot, ir.IntType(64))

    return types.int64(count), codegen


@intrinsic
def _atomic_add(typingctx, address, value):  # type: ignore[no-untyped-def]
    """Add `value` to the int64 at `address` atomically (sequentially consistent); its old value."""

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        pointer = builder.inttoptr(args[0], ir.IntType(64).as_pointer())
        return builder.atomic_rmw("add", pointer, args[1], "seq_cst")

    return types.int64(types.int64, types.int64), codegen


@intrinsic
def _atomic_load(typingctx, address):  # type: ignore[no-untyped-def]
    """The int64 at `address`, read atomically (acquire: the stores before its store are seen)."""

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        pointer = builder.inttoptr(args[0], ir.IntType(64).as_pointer())
        return builder.load_atomic(pointer, "acquire", 8)

    return types.int64(types.int64), codegen


def _libc(builder, name, return_type, *argument_types):  # type: ignore[no-untyped-def]
    function_type = ir.FunctionType(return_type, list(argument_types))
    return cgutils.get_or_insert_function(builder.module, function_type, name)


@intrinsic
def _malloc(typingctx, size):  # type: ignore[no-untyped-def]
    """C's malloc(size), as an address (0 if it fails)."""

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        i64 = ir.IntType(64)
        function = _libc(builder, "malloc", ir.IntType(8).as_pointer(), i64)
        return builder.ptrtoint(builder.call(function, [args[0]]), i64)

    return types.int64(types.int64), codegen


@intrinsic
def _free(typingctx, address):  # type: ignore[no-untyped-def]
    """C's free."""

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        i8p = ir.IntType(8).as_pointer()
        builder.call(_libc(builder, "free", ir.VoidType(), i8p), [builder.inttoptr(args[0], i8p)])
        return context.get_dummy_value()

    return types.none(types.int64), codegen


@intrinsic
def _yield(typingctx):  # type: ignore[no-untyped-def]
    """sched_yield(): let another thread run while this one waits."""

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        builder.call(_libc(builder, "sched_yield", ir.IntType(32)), [])
        return context.get_dummy_value()

    return types.none(), codegen


def task_symbol(key: int) -> str:
    """The symbol under which the pool task for loop `key` is known to the linker."""
    return f"sigmoid_xla_ffi_task_{key}"


@intrinsic
def task_address(typingctx, key):  # type: ignore[no-untyped-def]
    """The address of the pool task for loop `key` (a literal): the symbol `task_symbol(key)`.

    An external symbol, resolved when the handler's machine code is linked
    (compiled, or loaded from the disk cache): `sigmoid._kernels.loops` adds
    it for the task's address in this process first (``llvmlite.binding.add_symbol``).
    An address compiled in as a number would be stale in the next process.
    """
    if not isinstance(key, types.IntegerLiteral):
        return None
    name = task_symbol(key.literal_value)

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        i8p = ir.IntType(8).as_pointer()
        function = _libc(builder, name, ir.VoidType(), i8p)
        return builder.ptrtoint(function, ir.IntType(64))

    return types.int64(key), codegen


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


# A large array is split into slices run on XLA's intra-op thread pool (the
# one that runs XLA's own compute tasks): the handler schedules tasks there
# (XLA_FFI_ThreadPool_Schedule) and takes slices too. Each slice is claimed
# with an atomic counter, by whichever thread comes first, so a task that
# starts late (or never: XLA may run it on any thread, the caller's included,
# or not in parallel at all) is never waited for; the handler waits only for
# slices already claimed, which are running. The state lives on the heap,
# because a late task reads it after the handler has returned: the last of
# the handler and its tasks to leave frees it (a reference count).
#: Arrays from this many elements are split (each slice at least half that).
POOL_FROM = 1 << 17
_ALIGN = 1024  # slices start on a multiple of this many elements (threads share no cache line)
_SLICES_PER_THREAD = 4
# The state's int64 words.
_X, _OUT, _N, _DTYPE, _STEP, _SLICES, _TASKS, _NEXT, _DONE, _REFS = range(10)
_STATE_WORDS = 10
#: A pool task: ``void task(void* state)``.
TASK_SIGNATURE = types.void(types.voidptr)


@_inline
def _destroy(api, error):  # type: ignore[no-untyped-def]
    args = _stack_words(3)
    words = _words(args, 3)
    words[0], words[1], words[2] = _ERROR_DESTROY_ARGS_SIZE, 0, _address(error)
    _call_api_void(api, _ERROR_DESTROY_AT, args)


@_inline
def _pool_threads(api, ctx):  # type: ignore[no-untyped-def]
    """The number of threads in XLA's pool for this call (1 where XLA has none to offer).

    1 too where the runtime's API table is too small to hold the pool's
    functions, or holds a NULL for either of them.
    """
    if _words(api, 1)[0] < _API_WITH_POOL:
        return 1
    table = _words(api, _API_WITH_POOL // 8)
    if table[_SCHEDULE_AT // 8] == 0 or table[_NUM_THREADS_AT // 8] == 0:
        return 1
    count, args = _stack_words(1), _stack_words(4)
    _words(count, 1)[0] = 1
    words = _words(args, 4)
    words[0], words[1], words[2], words[3] = _NUM_THREADS_ARGS_SIZE, 0, ctx, count
    error = _call_api(api, _NUM_THREADS_AT, args)
    if not _is_null(error):
        _destroy(api, error)
        return 1
    return _words(count, 1)[0]


@_inline
def pooled(frame, dtype, x, out, n):  # type: ignore[no-untyped-def]
    """The state of a call split over XLA's pool, or 0: run it on this thread alone.

    0 for an array below POOL_FROM elements, a pool of one thread, or no memory.
    """
    if n < POOL_FROM:
        return 0
    head = _words(_address(frame), 4)  # struct_size, extension_start, api, ctx
    threads = _pool_threads(head[2], head[3])
    if threads < 2:
        return 0
    state = _malloc(8 * _STATE_WORDS)
    if state != 0:
        words = _words(state, _STATE_WORDS)
        slices = min(_SLICES_PER_THREAD * threads, n // (POOL_FROM // 2))
        slices = fill_state(words, dtype, x, out, n, slices, 0)
        words[_TASKS] = min(threads, slices) - 1
        words[_REFS] = words[_TASKS] + 1  # the handler and each task
    return state


@register_jitable
def fill_state(
    words: np.ndarray, dtype: int, x: int, out: int, n: int, slices: int, refs: int
) -> int:
    """Fill a slice task's state (its int64 words) for n elements in about `slices` slices.

    The slices start on a multiple of _ALIGN elements; returns their number.
    Callable from Python too (`sigmoid._engine`'s waiting workers).
    """
    step = -(-n // (slices * _ALIGN)) * _ALIGN  # ceil(n / slices), aligned
    slices = -(-n // step)
    words[_X], words[_OUT], words[_N], words[_DTYPE] = x, out, n, dtype
    words[_STEP], words[_SLICES] = step, slices
    words[_NEXT], words[_DONE], words[_REFS] = 0, 0, refs
    return slices


@_inline
def schedule(frame, state, task):  # type: ignore[no-untyped-def]
    """Put the state's tasks on XLA's pool; a task that cannot be scheduled drops its reference."""
    head = _words(_address(frame), 4)
    api, ctx = head[2], head[3]
    tasks = _words(state, _STATE_WORDS)[_TASKS]
    args = _stack_words(5)
    words = _words(args, 5)
    for i in range(tasks):
        words[0], words[1], words[2], words[3], words[4] = _SCHEDULE_ARGS_SIZE, 0, ctx, task, state
        error = _call_api(api, _SCHEDULE_AT, args)
        if not _is_null(error):
            _destroy(api, error)
            _atomic_add(state + 8 * _REFS, i - tasks)
            return


@_inline
def next_slice(state):  # type: ignore[no-untyped-def]
    """(dtype, x address, out address, count) of the next unclaimed slice; count 0: none left."""
    words = _words(state, _STATE_WORDS)
    s = _atomic_add(state + 8 * _NEXT, 1)
    if s >= words[_SLICES]:
        return 0, 0, 0, 0
    start = s * words[_STEP]
    size = 4 if words[_DTYPE] == F32 else 8
    count = min(words[_STEP], words[_N] - start)
    return words[_DTYPE], words[_X] + size * start, words[_OUT] + size * start, count


@_inline
def slice_done(state):  # type: ignore[no-untyped-def]
    _atomic_add(state + 8 * _DONE, 1)  # (sequentially consistent: the slice's stores come first)


@_inline
def wait(state):  # type: ignore[no-untyped-def]
    """Until every slice is done (called once none is left to claim)."""
    slices = _words(state, _STATE_WORDS)[_SLICES]
    while _atomic_load(state + 8 * _DONE) < slices:
        _yield()


@_inline
def release(state):  # type: ignore[no-untyped-def]
    """Drop a reference to the state; the last one frees it."""
    if _atomic_add(state + 8 * _REFS, -1) == 1:
        _free(state)


@_inline
def task_state(data):  # type: ignore[no-untyped-def]
    return _address(data)
