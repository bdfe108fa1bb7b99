"""A natural logarithm that numba can vectorise (no libm call), for softplus, log-sigmoid and logit.

log(q) for q = qh + ql > 0 (a double-double) as one float64 within ~0.52 ULP
(`log_dd`), or for q in [1, 2] as a double-double before that rounding
(`log_1_2_parts`, softplus's log(1 + e), which has no exponent to take apart):
q = 2^m f with f in [√½, √2), and log f = 2 atanh(s), s = (f - 1) / (f + 1),
|s| <= 0.1716. f - 1 is exact (Sterbenz) and s is carried as a double-double,
so the only rounding that matters is the last addition."""

from __future__ import annotations

from .dd import (
    LN2_HI,
    LN2_MID,
    ROUND_SHIFTER,
    estrin10,
    fast_two_sum,
    fma,
    from_bits,
    jit,
    pow2,
    to_bits,
)

# 2 atanh(s) = 2s + 2s³/3 + ... : the terms after 2s, 2s^(2n+1)/(2n+1) for
# n = 1..11, by Estrin's scheme in z = s²; the first one left out is below
# 0.1716^24 / 25 < 2^-65 of 2s.
_ATANH = tuple(2.0 / (2 * n + 1) for n in range(1, 12))
_SQRT2 = 1.4142135623730951
_EXPONENT_BITS = 0x7FF0000000000000
_ONE_BITS = 0x3FF0000000000000
_SHIFTER_BITS = 0x4338000000000000  # 1.5 * 2^52
_UNBIAS = ROUND_SHIFTER + 1023.0
_TINY = 2.0**-1000  # below this, scale by 2^200 first so that f is normal
_UP = 2.0**200


@jit
def exponent_and_fraction(v):  # type: ignore[no-untyped-def]
    """e, f with v = 2^e f, f in [1, 2), for a normal v > 0 (e as a float)."""
    bits = to_bits(v)
    # The biased exponent placed in the low bits of 1.5 * 2^52 (whose low 51
    # bits are 0): no int-to-float conversion, which AVX2 lacks for int64.
    biased = from_bits(((bits & _EXPONENT_BITS) >> 52) | _SHIFTER_BITS)
    return biased - _UNBIAS, from_bits((bits & ~_EXPONENT_BITS) | _ONE_BITS)


@jit
def _log_reduced_parts(m, f, f_lo):  # type: ignore[no-untyped-def]
    """m ln 2 + log(f + f_lo) as high + low, for f in [√½, √2] and |f_lo| <= ulp(f).

    s = (f - 1 + f_lo) / (f + 1 + f_lo) as a double-double from one division:
    f - 1 is exact, and the second part of s comes from the remainder, which
    is small enough that its product with the rounded reciprocal suffices.
    """
    num = f - 1.0
    dh, dl = fast_two_sum(1.0, f)  # (1's exponent is at least f's)
    dl += f_lo
    inverse = 1.0 / dh
    sh = (num + f_lo) * inverse
    sl = (fma(-sh, dh, num) + fma(-sh, dl, f_lo)) * inverse
    z = sh * sh
    # 2 atanh(s) = 2s + s z P(z), with s³ = z (sh + 3 sl) to first order in sl
    # (sh alone, from the rounded reciprocal, is only good to 2^-52).
    low = fma(sh + 3.0 * sl, z * estrin10(_ATANH, z), fma(2.0, sl, m * LN2_MID))
    # m ln 2 dwarfs 2 sh when m != 0 (|2 sh| <= 0.35), and adds nothing when m = 0.
    high, err = fast_two_sum(m * LN2_HI, 2.0 * sh)
    return high, err + low


@jit
def log_dd(qh, ql):  # type: ignore[no-untyped-def]
    """log(qh + ql) for 0 < qh < 2^1000, |ql| <= ulp(qh), rounded once."""
    tiny = qh < _TINY
    e, f = exponent_and_fraction(qh * _UP if tiny else qh)
    big = f > _SQRT2
    f = f * 0.5 if big else f
    e = e + (1.0 if big else 0.0)
    # f = q 2^-e, and ql scaled alike (exactly, as 2^-e is normal for e <= 1022).
    f_lo = (ql * _UP if tiny else ql) * pow2(-e)
    high, low = _log_reduced_parts(e - (200.0 if tiny else 0.0), f, f_lo)
    return high + low


@jit
def log_1_2_parts(uh, ul):  # type: ignore[no-untyped-def]
    """log(uh + ul) for uh in [1, 2], |ul| <= ulp(uh), as an unevaluated sum high + low.

    The pair is not normalised: |low| stays below 2^-6 |high|, and high + low
    is within ~2^-57.5 of the log (measured against mpmath), so that
    high + low, or x + high then + low, rounds as the exact sum would but
    for ~0.01 ULP. That holds while uh + ul - 1 is not much smaller than
    2^-52 (softplus sends e < 2^-30.5 another way).
    """
    big = uh > _SQRT2
    m = 1.0 if big else 0.0
    return _log_reduced_parts(m, uh * 0.5 if big else uh, ul * 0.5 if big else ul)
