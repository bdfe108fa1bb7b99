"""Time of each compiled loop per element: one thread, in cache, ``out=``.

A quick check that a change to the kernels or to how their loops are made
leaves the generated code as fast (the full comparison with the peers is
`benchmarks/speed.py`). Every function of the family, float32 and float64,
2^16 elements (below the threading threshold, 512 KiB at most, in L2),
median of 25 samples of 20 calls each; inputs uniform in [-10, 10]
(p = σ(x) for logit)::

    python benchmarks/loops.py            # one line per function and dtype
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import sigmoid as sg

FUNCTIONS: dict[str, Callable[..., Any]] = {
    "sigmoid": sg.sigmoid,
    "sigmoid_derivative": sg.sigmoid_derivative,
    "sigmoid_derivative2": lambda x, out: sg.sigmoid_derivative(x, order=2, out=out),
    "sigmoid_derivative3": lambda x, out: sg.sigmoid_derivative(x, order=3, out=out),
    "softplus": sg.softplus,
    "log_sigmoid": sg.log_sigmoid,
    "logit": sg.logit,
}
SIZE = 1 << 16
CALLS = 20
SAMPLES = 25


def main() -> None:
    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64):
        x = rng.uniform(-10, 10, SIZE).astype(dtype)
        p = sg.sigmoid(x)
        out = np.empty_like(x)
        for name, function in FUNCTIONS.items():
            arg = p if name == "logit" else x
            function(arg, out=out)  # compile or load, warm the caches
            samples = []
            for _ in range(SAMPLES):
                start = time.perf_counter_ns()
                for _ in range(CALLS):
                    function(arg, out=out)
                samples.append((time.perf_counter_ns() - start) / (CALLS * SIZE))
            print(f"{name:20} {np.dtype(dtype).name:8} {statistics.median(samples):6.3f} ns")


if __name__ == "__main__":
    main()
