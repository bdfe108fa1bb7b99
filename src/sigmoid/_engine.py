"""Run one compiled loop over a NumPy array with NumPy ufunc semantics.

`evaluate` takes an already checked floating array and does what a NumPy
ufunc does around its inner loop: picks the loop for the dtype (float16 goes
through the float64 loop and is rounded once; longdouble through NumPy),
makes the data contiguous without copying when it already is (C or Fortran
order), honours ``out=`` (broadcasting to it, casting like ``same_kind``,
in place), returns NumPy scalars for 0-d results, and never emits a
floating-point warning.
"""

from __future__ import annotations

import collections
import contextlib
import ctypes
import functools
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Literal

import numpy as np

from . import _longdouble

_SUFFIX: dict[np.dtype, str] = {np.dtype(np.float32): "f32", np.dtype(np.float64): "f64"}
_F64 = np.dtype(np.float64)
# Below this many elements per thread, handing work to another thread costs
# more than it saves (a hand-off is ~20 µs; an element ~1-3 ns).
_MIN_PER_THREAD = 1 << 16
# Arrays smaller than this run on the calling thread, without a look at threads.
SMALL = 2 * _MIN_PER_THREAD
# Arrays of at most this many elements go through our NumPy ufuncs: their
# scalar inner loop costs 7-11 ns an element, against ~1 ns in the SIMD loops,
# but they save ~450 ns of checks, allocation and call.
TINY = 32
# Slices start on a multiple of this, so threads never share a cache line.
_ALIGN = 1024


# Compiled functions by (name, dtype suffix), filled on first use: a dict
# lookup is all a call pays once a loop exists.
_compiled: dict[tuple[str, str], Any] = {}


def _loop(name: str, suffix: str) -> Any:
    loop = _compiled.get((name, suffix))
    if loop is None:
        # Importing _loops imports numba (about a second): only on first use.
        from . import _loops

        if suffix == "scalar":  # float -> float
            dispatcher = _loops.get_scalar(name)
        else:
            dispatcher = _loops.get_loop(name, suffix)
        # Each has exactly one signature: call its compiled entry point directly
        # and skip the dispatcher's type matching (half the cost of a small
        # call). The callers here pass exactly that signature's types: 1-D
        # C-contiguous arrays of the loop's dtype, or a float.
        loop = dispatcher.overloads[dispatcher.signatures[0]].entry_point
        _compiled[name, suffix] = loop
    return loop


# The compiled entry points by function name, for the two calls whose whole
# cost is overhead: one Python float, and a small 1-D float64/float32 array.
SCALAR: dict[str, Any] = {}
VECTOR: dict[np.dtype, dict[str, Any]] = {np.dtype(np.float32): {}, np.dtype(np.float64): {}}


# The ufuncs for tiny arrays and NumPy scalars, by function name, then by the
# array's dtype or the scalar's type: float32 and float64 share one ufunc, and
# no other dtype or type is a key. (A dtype and its scalar type compare equal
# but hash differently: they are two keys.)
UFUNCS: collections.defaultdict[str, dict[Any, np.ufunc]] = collections.defaultdict(dict)


def tiny_ufunc(name: str) -> np.ufunc:
    """The NumPy ufunc for name (float32 and float64 loops), kept in UFUNCS."""
    from . import _loops

    ufunc = _loops.get_ufunc(name)
    UFUNCS[name].update(dict.fromkeys([*_SUFFIX, np.float32, np.float64], ufunc))
    return ufunc


def evaluate_float(name: str, x: float) -> float:
    """name(x) for one Python float, through the compiled scalar function."""
    scalar = SCALAR[name] = _loop(name, "scalar")
    result: float = scalar(x)
    return result


def vector_loop(name: str, dtype: np.dtype) -> Any:
    """The compiled loop for name and a float32 or float64 dtype, kept in VECTOR."""
    loop = VECTOR[dtype][name] = _loop(name, _SUFFIX[dtype])
    return loop


def evaluate_vector(name: str, arr: np.ndarray) -> np.ndarray:
    """name(arr) for a 1-D C-contiguous float32 or float64 array, into a new array."""
    loop = VECTOR[arr.dtype].get(name) or vector_loop(name, arr.dtype)
    result = np.empty_like(arr)
    if arr.size < SMALL:
        loop(arr, result)
    else:
        _run(loop, arr, result)
    return result


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
    global _pool, _kept_off
    _pool = None
    _worker_ids.clear()
    _kept_off = (-1, 0)


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


def _run(loop: Any, src: np.ndarray, dst: np.ndarray) -> None:
    """loop(src, dst) on 1-D arrays, split over threads when it is large enough.

    The loops release the GIL and every element is computed on its own, so the
    result is bit-identical whatever the split.
    """
    global _pool
    threads = (
        1 if src.size < 2 * _MIN_PER_THREAD else min(thread_count(), src.size // _MIN_PER_THREAD)
    )
    if threads <= 1:
        loop(src, dst)
        return
    step = -(-src.size // (threads * _ALIGN)) * _ALIGN  # ceil(size / threads), aligned
    if _pool is None:
        _pool = ThreadPoolExecutor(
            thread_count(), thread_name_prefix="sigmoid", initializer=_note_worker
        )
    _keep_workers_off_this_cpu()
    futures: list[Future[None]] = [
        _pool.submit(loop, src[start : start + step], dst[start : start + step])
        for start in range(step, src.size, step)
    ]
    loop(src[:step], dst[:step])
    for future in futures:
        future.result()


def _compute(name: str, arr: np.ndarray, dest: np.ndarray | None = None) -> np.ndarray:
    """name(arr) in arr's dtype, into `dest` (C-contiguous, same dtype) or a new array."""
    dtype = arr.dtype
    if dtype == np.longdouble and dtype not in _SUFFIX:
        result = _longdouble.evaluate(name, arr)
    elif dtype not in _SUFFIX:  # float16: one rounding of the float64 result
        with np.errstate(all="ignore"):  # underflow to float16 subnormals is the point
            result = _compute(name, arr.astype(_F64)).astype(dtype)
    else:
        order: Literal["C", "F"] = "C"
        if dest is None:
            if arr.flags.f_contiguous and not arr.flags.c_contiguous:
                order = "F"
            dest = np.empty(arr.shape, dtype=dtype, order=order)
        if arr.size:
            # ravel is a view when arr is contiguous in that order, else one copy.
            _run(_loop(name, _SUFFIX[dtype]), arr.ravel(order=order), dest.ravel(order=order))
        return dest
    if dest is None:
        return result
    dest[...] = result
    return dest


def evaluate(name: str, arr: np.ndarray, out: np.ndarray | None) -> Any:
    """name(arr) with ufunc semantics; `arr` is a floating array, `out` checked."""
    if out is None:
        if arr.dtype in VECTOR and arr.ndim == 1 and arr.flags.c_contiguous:
            return evaluate_vector(name, arr)
        result = _compute(name, arr)
        return result[()] if result.ndim == 0 else result
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
        _compute(name, arr, out)
    else:  # in place, strided or narrowing: through one temporary
        with np.errstate(all="ignore"):  # narrowing may underflow, by design
            np.copyto(out, _compute(name, arr), casting="same_kind")
    return out
