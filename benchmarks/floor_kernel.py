"""The float64-lane floor of `loop_bound.py`: σ for float32 in float64 lanes, no more.

numba-compiled (typed by numba, not by mypy: see pyproject.toml).
"""

from __future__ import annotations

import numba
import numpy as np

from sigmoid._kernels import dd, loops

# e^r = sum r^n / n! to degree 7 on |r| <= ln(2)/2: error under 2^-27.
_TAYLOR7 = tuple(1.0 / float(np.prod(np.arange(1, n + 1))) for n in range(8))
_C0, _C1, _C2, _C3, _C4, _C5, _C6, _C7 = _TAYLOR7


# Typed as our loops are (x read-only, both C-contiguous), so that LLVM
# vectorises it as it does ours.
@numba.njit(loops._LOOP_SIGNATURES["f32"], error_model="numpy", nogil=True)
def floor_pass(x, out):  # type: ignore[no-untyped-def]
    """σ in float64 lanes, rounded once to float32: the work of a float64-then-round peer."""
    for i in range(x.size):
        v = np.float64(x[i])
        t = -abs(v)
        t = -150.0 if t < -150.0 else t
        shifted = t * dd.LOG2E + dd.ROUND_SHIFTER
        k = shifted - dd.ROUND_SHIFTER
        r = dd.fma(-k, dd.LN2_HI, t)
        r2 = r * r
        p = dd.fma(
            dd.fma(dd.fma(_C7, r, _C6), r2, dd.fma(_C5, r, _C4)),
            r2 * r2,
            dd.fma(dd.fma(_C3, r, _C2), r2, dd.fma(_C1, r, _C0)),
        )
        e = dd.from_bits(dd.to_bits(p) + (dd.to_bits(shifted) << 52))
        out[i] = np.float32((e if v < 0.0 else 1.0) / (1.0 + e))
