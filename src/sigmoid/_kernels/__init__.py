"""The compiled kernels: numba arithmetic, the scalar formulas and the generated loops.

- `dd`: double-double arithmetic and the intrinsics (FMA, bit casts, FP flags).
- `log`: a vectorisable logarithm carried as a double-double.
- `elementwise`: the scalar formulas of the family, float64 and the float32 fast path.
- `exact`: the ~100-bit path for the rare float32 values the fast path cannot round.
- `loops`: the loops, scalar functions, ufuncs and XLA FFI handlers, generated from
  `sigmoid._family`.
- `xla_ffi`: reading XLA's FFI call frame, for the handlers JAX calls on the CPU.

Importing any of these imports numba (about a second): `sigmoid._engine`
imports `loops` on the first call that needs a kernel, never at ``import sigmoid``.

Caching: every kernel is cached on disk (`CACHE`) unless numba finds no
writable place for the cache; a cache entry that cannot be read (a killed
write, a full disk) is compiled again in memory (see `loops.build`).
"""

from __future__ import annotations

import numba

__all__ = ["CACHE"]


def _probe() -> None:  # a function of this package, for numba's cache locator
    pass


def _cache_usable() -> bool:
    """Whether numba finds a writable place for this package's disk cache.

    It looks beside the source, then in the user's cache directory (or
    NUMBA_CACHE_DIR); with none writable, ``cache=True`` raises at decoration
    ("no locator available"), so the kernels compile in memory instead.
    """
    try:
        numba.njit(cache=True)(_probe)
    except RuntimeError:
        return False
    return True


#: The ``cache=`` every kernel here is compiled with.
CACHE = _cache_usable()
