"""The engine around the compiled loops: threads and where they run."""

from __future__ import annotations

import os

import numpy as np
import pytest

from sigmoid import _engine
from sigmoid._family import FAMILY


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["sigmoid", "sigmoid_derivative", "log_sigmoid"])
def test_threaded_split_is_bit_identical(name: str, dtype: type) -> None:
    # Large enough for every thread to get a slice, with a ragged end; the
    # float32 values include inputs that take the rare path.
    rng = np.random.default_rng(3)
    x = rng.uniform(-110, 110, 5 * _engine.SMALL + 123).astype(dtype)
    loop = _engine.kernel("f32" if dtype == np.float32 else "f64", FAMILY[name])
    alone, split = np.empty_like(x), np.empty_like(x)
    loop(x, alone)
    _engine._run(loop, x, split)
    assert alone.tobytes() == split.tobytes()


def test_workers_are_kept_off_the_callers_cpu() -> None:
    x = np.linspace(-5, 5, 4 * _engine.SMALL)
    _engine._run(_engine.kernel("f64", FAMILY["sigmoid"]), x, np.empty_like(x))
    _engine._keep_workers_off_this_cpu()
    allowed = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set()
    cpu, workers = _engine._kept_off
    if _engine._sched_getcpu() is None or len(allowed) < 2 or _engine.thread_count() < 2:
        assert not _engine._worker_ids or cpu == -1  # nothing to place, nothing placed
        return
    # (A thread the pool starts later registers itself later: only the first
    # `workers` ids were there to be placed.)
    assert 1 <= workers <= len(_engine._worker_ids)
    for worker in _engine._worker_ids[:workers]:
        assert os.sched_getaffinity(worker) == allowed - {cpu}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["sigmoid", "sigmoid_derivative"])
def test_nan_keeps_its_sign_and_payload(name: str, dtype: type) -> None:
    import sigmoid as sg

    func = getattr(sg, name)
    uint = np.uint32 if dtype == np.float32 else np.uint64
    quiet = np.array([np.nan, -np.nan], dtype).view(uint)
    payloads = np.concatenate([quiet, quiet | 1, quiet | 12345])  # quiet NaNs, any payload
    for size in (1, 1000):  # the tiny ufunc and the vector loops
        x = np.resize(payloads, max(size, payloads.size)).view(dtype)
        assert np.array_equal(func(x).view(uint), x.view(uint))
    for value in payloads.view(dtype):  # NumPy scalars
        assert func(value).view(uint) == value.view(uint)
