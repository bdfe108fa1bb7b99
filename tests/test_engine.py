"""The NumPy engine's threads: results independent of the split, workers off the caller's CPU."""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest

import sigmoid as sg
from family import PUBLIC

# Large enough for every thread to get a slice (the engine splits arrays of
# 2^17 elements and more), with a ragged end.
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
