"""Scalar formulas of the logistic family, compiled by numba into the loops.

float64: every function is correctly rounded. σ, its derivatives and
softplus work from e = exp(-|x|) = 2^k (1 + p), with p = e^r - 1 for the
reduced argument r carried as a double-double. Building them from (k, p)
instead of from a rounded e keeps the tails (σ(-720) is the true subnormal,
σ'(40) is 4.25e-18) and avoids every cancellation of 1 - e. They carry e to 2^-65.8
(a finer reduction, r within ln(2)/8, and 2^(j/4) from a 4-entry table) and
divide once, with the exact remainder as a correction, which leaves the
result unrounded as q + c within a proven margin (2^-65 |q| for σ and σ';
for σ'' and σ''', which vanish at 0 and ±1.317, a margin that depends on x);
where q + c ± margin would round apart (about 1 input in 1,000 to 3,000, and
every subnormal result) the kernel says "hard", and `sigmoid._kernels.exact`
(~100 bits, or decimal arithmetic where even that is too close to call)
decides. σ'' takes 1 - e as -p itself near 0, and σ''' writes
e² - 4e + 1 as (e - c1)(e - c2), with e - c1 from a series in x - x0 around
its zeros x0, so both keep their relative accuracy where they vanish.
softplus (and log σ(x) = -softplus(-x)) and logit are m ln 2 + 2 atanh(s)
for a ratio within √2 of 1, evaluated the same way: unrounded, within a
proven margin, the undecided inputs (about 1 in 4,000) to `sigmoid._kernels.exact`.

float32: σ and σ' are evaluated in plain float64 (good to 12 units of its
last place), σ'' and σ''' by the float64 kernels' fast values (within
0.5 + 2^-8 units), and
rounded once; `f32_is_hard` flags the rare values (about 1 in 10^7) that lie
too close to a float32 rounding midpoint for that to be safe, and the
float32 subnormal results (`f32_near_midpoint` then looks at their own
midpoints), and `sigmoid._kernels.exact` recomputes those that are too close
with ~100 bits. float32 softplus, log-sigmoid and logit are evaluated in plain float64
too (good to 9 and 4 units), and the values flagged the same way go through
`sigmoid._kernels.exact` as well: every float32 result is correctly rounded.

Every function here is branch-free on the common path so that the loops
calling it vectorise (the helpers are inlined into them).
"""

from __future__ import annotations

import math

from .dd import (
    LN2_HI,
    LN2_LO,
    LN2_MID,
    LOG2E,
    ROUND_SHIFTER,
    estrin6,
    estrin10,
    fast_two_sum,
    fma,
    from_bits,
    jit,
    pow2,
    to_bits,
    two_prod,
    two_sum,
)
from .log import exponent_and_fraction

# Below this, e^t is < 2^-1100 and every result is its limit; clamping keeps
# k within the range `scale` handles.
_T_MIN = -760.0


# 2^k for 1 + e stops at 2^-1020 (then 1 + e is 1 in any case), so that a
# quotient in [0.35, 1.5] times it stays normal and is scaled exactly.
_K_FLOOR = -1020.0


@jit
def _dd_times(ah, al, bh, bl):  # type: ignore[no-untyped-def]
    """(ah + al)(bh + bl) as a double-double, the al bl term dropped (relative error ~2^-104)."""
    h, lo = two_prod(ah, bh)
    return h, fma(ah, bl, fma(al, bh, lo))


@jit
def _times_pow2(y, k):  # type: ignore[no-untyped-def]
    """y * 2^k for whole k in [-1100, 0], rounded once, where y is in [0.25, 2) or y 2^k normal.

    `scale` does the same for any y (it halves k, so that a double-double's
    tail survives the first step too), but its float-int-float conversions
    cost σ and σ' 8 % here, where y is known to be near 1.
    """
    k1 = k if k > _K_FLOOR else _K_FLOOR
    return y * pow2(k1) * pow2(k - k1)


# float64 σ and its derivatives are correctly rounded: a fast path gives the
# result as an unrounded q + c within a proven error bound (for σ and σ', 2^-65.8
# relative, the budget below; for σ'' and σ''', at their `_parts` functions),
# and says "hard" when q + c ± that bound with some to spare (2^-65 |q| for σ
# and σ') do not round alike; those inputs (about 1 in 2,500 for σ, 2,800 for
# σ', 1,000 for σ'' and σ'''; and the subnormal results) go through
# `sigmoid._kernels.exact` (~100 bits), rounded once by `exact_to_f64` where
# that is decided (`exact.decided_f64`), in decimal arithmetic where not.
#
# e = exp(-|x|) = 2^m 2^(j/4) e^r: k = round(-|x| 4/ln 2) = 4m + j, r = -|x| -
# k ln(2)/4 (Cody–Waite as above, the dropped k LN2_LO/4 below 2^-75.9), so
# |r| <= ln(2)/8, and e^r - 1 = r + r²/2 + r³ Q(r), Q from `tools/exp_poly.py
# expm1_3 7` with its leading 1/6 as a double-double (the rest of the fit
# error: 2^-70.2 once times r³). r + r²/2 is exact (r² by `two_prod`), r³ is
# carried with its rounding error, and r_lo (up to 2^-57) enters as r_lo e^r
# ~ r_lo (1 + r + r²/2) (2^-70 dropped; without the r²/2, 2^-65). The one
# rounding that counts is the low part's (|r³/6| <= 2^-13.2 dominates it):
# 2^-53 of it, 2^-66.2; the r⁴ terms add 3 roundings of 2^-71.4. e^r - 1 is
# within 2^-65.9 (absolute; e^r >= 0.917: 2^-65.8 relative; measured 2^-66.7
# by tests/test_accuracy.py), and 2^(j/4) (a double-double to 2^-106) times
# 1 + p as a double-double product adds 2^-100. σ = e/(1 + e) (x < 0),
# 1/(1 + e) (x >= 0) and σ' = e/(1 + e)² carry e's relative error with a
# factor of at most 1 (1/(1 + e), e/(1 + e), (1 - e)/(1 + e)); the division
# by its exact remainder adds 2^-100. 2^-65 leaves a factor 1.7 to spare.
_EXPM1_Q3 = (
    0.16666666666666666,
    0.041666666666666664,
    0.008333333333335984,
    0.0013888888888891097,
    0.00019841269664774272,
    2.480158715450948e-05,
    2.7561080835684734e-06,
    2.756045387077054e-07,
)
_SIXTH_LO = 9.25185853854297e-18  # 1/6 - _EXPM1_Q3[0]
# 2^(j/4) for j = 1, 2, 3 as double-doubles.
_ROOT4 = (
    (1.189207115002721, 3.982015231465646e-17),
    (1.4142135623730951, -9.667293313452913e-17),
    (1.681792830507429, 8.199010020581497e-17),
)
_LOG2E_4 = 4.0 * LOG2E
_FAST_BOUND = 2.0**-65
# σ(x) (σ'(x) at -|x|) is a float64 subnormal for x in (-745.2, -708.4): the fast
# path does not see its rounding, so those are hard.
_SUBNORMAL64_FROM = -746.0
_SUBNORMAL64_TO = -708.0


@jit
def _exp_fine(x):  # type: ignore[no-untyped-def]
    """m, j, p, p_lo: exp(-|x|) = 2^m 2^(j/4) (1 + p + p_lo), |p| <= 0.0906.

    p + p_lo is e^r - 1 for r within ln(2)/8, off by 2^-65.9 at most (relative
    to e^r, 2^-65.8); for m = 0 (k = 0, so j = 0 too: |x| <= ln(2)/8),
    it is e^-|x| - 1 itself, off by at most 2^-53 r²/6 + 2^-59.3 r² relative
    (the rounding of the r³ term's sum, and the polynomial's own error).
    """
    t = -abs(x)
    t = t if t > _T_MIN else _T_MIN
    shifted = fma(t, _LOG2E_4, ROUND_SHIFTER)
    k = shifted - ROUND_SHIFTER  # round(4 t / ln 2), one rounding
    r_hi = fma(-k, 0.25 * LN2_HI, t)  # exact: LN2_HI has 32 bits
    r = fma(-k, 0.25 * LN2_MID, r_hi)
    r_lo = fma(-k, 0.25 * LN2_MID, r_hi - r)
    # k = 4m + j, j in {0, 1, 2, 3}: m = round(k/4 - 3/8), all exact (and no
    # float-int conversion, which AVX2 lacks for int64).
    m = (fma(k, 0.25, -0.375) + ROUND_SHIFTER) - ROUND_SHIFTER
    j = fma(m, -4.0, k)
    rr, rr_lo = two_prod(r, r)
    ah, al = fast_two_sum(r, 0.5 * rr)  # r + r²/2, exactly
    r3 = rr * r
    r3_lo = fma(rr, r, -r3) + rr_lo * r  # r³ = r3 + r3_lo to ~2^-104
    inner = estrin6(_EXPM1_Q3[1:], r)
    # e^(r + r_lo) - 1 = p(r) + r_lo e^r: r_lo (<= 2^-57) times 1 + r + r²/2.
    small = al + 0.5 * rr_lo + fma(r_lo, ah, r_lo) + r3 * _SIXTH_LO + r3_lo * _EXPM1_Q3[0]
    lo = fma(r3, _EXPM1_Q3[0], fma(r3 * r, inner, small))
    p, p_lo = fast_two_sum(ah, lo)
    return m, j, p, p_lo


@jit
def _fine_e(j, p, p_lo):  # type: ignore[no-untyped-def]
    """a, a_lo = 2^(j/4) (1 + p + p_lo): exp(-|x|) = 2^m (a + a_lo), relative error < 2^-65.8."""
    b_hi, b_lo = fast_two_sum(1.0, p)
    b_lo += p_lo
    th = (
        1.0
        if j == 0.0
        else (_ROOT4[0][0] if j == 1.0 else (_ROOT4[1][0] if j == 2.0 else _ROOT4[2][0]))
    )
    tl = (
        0.0
        if j == 0.0
        else (_ROOT4[0][1] if j == 1.0 else (_ROOT4[1][1] if j == 2.0 else _ROOT4[2][1]))
    )
    return _dd_times(th, tl, b_hi, b_lo)


@jit
def _rounded_within(q, c, margin, x, t):  # type: ignore[no-untyped-def]
    """fl(q + c), and whether a value within `margin` of q + c may round otherwise.

    t as for `f32_is_hard`: a subnormal result is hard. NaN is not.
    """
    hard = (q + (c + margin)) != (q + (c - margin))
    hard |= (t > _SUBNORMAL64_FROM) & (t < _SUBNORMAL64_TO)
    return q + c, hard & (x == x)


@jit
def _rounded_if_safe(q, c, x, t):  # type: ignore[no-untyped-def]
    """`_rounded_within` a margin of `_FAST_BOUND` |q|."""
    return _rounded_within(q, c, _FAST_BOUND * abs(q), x, t)


@jit
def _quotient_parts(n_hi, n_lo, d_hi, d_lo):  # type: ignore[no-untyped-def]
    """(n_hi + n_lo) / (d_hi + d_lo) as q + c, unrounded (to ~2^-100)."""
    inverse = 1.0 / d_hi
    q = n_hi * inverse
    remainder = fma(-q, d_hi, n_hi) + fma(-q, d_lo, n_lo)
    return q, remainder * inverse


@jit
def _one_plus(m, a, a_lo):  # type: ignore[no-untyped-def]
    """s, d_hi, d_lo: e = 2^m (a + a_lo) ~ s (a + a_lo) and 1 + e = d_hi + d_lo.

    s = 2^m, but not below 2^-1020, where e no longer changes 1 + e.
    """
    s = pow2(m if m > _K_FLOOR else _K_FLOOR)
    d_hi, d_lo = fast_two_sum(1.0, s * a)
    return s, d_hi, d_lo + s * a_lo


@jit
def _fine_one_plus_e(x):  # type: ignore[no-untyped-def]
    """m, a, a_lo, d_hi, d_lo: exp(-|x|) = 2^m (a + a_lo), 1 + exp(-|x|) = d_hi + d_lo."""
    m, j, p, p_lo = _exp_fine(x)
    a, a_lo = _fine_e(j, p, p_lo)
    _, d_hi, d_lo = _one_plus(m, a, a_lo)
    return m, a, a_lo, d_hi, d_lo


@jit
def sigmoid_parts(x):  # type: ignore[no-untyped-def]
    """m, q, c: σ(x) = 2^m (q + c) unrounded, within 2^-65.8 relative (m = 0 for x >= 0)."""
    m, a, a_lo, d_hi, d_lo = _fine_one_plus_e(x)
    neg = x < 0.0
    q, c = _quotient_parts(a if neg else 1.0, a_lo if neg else 0.0, d_hi, d_lo)
    return (m if neg else 0.0), q, c


@jit
def sigmoid_f64(x):  # type: ignore[no-untyped-def]
    """σ(x) in float64 as (value, hard): 1/(1 + e) for x >= 0, e/(1 + e) below; NaN passes."""
    m, q, c = sigmoid_parts(x)
    y, hard = _rounded_if_safe(q, c, x, x)
    return (_times_pow2(y, m) if x == x else x), hard


@jit
def sigmoid_derivative_parts(x):  # type: ignore[no-untyped-def]
    """m, q, c: σ'(x) = e / (1 + e)² = 2^m (q + c) unrounded, within 2^-65.8 relative."""
    m, a, a_lo, d_hi, d_lo = _fine_one_plus_e(x)
    s_hi, s_lo = two_prod(d_hi, d_hi)
    q, c = _quotient_parts(a, a_lo, s_hi, fma(2.0 * d_hi, d_lo, s_lo))
    return m, q, c


@jit
def sigmoid_derivative_f64(x):  # type: ignore[no-untyped-def]
    """σ'(x) in float64 as (value, hard), never through a rounded σ; NaN passes."""
    m, q, c = sigmoid_derivative_parts(x)
    y, hard = _rounded_if_safe(q, c, x, -abs(x))
    return (_times_pow2(y, m) if x == x else x), hard


# Below this, σ''(x) ~ -x/8 is a float64 subnormal; 1/8 less 2^-56 (exact).
_SUBNORMAL_SIGMA2 = 2.0**-1019
_EIGHTH_BELOW = 0.125 - 2.0**-56
# The error budget of σ'' = e (1 - e) / (1 + e)³, in units of `_FAST_BOUND`
# (2^-65; e is good to 2^-65.8), as the hard-value test's margin. e's error
# enters with a factor |1 - B|, B = e/(1 - e) + 3e/(1 + e), which is at most
# max(1, e/(1 - e) + 3e). For |x| <= ln(2)/8 (m = 0), 1 - e is -p itself, good
# to 2^-53 r²/6 + 2^-59.3 r² relative (r = -|x|; see `_exp_fine`), and e's
# error only enters through e and (1 + e)³, a factor of 0.5 at most: there
# |q| (1 + 2^10.5 x²). Beyond, max(|q|, |q| e/(1 - e) + 3 |q| e) with
# |q| e/(1 - e) = a e / (1 + e)³ (e <= 0.917: at most 13.8 |q|).
_SIGMA2_NEAR = 2.0**10.5


@jit
def sigmoid_derivative2_parts(x):  # type: ignore[no-untyped-def]
    """m, q, c, margin: |σ''(x)| = e (1 - e) / (1 + e)³ = 2^m (q + c), off by < 2^m margin."""
    m, j, p, p_lo = _exp_fine(x)
    a, a_lo = _fine_e(j, p, p_lo)
    s, d_hi, d_lo = _one_plus(m, a, a_lo)
    near0 = m == 0.0  # (then k = 0 and e = 1 + p)
    o_hi, o_lo = fast_two_sum(1.0, -s * a)
    o_hi = -p if near0 else o_hi
    o_lo = -p_lo if near0 else o_lo - s * a_lo
    n_hi, n_lo = _dd_times(a, a_lo, o_hi, o_lo)
    c_hi, c_lo = _dd_times(d_hi, d_lo, d_hi, d_lo)
    c_hi, c_lo = _dd_times(c_hi, c_lo, d_hi, d_lo)
    q, c = _quotient_parts(n_hi, n_lo, c_hi, c_lo)
    e = s * a
    far = max(abs(q), e * (a * (1.0 / c_hi) + 3.0 * abs(q)))  # (the quotient's 1 / c_hi)
    spread = abs(q) * (1.0 + _SIGMA2_NEAR * x * x) if near0 else far
    return m, q, c, _FAST_BOUND * spread


@jit
def sigmoid_derivative2_f64(x):  # type: ignore[no-untyped-def]
    """σ''(x) = -sign(x) e (1 - e) / (1 + e)³ in float64 as (value, hard); NaN passes.

    1 - e is -p itself for |x| <= ln(2)/8, so it keeps its relative accuracy
    as x -> 0, where σ''(x) ~ -x/8; beyond, e < 0.92 and 1 - e is formed
    exactly from e's double-double.
    """
    m, q, c, margin = sigmoid_derivative2_parts(x)
    y, hard = _rounded_within(q, c, margin, x, -abs(x))
    y = _times_pow2(y, m)
    # A subnormal result: |x|/8 - |x|³/24, which the quotient's error can put on
    # the wrong side of a tie; |x| (1/8 - 2^-56), rounded once, breaks ties toward 0.
    subnormal = abs(x) < _SUBNORMAL_SIGMA2
    y = abs(x) * _EIGHTH_BELOW if subnormal else y
    y = math.copysign(y, -x)  # y >= 0 here; σ''(±0) = ∓0, as -x/8
    return (y if x == x else x), hard & ~subnormal


# σ''' changes sign where e² - 4e + 1 = (e - c1)(e - c2) = 0, c1 = 2 - √3 = e^T1,
# c2 = 2 + √3; each constant as an unevaluated sum of two or three float64s.
_C1 = (0.2679491924311227, 1.0671460244446628e-17)
_C2 = (3.732050807568877, 1.0035084221806903e-16)
_T1 = (-1.3169578969248168, 8.682250844852022e-17, -3.6222524942066425e-33)
_SIXTH = (_EXPM1_Q3[0], _SIXTH_LO)  # 1/6
# Within this of T1 (|u| < 1/8, u = t - T1 as a double-double, its first
# difference exact by Sterbenz), e - c1 = c1 (e^u - 1) by `_expm1_near`;
# outside, e - c1 comes from e, whose error it multiplies by e/|e - c1| <= 8.5.
_NEAR_T1 = 0.125
# 1/n! for n = 4..14: the series' rest is under 2^-68 of u for |u| < 1/8.
_EXPM1_U4 = tuple(1.0 / math.factorial(n) for n in range(4, 15))


@jit
def _expm1_near(u_hi, u_lo):  # type: ignore[no-untyped-def]
    """e^u - 1 for u = u_hi + u_lo (normalised, |u| < 1/8) as a double-double, to 2^-65 of u.

    u + u²/2 + u³/6 are kept as double-doubles (u² and u³ from exact
    products), the rest, u⁴ Q(u) < 2^-15.6 |u|, in plain float64: its
    roundings, about 2^-51.4 of it, are under 2^-65 of u.
    """
    s_hi, s_lo = two_prod(u_hi, u_hi)
    v_hi, v_lo = fast_two_sum(u_hi, 0.5 * s_hi)  # exact: u²/2 < u/16
    c_hi, c_lo = two_prod(s_hi, u_hi)  # u³ = c_hi + c_lo + s_lo u + 3 u² u_lo
    g_hi, g_lo = two_prod(c_hi, _SIXTH[0])
    g_lo += (c_lo + s_lo * u_hi) * _SIXTH[0] + c_hi * _SIXTH[1] + 0.5 * s_hi * u_lo
    w_hi, w_lo = fast_two_sum(v_hi, g_hi)
    tail = s_hi * s_hi * estrin10(_EXPM1_U4, u_hi)
    lo = v_lo + w_lo + u_lo + 0.5 * s_lo + u_hi * u_lo + g_lo + tail
    return fast_two_sum(w_hi, lo)


# The error budget of σ''' = e (e - c1)(e - c2) / (1 + e)⁴, in units of
# `_FAST_BOUND` (2^-65; e is good to 2^-65.8), as the hard-value test's margin.
# e's error enters with a factor 1 + e/(e - c1) - e/(c2 - e) - 4e/(1 + e). Near
# T1 (e = c1 e^u: 0.23..0.31), where e - c1 comes from u instead (2^-65 of it),
# the rest is at most 0.2: 4 |q|. Outside: for e > c1 the factor lies between
# -1.37 and 1 + e/(e - c1); for e < c1 it is 1 - B, B = e/(c1 - e) + e/(c2 - e) +
# 4e/(1 + e) <= e/(c1 - e) + 4.3 e. Both within 1.4 + 4.3 e + e/|e - c1|, and
# |q| e/|e - c1| = a |e - c2| e / (1 + e)⁴.
_SIGMA3_NEAR = 4.0


@jit
def sigmoid_derivative3_parts(x):  # type: ignore[no-untyped-def]
    """m, q, c, margin: σ'''(x) = e (e - c1)(e - c2) / (1 + e)⁴ = 2^m (q + c), within 2^m margin."""
    m, j, p, p_lo = _exp_fine(x)
    a, a_lo = _fine_e(j, p, p_lo)
    s, d_hi, d_lo = _one_plus(m, a, a_lo)
    e, e_lo = s * a, s * a_lo
    # e - c1, directly and (near the zero) as c1 (e^u - 1).
    f_hi, f_lo = two_sum(e, -_C1[0])
    f_lo += e_lo - _C1[1]
    u_hi, u_lo = fast_two_sum(-abs(x) - _T1[0], -_T1[1])  # the first difference is exact
    v_hi, v_lo = _expm1_near(u_hi, u_lo - _T1[2])
    w_hi, w_lo = _dd_times(_C1[0], _C1[1], v_hi, v_lo)
    near = abs(u_hi) < _NEAR_T1
    f_hi, f_lo = (w_hi if near else f_hi), (w_lo if near else f_lo)
    h_hi, h_lo = fast_two_sum(-_C2[0], e)
    h_lo += e_lo - _C2[1]
    g_hi, g_lo = _dd_times(f_hi, f_lo, h_hi, h_lo)
    n_hi, n_lo = _dd_times(a, a_lo, g_hi, g_lo)
    c_hi, c_lo = _dd_times(d_hi, d_lo, d_hi, d_lo)
    c_hi, c_lo = _dd_times(c_hi, c_lo, c_hi, c_lo)
    q, c = _quotient_parts(n_hi, n_lo, c_hi, c_lo)
    far = (1.4 + 4.3 * e) * abs(q) + a * abs(h_hi) * e * (1.0 / c_hi)  # (the quotient's 1 / c_hi)
    spread = _SIGMA3_NEAR * abs(q) if near else far
    return m, q, c, _FAST_BOUND * spread


@jit
def sigmoid_derivative3_f64(x):  # type: ignore[no-untyped-def]
    """σ'''(x) in float64 as (value, hard), with its relative accuracy at its zeros; NaN passes."""
    m, q, c, margin = sigmoid_derivative3_parts(x)
    y, hard = _rounded_within(q, c, margin, x, -abs(x))
    y = _times_pow2(y, m)
    return (y if x == x else x), hard


# A float64 that is rounded to float32 drops 29 bits; it sits on a float32
# rounding midpoint when they read 1000...0.
_MIDPOINT = 1 << 28
_LOW29 = (1 << 29) - 1


# float32 σ and σ' go through plain float64. e^t: k = round(t / ln 2), r = t - k ln 2
# (two FMAs, the first exact, so r is off by at most 2^-55), then a degree-10
# polynomial for e^r (from `tools/exp_poly.py exp 10`: relative error 2^-51.3
# on |r| <= ln(2)/2), its rounding (under 2^-52 relative), and 2^k put into
# the exponent bits (exact). One addition and one division (two for σ') add
# 2^-53 each, so the float64 value is within 6 * 2^-53 of the truth, under 12
# units of its last place: `_F32_MARGIN` (32) leaves a factor of 2.7 to spare.
# The exhaustive audit (benchmarks/accuracy.py) checks the result on all 2^32
# inputs.
_EXP_POLY = (
    1.0,
    1.0000000000000067,
    0.5000000000000006,
    0.16666666666554406,
    0.04166666666657314,
    0.008333333385667782,
    0.0013888888932488599,
    0.00019841170270440067,
    2.4801504346997686e-05,
    2.764018079620985e-06,
    2.7626357241447223e-07,
)
_F32_MARGIN = 32
_T_MIN_F32 = -150.0  # e^-150 < 2^-216: every result there rounds to 0 or its limit
# σ(x) (σ'(x) at -|x|) is a float32 subnormal, whose rounding bit is not bit 29
# of the float64, for x in (-103.98, -87.33); below, it rounds to 0.
_SUBNORMAL_FROM = -104.0
_SUBNORMAL_TO = -87.0
# Below 2^-126 a float32 is subnormal: its last place is 2^-149 whatever the
# exponent. Moved up by 2^-126, into the binade [2^-126, 2^-125) whose last
# place is 2^-149 too, bit 29 of the float64 is its rounding bit again.
_F32_NORMAL_MIN = 2.0**-126


@jit
def exp_f32_range(t):  # type: ignore[no-untyped-def]
    """e^t for -150 <= t <= 0 (t clamped; a float32 NaN passes), within 2^-51 relative."""
    t = _T_MIN_F32 if t < _T_MIN_F32 else t
    shifted = t * LOG2E + ROUND_SHIFTER  # k sits in the low bits of this float64
    k = shifted - ROUND_SHIFTER
    r = fma(-k, LN2_MID, fma(-k, LN2_HI, t))
    p = estrin10(_EXP_POLY, r)
    # p is in [0.7, 1.5]: adding k << 52 to its bits multiplies it by 2^k (k >= -217).
    # (A NaN that came from a float32 has its low bits 0, so p stays NaN.)
    return from_bits(to_bits(p) + (to_bits(shifted) << 52))


@jit
def f32_is_hard(y, t):  # type: ignore[no-untyped-def]
    """True when the float64 y (good to 12 units) may round to the wrong float32.

    For the vector pass: every float32 subnormal result is hard, for t in
    (-104, -87) (t is x for σ and softplus, -|x| for σ' and the higher
    derivatives, -x for log-sigmoid), a test on the input that costs the loop
    less than looking at those results' own midpoints; the rare path then does
    that (`f32_near_midpoint`). NaN is not hard (it only has to stay NaN).
    """
    # The dropped bits, less (midpoint - margin), modulo 2^29: <= 2 margin near a midpoint.
    near = ((to_bits(y) - (_MIDPOINT - _F32_MARGIN)) & _LOW29) <= 2 * _F32_MARGIN
    return near | ((t < _SUBNORMAL_TO) & (t > _SUBNORMAL_FROM))


@jit
def f32_near_midpoint(y):  # type: ignore[no-untyped-def]
    """True when the float64 y (good to 12 units) may round to the wrong float32, subnormals too.

    The rare path's test, for what `f32_is_hard` flagged. A float32 subnormal
    result is tested at its own rounding bit: |y| < 2^-126 is tested as
    |y| + 2^-126, whose float32 neighbours are 2^-126 plus those of |y| (the
    same grid, 2^-149 apart, with the same parity), so the two round alike,
    or neither is safe. The addition rounds by at most 2^-179, and 12 units
    of y (at most 12 * 2^-178) plus that stay inside the margin of 32 units
    of 2^-178. (Hardware rounds a float64 to a float32 subnormal correctly; a
    thread that flushes subnormals to 0 is switched back first, see
    `dd.keep_subnormals`.) NaN is not hard.
    """
    a = abs(y)
    a = a + _F32_NORMAL_MIN if a < _F32_NORMAL_MIN else a
    return ((to_bits(a) - (_MIDPOINT - _F32_MARGIN)) & _LOW29) <= 2 * _F32_MARGIN


@jit
def sigmoid_f32_fast(x):  # type: ignore[no-untyped-def]
    """σ(x) for a float32 x, as (float64 value, hard); NaN passes."""
    e = exp_f32_range(-abs(x))
    y = (e if x < 0.0 else 1.0) / (1.0 + e)
    y = y if x == x else x  # NaN keeps its sign and payload (-abs flipped the sign)
    return y, f32_is_hard(y, x)  # (σ(x) for x > 0 is near 1)


@jit
def sigmoid_derivative_f32_fast(x):  # type: ignore[no-untyped-def]
    """σ'(x) = e / (1 + e)² for a float32 x, as (float64 value, hard); NaN passes."""
    t = -abs(x)
    e = exp_f32_range(t)
    d = 1.0 + e
    y = e / (d * d)
    y = y if x == x else x  # NaN keeps its sign and payload
    return y, f32_is_hard(y, t)


# float32 σ'' and σ''' round the float64 kernels' fast values, so `f32_is_hard`
# needs their error bound: the unrounded 2^m (q + c) is within its margin (at
# most 2^-65 (1 + 2^10.5 x²) |q| <= 2^-61.4 |q| for σ'', 2^-65 (5.7 + 8.5) |q|
# <= 2^-61.2 |q| for σ''', see `sigmoid_derivative2_parts` and
# `sigmoid_derivative3_parts`), so the fast value, rounded once, is within
# 0.5 + 2^-8 units of its last place, far inside `_F32_MARGIN` (32). Every
# input flagged goes through the ~100-bit path, and benchmarks/accuracy.py
# checks each of those among all 2^32 inputs against the correctly rounded
# value: every float32 σ'' and σ''' result is correctly rounded.
#
# σ''(x) is -x/8 near 0: a float32 subnormal for |x| < 2^-123, so hard there.
_F32_TINY = 2.0**-120


@jit
def sigmoid_derivative2_f32_fast(x):  # type: ignore[no-untyped-def]
    """σ''(x) for a float32 x, as (float64 value, hard); NaN passes."""
    y, _ = sigmoid_derivative2_f64(x)  # (within 1 unit either way)
    return y, f32_is_hard(y, -abs(x)) | (abs(x) < _F32_TINY)


@jit
def sigmoid_derivative3_f32_fast(x):  # type: ignore[no-untyped-def]
    """σ'''(x) for a float32 x, as (float64 value, hard); NaN passes."""
    y, _ = sigmoid_derivative3_f64(x)  # (within 1 unit either way)
    return y, f32_is_hard(y, -abs(x))


# float32 softplus (and log-sigmoid, -softplus(-x)) go through plain float64
# as well: e = `exp_f32_range`(-|x|) (its polynomial, rounding and reduction:
# within 2^-50.5 relative), then log(1 + e) by `_log1p_unit` (within 2^-52 of
# its own, below), then x + it for x > 0 (one more rounding, 2^-53). Under
# 2^-49.9 relative in all, that is 9 units of the float64's last place at most
# (measured over all 2^32 inputs: 3 units of |y| 2^-52), against the 1 unit of
# the unrounded value of `softplus_f64`; `_F32_MARGIN` (32) leaves a factor of 3 to
# spare. `f32_is_hard` flags what may round differently, and those few go
# through `sigmoid._kernels.exact.softplus_exact` (~100 bits), so every float32
# result is correctly rounded (the float64 result rounded once is not, at one
# input of the 2^32).
#
# log(1 + e) = m ln 2 + log(1 + f), with f = e (m = 0) for e < 1/2 and
# f = (e - 1)/2 (m = 1) above, both exact, so f is in [-1/4, 1/2). Then
# log(1 + f) = 2 atanh(s), s = f / (2 + f), written f - (f²/2 - s (f²/2 + z G(z)))
# with z = s² <= 1/25, so that f itself carries the leading term; G from
# `tools/exp_poly.py log1p 6` (absolute error 2^-48.3, under 2^-53 of the
# result once multiplied by s z).
_LOG1P_G = (
    0.6666666666666693,
    0.3999999999934565,
    0.2857142883267973,
    0.22222183180681265,
    0.18184588603804439,
    0.15284232657100633,
    0.15113680893531198,
)


@jit
def _log1p_unit(e):  # type: ignore[no-untyped-def]
    """log(1 + e) for 0 <= e <= 1 (a NaN passes), within 2^-52 relative; no call."""
    big = e >= 0.5
    f = fma(e, 0.5, -0.5) if big else e  # (e - 1)/2 is exact for e >= 1/2
    s = f / (2.0 + f)
    z = s * s
    half_f2 = 0.5 * f * f
    log1pf = f - (half_f2 - s * fma(z, estrin6(_LOG1P_G, z), half_f2))
    m = 1.0 if big else 0.0
    return fma(m, LN2_HI, fma(m, LN2_MID, log1pf))


@jit
def softplus_f32_fast(x):  # type: ignore[no-untyped-def]
    """softplus(x) for a float32 x, as (float64 value, hard); NaN passes.

    Hard also where the result is a float32 subnormal (x in (-104, -87)).
    """
    tail = _log1p_unit(exp_f32_range(-abs(x)))
    y = x + tail if x > 0.0 else tail
    y = y if x == x else x
    return y, f32_is_hard(y, x)


# float32 logit goes through plain float64 the same way. With p = 2^a f_p and
# 1 - p = 2^b f_o (f_p, f_o in [1, 2)), p / (1 - p) = 2^m f with f = f_p / (w f_o)
# in [3/4, 3/2) for w = 1, 2 or 1/2, so log(p / (1 - p)) = m ln 2 + 2 atanh(s),
# s = (f_p - w f_o) / (f_p + w f_o): no logarithm call and one division. The
# numerator is exact (Sterbenz), so s is within 2^-52 relative, and with
# |s| <= 1/5 the atanh series is `_LOG1P_G`'s (z = s² <= 1/25). 1 - p is exact
# for p >= 2^-29; below, its rounding (2^-53) moves a result beyond 20 in
# magnitude by far less than that. The value is within 2^-51 relative (4 units
# of its last place) and never a float32 subnormal (|logit(p)| >= 2^-23 unless
# it is 0); `f32_is_hard` flags the values near a float32 midpoint, and those
# go through `sigmoid._kernels.exact.logit_exact`.
@jit
def logit_f32_fast(p):  # type: ignore[no-untyped-def]
    """logit(p) for a float32 p as (float64 value, hard); NaN for NaN and outside [0, 1]."""
    a, f_p = exponent_and_fraction(p)
    b, f_o = exponent_and_fraction(1.0 - p)
    up = f_p >= 1.5 * f_o
    down = f_p < 0.75 * f_o
    w = 2.0 if up else (0.5 if down else 1.0)
    m = a - b + (1.0 if up else (-1.0 if down else 0.0))
    s = fma(-w, f_o, f_p) / fma(w, f_o, f_p)
    z = s * s
    y = fma(m, LN2_HI, 2.0 * s + fma(s * z, estrin6(_LOG1P_G, z), m * LN2_MID))
    y = -math.inf if p == 0.0 else y
    y = math.inf if p == 1.0 else y
    y = y if (p >= 0.0) & (p <= 1.0) else math.nan
    return y, f32_is_hard(y, 0.0)


# float64 softplus, log-sigmoid and logit are correctly rounded the same way as
# σ: a fast path leaves the result unrounded as q + c with a proven margin, and
# the inputs it cannot decide go to `sigmoid._kernels.exact`. All three are
# m ln 2 + 2 atanh(s) for a ratio (1 + s)/(1 - s) within √2 of 1, so
# |s| <= (√2 - 1)/(√2 + 1) = 0.1716 and z = s² <= 0.0295, and
#
#     2 atanh(s) = 2s + (2/3) s³ + s⁵ H(z),   H from `tools/exp_poly.py atanh_5 7`
#
# (its fit error 2^-55.1, 2^-53.8 of H's least value 2/5). s comes as a
# double-double from one division with its exact remainder (~2^-100); 2s is
# exact, (2/3) s³ is carried with every rounding (s³ as `two_prod` of s² and
# s with the tails, 2/3 as a double-double): (2/3) s³ is up to z/3 = 2^-6.6 of
# the result, so it must be, and these parts leave ~2^-100. What is left is
# u = s⁵ H(z) (up to 0.2 z² = 2^-12.5 of the result), in plain float64: the
# roundings of s³, s², their product, H's evaluation and the last product, the
# fit's error, and the two sums that take u into the low part: under 8 of
# 2^-53 |u|. The bound `_U_BOUND` |u| (2^-49) leaves a factor of 2 to spare;
# it is 2^-61.5 of the result at the most, and on average (s spread evenly)
# 2^-63.8. ln 2 is LN2_HI + LN2_MID + LN2_LO (the last dropped below 2^-84 of a
# result with m != 0; m LN2_MID's rounding adds 2^-75 |m|).
_ATANH_H = (
    0.4,
    0.28571428571429364,
    0.2222222222165623,
    0.1818181833531515,
    0.1538459497081558,
    0.13334804242570036,
    0.11706248424566981,
    0.11723052244938056,
)
_TWO_THIRDS = (0.6666666666666666, 3.700743415417188e-17)
_U_BOUND = 2.0**-49
_SQRT2 = 1.4142135623730951
_HALF_SQRT2 = 0.7071067811865476


@jit
def _atanh2_parts(m, sh, sl, w2):  # type: ignore[no-untyped-def]
    """high, low, u: m ln 2 + 2 atanh(s) = high + low within `_U_BOUND` |u| + 2^-75 |m| + s's error.

    s = w (sh + sl) with |s| <= 0.1716; w (a power of 2 whose square is w2,
    which may underflow) scales the result too: for m = 0, 2 atanh(s) = w (high
    + low), so that a tiny s (softplus far in its tail) keeps its bits.
    """
    zh, zl = two_prod(sh, sh)
    zh, zl = zh * w2, zl * w2  # z = s² = zh + zl + 2 w2 sh sl
    s3, s3_lo = two_prod(zh, sh)  # s³ / w = s3 + s3_lo
    s3_lo += fma(zl, sh, 3.0 * zh * sl)
    th, tl = two_prod(s3, _TWO_THIRDS[0])
    u = s3 * zh * fma(zh, estrin6(_ATANH_H[1:], zh), _ATANH_H[0])
    # s_lo enters as 2 s_lo / (1 - z): 2 s_lo and 2 s_lo z (from s3_lo) above, the rest here.
    tail = fma(2.0 * sl * zh, fma(zh, zh, zh), u)
    tl += fma(s3, _TWO_THIRDS[1], s3_lo * _TWO_THIRDS[0]) + tail
    h1, e1 = fast_two_sum(2.0 * sh, th)  # |th| <= z/3 |2 sh|
    high, e2 = fast_two_sum(m * LN2_HI, h1)  # m = 0, or |m ln 2| >= 2 |h1|
    low = e2 + (e1 + (2.0 * sl + tl)) + fma(m, LN2_MID, m * LN2_LO)
    return high, low, u


# Above this, log(1 + e^-x) < 2^-57 is below half an ulp of x: softplus(x) = x.
_SOFTPLUS_IS_X = 40.0
# e >= √2 - 1 is written 1 + e = 2 (1 + s)/(1 - s), s = (e - 1)/(e + 3).
_REDUCE_FROM = _SQRT2 - 1.0
# e's error (2^-65.8 relative, at most that of log(1 + e)) and the rest (2^-100).
_E_BOUND = 2.0**-65
# x + log(1 + e): the rounding of its low part (2^-105 of the sum at most).
_SUM_BOUND = 2.0**-103


@jit
def softplus_parts(x):  # type: ignore[no-untyped-def]
    """k, q, c, margin: softplus(x) = log(1 + e^x) = 2^k (q + c), off by < 2^k margin.

    e = exp(-|x|) = 2^m (a + a_lo) from the 2^-65.8 exponential of σ. For
    e < √2 - 1, log(1 + e) = 2 atanh(s), s = e/(2 + e) = 2^m a/(2 + e), and
    the 2^m is applied once, at the end (k = m for x <= 0), so that the far
    tail is rounded once; above, log(1 + e) = ln 2 + 2 atanh((e - 1)/(e + 3)).
    For x > 0 (k = 0), x + log(1 + e) is left unrounded too.
    """
    m, j, p, p_lo = _exp_fine(x)
    a, a_lo = _fine_e(j, p, p_lo)
    sc, _, _ = _one_plus(m, a, a_lo)
    eh, el = sc * a, sc * a_lo
    big = eh >= _REDUCE_FROM
    nh, nl = two_sum(eh, -1.0)  # e - 1 (for e < 1/2 it need not be exact)
    nh = nh if big else a
    nl = nl + el if big else a_lo
    dh, dl = fast_two_sum(3.0 if big else 2.0, eh)
    sh, sl = _quotient_parts(nh, nl, dh, dl + el)
    high, low, u = _atanh2_parts(1.0 if big else 0.0, sh, sl, 1.0 if big else sc * sc)
    bound = _E_BOUND * abs(high) + _U_BOUND * abs(u)
    w = 1.0 if big else sc
    positive = x > 0.0
    qp, cp = two_sum(x, w * high)
    q = qp if positive else high
    c = cp + w * low if positive else low
    margin = fma(_SUM_BOUND, abs(qp), w * bound) if positive else bound
    return (0.0 if positive | big else m), q, c, margin


@jit
def softplus_f64(x):  # type: ignore[no-untyped-def]
    """softplus(x) in float64 as (value, hard); hard where 2^k (q + c ± margin) may round apart.

    The subnormal results (x in (-745.2, -708.4)) are hard as well. NaN passes.
    """
    k, q, c, margin = softplus_parts(x)
    y, hard = _rounded_within(q, c, margin, x, x)
    y = _times_pow2(y, k)
    large = x > _SOFTPLUS_IS_X  # (also keeps softplus(inf) = inf)
    return (x if large | (x != x) else y), hard & (x <= _SOFTPLUS_IS_X)


# Bounds of logit's fast value: the quotient's and the m ln 2 roundings
# (2^-75 |m| at most, and |high| >= 0.34 |m|), and u's, as above.
_LOGIT_BOUND = 2.0**-72
_TINY_P = 2.0**-1000  # below this, scale by 2^200 first so that p's fraction is normal
_UP = 2.0**200


@jit
def logit_parts(p):  # type: ignore[no-untyped-def]
    """k, q, c, margin: logit(p) = log(p / (1 - p)) = q + c (k = 0), off by < margin; 0 < p < 1.

    1 - p is exact as a double-double. With p = 2^a f_p and 1 - p = 2^b f_o
    (f_p, f_o in [1, 2)), p/(1 - p) = 2^m f for f = f_p/(w f_o) within √2 of 1
    (w = 1, 2 or 1/2), so logit(p) = m ln 2 + 2 atanh(s), s = (f_p - w f_o) /
    (f_p + w f_o): f_p - w f_o is exact (Sterbenz), and so is its sum with
    the tail of f_o, so that near p = 1/2 (m = 0) the result keeps its
    relative accuracy however small it is.
    """
    oh, ol = two_sum(1.0, -p)
    tiny = p < _TINY_P
    a, f_p = exponent_and_fraction(p * _UP if tiny else p)
    a = a - 200.0 if tiny else a
    b, f_o = exponent_and_fraction(oh)
    f_ol = ol * pow2(-b)  # exact: 1 - p >= 2^-53
    up = f_p >= _SQRT2 * f_o
    down = f_p < _HALF_SQRT2 * f_o
    w = 2.0 if up else (0.5 if down else 1.0)
    m = a - b + (1.0 if up else (-1.0 if down else 0.0))
    nh, nl = two_sum(fma(-w, f_o, f_p), -w * f_ol)
    dh, dl = two_sum(f_p, w * f_o)
    sh, sl = _quotient_parts(nh, nl, dh, fma(w, f_ol, dl))
    high, low, u = _atanh2_parts(m, sh, sl, 1.0)
    return 0.0, high, low, _LOGIT_BOUND * abs(high) + _U_BOUND * abs(u)


@jit
def logit_f64(p):  # type: ignore[no-untyped-def]
    """logit(p) as (value, hard): NaN outside [0, 1], -inf at 0, inf at 1."""
    _, q, c, margin = logit_parts(p)
    inside = (p > 0.0) & (p < 1.0)
    y, hard = _rounded_within(q, c, margin, p, 0.0)
    y = -math.inf if p == 0.0 else y
    y = math.inf if p == 1.0 else y
    y = y if inside | (p == 0.0) | (p == 1.0) else math.nan
    return y, hard & inside
