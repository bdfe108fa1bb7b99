"""The compiled kernels: numba arithmetic, the scalar formulas and the generated loops.

- `dd`: double-double arithmetic and the intrinsics (FMA, bit casts, FP flags).
- `log`: a vectorisable logarithm carried as a double-double.
- `elementwise`: the scalar formulas of the family, float64 and the float32 fast path.
- `exact`: the ~100-bit path for the rare float32 values the fast path cannot round.
- `loops`: the loops, scalar functions and ufuncs, generated from `sigmoid._family`.

Importing any of these imports numba (about a second): `sigmoid._engine`
imports `loops` on the first call that needs a kernel, never at ``import sigmoid``.
"""
