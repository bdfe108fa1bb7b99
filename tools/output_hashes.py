"""Hash every public result on a fixed set of inputs, to show a change leaves them bit-identical.

Run before and after a refactoring and compare the lines::

    python tools/output_hashes.py            # one hash per function and dtype, and a total
    python tools/output_hashes.py float32    # one dtype

Inputs (the same on every run): every float16 bit pattern; 2^18 float32 bit
patterns (a stride through all 2^32, plus the float32 range where σ's result
is subnormal); 2^18 random float64 bit patterns and dense samples of the
tails, the exp underflow boundaries, [0, 1] for logit; NaNs of both signs,
signed zeros, infinities, subnormals. Each is evaluated through every call
form the public functions route differently: one Python float, NumPy
scalars, a tiny array (the ufunc path), a 1-D array below and above the
threading threshold, a 2-D and a strided array, ``out=`` (aligned, strided,
in place), and, where installed, ``array_api_strict`` and PyTorch CPU
tensors.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

import sigmoid as sg

Function = Callable[..., Any]

FUNCTIONS: dict[str, Function] = {
    "sigmoid": sg.sigmoid,
    "sigmoid_derivative1": lambda x, **kw: sg.sigmoid_derivative(x, order=1, **kw),
    "sigmoid_derivative2": lambda x, **kw: sg.sigmoid_derivative(x, order=2, **kw),
    "sigmoid_derivative3": lambda x, **kw: sg.sigmoid_derivative(x, order=3, **kw),
    "log_sigmoid": sg.log_sigmoid,
    "logit": sg.logit,
    "softplus": sg.softplus,
}

SPECIAL = [np.nan, -np.nan, 0.0, -0.0, np.inf, -np.inf, 5e-324, -5e-324, 2.0**-1022, 1.0, -1.0]


def _inputs(dtype: np.dtype) -> np.ndarray:
    rng = np.random.default_rng(20261202)
    if dtype == np.float16:
        return np.arange(1 << 16, dtype=np.uint16).view(np.float16)
    if dtype == np.float32:
        bits = np.arange(0, 1 << 32, (1 << 32) // (1 << 18), dtype=np.uint64) + 12345
        strided = bits.astype(np.uint32).view(np.float32)
        dense = np.linspace(-110.0, 110.0, 1 << 16, dtype=np.float32)
        unit = np.linspace(0.0, 1.0, 1 << 16, dtype=np.float32)
        return np.concatenate([strided, dense, unit, np.array(SPECIAL, np.float32)])
    bits = rng.integers(0, 1 << 64, size=1 << 18, dtype=np.uint64, endpoint=False)
    parts = [
        bits.view(np.float64),
        rng.uniform(-800.0, 800.0, 1 << 16),
        rng.uniform(-40.0, 40.0, 1 << 16),
        rng.uniform(-746.0, -708.0, 1 << 14),
        rng.uniform(0.0, 1.0, 1 << 16),
        np.array(SPECIAL),
    ]
    with np.errstate(invalid="ignore"):  # NaN bit patterns cast to longdouble
        return np.concatenate(parts).astype(dtype)


def _forms(f: Function, x: np.ndarray) -> Iterator[tuple[str, Any]]:
    """The result of f on x through every call form, as arrays."""
    yield "array", f(x)
    yield "2-D", f(x[: (x.size // 64) * 64].reshape(-1, 64))
    yield "strided", f(x[::3])
    yield "small", f(x[:1000])
    yield "tiny", f(x[:17])
    out = np.empty_like(x)
    f(x, out=out)
    yield "out", out
    out = np.empty(2 * x.size, x.dtype)[::2]
    f(x, out=out)
    yield "strided out", out
    inplace = x.copy()
    f(inplace, out=inplace)
    yield "in place", inplace
    sample = x[:: max(1, x.size // 3000)]
    yield "numpy scalars", np.array([f(v) for v in sample], x.dtype)
    if x.dtype == np.float64:
        values = [f(float(v)) for v in sample]
        assert all(type(v) is float for v in values)
        yield "python floats", np.array(values)
    if importlib.util.find_spec("array_api_strict") and x.dtype in (np.float32, np.float64):
        import array_api_strict as xp

        with np.errstate(all="ignore"):  # NumPy's exp underneath may underflow
            yield "array_api_strict", np.asarray(f(xp.asarray(x)))
    if importlib.util.find_spec("torch") and x.dtype != np.longdouble:
        import torch

        yield "torch", f(torch.from_numpy(x.copy())).numpy()


def _bytes(y: np.ndarray) -> bytes:
    """The values' bytes; for x86's 80-bit longdouble without its 6 bytes of padding (garbage)."""
    y = np.ascontiguousarray(y)
    if y.dtype == np.longdouble and np.finfo(np.longdouble).nmant == 63 and y.itemsize == 16:
        return y.reshape(-1).view(np.uint8).reshape(-1, 16)[:, :10].tobytes()
    return y.tobytes()


def main(dtypes: list[str]) -> int:
    total = hashlib.sha256()
    for dtype in dtypes or ("float16", "float32", "float64", "longdouble"):
        x = _inputs(np.dtype(dtype))
        for name, f in FUNCTIONS.items():
            digest = hashlib.sha256()
            with np.errstate(all="raise"):
                for form, y in _forms(f, x):
                    y = np.asarray(y)
                    digest.update(f"{form}:{y.dtype}:{y.shape}".encode())
                    digest.update(_bytes(y))
            line = f"{name:20} {np.dtype(dtype).name:10} {digest.hexdigest()[:16]}"
            print(line, flush=True)
            total.update(line.encode())
        digest = hashlib.sha256()
        with np.errstate(all="ignore"):  # logistic's own arithmetic may overflow
            for params in ({}, {"L": 2.5, "k": -3.0, "x0": 0.5}):
                digest.update(_bytes(np.asarray(sg.logistic(x, **params))))
                digest.update(_bytes(np.asarray(sg.logistic(x[:17], **params))))
        line = f"{'logistic':20} {np.dtype(dtype).name:10} {digest.hexdigest()[:16]}"
        print(line, flush=True)
        total.update(line.encode())
    print(f"{'total':31} {total.hexdigest()[:16]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
