"""The NumPy engine's threads: results independent of the split, workers off the caller's CPU."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import sigmoid as sg
from family import PUBLIC
from sigmoid import _engine
from sigmoid._engine import evaluate, with_derivative
from sigmoid._family import FAMILY, Kernels, kernel_derivative

# Large enough for every thread to get a slice (the engine splits an array
# from ~120 µs of work on one core: float32 σ from ~185,000 elements), with a
# ragged end.
LARGE = 5 * (1 << 17) + 123


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["sigmoid", "sigmoid_derivative", "log_sigmoid"])
def test_threaded_result_is_bit_identical_to_small_calls(name: str, dtype: type) -> None:
    # The float32 values include inputs that take the rare path.
    function = PUBLIC[name]
    x = np.random.default_rng(3).uniform(-110, 110, LARGE).astype(dtype)
    pieces = np.concatenate([function(piece) for piece in np.array_split(x, 200)])
    assert function(x).tobytes() == pieces.tobytes()
    out = np.empty_like(x)
    function(x, out=out)
    assert out.tobytes() == pieces.tobytes()


def test_workers_are_kept_off_one_cpu() -> None:
    # The caller computes a slice itself; its workers may run on every usable
    # CPU but the one the caller was on (see sigmoid._engine).
    x = np.linspace(-5, 5, LARGE)
    sg.sigmoid(x)  # starts the workers (placed from the next call on)
    sg.sigmoid(x)
    allowed = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set()
    workers = [t for t in threading.enumerate() if t.name.startswith("sigmoid")]
    if len(allowed) < 2 or not hasattr(os, "sched_setaffinity"):
        assert len(allowed) >= 2 or not workers  # one CPU: no worker at all
        return
    assert workers
    masks = {frozenset(os.sched_getaffinity(t.native_id)) for t in workers if t.native_id}
    assert len(masks) == 1
    (mask,) = masks
    assert len(allowed - mask) == 1  # exactly one CPU left out
    assert mask < allowed


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["sigmoid", "sigmoid_derivative"])
def test_nan_keeps_its_sign_and_payload(name: str, dtype: type) -> None:
    func = getattr(sg, name)
    uint = np.uint32 if dtype == np.float32 else np.uint64
    quiet = np.array([np.nan, -np.nan], dtype).view(uint)
    payloads = np.concatenate([quiet, quiet | 1, quiet | 12345])  # quiet NaNs, any payload
    for size in (1, 1000):  # the tiny ufunc and the vector loops
        x = np.resize(payloads, max(size, payloads.size)).view(dtype)
        assert np.array_equal(func(x).view(uint), x.view(uint))
    for value in payloads.view(dtype):  # NumPy scalars
        assert func(value).view(uint) == value.view(uint)


def _hard_inputs(dtype: type) -> np.ndarray:
    """The audited hard inputs of every function (tests/data), in this dtype."""
    data = Path(__file__).parent / "data"
    if dtype == np.float32:
        lines = (data / "f32_hard_inputs.txt").read_text().splitlines()
        return np.array([float(v) for v in lines if v and not v.startswith("#")], np.float32)
    rows = [line.split() for line in (data / "f64_hard_inputs.txt").read_text().splitlines()]
    return np.array([float.fromhex(r[1]) for r in rows if len(r) > 2 and not r[0].startswith("#")])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", [n for n, f in FAMILY.items() if kernel_derivative(f) is not None])
def test_with_derivative_is_both_loops_bit_for_bit(name: str, dtype: type) -> None:
    """The dual loop's two results are the two functions' own, hard inputs and threads included."""
    function = FAMILY[name]
    derivative = kernel_derivative(function)
    assert derivative is not None
    hard = _hard_inputs(dtype)
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan, 1e-310, 0.5], dtype)
    rng = np.random.default_rng(5)
    x = rng.uniform(0, 1, LARGE) if function.domain == "unit" else rng.uniform(-110, 110, LARGE)
    x = np.concatenate([special, hard, -hard, x.astype(dtype)])
    at = -x if function.flip else x
    pair = with_derivative(function, x)
    assert pair is not None
    assert pair[0].tobytes() == evaluate(function, x).tobytes()
    assert pair[1].tobytes() == evaluate(derivative, at).tobytes()
    # Any layout: the results keep x's shape (and Fortran order); strided x is copied.
    fortran = x[:600].reshape(20, 30, order="F")
    for layout in (fortran, x[:1200:2], x[:1], x[:0], np.asarray(x[7])):
        pair = with_derivative(function, layout)
        assert pair is not None
        value, slope = pair
        assert value.shape == slope.shape == layout.shape
        assert value.tobytes() == np.asarray(evaluate(function, layout)).tobytes()
        want = np.asarray(evaluate(derivative, -layout if function.flip else layout))
        assert slope.tobytes() == want.tobytes()
    pair = with_derivative(function, fortran)
    assert pair is not None
    assert pair[0].flags.f_contiguous
    assert pair[1].flags.f_contiguous


def test_with_derivative_is_none_without_a_dual_loop() -> None:
    assert with_derivative(FAMILY["logit"], np.array([0.5])) is None  # a formula derivative
    assert with_derivative(FAMILY["sigmoid"], np.array([0.5], np.float16)) is None


def _slices_run(size: int, cost: float) -> list[int]:
    """The slice sizes `run` hands a loop for an array of `size` elements of this cost."""
    seen: list[int] = []
    lock = threading.Lock()

    def loop(src: np.ndarray, dst: np.ndarray) -> None:
        with lock:
            seen.append(src.size)
        dst[...] = src

    src = np.arange(size, dtype=np.float64)
    dst = np.empty_like(src)
    _engine.run(loop, src, dst, cost=cost)
    np.testing.assert_array_equal(dst, src)  # every slice, exactly once
    return sorted(seen)


def test_arrays_are_split_by_their_work_not_their_length() -> None:
    threads = _engine.thread_count()
    # Under two threads' worth of work: one call on the calling thread, whatever the length.
    below = int(2 * _engine._NS_PER_THREAD / 4.5) - 1
    assert _slices_run(below, cost=4.5) == [below]
    cheap = 10 * below
    assert _slices_run(cheap, cost=0.4) == [cheap]
    # The same length with a costlier loop: split, if there is a second thread.
    slices = _slices_run(cheap, cost=4.5)
    expected = 1 if threads < 2 else min(threads, int(cheap * 4.5) // _engine._NS_PER_THREAD)
    assert len(slices) == expected


def test_every_kernel_states_its_cost() -> None:
    # A function left at the default cost would split at the wrong size.
    default = Kernels.__dataclass_fields__["cost"].default
    for function in FAMILY.values():
        if function.kernels is not None:
            assert function.kernels.cost != default, function.name
            f32, f64 = function.kernels.cost
            assert 0 < f32 <= f64 < 20, function.name


def _waiting_workers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("sigmoid-waiting")]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_calls_from_several_threads_at_once_are_each_right(dtype: type) -> None:
    # One call at a time has the waiting workers; the others go to the pool.
    x = np.random.default_rng(11).uniform(-110, 110, LARGE).astype(dtype)
    expected = np.concatenate([sg.sigmoid(piece) for piece in np.array_split(x, 100)])
    results: list[bytes] = []

    def worker() -> None:
        for _ in range(5):
            results.append(sg.sigmoid(x).tobytes())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert results == [expected.tobytes()] * 20


def test_waiting_workers_are_woken_after_they_sleep() -> None:
    if _engine.thread_count() < 2:
        pytest.skip("one usable CPU: no worker to wait")
    x = np.random.default_rng(12).uniform(-10, 10, 1 << 18)
    expected = np.concatenate([sg.sigmoid(piece) for piece in np.array_split(x, 64)])
    for pause in (0.0, 0.05, 0.0, 0.2):  # awake, asleep, awake, asleep
        time.sleep(pause)
        assert sg.sigmoid(x).tobytes() == expected.tobytes()
    assert _waiting_workers()  # (started by the first call)


def test_a_forked_child_computes_without_the_parents_workers() -> None:
    # In a fresh interpreter: other libraries' fork hooks (pytest's process has
    # many loaded) are not ours to test.
    if not hasattr(os, "fork"):
        pytest.skip("no fork on this platform")
    code = (
        "import os, sys, numpy as np, sigmoid as sg\n"
        "x = np.random.default_rng(13).uniform(-10, 10, 1 << 18)\n"
        "expected = sg.sigmoid(x).tobytes()  # the parent's workers are running now\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    os._exit(0 if sg.sigmoid(x).tobytes() == expected else 3)\n"
        "sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], timeout=300, check=False)
    assert result.returncode == 0
