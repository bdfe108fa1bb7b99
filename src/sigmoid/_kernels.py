"""Scalar formulas of the logistic family, compiled by numba into the loops.

Every function works from e = exp(-|x|) = 2^k (1 + p), with p = e^r - 1 for
the reduced argument r, carried as a double-double. Building σ, σ', ... from
(k, p) instead of from a rounded e keeps the tails (σ(-720) is the true
subnormal, σ'(40) is 4.25e-18) and avoids every cancellation of 1 - e.

``*_dd`` functions return the result as ``2^k (hi + lo)``: about 58 correct
bits, enough to round float64 within 0.51 ULP and to round float32
correctly except near a rounding midpoint, which `needs_exact_f32` detects.
``*_exact`` recompute such rare inputs with ~100 bits.
"""

from __future__ import annotations

import math

import numba

from ._dd import (
    dd_add,
    dd_div,
    dd_mul,
    exp_full,
    fast_two_sum,
    fma,
    jit,
    reduce_ln2,
    scale,
    to_bits,
    two_prod,
    two_sum,
)

# 1/n! for n = 3..15: e^r - 1 - r - r²/2 = r³ P(r) to 2^-68 for |r| <= 0.35.
_P = tuple(1.0 / math.factorial(n) for n in range(3, 16))
# Below this, e^t is < 2^-1100 and every result is its limit; clamping keeps
# k within the range `scale` handles.
_T_MIN = -760.0


@jit
def expm1_reduced(t):  # type: ignore[no-untyped-def]
    """k, p_hi, p_lo with e^t = 2^k (1 + p_hi + p_lo), relative error < 2^-58, t <= 0."""
    t = t if t > _T_MIN else _T_MIN
    k, rh, rl = reduce_ln2(t)
    q = _P[12]
    for c in _P[11::-1]:
        q = fma(q, rh, c)
    rr, rr_lo = two_prod(rh, rh)
    half_h = 0.5 * rr
    # r + r²/2 exactly as a double-double, then the small rest of the series.
    ah, al = fast_two_sum(rh, half_h)
    lo = al + 0.5 * rr_lo + rh * rr * q + rl * (1.0 + rh)
    ph, pl = fast_two_sum(ah, lo)
    return k, ph, pl


@jit
def _one_plus_e(k, ph, pl):  # type: ignore[no-untyped-def]
    """1 + 2^k (1 + p) as a double-double (k <= 0)."""
    s = pow2_clamped(k)
    dh, dl = two_sum(1.0, s)
    dh, tl = fast_two_sum(dh, s * ph)
    return dh, dl + tl + s * pl


@jit
def pow2_clamped(k):  # type: ignore[no-untyped-def]
    # Below 2^-1022 the term is far under the last bit of 1 + e: use 2^-1022.
    return scale(1.0, k if k > -1022.0 else -1022.0)


@jit
def _divide(nh, nl, dh, dl):  # type: ignore[no-untyped-def]
    """(nh + nl) / (dh + dl) to ~2^-100 relative, from one division and one fma."""
    qh = nh / dh
    rem = fma(-qh, dh, nh) + nl - qh * dl
    return qh, rem / dh


@jit
def sigmoid_dd(x):  # type: ignore[no-untyped-def]
    """σ(x) = 2^k (hi + lo): 1/(1 + e) for x >= 0, e/(1 + e) for x < 0."""
    k, ph, pl = expm1_reduced(-abs(x))
    dh, dl = _one_plus_e(k, ph, pl)
    neg = x < 0.0
    nh, nl = fast_two_sum(1.0, ph)
    nh = nh if neg else 1.0
    nl = nl + pl if neg else 0.0
    qh, ql = _divide(nh, nl, dh, dl)
    return (k if neg else 0.0), qh, ql


@jit
def sigmoid_derivative_dd(x):  # type: ignore[no-untyped-def]
    """σ'(x) = e / (1 + e)² = 2^k (hi + lo), never through a rounded σ."""
    k, ph, pl = expm1_reduced(-abs(x))
    dh, dl = _one_plus_e(k, ph, pl)
    sh, sl = two_prod(dh, dh)
    sl += 2.0 * dh * dl
    nh, nl = fast_two_sum(1.0, ph)
    qh, ql = _divide(nh, nl + pl, sh, sl)
    return k, qh, ql


@jit
def to_f64(x, k, qh, ql):  # type: ignore[no-untyped-def]
    """Round 2^k (qh + ql) to float64 (subnormals rounded once); NaN passes."""
    y = scale(qh + ql, k)
    return y if x == x else x


# A float64 that is rounded to float32 drops 29 bits; it sits on a float32
# rounding midpoint when they read 1000...0. Within this many float64 units of
# that, the ~58-bit value cannot decide the rounding (and the error bound is
# < 2^-5 units: a margin of 2^6 over it).
_MIDPOINT = 1 << 28
_LOW29 = (1 << 29) - 1
_MARGIN = 4
_F32_MIN_NORMAL = 2.0**-126
_F32_ZERO_BELOW = 2.0**-152


@jit
def needs_exact_f32(k, qh, ql):  # type: ignore[no-untyped-def]
    """True when 2^k (qh + ql) may round to float32 differently from the truth."""
    y = scale(qh, k)
    ay = abs(y)
    low = to_bits(y) & _LOW29
    near_mid = abs(low - _MIDPOINT) <= _MARGIN
    subnormal = (ay < _F32_MIN_NORMAL) & (ay > _F32_ZERO_BELOW)
    return near_mid | subnormal


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
def fast_to_f32(x, k, qh):  # type: ignore[no-untyped-def]
    """fl32(2^k qh): right whenever `needs_exact_f32` is False; NaN passes."""
    y = numba.float32(scale(qh, k))
    return y if x == x else numba.float32(x)


@jit
def exact_to_f32(x, k, qh, ql, sign):  # type: ignore[no-untyped-def]
    """Correctly rounded float32 of sign * 2^k (qh + ql) from a ~100-bit value."""
    y = round_dd_to_f32(sign * scale(qh, k), sign * scale(ql, k))
    return y if x == x else numba.float32(x)


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
    """σ(x) = 2^k (hi + lo) to ~2^-100."""
    k, _, _, mh, ml, _, _, dh, dl = exact_parts(x)
    if x < 0.0:
        qh, ql = dd_div(mh, ml, dh, dl)
        return k, qh, ql
    qh, ql = dd_div(1.0, 0.0, dh, dl)
    return 0.0, qh, ql


@jit
def sigmoid_derivative_exact(x):  # type: ignore[no-untyped-def]
    """σ'(x) = e / (1 + e)² = 2^k (hi + lo) to ~2^-100."""
    k, _, _, mh, ml, _, _, dh, dl = exact_parts(x)
    sh, sl = dd_mul(dh, dl, dh, dl)
    qh, ql = dd_div(mh, ml, sh, sl)
    return k, qh, ql


@jit
def sigmoid_derivative2_exact(x):  # type: ignore[no-untyped-def]
    """σ''(x) = -sign(x) e (1 - e) / (1 + e)³ as (k, hi, lo, sign), to ~2^-100.

    1 - e is -p itself when k = 0, so it keeps its relative accuracy at x -> 0.
    """
    k, ph, pl, mh, ml, eh, el, dh, dl = exact_parts(x)
    if k == 0.0:
        oh, ol = -ph, -pl
    else:
        oh, ol = dd_add(1.0, 0.0, -eh, -el)
    nh, nl = dd_mul(mh, ml, oh, ol)
    ch, cl = dd_mul(dh, dl, dh, dl)
    ch, cl = dd_mul(ch, cl, dh, dl)
    qh, ql = dd_div(nh, nl, ch, cl)
    return k, qh, ql, (-1.0 if x > 0.0 else 1.0)


@jit
def sigmoid_derivative3_exact(x):  # type: ignore[no-untyped-def]
    """Third derivative e (e² - 4e + 1) / (1 + e)⁴ as (k, hi, lo), to ~2^-100."""
    k, _, _, mh, ml, eh, el, dh, dl = exact_parts(x)
    gh, gl = dd_mul(eh, el, eh, el)
    gh, gl = dd_add(gh, gl, 1.0, 0.0)
    gh, gl = dd_add(gh, gl, -4.0 * eh, -4.0 * el)
    nh, nl = dd_mul(mh, ml, gh, gl)
    ch, cl = dd_mul(dh, dl, dh, dl)
    ch, cl = dd_mul(ch, cl, ch, cl)
    qh, ql = dd_div(nh, nl, ch, cl)
    return k, qh, ql


@jit
def softplus_f64(x):  # type: ignore[no-untyped-def]
    """log(1 + e^x) = max(x, 0) + log1p(e), with e = exp(-|x|) carried to ~2^-58."""
    k, ph, pl = expm1_reduced(-abs(x))
    mh, ml = fast_two_sum(1.0, ph)
    eh = scale(mh, k)
    el = scale(ml + pl, k)
    tail = math.log1p(eh) + el / (1.0 + eh)
    y = x + tail if x > 0.0 else tail
    return y if x == x else x


@jit
def logit_f64(p):  # type: ignore[no-untyped-def]
    """log(p / (1 - p)), with the ratio as a double-double so that one log rounds.

    Near 1/2 it is log1p((2p - 1) / (1 - p)), where 2p - 1 is exact; above 3/4,
    1 - p is exact (Sterbenz) and logit(p) = -log((1 - p) / p).
    """
    if not (p > 0.0 and p < 1.0):
        if p == 0.0:
            return -math.inf
        if p == 1.0:
            return math.inf
        return math.nan
    if p > 0.75:
        a = 1.0 - p
        qh = a / p
        ql = fma(-qh, p, a) / p
        return -(math.log(qh) + ql / qh)
    oh, ol = two_sum(1.0, -p)
    if p < 0.25:
        qh = p / oh
        ql = (fma(-qh, oh, p) - qh * ol) / oh
        return math.log(qh) + ql / qh
    a = 2.0 * p - 1.0
    zh = a / oh
    zl = (fma(-zh, oh, a) - zh * ol) / oh
    return math.log1p(zh) + zl / (1.0 + zh)
