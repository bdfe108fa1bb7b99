"""A natural logarithm that numba can vectorise (no libm call), for log-sigmoid and logit.

log(q) for q = qh + ql > 0 (a double-double) as one float64 within ~0.52 ULP
(or, from `log_dd_parts`, as a double-double before that rounding):
q = 2^m f with f in [√½, √2), and log f = 2 atanh(s), s = (f - 1) / (f + 1),
|s| <= 0.1716. f - 1 is exact (Sterbenz) and s is carried as a double-double,
so the only rounding that matters is the last addition.
"""

from __future__ import annotations

from ._dd import LN2_HI, LN2_MID, fma, from_bits, jit, to_bits, two_sum

# 2 atanh(s) = 2s + 2s³/3 + ... : the terms after 2s/(2n+1) s^2n, n = 1..10;
# the first one left out is below 2 * 0.1716^23 / 23 < 2^-62 * |2s|.
_ATANH = tuple(2.0 / (2 * n + 1) for n in range(1, 11))
_SQRT2 = 1.4142135623730951
EXPONENT_BITS = 0x7FF0000000000000
ONE_BITS = 0x3FF0000000000000
_TINY = 2.0**-1000  # below this, scale by 2^200 first so that f is normal
_UP = 2.0**200


@jit
def log_dd(qh, ql):  # type: ignore[no-untyped-def]
    """log(qh + ql) for finite qh > 0, |ql| <= ulp(qh), rounded once."""
    high, low = log_dd_parts(qh, ql)
    return high + low


@jit
def log_dd_parts(qh, ql):  # type: ignore[no-untyped-def]
    """log(qh + ql) as an unevaluated sum high + low, before its rounding.

    The pair is not normalised: |low| stays below 2^-6 |high|, so that
    high + low, or x + high then + low, rounds as the exact sum would, to
    within ~2^-60 relative.
    """
    tiny = qh < _TINY
    q = qh * _UP if tiny else qh
    bits = to_bits(q)
    m = ((bits & EXPONENT_BITS) >> 52) - 1023
    f = from_bits((bits & ~EXPONENT_BITS) | ONE_BITS)  # in [1, 2)
    big = f > _SQRT2
    f = f * 0.5 if big else f
    m = float(m + (1 if big else 0) - (200 if tiny else 0))
    # s = (f - 1) / (f + 1) as a double-double; f - 1 is exact.
    num = f - 1.0
    dh, dl = two_sum(f, 1.0)
    sh = num / dh
    sl = (fma(-sh, dh, num) - sh * dl) / dh
    s2 = sh * sh
    poly = _ATANH[9]
    for c in _ATANH[8::-1]:
        poly = fma(poly, s2, c)
    # The part of q below qh scales f by (1 + ql/qh): log grows by ql/qh.
    low = 2.0 * sl + sh * s2 * poly + m * LN2_MID + ql / qh
    high, err = two_sum(m * LN2_HI, 2.0 * sh)
    return high, err + low
