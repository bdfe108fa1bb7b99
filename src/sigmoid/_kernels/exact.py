"""The rare path: the family's functions with ~100-bit double-double intermediates.

Used where a float32 result cannot be rounded safely from the fast float64
value (about 1 input in 10^7). Nothing here needs to be fast; it needs to be right:
every double-double operation is accurate to ~2^-104 and e^t comes from a
25-term Taylor series (see `sigmoid._kernels.dd.exp_full`).
"""

from __future__ import annotations

import math

import numba

from . import CACHE
from .dd import dd_add, dd_div, dd_mul, exp_full, expm1_full, pow2, scale, two_sum
from .elementwise import _C1, _C2, _T1, logit_f64, softplus_f64

# Called from the loops' fix-up passes, but not forced inline: they are cold.
jit = numba.njit(cache=CACHE, error_model="numpy", nogil=True)
# Below this, e^t is < 2^-1100 and every result is its limit.
_T_MIN = -760.0
# Below this, σ''(x) = -x/8 + x³/24 to 2^-120 relative (the next term is
# -17x⁵/1920). The double-doubles below (~2^-104) lose the x³ term once
# x² < 2^-104, yet for float32 subnormal results it decides the ties.
_SERIES_BELOW = 2.0**-30
# Below this, log(1 + e) = e (1 - e/2 + e²/3 - e³/4) to 2^-120 relative.
_LOG1P_SERIES_BELOW = 2.0**-30


@jit
def round_dd_to_f32(hi, lo):  # type: ignore[no-untyped-def]
    """The float32 nearest to hi + lo (|lo| <= ulp(hi) / 2); a tie in `hi` is settled by lo.

    r = fl32(hi) is right unless hi is exactly a float32 rounding midpoint;
    then r + 2 (hi - r) is the other neighbour, also a float32, and the sign
    of lo says which side of the midpoint the true value lies on.
    """
    r = numba.float64(numba.float32(hi))
    d = hi - r
    other = r + 2.0 * d
    tie = d != 0.0 and numba.float64(numba.float32(other)) == other
    if tie and lo != 0.0 and (lo > 0.0) == (d > 0.0):
        return numba.float32(other)
    return numba.float32(r)


@jit
def exact_to_f32(x, k, qh, ql, sign):  # type: ignore[no-untyped-def]
    """Correctly rounded float32 of sign * 2^k (qh + ql) from a ~100-bit value."""
    y = round_dd_to_f32(sign * scale(qh, k), sign * scale(ql, k))
    return y if x == x else numba.float32(x)


@jit
def exact_to_f64(x, k, qh, ql, sign):  # type: ignore[no-untyped-def]
    """Correctly rounded float64 of sign * 2^k (qh + ql) from a ~100-bit value.

    (qh, ql) is normalised (qh = fl(qh + ql)), so a normal result is 2^k qh.
    A subnormal one is rounded once, by `scale`; where qh lies exactly on a
    midpoint of the subnormal grid, ql says which side the value is on, as in
    `round_dd_to_f32`.
    """
    y = scale(qh, k)
    back = scale(y, -k) if y != 0.0 else 0.0  # exact: scaling a subnormal up
    d = qh - back
    other = scale(back + 2.0 * d, k)
    tie = d != 0.0 and scale(other, -k) == back + 2.0 * d
    if tie and ql != 0.0 and (ql > 0.0) == (d > 0.0):
        y = other
    return sign * y if x == x else x


@jit
def exact_parts(x):  # type: ignore[no-untyped-def]
    """~100-bit pieces for the rare path: e = 2^k m, m = 1 + p, and d = 1 + e."""
    t = -abs(x) if x == x else 0.0
    k, ph, pl = exp_full(t if t > _T_MIN else _T_MIN)
    s = scale(1.0, k) if k > -1022.0 else 0.0
    mh, ml = dd_add(1.0, 0.0, ph, pl)
    eh, el = mh * s, ml * s
    dh, dl = dd_add(1.0, 0.0, eh, el)
    return k, ph, pl, mh, ml, eh, el, dh, dl


@jit
def sigmoid_exact(x):  # type: ignore[no-untyped-def]
    """σ(x) = 2^k (hi + lo) as (k, hi, lo, 1.0), to ~2^-100."""
    k, _, _, mh, ml, _, _, dh, dl = exact_parts(x)
    if x < 0.0:
        qh, ql = dd_div(mh, ml, dh, dl)
        return k, qh, ql, 1.0
    qh, ql = dd_div(1.0, 0.0, dh, dl)
    return 0.0, qh, ql, 1.0


@jit
def sigmoid_derivative_exact(x):  # type: ignore[no-untyped-def]
    """σ'(x) = e / (1 + e)² = 2^k (hi + lo) as (k, hi, lo, 1.0), to ~2^-100."""
    k, _, _, mh, ml, _, _, dh, dl = exact_parts(x)
    sh, sl = dd_mul(dh, dl, dh, dl)
    qh, ql = dd_div(mh, ml, sh, sl)
    return k, qh, ql, 1.0


@jit
def sigmoid_derivative2_exact(x):  # type: ignore[no-untyped-def]
    """σ''(x) = -sign(x) e (1 - e) / (1 + e)³ as (k, hi, lo, sign), to ~2^-100.

    1 - e is -p itself when k = 0, so it keeps its relative accuracy at x -> 0.
    """
    sign = -math.copysign(1.0, x)  # σ''(±0) = ∓0, as -x/8
    if abs(x) < _SERIES_BELOW:  # |σ''| = |x|/8 - |x|³/24: the second term settles float32 ties
        return 0.0, 0.125 * abs(x), -(abs(x) ** 3) / 24.0, sign
    k, ph, pl, mh, ml, eh, el, dh, dl = exact_parts(x)
    if k == 0.0:
        oh, ol = -ph, -pl
    else:
        oh, ol = dd_add(1.0, 0.0, -eh, -el)
    nh, nl = dd_mul(mh, ml, oh, ol)
    ch, cl = dd_mul(dh, dl, dh, dl)
    ch, cl = dd_mul(ch, cl, dh, dl)
    qh, ql = dd_div(nh, nl, ch, cl)
    return k, qh, ql, sign


# σ''' vanishes at t = T1 (e = c1 = 2 - √3); within this of it, e - c1 is
# c1 (e^u - 1), u = t - T1 to ~2^-106 (T1 as three float64s), and not the
# difference of two nearby double-doubles, whose ~2^-104 of e would leave only
# 2^-104 / |u| relative (2^-50 next to the zero).
_NEAR_T1 = 0.25


@jit
def sigmoid_derivative3_exact(x):  # type: ignore[no-untyped-def]
    """Third derivative e (e - c1)(e - c2) / (1 + e)⁴ as (k, hi, lo, 1.0), to ~2^-100.

    (e - c1)(e - c2) is e² - 4e + 1 away from the zero at T1 (|e - c1| >= 0.06
    there); near it, c1 (e^u - 1) (e - c2).
    """
    k, _, _, mh, ml, eh, el, dh, dl = exact_parts(x)
    t = -abs(x)
    if abs(t - _T1[0]) < _NEAR_T1:
        uh, ul = dd_add(t - _T1[0], 0.0, -_T1[1], -_T1[2])  # (the first difference is exact)
        vh, vl = expm1_full(uh, ul)
        fh, fl = dd_mul(_C1[0], _C1[1], vh, vl)
        hh, hl = dd_add(eh, el, -_C2[0], -_C2[1])
        gh, gl = dd_mul(fh, fl, hh, hl)
    else:
        gh, gl = dd_mul(eh, el, eh, el)
        gh, gl = dd_add(gh, gl, 1.0, 0.0)
        gh, gl = dd_add(gh, gl, -4.0 * eh, -4.0 * el)
    nh, nl = dd_mul(mh, ml, gh, gl)
    ch, cl = dd_mul(dh, dl, dh, dl)
    ch, cl = dd_mul(ch, cl, ch, cl)
    qh, ql = dd_div(nh, nl, ch, cl)
    return k, qh, ql, 1.0


@jit
def log_newton(ah, al, y0):  # type: ignore[no-untyped-def]
    """log(a) for a double-double a > 0, from y0 = fl(log(a)): one Newton step, ~2^-103 absolute.

    With w = a e^-y0 - 1 (about 2^-52), log(a) = y0 + log(1 + w) = y0 + w - w²/2
    to ~2^-156; a e^-y0 comes from `exp_full` to ~2^-104 relative, and
    subtracting 1 is exact, so w is off by ~2^-104 at most. e^-y0 = 2^k m
    needs |y0| < 700 (for the family: |y0| <= 104).
    """
    k, ph, pl = exp_full(-y0)
    mh, ml = dd_add(1.0, 0.0, ph, pl)
    wh, wl = dd_mul(ah, al, mh, ml)
    two_k = pow2(k)
    wh, wl = dd_add(wh * two_k, wl * two_k, -1.0, 0.0)
    return dd_add(y0, 0.0, wh, wl - 0.5 * wh * wh)


# The float64 functions are within 1 unit of their last place (docs/accuracy.md):
# 4 units from a float32 rounding midpoint, theirs rounds as the truth does.
_F64_UNITS = 4.0


@jit
def rounds_safely(y, units):  # type: ignore[no-untyped-def]
    """Whether any value within `units` float64 ulps of y rounds to the float32 y rounds to."""
    if not math.isfinite(y):
        return True
    r = numba.float64(numba.float32(y))
    m, e = math.frexp(abs(r))
    if m == 0.5 and abs(y) < abs(r):  # below a power of 2 the spacing halves
        e -= 1
    half_ulp = math.ldexp(1.0, max(e - 25, -150))  # float32: 24 bits, subnormals 2^-149
    half_ulp = half_ulp if r != 0.0 else 2.0**-150
    ulp = math.ldexp(1.0, max(math.frexp(y)[1] - 53, -1074))
    return half_ulp - abs(y - r) > units * ulp


@jit
def softplus_exact(x):  # type: ignore[no-untyped-def]
    """log(1 + e^x) = max(x, 0) + log(1 + e), e = e^-|x|, as (k, hi, lo, 1.0), to ~2^-100.

    For e < 2^-30, log(1 + e) is its series, kept as 2^k (hi + lo) so that a
    subnormal result is rounded once; above, `log_newton` of the exact 1 + e.
    (log σ(x) is -softplus(-x).) Where `softplus_f64` rounds safely, which is
    nearly everywhere the fast path flags (its whole float32 subnormal band),
    that value, at a fiftieth of the cost.
    """
    y = softplus_f64(x)
    if rounds_safely(y, _F64_UNITS):
        return 0.0, y, 0.0, 1.0
    k, _, _, mh, ml, eh, el, dh, dl = exact_parts(x)
    if eh < _LOG1P_SERIES_BELOW:
        ch, cl = dd_add(1.0, 0.0, -0.5 * eh, -0.5 * el)
        ch, cl = dd_add(ch, cl, eh * eh * (1.0 / 3.0 - 0.25 * eh), 0.0)
        lh, ll = dd_mul(mh, ml, ch, cl)
    else:
        k = 0.0
        lh, ll = log_newton(dh, dl, math.log(dh) + dl / dh)
    if x > 0.0:
        sh, sl = dd_add(x, 0.0, scale(lh, k), scale(ll, k))
        return 0.0, sh, sl, 1.0
    return k, lh, ll, 1.0


@jit
def logit_exact(p):  # type: ignore[no-untyped-def]
    """log(p / (1 - p)) as (0, hi, lo, 1.0), to ~2^-100 absolute (|logit| >= 2^-23 in float32).

    1 - p is exact as a double-double, the ratio is `dd_div`'s (~2^-104), its
    log `log_newton`'s. Outside (0, 1): the limits, or NaN. Where `logit_f64`
    rounds safely, that value.
    """
    y = logit_f64(p)
    if rounds_safely(y, _F64_UNITS):
        return 0.0, y, 0.0, 1.0
    if not 0.0 < p < 1.0:
        limit = -math.inf if p == 0.0 else math.inf if p == 1.0 else math.nan
        return 0.0, limit, 0.0, 1.0
    oh, ol = two_sum(1.0, -p)
    qh, ql = dd_div(p, 0.0, oh, ol)
    yh, yl = log_newton(qh, ql, math.log(qh))
    return 0.0, yh, yl, 1.0
