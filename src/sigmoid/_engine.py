"""The NumPy engine: the compiled kernels with NumPy ufunc semantics.

`evaluate` is the one entry point for NumPy arrays and scalars, Python
numbers and lists (the dispatch calls its per-type entries, `BY_TYPE`,
directly, which saves a frame on one number). It checks the input, gets the compiled kernel
(`kernel`, built on first use from `sigmoid._kernels.loops`) and does what a
NumPy ufunc does around its inner loop: picks the loop for the dtype (float16
and bfloat16 go through the float64 loop and are rounded once; longdouble through
`sigmoid._backends.longdouble`), splits large arrays over threads,
makes the data contiguous without copying when it already is (C or Fortran
order), honours ``out=`` (broadcasting to it, casting like ``same_kind``,
in place), returns NumPy scalars for 0-d results, and never emits a
floating-point warning.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import math
import os
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from types import MappingProxyType
from typing import Any, Literal

import numpy as np

from ._backends import longdouble
from ._family import FAMILY, Function, kernel_derivative
from ._validate import as_float_array, check_out

__all__ = [
    "BY_TYPE",
    "SMALL",
    "TINY",
    "bfloat16_bits",
    "evaluate",
    "kernel",
    "run",
    "thread_count",
]

_F64 = np.dtype(np.float64)
# Each thread gets at least this much work (ns on one core): handing a slice
# to a pool thread and hearing back costs ~45 µs on the 2-core VMs of
# docs/benchmarks.md (waking a thread there is slow), and splitting measured
# faster only from ~110 µs of work, whatever the function (float32 σ from
# ~200,000 elements, float64 softplus from ~30,000).
_NS_PER_THREAD = 60_000
# The same for the workers that wait in compiled code (`_run_hot`): a hand-off
# to one that is awake takes a few µs, and one asleep is not waited for.
_HOT_NS_PER_THREAD = 15_000
# Arrays smaller than this run on the calling thread, without a look at threads
# (even the costliest loop, ~4.5 ns an element, has too little work below it).
SMALL = 1 << 14
#: The cost per element assumed for a loop that states none (ns on one core).
DEFAULT_COST = 3.0
# Arrays of at most this many elements go through our NumPy ufuncs: their
# scalar inner loop costs 7-11 ns an element, against ~1 ns in the SIMD loops,
# but they save ~450 ns of checks, allocation and call.
TINY = 32
# Slices start on a multiple of this, so threads never share a cache line.
_ALIGN = 1024

# The compiled kernels by kind, then by function index; None until first use.
# A call on one number or a few costs mostly its Python checks, so the fast
# paths in `evaluate` read these lists directly.
_KERNELS: dict[str, list[Any]] = {
    kind: [None] * len(FAMILY) for kind in ("scalar", "f32", "f64", "ufunc", "dual32", "dual64")
}
_SCALAR = _KERNELS["scalar"]
_UFUNC = _KERNELS["ufunc"]
_LOOP = {np.dtype(np.float32): _KERNELS["f32"], _F64: _KERNELS["f64"]}
_KIND = {np.dtype(np.float32): "f32", _F64: "f64"}
_DUAL = {np.dtype(np.float32): "dual32", _F64: "dual64"}


def kernel(kind: str, function: Function) -> Any:
    """The compiled kernel of this kind ("scalar", "f32", "f64", "ufunc", "dual32", "dual64").

    Built on first use.

    For the loops and the scalar function this is the compiled entry point of
    their one signature: calling it skips the dispatcher's type matching (half
    the cost of a small call). Callers pass exactly that signature's types:
    1-D C-contiguous arrays of the loop's dtype, or a float.
    """
    built = _KERNELS[kind][function.index]
    if built is None:
        # Importing the loops imports numba (about a second): only on first use.
        from ._kernels import loops

        built = loops.build(kind, function)
        if kind != "ufunc":
            built = built.overloads[built.signatures[0]].entry_point
        _KERNELS[kind][function.index] = built
    return built


@functools.cache
def thread_count() -> int:
    """Threads for large arrays: $SIGMOID_NUM_THREADS (read once), else the usable CPUs."""
    configured = os.environ.get("SIGMOID_NUM_THREADS", "")
    if configured.strip():
        return max(1, int(configured))
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


_pool: ThreadPoolExecutor | None = None
# Native ids of the pool's threads, and the CPU they were last kept off.
_worker_ids: list[int] = []
_kept_off: tuple[int, int] = (-1, 0)  # (CPU, how many workers then)


def _reset_pool() -> None:  # a forked child has none of the parent's threads
    global _pool, _kept_off, _hot, _hot_lock
    _pool = None
    _worker_ids.clear()
    _kept_off = (-1, 0)
    _hot, _hot_lock = None, threading.Lock()


# The workers that wait for work in compiled code (`sigmoid._kernels.pool`),
# for the float32 and float64 loops of the family: their mailboxes and the
# events they sleep on. One call at a time uses them; a call from another
# thread meanwhile goes to `_pool`.
_hot: tuple[np.ndarray, list[threading.Event]] | None = None
_hot_lock = threading.Lock()


def _hot_worker(mailboxes: np.ndarray, w: int, wake: threading.Event) -> None:
    from ._kernels import pool

    _note_worker()
    words = mailboxes[w * pool.MAILBOX_WORDS : (w + 1) * pool.MAILBOX_WORDS]
    while True:
        pool.serve(words.ctypes.data)  # (without the GIL) until idle for a while
        wake.wait()
        wake.clear()
        words[pool.ASLEEP] = 0  # (a post that saw it still set only wakes us once more)


def _run_hot(function: Function, src: np.ndarray, dst: np.ndarray, threads: int) -> bool:
    """function's loop on src into dst, on this thread and the waiting workers; False if busy."""
    global _hot
    if not _hot_lock.acquire(blocking=False):
        return False
    try:
        from ._kernels import loops, pool
        from ._kernels import xla_ffi as X

        if _hot is None:
            workers = max(1, thread_count() - 1)
            mailboxes = np.zeros(workers * pool.MAILBOX_WORDS, np.int64)
            _hot = mailboxes, [threading.Event() for _ in range(workers)]
            for w, wake in enumerate(_hot[1]):
                threading.Thread(
                    target=_hot_worker,
                    args=(mailboxes, w, wake),
                    name=f"sigmoid-waiting-{w}",
                    daemon=True,
                ).start()
        mailboxes, wakes = _hot
        workers = min(threads - 1, len(wakes))
        task = loops.task_address(function.index)
        state = np.zeros(X._STATE_WORDS, np.int64)
        dtype = X.F32 if src.dtype == np.float32 else X.F64
        # (a reference count the tasks never bring to 0: the array is ours)
        X.fill_state(state, dtype, src.ctypes.data, dst.ctypes.data, src.size, 4 * threads, 1 << 62)
        _keep_workers_off_this_cpu()
        asleep = pool.post(mailboxes.ctypes.data, workers, task, state.ctypes.data)
        for w in range(workers):
            if asleep >> w & 1:
                wakes[w].set()
        pool.lead(mailboxes.ctypes.data, workers, task, state.ctypes.data)
        return True
    finally:
        _hot_lock.release()


def _note_worker() -> None:  # runs in each new pool thread
    _worker_ids.append(threading.get_native_id())


@functools.cache
def _sched_getcpu() -> Any:
    """libc's sched_getcpu (the calling thread's CPU), or None where there is none."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    try:
        return ctypes.CDLL(None).sched_getcpu
    except (AttributeError, OSError):
        return None


def _keep_workers_off_this_cpu() -> None:
    """Let the pool's threads run anywhere but on the calling thread's CPU (Linux).

    The caller computes a slice too. A worker woken from idle can otherwise be
    placed on the caller's busy CPU and wait there until the kernel's load
    balancer moves it: measured on this project's 2-core VMs, a call on 10^6
    elements after a few ms of idleness took 1.7-2 ms instead of 0.85 ms. The
    mask is set again only when the caller's CPU or the pool changes.
    """
    global _kept_off
    getcpu = _sched_getcpu()
    if getcpu is None:
        return
    cpu = getcpu()
    if (cpu, len(_worker_ids)) == _kept_off or cpu < 0:
        return
    _kept_off = (cpu, len(_worker_ids))
    allowed = os.sched_getaffinity(0) - {cpu}
    for worker in _worker_ids if allowed else ():
        # A worker that is gone, or a mask that is not allowed: leave it be.
        with contextlib.suppress(OSError):
            os.sched_setaffinity(worker, allowed)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_pool)


def run(
    loop: Any,
    src: np.ndarray,
    *dst: np.ndarray,
    cost: float = DEFAULT_COST,
    function: Function | None = None,
) -> None:
    """loop(src, *dst) on 1-D arrays of one size, split over threads when it is worth it.

    `cost` is the loop's time per element on one core, in ns (`Kernels.cost`).
    With `function` (one output: its float32 or float64 loop) the slices go
    to the workers waiting in compiled code, each given at least
    `_HOT_NS_PER_THREAD` of work (`_run_hot`); otherwise, or while another
    thread's call has them, to the thread pool, at least `_NS_PER_THREAD`
    each. The loops release the GIL and every element is computed on its
    own, so the result is bit-identical whatever the split.
    """
    global _pool
    work = int(src.size * cost)
    if function is not None and len(dst) == 1:
        hot = min(thread_count(), work // _HOT_NS_PER_THREAD)
        if hot > 1 and _run_hot(function, src, dst[0], hot):
            return
    threads = min(thread_count(), work // _NS_PER_THREAD)
    if threads <= 1:
        loop(src, *dst)
        return
    step = -(-src.size // (threads * _ALIGN)) * _ALIGN  # ceil(size / threads), aligned
    if _pool is None:
        _pool = ThreadPoolExecutor(
            thread_count(), thread_name_prefix="sigmoid", initializer=_note_worker
        )
    _keep_workers_off_this_cpu()
    futures: list[Future[None]] = [
        _pool.submit(loop, src[start : start + step], *(d[start : start + step] for d in dst))
        for start in range(step, src.size, step)
    ]
    loop(src[:step], *(d[:step] for d in dst))
    for future in futures:
        future.result()


def _cost(function: Function | None, dtype: np.dtype[Any]) -> float:
    """The time per element (ns, one core) of function's loop for dtype, float32 or float64."""
    if function is None or function.kernels is None:
        return DEFAULT_COST
    return function.kernels.cost[dtype == _F64]


def _round_to_bfloat16(y: Any) -> np.ndarray:
    """The bfloat16 nearest to each float64 in y, as its bits (uint16, y's shape).

    One rounding, to nearest even: float64 to float32 rounded to odd (toward
    zero, the last bit set if inexact), then float32 to bfloat16 to nearest,
    which gives the correctly rounded value of y itself (Boldo and Melquiond,
    "Emulation of FMA and correctly rounded sums: proved algorithms using
    rounding to odd", 2008). Rounding to nearest float32 first can round twice
    the wrong way, as torch's conversion does; ml_dtypes' is direct, and this
    agrees with it except that a NaN keeps its sign and leading payload bits.
    Done in integers, so NumPy's bfloat16 and torch's get the same bits.

    >>> y = np.array([1 + 2**-8 + 2**-30, 1 + 2**-8])  # above a midpoint, on it
    >>> [hex(b) for b in _round_to_bfloat16(y)]  # 1 + 2**-7 and 1 (the even one)
    ['0x3f81', '0x3f80']
    """
    y = np.asarray(y, dtype=_F64)
    flat = y.reshape(-1)  # 1-d, so that integer arithmetic never warns of a NumPy scalar
    with np.errstate(all="ignore"):  # beyond float32's range: inf, then stepped back
        f = flat.astype(np.float32)  # a NaN keeps its sign and leading payload bits
        back = f.astype(_F64)
        away = np.abs(back) > np.abs(flat)  # rounded away from zero: one step back
        f[away] = np.nextafter(f[away], np.float32(0))
    bits = f.view(np.uint32)
    bits[back != flat] |= np.uint32(1)  # rounded to odd
    nearest = (bits + (np.uint32(0x7FFF) + ((bits >> 16) & np.uint32(1)))) >> 16
    nearest = np.where(np.isnan(flat), bits >> 16, nearest)  # (a quiet NaN stays one)
    result: np.ndarray = nearest.astype(np.uint16).reshape(y.shape)
    return result


def bfloat16_bits(function: Function, x: np.ndarray) -> np.ndarray:
    """function(x) correctly rounded to bfloat16, as its bits, for float64 x (bfloat16 values).

    The float64 result rounded once; where float64 keeps only the leading term
    of the series at 0 (`Function.truncated_below`), one float64 step toward 0
    first, so that an exact -x/8 on a rounding midpoint goes the way the truth
    lies. NumPy's bfloat16 (ml_dtypes) and torch's CPU tensors both come here.
    """
    wide = _compute(function, x)
    if function.truncated_below:  # the truth is a hair toward 0 from these
        tiny = (np.abs(x) < function.truncated_below) & (wide != 0)
        wide[tiny] = np.nextafter(wide[tiny], 0.0)
    return _round_to_bfloat16(wide)


def _compute(function: Function, arr: np.ndarray, dest: np.ndarray | None = None) -> np.ndarray:
    """function(arr) in arr's dtype, into `dest` (C-contiguous, same dtype) or a new array."""
    dtype = arr.dtype
    if dtype == np.longdouble and dtype not in _KIND:
        result = longdouble.evaluate(function, arr)
    elif dtype not in _KIND:  # float16, bfloat16: the float64 result, rounded once
        # (ml_dtypes flags NaN as invalid when widening it; underflow is the point)
        with np.errstate(all="ignore"):
            wide = arr.astype(_F64)
            if dtype == np.float16:
                result = _compute(function, wide).astype(dtype)
            else:
                result = bfloat16_bits(function, wide).view(dtype)
    else:
        order: Literal["C", "F"] = "C"
        if dest is None:
            if arr.flags.f_contiguous and not arr.flags.c_contiguous:
                order = "F"
            dest = np.empty(arr.shape, dtype=dtype, order=order)
        if arr.size:
            # ravel is a view when arr is contiguous in that order, else one copy.
            loop = kernel(_KIND[dtype], function)
            run(
                loop,
                arr.ravel(order=order),
                dest.ravel(order=order),
                cost=_cost(function, dtype),
                function=function,
            )
        return dest
    if dest is None:
        return result
    dest[...] = result
    return dest


def with_derivative(function: Function, x: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """function(x) and its derivative at x (at -x for a flipped one) in one pass; None if no loop.

    For a float32 or float64 array (any shape; a copy if it is not contiguous)
    of a function whose derivative has kernels too: the two share their common
    work (e^-|x|), and each is bit-identical to its own loop's result. None for
    any other dtype or function. For autograd's forward pass, which keeps the
    derivative for the backward one (`sigmoid._backends.torch_ops`).

    >>> from sigmoid._family import FAMILY
    >>> with_derivative(FAMILY["sigmoid"], np.array([0.0, 2.0]))
    (array([0.5       , 0.88079708]), array([0.25      , 0.10499359]))
    """
    kind = _DUAL.get(x.dtype)
    if kind is None or kernel_derivative(function) is None:
        return None
    loop = _KERNELS[kind][function.index] or kernel(kind, function)
    order: Literal["C", "F"] = "F" if x.flags.f_contiguous and not x.flags.c_contiguous else "C"
    # One allocation for both: two large ones freed together are given back to
    # the system by glibc's malloc (its trim threshold is twice the larger),
    # and the next call then pays a page fault per 4 KiB: 1.9 ns per float64
    # element at 10^6, more than the loop itself saves.
    n = x.size
    both = np.empty(2 * n, x.dtype)
    if n:
        cost = _cost(function, x.dtype) + _cost(kernel_derivative(function), x.dtype)
        run(loop, x.ravel(order=order), both[:n], both[n:], cost=cost)
    return both[:n].reshape(x.shape, order=order), both[n:].reshape(x.shape, order=order)


def int_to_float(n: int) -> float:
    """The float nearest to a Python int of any size; ±inf beyond the float range.

    >>> int_to_float(2**53 + 1), int_to_float(-(10**400))
    (9007199254740992.0, -inf)
    """
    try:
        return float(n)  # correctly rounded
    except OverflowError:
        return math.inf if n > 0 else -math.inf


def evaluate(function: Function, x: Any, out: Any = None) -> Any:
    """function(x) with NumPy ufunc semantics, for NumPy and Python input.

    >>> from sigmoid._family import FAMILY
    >>> evaluate(FAMILY["sigmoid"], [0.0, 40.0])
    array([0.5, 1. ])
    """
    return BY_TYPE.get(type(x), _general)(function, x, out)


# For one number or ten, the checks cost more than the arithmetic: the
# commonest input types get an entry of their own that does the one test
# their fast path needs and otherwise hands over to `_general`. `BY_TYPE`
# is what `evaluate` (and the dispatch, which calls them without its frame)
# looks them up in.


def _python_float(function: Function, x: float, out: Any) -> Any:
    if out is None:  # the compiled scalar function, a float back
        return (_SCALAR[function.index] or kernel("scalar", function))(x)
    return _general(function, x, out)


def _python_int(function: Function, x: int, out: Any) -> Any:
    if out is None:  # any size: a float back, as for a Python float
        return (_SCALAR[function.index] or kernel("scalar", function))(int_to_float(x))
    return _general(function, x, out)


def _numpy_scalar(function: Function, x: np.floating[Any], out: Any) -> Any:
    if out is None:  # float32 or float64: the ufunc, a NumPy scalar back
        return (_UFUNC[function.index] or kernel("ufunc", function))(x)
    return _general(function, x, out)


def _ndarray(function: Function, x: np.ndarray, out: Any) -> Any:
    # Any shape or strides; 0-d gives a scalar, as NumPy does. With out=, what
    # `_general` would do too (the ufunc handles overlap and broadcasts x to
    # out), without its frame: out= costs about what allocating does.
    dtype = x.dtype
    if x.size <= TINY and dtype in _LOOP:
        if out is None:
            return (_UFUNC[function.index] or kernel("ufunc", function))(x)
        # numba's ufuncs write a strided out as if it were contiguous (numba
        # 0.68: `f(x, out=np.zeros(8)[::2])` fills the first half): carray,
        # C-contiguous (and aligned and writeable), or the long way.
        # (`is`: NumPy's dtypes of one kind are one object; any other goes the long way)
        if type(out) is np.ndarray and out.dtype is dtype and out.flags.carray:
            try:  # (a try costs nothing until it raises; a `with` would)
                return (_UFUNC[function.index] or kernel("ufunc", function))(x, out)
            except ValueError:  # x does not broadcast to out: `_general` says so
                pass
    return _general(function, x, out)


#: The entry for each of the commonest input types; others go to `_general`.
BY_TYPE: Mapping[type, Callable[[Function, Any, Any], Any]] = MappingProxyType(
    {
        float: _python_float,
        int: _python_int,
        np.float32: _numpy_scalar,
        np.float64: _numpy_scalar,
        np.ndarray: _ndarray,
    }
)


def _general(function: Function, x: Any, out: Any) -> Any:
    """Every input: 1-D contiguous arrays straight to the loop, the rest through `_compute`."""
    index = function.index
    if out is None:
        if type(x) is np.ndarray:
            loops = _LOOP.get(x.dtype)  # float32 or float64
            if loops is not None and x.ndim == 1 and x.flags.c_contiguous:
                loop = loops[index] or kernel(_KIND[x.dtype], function)
                result = np.empty(x.shape, x.dtype)  # (faster than np.empty_like)
                if x.size < SMALL:
                    loop(x, result)
                else:
                    run(loop, x, result, cost=_cost(function, x.dtype), function=function)
                return result
        arr = as_float_array(x)
        result = _compute(function, arr)
        return result[()] if result.ndim == 0 else result
    if (
        type(x) is np.ndarray
        and type(out) is np.ndarray
        and out.dtype is x.dtype  # (one object per NumPy dtype; any other: the long way)
        and x.dtype in _LOOP
        and out.shape == x.shape
        and x.ndim == 1
        and x.flags.c_contiguous
        and out.flags.carray  # C-contiguous, aligned, writeable (else the long way's error)
        # two arrays that own their memory cannot overlap (and this costs a
        # tenth of may_share_memory's look at the bounds)
        and (
            (x is not out and x.base is None and out.base is None)
            or not np.may_share_memory(x, out)
        )
    ):  # exactly what the general path does here, so out= costs no more (tiny arrays
        # never get here: `_ndarray` gave them the ufunc)
        loop = _LOOP[x.dtype][index] or kernel(_KIND[x.dtype], function)
        if x.size < SMALL:
            loop(x, out)
        else:
            run(loop, x, out, cost=_cost(function, x.dtype), function=function)
        return out
    return _evaluate_into(function, as_float_array(x), check_out(out))


def _evaluate_into(function: Function, arr: np.ndarray, out: np.ndarray) -> np.ndarray:
    """function(arr) into `out`, broadcasting and casting like a ufunc's ``out=``."""
    if out.shape != arr.shape:
        try:
            arr = np.broadcast_to(arr, out.shape)
        except ValueError:
            raise ValueError(
                f"input of shape {arr.shape} does not broadcast to out of shape {out.shape}"
            ) from None
    if not np.can_cast(arr.dtype, out.dtype, casting="same_kind"):
        raise TypeError(f"cannot write a {arr.dtype} result into out of dtype {out.dtype}")
    if np.can_cast(arr.dtype, out.dtype, casting="safe"):
        arr = arr.astype(out.dtype, copy=False)  # compute in the wider type, as NumPy does
    direct = out.dtype == arr.dtype and out.flags.c_contiguous and not np.may_share_memory(arr, out)
    if direct:
        _compute(function, arr, out)
    else:  # in place, strided or narrowing: through one temporary
        with np.errstate(all="ignore"):  # narrowing may underflow, by design
            np.copyto(out, _compute(function, arr), casting="same_kind")
    return out
