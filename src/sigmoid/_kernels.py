"""Scalar formulas of the logistic family, compiled by numba into the loops.

float64: every function works from e = exp(-|x|) = 2^k (1 + p), with
p = e^r - 1 for the reduced argument r carried as a double-double. Building
σ, σ', ... from (k, p) instead of from a rounded e keeps the tails (σ(-720) is
the true subnormal, σ'(40) is 4.25e-18) and avoids every cancellation of
1 - e. ``*_dd`` functions return ``2^k (hi + lo)`` with about 58 correct bits,
so the float64 result is within 0.51 ULP (0.67 ULP for a subnormal result,
which is rounded twice).

float32: σ and σ' are evaluated in plain float64 (good to 12 units of its
last place) and rounded once; `f32_is_hard` flags the rare values (about 1
in 10^7) that lie too close to a float32 rounding midpoint for that to be
safe, and `sigmoid._exact` recomputes those with ~100 bits.

Every function here is branch-free on the common path so that the loops
calling it vectorise (the helpers are inlined into them).
"""

from __future__ import annotations

import math

from ._dd import (
    LN2_HI,
    LN2_MID,
    LOG2E,
    ROUND_SHIFTER,
    fast_two_sum,
    fma,
    jit,
    pow2,
    reduce_ln2,
    scale,
    to_bits,
    two_prod,
    two_sum,
)
from ._log import log_dd

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
    return pow2(k if k > -1022.0 else -1022.0)


@jit
def _divide(nh, nl, dh, dl):  # type: ignore[no-untyped-def]
    """(nh + nl) / (dh + dl) as a double-double good to ~2^-100.

    The residual nh - qh dh is exact (fma), so qh + rem/dh is right to the
    precision of the correction term. (Multiplying by one reciprocal instead
    of the second division measured 2.5x slower here.)
    """
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
# rounding midpoint when they read 1000...0.
_MIDPOINT = 1 << 28
_LOW29 = (1 << 29) - 1
_F32_MIN_NORMAL = 2.0**-126
_F32_ZERO_BELOW = 2.0**-152


# float32 σ and σ' go through plain float64: e^t to 3 * 2^-53 relative
# (Taylor to r^13/13!, truncation < 2^-57 for |r| <= 0.347), then one division,
# so the float64 value is within 6 * 2^-53 of the truth, under 12 units of its
# last place: `_F32_MARGIN` (32) leaves a factor of 2.7 to spare.
_P13 = tuple(1.0 / math.factorial(n) for n in range(2, 14))
_F32_MARGIN = 32
_T_MIN_F32 = -150.0  # e^-150 < 2^-216: every result there rounds to 0 or its limit


@jit
def exp_f32_range(t):  # type: ignore[no-untyped-def]
    """e^t for -150 <= t <= 0 (t clamped), within 3 * 2^-53 relative."""
    t = t if t > _T_MIN_F32 else _T_MIN_F32
    k = (t * LOG2E + ROUND_SHIFTER) - ROUND_SHIFTER
    r = fma(-k, LN2_MID, fma(-k, LN2_HI, t))
    q = _P13[11]
    for c in _P13[10::-1]:
        q = fma(q, r, c)
    return (1.0 + fma(r * r, q, r)) * pow2(k)


@jit
def f32_is_hard(y):  # type: ignore[no-untyped-def]
    """True when the float64 y (good to 12 units) may round to the wrong float32."""
    low = to_bits(y) & _LOW29
    subnormal = (y < _F32_MIN_NORMAL) & (y > _F32_ZERO_BELOW)
    return (abs(low - _MIDPOINT) <= _F32_MARGIN) | subnormal


@jit
def sigmoid_f32_fast(x):  # type: ignore[no-untyped-def]
    """σ(x) for a float32 x, as (float64 value, hard); NaN passes."""
    e = exp_f32_range(-abs(x))
    y = (e if x < 0.0 else 1.0) / (1.0 + e)
    return (y if x == x else x), f32_is_hard(y)


@jit
def sigmoid_derivative_f32_fast(x):  # type: ignore[no-untyped-def]
    """σ'(x) = e / (1 + e)² for a float32 x, as (float64 value, hard); NaN passes."""
    e = exp_f32_range(-abs(x))
    d = 1.0 + e
    y = e / (d * d)
    return (y if x == x else x), f32_is_hard(y)


@jit
def softplus_f64(x):  # type: ignore[no-untyped-def]
    """log(1 + e^x) = max(x, 0) + log(1 + e), with e = exp(-|x|) carried to ~2^-58.

    1 + e is formed exactly as a double-double, so log1p keeps its relative
    accuracy for tiny e (down to subnormal e, where it returns e itself).
    """
    k, ph, pl = expm1_reduced(-abs(x))
    mh, ml = fast_two_sum(1.0, ph)
    eh = scale(mh, k)
    el = scale(ml + pl, k)
    uh, ul = fast_two_sum(1.0, eh)
    tail = log_dd(uh, ul + el)
    y = x + tail if x > 0.0 else tail
    return y if x == x else x


@jit
def logit_f64(p):  # type: ignore[no-untyped-def]
    """log(p / (1 - p)), with 1 - p and the ratio as double-doubles so that one log rounds."""
    oh, ol = two_sum(1.0, -p)
    qh = p / oh
    ql = (fma(-qh, oh, p) - qh * ol) / oh
    inside = (p > 0.0) & (p < 1.0)
    y = log_dd(qh if inside else 1.0, ql if inside else 0.0)
    y = -math.inf if p == 0.0 else y
    y = math.inf if p == 1.0 else y
    return y if (inside | (p == 0.0) | (p == 1.0)) else math.nan
