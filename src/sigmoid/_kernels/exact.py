"""The rare path: the family's functions with ~100-bit double-double intermediates.

Used where a float32 result cannot be rounded safely from the fast float64
value (about 1 input in 10^7), and where a float64 one cannot (about 1 in
1,000 to 4,000, `sigmoid._kernels.elementwise`; `softplus_exact64` and
`logit_exact64` for those functions). It needs to be right first: every
double-double operation is accurate to ~2^-104, e^t comes from a table of
e^(i/64) - 1 and a degree-12 polynomial (see `sigmoid._kernels.dd.expm1_full`,
within 2^-102), and logarithms from a 22-term atanh series (`atanh2_dd`). It
is not free either: at ~600 ns an input, the float64 σ's accurate path took
about a seventh of its loop's time (1 input in 2,400), ~200 ns now. A
float64 result from here is rounded only where it lies farther than
`ACCURATE_BOUND` from a rounding midpoint (`decided_f64`); the rest, such as
σ(2^-52) = 1/2 + 2^-54 - 2^-156/48, are settled in decimal arithmetic
(`sigmoid._kernels.loops`). float32 needs no such step: every float32 input
is checked (benchmarks/accuracy.py).
"""

from __future__ import annotations

import math
from fractions import Fraction

import numba

from .dd import (
    LN2_HI,
    LN2_LO,
    LN2_MID,
    dd_add,
    dd_div,
    dd_mul,
    exp_full,
    expm1_full,
    fast_two_sum,
    pow2,
    scale,
    two_prod,
    two_sum,
)
from .elementwise import _C1, _C2, _T1, logit_f64, softplus_f64

# Called from the loops' fix-up passes, but not forced inline: they are cold.
# Not cached on their own: numba would check such an entry against this file
# only, and serve it stale after an edit of `dd` or `elementwise`, whose
# helpers are compiled into it. A loop that calls them is cached with them
# inside (its key stamps every kernel source, see `loops`), so they are
# compiled only with a loop that is.
jit = numba.njit(error_model="numpy", nogil=True)
# Below this, e^t is < 2^-1100 and every result is its limit.
_T_MIN = -760.0
# Below this, σ''(x) = -x/8 + x³/24 to 2^-120 relative (the next term is
# -17x⁵/1920). The double-doubles below (~2^-104) lose the x³ term once
# x² < 2^-104, yet for float32 subnormal results it decides the ties.
_SERIES_BELOW = 2.0**-30


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


# The float64 accurate paths' error: each double-double operation is good to
# ~2^-104 and a chain of them to ~2^-100 of the value (the docstrings above and
# below); this bound leaves a factor of 2^6 to spare. A result that it cannot
# decide goes to `sigmoid._rounded` (interval arithmetic on decimals, its
# precision doubled until it decides): under 1 input in 10^12, at a guess
# (1 in ~2,500 reaches the accurate path, and of those about 2^-29 more lie
# this close to a midpoint), so no input is known to go there.
ACCURATE_BOUND = 2.0**-94


@jit
def decided_f64(x, k, qh, ql, sign, bound):  # type: ignore[no-untyped-def]
    """Whether every value within `bound` (relative) of sign 2^k (qh + ql) rounds to one float64.

    (qh, ql) normalised, as for `exact_to_f64`. A NaN or infinite value (logit
    outside [0, 1], which the float64 fix-up passes also bring here: their
    NaN looks like a flagged one) is not rounded, so it is decided. The
    accurate paths' bound is ACCURATE_BOUND.
    """
    margin = bound * abs(qh)
    up_h, up_l = fast_two_sum(qh, ql + margin)
    down_h, down_l = fast_two_sum(qh, ql - margin)
    up = exact_to_f64(x, k, up_h, up_l, sign)
    return (up == exact_to_f64(x, k, down_h, down_l, sign)) | ~(abs(qh) < math.inf)


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


# 2 atanh(s) = 2s (1 + z/3 + z²/5 + ...), z = s². The logarithms below reduce
# their argument to (1 + s)/(1 - s) within √2 of 1, so |s| <= (√2 - 1)/(√2 + 1)
# = 0.1716 and z <= 0.0295 = 2^-5.08: after 22 terms the rest, z^22 / 45 and
# less, is below 2^-117 of the sum.
_ATANH_TERMS = 22
# The first terms, which need double-double steps (z^10/21 is below 2^-50.8).
_ATANH_DD_TERMS = 10
# 1/(2n + 1) as double-doubles: the float64 nearest, and its remainder rounded (~2^-107).
_INV_ODD = tuple(
    (1.0 / (2 * n + 1), float(Fraction(1, 2 * n + 1) - Fraction(1.0 / (2 * n + 1))))
    for n in range(_ATANH_TERMS)
)
# ln 2 as a double-double (LN2_HI + LN2_MID + LN2_LO rounded: within 2^-110).
_LN2 = (0.6931471805599453, 2.3190468138462996e-17)
# e >= √2 - 1 is written 1 + e = 2 (1 + s)/(1 - s), s = (e - 1)/(e + 3).
_REDUCE_FROM = 2.0**0.5 - 1.0
_SQRT2 = 2.0**0.5
_HALF_SQRT2 = 0.5 * 2.0**0.5
# Below 2^-60 of s, z = s² (< 2^-120) drops out of the series.
_Z_FROM_K = -60.0


@jit
def atanh2_dd(sh, sl, zh, zl):  # type: ignore[no-untyped-def]
    """2 s (1 + z/3 + z²/5 + ...) for |s| <= 0.1716, s = sh + sl and z = zh + zl = s², to ~2^-102.

    Horner in z: the terms from z^10/21 on (below 2^-50.8 of the sum) in
    float64, whose roundings stay below 2^-107 of it; the first ten with
    every step a double-double (~2^-104 each, and the partial sums are
    within 1.01 of 1, so the errors do not grow). s and z are taken apart so
    that a caller can pass s scaled up by 2^-k (and z as it is): the result
    is then scaled up as well, and a tiny s keeps its bits.
    """
    tail = _INV_ODD[_ATANH_TERMS - 1][0]
    for n in range(_ATANH_TERMS - 2, _ATANH_DD_TERMS - 1, -1):
        tail = tail * zh + _INV_ODD[n][0]
    ph, pl = tail, 0.0
    for n in range(_ATANH_DD_TERMS - 1, -1, -1):
        ph, pl = dd_mul(ph, pl, zh, zl)
        ph, pl = dd_add(ph, pl, _INV_ODD[n][0], _INV_ODD[n][1])
    ph, pl = dd_mul(sh, sl, ph, pl)
    return 2.0 * ph, 2.0 * pl


@jit
def normalised(k, hi, lo):  # type: ignore[no-untyped-def]
    """(k', hi', lo') with 2^k' (hi' + lo') = 2^k (hi + lo), hi' in [1/2, 1); 0, ±inf, NaN kept.

    Scaling by a power of 2 is exact here (lo is far from the subnormals), and
    hi' in [1/2, 1) is what `scale` (in `exact_to_f64`) wants.
    """
    if hi == 0.0 or not math.isfinite(hi):
        return k, hi, lo
    e = math.frexp(hi)[1]
    return k + e, math.ldexp(hi, -e), math.ldexp(lo, -e)


@jit
def softplus_exact64(x):  # type: ignore[no-untyped-def]
    """log(1 + e^x) = max(x, 0) + log(1 + e), e = e^-|x|, as (k, hi, lo, 1.0), to ~2^-100 relative.

    e = 2^k m from `exp_full` (2^-100 relative, which log(1 + e) keeps: its
    relative condition number e / ((1 + e) log(1 + e)) is below 1). For
    e < √2 - 1, log(1 + e) = 2 atanh(s) with s = e/(2 + e) = 2^k m/(2 + e):
    no cancellation, and the 2^k is left to the caller's one rounding, so
    that the subnormal results (x down to -745) keep every bit. Above,
    ln 2 + 2 atanh((e - 1)/(e + 3)) (k is 0 or -1, e exact as a double-double;
    the result is at least ln 2, so e's absolute error is all that counts).
    For x > 0, x + that. Beyond
    |x| = 760, e < 2^-1096 and the result is max(x, 0) (inf -> inf,
    -inf -> 0); NaN passes. (log σ(x) is -softplus(-x).)
    """
    if not abs(x) < -_T_MIN:
        limit = x if x != x else (x if x > 0.0 else 0.0)
        k, hi, lo = normalised(0.0, limit, 0.0)
        return k, hi, lo, 1.0
    k, ph, pl = exp_full(-abs(x))
    mh, ml = dd_add(1.0, 0.0, ph, pl)  # e = 2^k (mh + ml), mh in [0.7, 1.42]
    eh, el = scale(mh, k), scale(ml, k)  # exact but where e < 2^-1022, where only 2 + e needs it
    if eh < _REDUCE_FROM:
        dh, dl = dd_add(2.0, 0.0, eh, el)
        sh, sl = dd_div(mh, ml, dh, dl)  # s / 2^k
        zh, zl = dd_mul(sh, sl, sh, sl)
        w2 = pow2(2.0 * k) if k > _Z_FROM_K else 0.0  # z = w2 (zh + zl)
        lh, ll = atanh2_dd(sh, sl, w2 * zh, w2 * zl)  # log(1 + e) / 2^k
    else:  # k is 0 or -1
        nh, nl = dd_add(eh, el, -1.0, 0.0)
        dh, dl = dd_add(eh, el, 3.0, 0.0)
        sh, sl = dd_div(nh, nl, dh, dl)
        zh, zl = dd_mul(sh, sl, sh, sl)
        lh, ll = atanh2_dd(sh, sl, zh, zl)
        lh, ll = dd_add(_LN2[0], _LN2[1], lh, ll)  # |2 atanh(s)| <= ln 2 / 2
        k = 0.0
    if x > 0.0:  # e <= 1 against x: what `scale` rounds away of log(1 + e) is < 2^-1074
        lh, ll = dd_add(x, 0.0, scale(lh, k), scale(ll, k))
        k = 0.0
    k, hi, lo = normalised(k, lh, ll)
    return k, hi, lo, 1.0


@jit
def logit_exact64(p):  # type: ignore[no-untyped-def]
    """log(p / (1 - p)) as (k, hi, lo, 1.0), to ~2^-100 relative; the limits at 0 and 1, else NaN.

    1 - p is exact as a double-double. With p = 2^a f_p and 1 - p = 2^b f_o
    (f_p, f_o in [1/2, 1)), p / (1 - p) = 2^m f for f = f_p / (w f_o) within
    √2 of 1 (w = 1, 2 or 1/2), so logit(p) = m ln 2 + 2 atanh(s) with
    s = (f_p - w f_o) / (f_p + w f_o). f_p - w f_o is exact (Sterbenz) and so
    is its sum with the tail of f_o: s is within 2^-104 relative, and so is
    the result for m = 0 (near p = 1/2, however small). For m != 0,
    |m ln 2| >= 2 |2 atanh(s)|: no cancellation; m LN2_HI is exact.
    """
    if not 0.0 < p < 1.0:
        limit = -math.inf if p == 0.0 else math.inf if p == 1.0 else math.nan
        return 0.0, limit, 0.0, 1.0
    oh, ol = two_sum(1.0, -p)
    f_p, a = math.frexp(p)
    f_o, b = math.frexp(oh)
    # Exact for 1 - p < 1 (b <= 0); for oh = 1 (p < 2^-53), ol = -p may lose
    # its last bit, 2^-1075 against f_o = 1/2.
    f_ol = math.ldexp(ol, -b)
    up = f_p >= _SQRT2 * f_o
    down = f_p < _HALF_SQRT2 * f_o
    w = 2.0 if up else (0.5 if down else 1.0)
    m = numba.float64(a - b) + (1.0 if up else (-1.0 if down else 0.0))
    nh, nl = two_sum(f_p - w * f_o, -w * f_ol)
    dh, dl = dd_add(f_p, 0.0, w * f_o, w * f_ol)
    sh, sl = dd_div(nh, nl, dh, dl)
    zh, zl = dd_mul(sh, sl, sh, sl)
    yh, yl = atanh2_dd(sh, sl, zh, zl)
    if m != 0.0:
        ch, cl = two_prod(m, LN2_MID)
        ch, cl = dd_add(m * LN2_HI, 0.0, ch, cl + m * LN2_LO)
        yh, yl = dd_add(ch, cl, yh, yl)
    k, hi, lo = normalised(0.0, yh, yl)
    return k, hi, lo, 1.0


@jit
def softplus_exact(x):  # type: ignore[no-untyped-def]
    """log(1 + e^x) for the float32 path as (k, hi, lo, 1.0), to ~2^-100 relative.

    Where `softplus_f64` rounds safely, which is nearly everywhere the fast
    path flags (its whole float32 subnormal band), that value, at a fiftieth
    of the cost; else `softplus_exact64`. (log σ(x) is -softplus(-x).)
    """
    y, _ = softplus_f64(x)
    if rounds_safely(y, _F64_UNITS):
        return 0.0, y, 0.0, 1.0
    return softplus_exact64(x)


@jit
def logit_exact(p):  # type: ignore[no-untyped-def]
    """log(p / (1 - p)) for the float32 path as (k, hi, lo, 1.0), to ~2^-100 relative.

    Where `logit_f64` rounds safely, that value; else `logit_exact64` (which
    also gives the limits at 0 and 1, and NaN outside [0, 1]).
    """
    y, _ = logit_f64(p)
    if rounds_safely(y, _F64_UNITS):
        return 0.0, y, 0.0, 1.0
    return logit_exact64(p)
