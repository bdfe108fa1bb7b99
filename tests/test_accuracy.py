"""Accuracy against the mpmath oracle, stated in ULPs (the bars of PRODUCT.md).

float16 and bfloat16: every input, every function, correctly rounded (every
11th in the quick loop). float32: every function correctly rounded on a
strided sample of bit patterns plus every input in the ranges where rounding
is hardest and the inputs where a float64 value rounded once is wrong. float64:
a hard sample of 10^4 points per function against mpmath. The exhaustive
float32 check is `benchmarks/accuracy.py`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mpmath
import numpy as np
import pytest

import oracle as _oracle
import sigmoid as sg
from family import PUBLIC
from optional import require
from sigmoid._kernels import elementwise as _kernels

FUNCTIONS = PUBLIC
# Correctly rounded float32 (σ and its derivatives) and the ULP bounds of the others.
F32_EXACT = ("sigmoid", "sigmoid_derivative", "sigmoid_derivative2", "sigmoid_derivative3")
F32_MAX_ULP = {"softplus": 1.0, "log_sigmoid": 1.0, "logit": 1.0}
# Correctly rounded float64: every function.
F64_EXACT = tuple(FUNCTIONS)
F64_MAX_ULP = dict.fromkeys(FUNCTIONS, 0.5)
# σ'''(x) = 0 at x = ±ln(2 + √3); this is the float64 nearest to it.
T1 = 1.3169578969248168
HARD_INPUTS = Path(__file__).parent / "data" / "f32_hard_inputs.txt"


def all_bit_patterns(dtype: type, step: int = 1) -> np.ndarray:
    bits = np.dtype(dtype).itemsize * 8
    uint = np.uint16 if bits == 16 else np.uint32
    return np.arange(0, 2**bits, step, dtype=np.uint64).astype(uint).view(dtype)


def f32_range(lo: float, hi: float) -> np.ndarray:
    """Every float32 in [lo, hi] (lo < hi, same sign)."""
    a, b = sorted(np.array([lo, hi], dtype=np.float32).view(np.int32).tolist())
    return np.arange(a, b + 1, dtype=np.int32).view(np.float32)


def assert_same(got: np.ndarray, want: np.ndarray, x: np.ndarray) -> None:
    bad = ~((got == want) | (np.isnan(got) & np.isnan(want)))
    assert got.dtype == want.dtype
    assert not bad.any(), (
        f"{bad.sum()} of {bad.size} not correctly rounded, e.g. x={x[bad][:5]!r} "
        f"got {got[bad][:5]!r} want {want[bad][:5]!r}"
    )


# Every 16-bit input in the full suite; the quick loop takes every 11th.
STEPS_16 = [pytest.param(1, marks=pytest.mark.slow, id="all"), pytest.param(11, id="every-11th")]


@pytest.mark.parametrize("step", STEPS_16)
@pytest.mark.parametrize("name", FUNCTIONS)
def test_float16_correctly_rounded(name: str, step: int) -> None:
    x = all_bit_patterns(np.float16, step)
    assert_same(FUNCTIONS[name](x), _oracle.correctly_rounded(name, x, np.float16), x)


@pytest.mark.parametrize("step", STEPS_16)
@pytest.mark.parametrize("name", FUNCTIONS)
def test_bfloat16_correctly_rounded(name: str, step: int) -> None:
    bfloat16 = require("ml_dtypes").bfloat16
    x = np.arange(0, 1 << 16, step, dtype=np.uint16).view(bfloat16)
    got = FUNCTIONS[name](x)
    assert got.dtype == bfloat16
    assert_same(got, _oracle.correctly_rounded(name, x, bfloat16), x)


def f32_sample(name: str) -> np.ndarray:
    """2^20 strided bit patterns plus the hardest ranges for `name`."""
    parts = [all_bit_patterns(np.float32, step=4096)]
    if name == "sigmoid":
        # Where e^-x ≈ 2^24 (the peers' worst errors), and the subnormal tail.
        parts += [f32_range(-16.7, -16.6), f32_range(-104.0, -87.0)]
    else:
        parts += [f32_range(16.6, 16.7), f32_range(87.0, 104.0)]
    if name == "sigmoid_derivative2":  # about -x/8: a subnormal result below 2^-123
        ties = f32_range(2.0**-123.001, 2.0**-123)  # half of them put x/8 on a midpoint
        parts += [f32_range(2.0**-130, 2.0**-118)[::999], ties, -ties]
    if name == "sigmoid_derivative3":  # around its zeros
        parts += [f32_range(T1 - 0.01, T1 + 0.01), f32_range(-T1 - 0.001, -T1 + 0.001)]
    if HARD_INPUTS.exists():
        parts.append(np.loadtxt(HARD_INPUTS, dtype=np.float32, ndmin=1))
    return np.concatenate(parts)


# The higher derivatives sample many more ties: the quick loop leaves them out.
_SLOW_F32 = {"sigmoid_derivative2", "sigmoid_derivative3"}


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=pytest.mark.slow) if n in _SLOW_F32 else n for n in F32_EXACT]
)
def test_float32_correctly_rounded(name: str) -> None:
    x = f32_sample(name)
    assert x.size > 10**6
    assert_same(FUNCTIONS[name](x), _oracle.correctly_rounded(name, x, np.float32), x)


def f32_ulp_error(name: str, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """ULP error of float32 results against the longdouble reference."""
    true = _oracle.reference(name, x)
    finite = np.isfinite(true) & (true != 0)
    ulp = np.spacing(np.abs(true[finite]).astype(np.float32)).astype(np.longdouble)
    err = np.zeros(x.shape)
    err[finite] = np.abs(y[finite].astype(np.longdouble) - true[finite]) / ulp
    same = (y[~finite] == true[~finite]) | (np.isnan(y[~finite]) & np.isnan(true[~finite]))
    err[~finite] = np.where(same, 0.0, np.inf)
    return err


@pytest.mark.parametrize("name", list(F32_MAX_ULP))
def test_float32_within_one_ulp(name: str) -> None:
    x = all_bit_patterns(np.float32, step=4096 if name != "logit" else 1024)
    if name == "logit":
        x = x[(x >= 0) & (x <= 1)]
    err = f32_ulp_error(name, x, FUNCTIONS[name](x))
    assert err.max() <= F32_MAX_ULP[name], x[np.argmax(err)]


def via_float64_sample(name: str) -> np.ndarray:
    """Strided bit patterns plus where the plain-float64 path changes form, and specials."""
    rng = np.random.default_rng(11)
    specials = [0.0, -0.0, np.inf, -np.inf, np.nan, 3.4e38, -3.4e38]
    if name == "logit":
        parts = [
            f32_range(0.49, 0.51),  # p / (1 - p) near 1: m = 0, s = 2p - 1
            f32_range(0.425, 0.43),  # p / (1 - p) = 3/4 and 3/2, where w changes
            f32_range(0.598, 0.602),
            f32_range(2.0**-149, 2.0**-120)[::9973],  # 1 - p rounds below 2^-29
            f32_range(1 - 2.0**-10, 1.0),
            rng.uniform(0, 1, 10**6).astype(np.float32),
        ]
        specials += [1.0, 1.5, -0.5, 2.0**-149, 0.5]
    else:
        band = f32_range(87.0, 104.0)[::7]  # a float32 subnormal result on one side
        edge = f32_range(0.68, 0.71)  # e = exp(-|x|) = 1/2, where log(1 + e) changes form
        parts = [band, -band, edge, -edge, rng.uniform(-30, 30, 10**6).astype(np.float32)]
    return np.concatenate([all_bit_patterns(np.float32, step=4096), *parts, np.float32(specials)])


# The inputs of all 2^32 where the float64 result rounded once is not the
# correctly rounded float32 (benchmarks/accuracy.py finds them): the exact path's.
F32_DOUBLE_ROUNDED = {
    "softplus": [0.00044680992141366005],
    "log_sigmoid": [-0.00044680992141366005],
    "logit": [2.566682155702438e-07],
}


@pytest.mark.parametrize("name", F32_MAX_ULP)
def test_float32_softplus_log_sigmoid_logit_correctly_rounded(name: str) -> None:
    """Plain float64 where it can round safely, the ~100-bit path where it cannot."""
    x = np.concatenate([via_float64_sample(name), np.float32(F32_DOUBLE_ROUNDED[name])])
    func = FUNCTIONS[name]
    assert_same(func(x), _oracle.correctly_rounded(name, x, np.float32), x)
    # The same through the tiny arrays' ufunc and for NumPy float32 scalars.
    few = np.array(
        [-95.0, -0.6931, 0.5, 20.0, np.nan, 0.0, 1.0, 0.25, *F32_DOUBLE_ROUNDED[name]],
        dtype=np.float32,
    )
    want = _oracle.correctly_rounded(name, few, np.float32)
    assert_same(func(few), want, few)
    scalars = np.array([func(v) for v in few])
    assert scalars.dtype == np.float32
    assert_same(scalars, want, few)


def fast_against_float64(fast: Any, exact: Any, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Units of 2^-52 |exact| by which `fast`'s float64 value misses `exact`'s, and its flags."""
    import numba

    @numba.njit(error_model="numpy")
    def units_and_flags(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        units = np.zeros(x.size)
        flags = np.zeros(x.size, np.bool_)
        for i in range(x.size):
            xd = np.float64(x[i])
            y, flags[i] = fast(xd)
            want = exact(xd)[0]
            if want != 0.0 and np.isfinite(want):
                units[i] = abs(y - want) / (abs(want) * 2.0**-52)
        return units, flags

    return units_and_flags(x)


def test_float32_near_midpoint_sees_subnormal_midpoints() -> None:
    """`f32_near_midpoint` flags a float64 near a float32 midpoint, subnormal results included.

    The rare path's test (the vector pass flags every subnormal result): the
    midpoints of the subnormal grid are flagged, and a value it passes
    rounds to one float32 throughout its 12 units of error, both signs.
    """
    near = np.vectorize(_kernels.f32_near_midpoint)
    tiny = 2.0**-149  # the least float32 subnormal
    midpoints = np.array([0.5, 1.5, 2.5, 1000.5, 2.0**23 - 0.5]) * tiny
    assert near(midpoints).all()
    assert near(-midpoints).all()
    assert near(np.float64(1 + 2.0**-24))
    assert near(np.float64(2.0**-126 * (1 + 2.0**-24)))
    assert not near(np.array([0.25, 1.0, 1.25, 7.75]) * tiny).any()
    assert not near(np.array([0.0, 1.0, 2.0**-200])).any()
    assert not _kernels.f32_near_midpoint(np.nan)  # (a NaN only has to stay one)

    rng = np.random.default_rng(11)
    y = np.ldexp(rng.uniform(1, 2, 10**6), rng.integers(-152, -125, 10**6))
    y *= rng.choice([-1.0, 1.0], y.size)
    passed = ~near(y)
    assert passed.mean() > 0.99  # only the values near a midpoint are flagged
    with np.errstate(under="ignore"):
        for units in (-12, 12):
            moved = y[passed] * (1 + units * 2.0**-52)
            assert (moved.astype(np.float32) == y[passed].astype(np.float32)).all()


def test_float32_softplus_fast_value_is_within_its_margin() -> None:
    """The plain-float64 softplus behind float32 softplus and log-sigmoid, against the float64 one.

    Above: the results agree. Here, what makes them agree for every input: the
    fast value is within 16 units of the float64 one (its budget is 9; the
    hard-value test allows 32), and every input whose float32 result is
    subnormal is flagged for the float64 path.
    """
    x = all_bit_patterns(np.float32, step=997)
    x = x[np.isfinite(x)]
    units, flags = fast_against_float64(_kernels.softplus_f32_fast, _kernels.softplus_f64, x)
    normal = x > -87.0  # the float32 result is normal (below -104 it is 0)
    assert units[normal].max() <= 16, x[normal][np.argmax(units[normal])]
    band = (x > -104.0) & (x < -87.0)
    assert band.sum() > 1000
    assert flags[band].all()
    assert flags[~band].mean() < 1e-5  # elsewhere only near a float32 midpoint (~1e-7)


def test_float32_logit_fast_value_is_within_its_margin() -> None:
    """The plain-float64 logit behind float32 logit: within 8 units of `logit_f64` (budget 4)."""
    rng = np.random.default_rng(5)
    one = int(np.float32(1.0).view(np.uint32))
    every_61st = np.arange(0, one + 1, 61, dtype=np.uint32).view(np.float32)  # all of [0, 1]
    x = np.concatenate([every_61st, rng.uniform(0, 1, 10**5).astype(np.float32)])
    units, flags = fast_against_float64(_kernels.logit_f32_fast, _kernels.logit_f64, x)
    assert units.max() <= 8, x[np.argmax(units)]
    assert flags.mean() < 1e-5  # only near a float32 midpoint (~1e-7)


@pytest.mark.parametrize("order", [2, 3])
def test_float32_higher_derivatives_fast_value_is_within_its_budget(order: int) -> None:
    """float32 σ'' and σ''' round the float64 kernels' values, which must be within their budget.

    The budget in `elementwise` (1.5 units of the float64's last place, 1.1 for
    σ'') is what the hard-value test's 32 units rest on; measured against the
    longdouble truth on strided bit patterns and densely where the kernels
    change branch (|x| = ln(2)/2, and |x - T1| = 1/4 for σ'''). Flagged: every
    input with a float32 subnormal result, σ'' below 2^-120, and elsewhere only
    the values near a float32 midpoint.
    """
    name, fast = {
        2: ("sigmoid_derivative2", _kernels.sigmoid_derivative2_f32_fast),
        3: ("sigmoid_derivative3", _kernels.sigmoid_derivative3_f32_fast),
    }[order]
    x = all_bit_patterns(np.float32, step=997)
    dense = [f32_range(0.2, 0.5), f32_range(T1 - 0.3, T1 + 0.3)]
    x = np.concatenate([x[np.isfinite(x)], *(d[::37] for d in dense), *(-d[::41] for d in dense)])
    y, flags = fast_values_and_flags(fast, x)
    true = _oracle.reference(name, x)
    normal = np.abs(true) >= np.finfo(np.float64).tiny
    units = np.abs(y[normal] - true[normal]) / np.spacing(np.abs(true[normal]).astype(np.float64))
    assert units.max() <= (1.1 if order == 2 else 1.5), x[normal][np.argmax(units)]
    band = (np.abs(x) > 87.0) & (np.abs(x) < 104.0)
    tiny = np.abs(x) < 2.0**-120 if order == 2 else np.zeros(x.size, bool)
    assert band.sum() > 1000
    assert flags[band | tiny].all()
    assert flags[~(band | tiny)].mean() < 1e-5  # near a float32 midpoint (~1e-7)


def fast_values_and_flags(fast: Any, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`fast`'s float64 values and hard flags for every element of the float32 x."""
    import numba

    @numba.njit(error_model="numpy")
    def values_and_flags(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        y = np.zeros(x.size)
        flags = np.zeros(x.size, np.bool_)
        for i in range(x.size):
            y[i], flags[i] = fast(np.float64(x[i]))
        return y, flags

    return values_and_flags(x)  # type: ignore[no-any-return]


def f64_hard_sample(name: str, n: int = 10_000) -> np.ndarray:
    """Log-uniform magnitudes 1e-300..800 of both signs, the edges, subnormals and specials."""
    rng = np.random.default_rng(20261124)
    if name == "logit":  # p in [0, 1]: both tails, the middle, and the edges
        tail = 10.0 ** rng.uniform(-300, np.log10(0.5), n // 2)
        x = np.concatenate([tail, 1 - tail[: n // 4], rng.uniform(0.25, 0.75, n // 4)])
        specials = [0.0, 5e-324, 0.5, 0.5 - 2**-54, 0.5 + 2**-53, 1 - 2**-53, 1.0, 1.5, -0.5]
    else:
        mag = 10.0 ** rng.uniform(-300, np.log10(800), n)
        edges = np.concatenate([rng.uniform(709.0, 709.9, 200), rng.uniform(744.9, 745.2, 200)])
        x = np.concatenate([mag * rng.choice([-1.0, 1.0], n), edges, -edges])
        specials = [0.0, -0.0, 5e-324, -5e-324, 2.2e-308, -2.2e-308, 745.13, -745.13, 709.78]
    specials += [np.inf, -np.inf, np.nan]
    return np.concatenate([x, specials])


@pytest.mark.slow
@pytest.mark.parametrize("name", FUNCTIONS)
def test_float64_ulp_bound(name: str) -> None:
    x = f64_hard_sample(name)
    err = _oracle.ulp_error(name, x, FUNCTIONS[name](x))
    worst = int(np.argmax(err))
    assert err[worst] <= F64_MAX_ULP[name], f"{err[worst]:.3f} ULP at x = {x[worst]!r}"


def f64_sigmoid_sample(name: str) -> np.ndarray:
    """Where each float64 function is hardest: the hard sample, the subnormal band, r near
    ±ln(2)/8; for σ'' also |x| up to ln(2)/8 (1 - e is -p itself there), for σ''' its zeros
    ±T1 (e - c1 from u = -|x| - T1 there) and the edges of that window; for softplus and
    log σ, e = e^-|x| near √2 - 1 (where the log's reduction changes), near 2^-53 and
    x near 0; for logit, p near 1/2, near the ratios p/(1 - p) = 2^(k + 1/2) where its
    reduction changes, and both tails."""
    rng = np.random.default_rng(7)
    if name == "logit":
        k = rng.integers(-60, 60, 3000) + 0.5
        ratio = 2.0**k * (1 + rng.uniform(-1e-6, 1e-6, 3000))
        steps = np.concatenate([np.arange(-200, 201), rng.integers(-(2**40), 2**40, 2000)])
        tails = 10.0 ** rng.uniform(-320, -1, 2000)
        middle = [0.5 + steps * 2.0**-54, rng.uniform(0.45, 0.55, 2000)]
        parts = [f64_hard_sample(name), ratio / (1 + ratio), *middle, tails, 1 - tails]
        return np.concatenate(parts)
    # The reduction's edges: |x| near (n + 1/2) ln(2)/4, where r = ±ln(2)/8.
    edges = (rng.integers(0, 2900, 3000) + 0.5) * (np.log(2) / 4) + rng.uniform(-1e-9, 1e-9, 3000)
    worst = [-7.94744014569595, 33.61568255490257, -708.7408108052786, 708.7202603132641]
    parts = [f64_hard_sample(name), rng.uniform(-746.0, -708.0, 3000), edges, -edges, worst]
    if name == "sigmoid_derivative2":
        near = np.concatenate([rng.uniform(0, 0.1, 3000), 10.0 ** rng.uniform(-20, -1, 2000)])
        parts += [near, -near]
    if name == "sigmoid_derivative3":
        steps = np.concatenate([np.arange(-100, 101), rng.integers(-(2**44), 2**44, 1000)])
        window = np.array([-0.125, 0.125, -0.25, 0.25]) + rng.uniform(-1e-3, 1e-3, (500, 4))
        near = np.concatenate([steps * 2.0**-52, rng.uniform(-0.3, 0.3, 3000), window.ravel()])
        parts += [T1 + near, -T1 - near]
    if name in ("softplus", "log_sigmoid"):
        reduce_at = -np.log(np.sqrt(2) - 1)  # e = √2 - 1
        near = [reduce_at + rng.uniform(-1e-3, 1e-3, 2000), rng.uniform(0, 1, 2000)]
        near += [36.7 + rng.uniform(-1, 1, 2000), 10.0 ** rng.uniform(-20, 0, 1000)]
        parts += [*near, *(-v for v in near), rng.uniform(708.0, 746.0, 3000)]
    return np.concatenate(parts)


@pytest.mark.parametrize("name", F64_EXACT)
def test_float64_correctly_rounded(name: str) -> None:
    """Every float64 function gives the correctly rounded result (subnormal ones too)."""
    x = f64_sigmoid_sample(name)
    assert_same(FUNCTIONS[name](x), _oracle.correctly_rounded(name, x, np.float64), x)


@pytest.mark.parametrize("name", F64_EXACT)
def test_float64_fast_value_is_within_its_bound(name: str) -> None:
    """The unrounded fast value 2^m (q + c) is within the error budget in `elementwise`,
    well inside the margin its hard-value test allows, and few inputs are hard.

    σ, σ': 2^-65.8 relative against a margin of 2^-65 |q|. σ'', the third
    derivative, softplus (log σ) and logit: the budget depends on x (see
    `sigmoid_derivative2_parts`, `softplus_parts`), which gives the margin,
    with a factor of 1.4 or more to spare (measured: 0.44, 0.48, 0.31 and
    0.37 of it at most).
    """
    import numba

    kernel = "softplus" if name == "log_sigmoid" else name  # log σ(x) = -softplus(-x)
    fast = getattr(_kernels, f"{kernel}_f64")
    parts = getattr(_kernels, f"{kernel}_parts")
    with_margin = name not in ("sigmoid", "sigmoid_derivative")

    @numba.njit(error_model="numpy")
    def values(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        m, q, c, margin = np.zeros(x.size), np.zeros(x.size), np.zeros(x.size), np.zeros(x.size)
        hard = np.zeros(x.size, np.bool_)
        for i in range(x.size):
            if with_margin:
                m[i], q[i], c[i], margin[i] = parts(x[i])
            else:
                m[i], q[i], c[i] = parts(x[i])
                margin[i] = 2.0**-65 * abs(q[i])
            hard[i] = fast(x[i])[1]
        return m, q, c, margin, hard

    rng = np.random.default_rng(5)
    x = f64_sigmoid_sample(name)
    if name == "logit":
        common = rng.uniform(0, 1, 20_000)
        x = np.concatenate([x[(x > 0) & (x < 1)], common])
    else:
        common = rng.uniform(-40, 40, 20_000)
        x = np.concatenate([x[np.isfinite(x) & (np.abs(x) < 700)], common])
    sign = -1.0 if name == "log_sigmoid" else 1.0
    m, q, c, margin, hard = values(sign * x)
    worst_relative = worst_of_margin = mpmath.mpf(0)
    with mpmath.workprec(160):
        for xi, mi, qi, ci, gi in zip(*(v.tolist() for v in (x, m, q, c, margin)), strict=True):
            truth = _oracle.exact(name, xi)
            if truth == 0 or gi == 0:  # (σ'' for |x| < 2^-950: -x/8, its margin underflows)
                continue
            got = mpmath.ldexp(mpmath.mpf(qi) + mpmath.mpf(ci), int(mi))
            got *= -np.sign(xi) if name == "sigmoid_derivative2" else sign
            error = abs(got - truth)
            worst_relative = max(worst_relative, error / abs(truth))
            worst_of_margin = max(worst_of_margin, error / mpmath.ldexp(gi, int(mi)))
    assert worst_of_margin < 0.7, float(worst_of_margin)
    if not with_margin:
        assert worst_relative < 2.0**-65.8, float(mpmath.log(worst_relative, 2))
    # σ, σ': ~1 in 3,000; σ'': ~1 in 1,000; softplus, logit: ~1 in 4,000 (measured)
    assert hard[-common.size :].mean() < 2e-3


@pytest.mark.slow
@pytest.mark.parametrize("name", ["sigmoid_derivative2", "sigmoid_derivative3"])
def test_float64_higher_derivatives_near_their_zeros(name: str) -> None:
    """σ'' at 0 and σ''' at ±ln(2 + √3) keep their relative accuracy where they vanish."""
    rng = np.random.default_rng(3)
    steps = np.concatenate([np.arange(-200, 201), rng.integers(-(2**40), 2**40, 4000)])
    if name == "sigmoid_derivative2":
        x = np.concatenate([steps * 2.0**-1074, rng.uniform(-0.5, 0.5, 10_000)])
    else:
        x = np.concatenate([T1 + steps * 2.0**-52, T1 + rng.uniform(-0.5, 0.5, 10_000)])
    x = np.concatenate([x, 10.0 ** rng.uniform(-300, 0, 2000)])
    x = np.concatenate([x, -x])
    err = _oracle.ulp_error(name, x, FUNCTIONS[name](x))
    assert err.max() <= F64_MAX_ULP[name], f"{err.max():.3f} ULP at x = {x[np.argmax(err)]!r}"


@pytest.mark.parametrize(
    ("name", "x"),
    [
        ("sigmoid", -720.0),  # 2.03e-313, subnormal
        ("sigmoid", -745.0),  # 5e-324, the smallest subnormal
        ("sigmoid_derivative", 40.0),  # 4.25e-18, where s * (1 - s) gives 0
        ("sigmoid_derivative", -40.0),
        ("sigmoid_derivative", 700.0),
        ("softplus", -740.0),
        ("log_sigmoid", 40.0),
    ],
)
def test_float64_tails_are_kept(name: str, x: float) -> None:
    got = np.array([FUNCTIONS[name](x)])
    assert got[0] != 0.0
    assert _oracle.ulp_error(name, np.array([x]), got)[0] <= F64_MAX_ULP[name]


def test_float32_tails_are_kept() -> None:
    tiny = sg.sigmoid(np.float32(-95.0))
    assert tiny.dtype == np.float32
    assert 0 < tiny < np.finfo(np.float32).tiny  # a float32 subnormal, not 0
    assert sg.sigmoid_derivative(np.float32(40.0)) == np.float32(4.248354e-18)
    assert sg.sigmoid_derivative(np.float32(100.0)) > 0


F64_HARD_INPUTS = Path(__file__).parent / "data" / "f64_hard_inputs.txt"


def _audited_hard_inputs(name: str) -> tuple[np.ndarray, np.ndarray]:
    """F64_HARD_INPUTS' inputs of this function and their correctly rounded values."""
    rows = [line.split() for line in F64_HARD_INPUTS.read_text().splitlines()]
    rows = [row for row in rows if row and row[0] == name]
    x = np.array([float.fromhex(row[1]) for row in rows])
    return x, np.array([float.fromhex(row[2]) for row in rows])


@pytest.mark.parametrize("name", FUNCTIONS)
def test_float64_hard_inputs_are_right_on_every_path(name: str) -> None:
    """One Python float, one NumPy scalar and a 1-element array (the scalar
    function and the tiny path's ufunc, each with its own exact-path call)
    give what the array loop gives on the audited hard inputs: their truth."""
    x, want = _audited_hard_inputs(name)
    func = FUNCTIONS[name]
    looped = func(np.repeat(x, 2))[::2]  # (more than 32 elements: the array loop)
    assert looped.tobytes() == want.tobytes()
    for value, truth in zip(x, want, strict=True):
        for got in (func(float(value)), func(np.float64(value)), func(np.array([value]))[0]):
            assert np.float64(got).tobytes() == truth.tobytes(), (value, got, truth)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_float64_hard_inputs_stay_as_audited(name: str) -> None:
    """benchmarks/accuracy64.py's hard inputs, with their correctly rounded values.

    Those the audit found correctly rounded (the nearest to a rounding
    midpoint) stay so; those it found not, within one float64 of it; all of
    them correctly rounded for the functions of `F64_EXACT`.
    """
    rows = [line.split() for line in F64_HARD_INPUTS.read_text().splitlines()]
    rows = [row for row in rows if row and row[0] == name]
    assert len(rows) > 100
    x = np.array([float.fromhex(row[1]) for row in rows])
    want = np.array([float.fromhex(row[2]) for row in rows])
    got = FUNCTIONS[name](x)
    steps = np.abs(got.view(np.int64) - want.view(np.int64))
    steps = np.where(np.signbit(got) == np.signbit(want), steps, 2)  # a zero's sign counts
    steps = np.where(np.isnan(got) & np.isnan(want), 0, steps)
    audited_right = np.array([row[4] == "closest" for row in rows])
    assert audited_right.sum() > 50
    assert (steps[audited_right] == 0).all(), x[audited_right & (steps != 0)][:5]
    assert (steps <= 1).all(), x[steps > 1][:5]
    if name in F64_EXACT:
        assert (steps == 0).all(), x[steps != 0][:5]


def test_float64_sigma2_subnormal_ties_round_toward_zero() -> None:
    """σ''(x) = -x/8 + x³/24 - ...: a subnormal -x/8 on a tie rounds toward 0, others to nearest."""
    rng = np.random.default_rng(11)
    units = np.concatenate([np.arange(1, 4096), rng.integers(1, 2**53, 4096)])  # x: units 2^-1074
    x = units.astype(np.float64) * 5e-324
    q, r = np.divmod(units, 8)  # x/8 = q + r/8 units of 2^-1074
    want = -(q + (r > 4)).astype(np.float64) * 5e-324
    got = sg.sigmoid_derivative(np.concatenate([x, -x]), order=2)
    assert_same(got, np.concatenate([want, -want]), np.concatenate([x, -x]))


def test_the_accurate_exp_is_within_2_to_the_minus_102() -> None:
    """`dd.expm1_full`, which every accurate path's e^t comes from, relative to mpmath.

    Dense where it changes table entry (r = i/64 ± 1/128) and where D and q
    differ in sign, down to the subnormals (where it must keep its relative
    accuracy: σ'' takes 1 - e from it at x -> 0), with a low part in the input.
    """
    import numba

    from sigmoid._kernels import dd

    @numba.njit
    def run(rh, rl):  # type: ignore[no-untyped-def]
        hi, lo = np.empty_like(rh), np.empty_like(rh)
        for i in range(rh.size):
            hi[i], lo[i] = dd.expm1_full(rh[i], rl[i])
        return hi, lo

    rng = np.random.default_rng(17)
    edges = np.arange(-23, 24)[:, None] / 64 + np.array([-1, -1e-6, 0, 1e-6, 1])[None, :] / 128
    rh = np.concatenate(
        [
            rng.uniform(-0.36, 0.36, 3000),
            edges.ravel(),
            np.ldexp(rng.uniform(-1, 1, 500), rng.integers(-1060, -7, 500)),
        ]
    )
    rl = rh * rng.uniform(-(2.0**-53), 2.0**-53, rh.size)
    hi, lo = run(rh, rl)
    with mpmath.workprec(200):
        for a, b, h, low in zip(rh, rl, hi, lo, strict=True):
            true = mpmath.expm1(mpmath.mpf(a) + mpmath.mpf(b))
            error = abs(mpmath.mpf(h) + mpmath.mpf(low) - true)
            assert error <= abs(true) * mpmath.mpf(2) ** -102, (a, b)
    assert dd.expm1_full(0.0, 0.0) == (0.0, 0.0)
    assert np.isnan(dd.expm1_full(np.nan, 0.0)[0])


def test_the_accurate_log_series_is_within_2_to_the_minus_102() -> None:
    """`exact.atanh2_dd` (2 atanh(s), every accurate logarithm's series) relative to mpmath."""
    import numba

    from sigmoid._kernels import dd, exact

    @numba.njit
    def run(s):  # type: ignore[no-untyped-def]
        hi, lo = np.empty_like(s), np.empty_like(s)
        for i in range(s.size):
            zh, zl = dd.dd_mul(s[i], 0.0, s[i], 0.0)
            hi[i], lo[i] = exact.atanh2_dd(s[i], 0.0, zh, zl)
        return hi, lo

    rng = np.random.default_rng(19)
    s = np.concatenate(
        [
            rng.uniform(-0.1716, 0.1716, 2000),
            np.ldexp(rng.uniform(-1, 1, 300), rng.integers(-60, -3, 300)),
            [0.1716, -0.1716],
        ]
    )
    hi, lo = run(s)
    with mpmath.workprec(200):
        for a, h, low in zip(s, hi, lo, strict=True):
            true = 2 * mpmath.atanh(mpmath.mpf(a))
            assert abs(mpmath.mpf(h) + mpmath.mpf(low) - true) <= abs(true) * mpmath.mpf(2) ** -102


def test_the_accurate_paths_decide_only_away_from_midpoints() -> None:
    """`decided_f64`: a value within the bound of a float64 rounding midpoint is undecided."""
    from sigmoid._kernels import exact

    bound = exact.ACCURATE_BOUND
    midpoint = 2.0**-53  # 1 + 2^-53 lies halfway between 1 and 1 + 2^-52
    for ql, decided in [
        (midpoint, False),
        (midpoint * (1 - 2**-45), False),
        (midpoint * (1 - 2**-30), True),
        (2.0**-60, True),
        (-midpoint / 2, False),  # below 1 the spacing halves: 1 - 2^-54 is one
        (-midpoint / 4, True),
    ]:
        assert exact.decided_f64(0.5, 0.0, 1.0, ql, 1.0, bound) == decided, ql
    # The same on the subnormal grid (2^-1074): 2^-1074 (1 + 1/2) is a midpoint too.
    assert not exact.decided_f64(0.5, -1074.0, 1.5, 0.0, 1.0, bound)
    assert exact.decided_f64(0.5, -1074.0, 1.25, 0.0, 1.0, bound)
    assert exact.decided_f64(0.5, 0.0, np.nan, np.nan, 1.0, bound)  # NaN is never rounded
    assert exact.decided_f64(0.5, 0.0, np.inf, 0.0, 1.0, bound)


def test_only_undecided_values_go_to_decimal_arithmetic() -> None:
    """NaN results (logit outside [0, 1], next to hard inputs, so that the fix-up
    pass sees their NaN) never reach decimal arithmetic; the few audited hard
    inputs that do (σ(2^-52), a hair off a midpoint) are all dyadic, near 0."""
    from sigmoid._kernels import loops

    def settled(name: str, x: np.ndarray) -> int:
        before = loops.SETTLED_IN_DECIMAL[name]
        FUNCTIONS[name](x)
        return loops.SETTLED_IN_DECIMAL[name] - before

    outside = np.array([-1.0, 2.0, np.inf, -np.inf, 1e300, -0.5] * 50)
    for name in F64_EXACT:
        x, _ = _audited_hard_inputs(name)
        alone = settled(name, np.concatenate([x, x]))
        assert settled(name, np.concatenate([x, outside, x])) == alone, name
        near_zero = x[np.abs(x - (0.5 if name == "logit" else 0.0)) < 2.0**-20]
        assert alone <= 2 * near_zero.size, name


@pytest.mark.parametrize("name", F64_EXACT)
def test_undecided_accurate_results_are_settled_in_decimal_arithmetic(name: str) -> None:
    """Where the accurate path cannot decide, `sigmoid._rounded` does (in object mode).

    No known input is that close to a midpoint, so this builds the accurate
    path with a bound of 2^-50, under which every value is undecided, and
    calls it from compiled code that released the GIL, in two threads at once.
    """
    import threading

    import numba

    from sigmoid._family import FAMILY
    from sigmoid._kernels import loops
    from sigmoid._rounded import correctly_rounded

    entry = FAMILY[name]
    accurate = loops._accurate64(entry.index, 2.0**-50)
    mirror = entry.kernels is not None and entry.kernels.mirror

    @numba.njit(nogil=True)
    def through_compiled_code(x, out):  # type: ignore[no-untyped-def]
        for i in range(x.size):
            out[i] = accurate(x[i])

    x, _ = _audited_hard_inputs(name)
    x = x[:12]
    at = -x if mirror else x  # the kernel computes g(x) = -f(-x) for a mirrored f
    results = [np.empty_like(x) for _ in range(2)]
    threads = [threading.Thread(target=through_compiled_code, args=(at, r)) for r in results]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    want = np.array([correctly_rounded(entry, float(v)) for v in x])
    for r in results:
        got = -r if mirror else r
        assert got.tobytes() == want.tobytes()


def _dyadic_near_zero(name: str) -> np.ndarray:
    """±m 2^-k for m = 1, 3 and k = 1..80 (logit: 1/2 ± those, within (0, 1))."""
    steps = np.array([m * 2.0**-k for k in range(1, 81) for m in (1, 3)])
    if name == "logit":
        p = np.concatenate([0.5 + steps, 0.5 - steps])
        return p[(p > 0) & (p < 1)]
    return np.concatenate([steps, -steps])


@pytest.mark.parametrize("name", F64_EXACT)
def test_float64_dyadic_inputs_near_zero_are_correctly_rounded(name: str) -> None:
    """Near 0 each function is its Taylor series, so at x = m 2^-k its value
    sits a hair (x² or x³ of it) off a float64 rounding midpoint: σ(2^-52) is
    1/2 + 2^-54 - 2^-156/48, σ'''(2^-27) lies 2^-107 of itself from one. No
    accurate path of ~100 bits can decide these; the decimal step does
    (σ'''(±2^-27) came out one unit wrong before it). Against mpmath."""
    x = _dyadic_near_zero(name)
    want = [_oracle._round_mp(_oracle.exact(name, float(v)), np.dtype(np.float64)) for v in x]
    got = FUNCTIONS[name](np.repeat(x, 2))[::2]  # (more than 32 elements: the array loop)
    np.testing.assert_array_equal(got, np.array(want))
    for value, truth in zip(x[::7], want[::7], strict=True):  # the scalar paths too
        assert FUNCTIONS[name](float(value)) == truth, value
