"""The activation family: values, derivatives, dtypes, limits and property data."""

from __future__ import annotations

import dataclasses
import math
import os
import subprocess
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import mpmath
import numpy as np
import pytest

import sigmoid as sg
from sigmoid import activations
from sigmoid.activations import ACTIVATIONS, Activation, _gelu_kernels

NAMES = list(ACTIVATIONS)
FLOATS = [np.float16, np.float32, np.float64]

# Each activation written for mpmath, independently of our formulas; the
# derivative reference is mpmath's numerical derivative of these.
MP_FUNCTIONS: dict[str, Callable[[Any], Any]] = {
    "sigmoid": lambda x: 1 / (1 + mpmath.exp(-x)),
    "tanh": mpmath.tanh,
    "relu": lambda x: max(x, 0),
    "leaky_relu": lambda x: x if x >= 0 else mpmath.mpf(0.01) * x,
    "elu": lambda x: x if x > 0 else mpmath.expm1(x),
    "softplus": lambda x: mpmath.log1p(mpmath.exp(x)),
    "silu": lambda x: x / (1 + mpmath.exp(-x)),
    "gelu": lambda x: x * mpmath.ncdf(x),
    "softsign": lambda x: x / (1 + abs(x)),
    "hard_sigmoid": lambda x: min(max(x + 3, 0), 6) / 6,
}
# Where a derivative crosses zero its relative error is unbounded; there the
# error is judged against the size of the terms instead.
DERIVATIVE_ROOTS = {"silu": -1.2784645427610738, "gelu": -0.7517915246935645}
# Grid over [-30, 30] kept 1e-3 away from the kinks at 0 and ±3.
GRID = np.concatenate([np.linspace(-30.0, 30.0, 241) + 1e-3, [-7.5e-3, 4e-4, 2.5]])


@pytest.fixture(autouse=True)
def _high_precision() -> Iterator[None]:
    with mpmath.workdps(60):  # local: the shared oracle sets its own precision
        yield


def ulp_distance(actual: np.ndarray, reference: list[Any]) -> np.ndarray:
    ref = np.array([float(value) for value in reference])
    scale = np.spacing(np.abs(ref).astype(actual.dtype)).astype(np.float64)
    distance: np.ndarray = np.abs(actual.astype(np.float64) - ref) / scale
    return distance


def test_mpmath_references_cover_the_registry() -> None:
    assert set(MP_FUNCTIONS) == set(ACTIVATIONS)


@pytest.mark.parametrize("name", NAMES)
def test_function_matches_mpmath_in_float64(name: str) -> None:
    act = ACTIVATIONS[name]
    reference = [MP_FUNCTIONS[name](mpmath.mpf(x)) for x in GRID]
    assert ulp_distance(act.function(GRID), reference).max() <= 4


@pytest.mark.parametrize("name", NAMES)
def test_derivative_matches_mpmath_derivative_in_float64(name: str) -> None:
    act = ACTIVATIONS[name]
    reference = [mpmath.diff(MP_FUNCTIONS[name], mpmath.mpf(x)) for x in GRID]
    errors = ulp_distance(act.derivative(GRID), reference)
    near_root = np.zeros(GRID.shape, dtype=bool)
    if name in DERIVATIVE_ROOTS:
        near_root = np.abs(GRID - DERIVATIVE_ROOTS[name]) < 0.5
        absolute = np.abs(act.derivative(GRID) - np.array(reference, dtype=float))
        assert absolute[near_root].max() <= 8 * np.finfo(np.float64).eps
    assert errors[~near_root].max() <= 8


def test_tails_are_kept_not_flushed_to_zero() -> None:
    # 1 - tanh² and x σ(x) computed naively give exactly 0 or lose all digits here.
    assert activations.tanh_derivative(30.0) == pytest.approx(4 * math.exp(-60), rel=1e-14)
    assert activations.silu(-700.0) == pytest.approx(-700 * math.exp(-700), rel=1e-13)
    gelu_tail = float(-30 * mpmath.ncdf(-30))
    assert activations.gelu(-30.0) == pytest.approx(gelu_tail, rel=1e-14)
    assert activations.gelu(-38.0) > -1e-300  # subnormal, not NaN
    assert activations.gelu(-38.0) < 0


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_narrow_dtypes_are_the_float64_result_rounded(name: str, dtype: type) -> None:
    act = ACTIVATIONS[name]
    x: np.ndarray = np.linspace(-8, 8, 1601).astype(dtype)
    for f in (act.function, act.derivative):
        got = f(x)
        want: np.ndarray = np.asarray(f(x.astype(np.float64))).astype(dtype)
        assert got.dtype == dtype
        # One rounding of float64 against our own rounding: at most 1 ULP apart.
        ulps = np.abs(got.astype(np.float64) - want) / np.spacing(np.abs(want))
        assert ulps.max() <= 1


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [*FLOATS, np.longdouble])
def test_dtype_and_shape_preserved(name: str, dtype: type) -> None:
    act = ACTIVATIONS[name]
    x: np.ndarray = np.linspace(-3, 3, 12, dtype=dtype).reshape(3, 4)
    for f in (act.function, act.derivative):
        out = f(x)
        assert type(out) is np.ndarray
        assert out.dtype == dtype
        assert out.shape == (3, 4)
        # Strided, Fortran-ordered and read-only input: the same values.
        assert np.array_equal(f(x[::2, 1:]), out[::2, 1:])
        assert np.array_equal(f(np.asfortranarray(x)), out)
        assert np.array_equal(f(np.broadcast_to(x[:1], (3, 4))), np.broadcast_to(out[:1], (3, 4)))
        assert f(x[:, :, None]).shape == (3, 4, 1)
        read_only = x.copy()
        read_only.flags.writeable = False
        assert np.array_equal(f(read_only), out)


@pytest.mark.parametrize("name", NAMES)
def test_lists_and_integers(name: str) -> None:
    act = ACTIVATIONS[name]
    assert act.function([1, 2]).dtype == np.float64
    assert act.function([1, 2]).tolist() == act.function([1.0, 2.0]).tolist()
    assert act.function(np.array([], dtype=np.float32)).shape == (0,)
    with pytest.raises(TypeError):
        act.function(1j)
    with pytest.raises(TypeError):
        act.function("1")


FUNCTIONS_AND_DERIVATIVES = [
    pytest.param(f, id=name if f is act.function else f"{name}-derivative")
    for name, act in ACTIVATIONS.items()
    for f in (act.function, act.derivative)
]


@pytest.mark.parametrize("f", FUNCTIONS_AND_DERIVATIVES)
def test_python_numbers_give_python_floats(f: Callable[[Any], Any]) -> None:
    # As the family's functions do: not np.float64, which is a float too.
    for x in (0.5, -2.0, 3, -1):
        y = f(x)
        assert type(y) is float, (x, type(y))
        assert y == f(np.array([x], dtype=np.float64))[0]
    assert math.isnan(f(math.nan))


@pytest.mark.parametrize("f", FUNCTIONS_AND_DERIVATIVES)
@pytest.mark.parametrize("dtype", [*FLOATS, np.longdouble])
def test_numpy_scalars_and_0d_arrays_give_numpy_scalars(
    f: Callable[[Any], Any], dtype: type
) -> None:
    # As a NumPy ufunc does: a scalar of the input's dtype, also for a 0-d array.
    for x in (dtype(0.5), np.array(-1.5, dtype=dtype)):
        y = f(x)
        assert type(y) is dtype, (x, type(y))
        assert y == f(np.array([x], dtype=dtype))[0]
    assert type(f(np.int64(2))) is np.float64


def special_values(dtype: type) -> np.ndarray:
    info = np.finfo(dtype)
    values = [np.inf, info.max, 1e4, 1.0, info.smallest_subnormal, 0.0, np.nan]
    positive: np.ndarray = np.array(values, dtype=dtype)
    return np.concatenate([positive, -positive])


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [*FLOATS, np.longdouble])
def test_no_warning_for_any_input(name: str, dtype: type) -> None:
    act = ACTIVATIONS[name]
    x = special_values(dtype)
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        y = act.function(x)
        d = act.derivative(x)
    assert y.dtype == dtype
    assert d.dtype == dtype
    nan = np.isnan(x)
    assert np.isnan(y[nan]).all()
    assert np.isnan(d[nan]).all()
    assert not np.isnan(y[~nan]).any()
    assert not np.isnan(d[~nan]).any()


@pytest.mark.parametrize("name", NAMES)
def test_limits_at_infinity_match_the_data(name: str) -> None:
    act = ACTIVATIONS[name]
    low, high = act.output_range
    at_inf = act.function(np.array([-np.inf, np.inf]))
    if not act.bounds_attained[0] or math.isinf(low):
        assert at_inf[0] == low
    if not act.bounds_attained[1] or math.isinf(high):
        assert at_inf[1] == high
    slopes = act.derivative(np.array([-np.inf, -1e4, 1e4, np.inf]))
    if act.saturating:
        assert slopes[0] == slopes[3] == 0
        assert np.abs(slopes[1:3]).max() < 1e-6
    else:
        assert slopes[3] == 1
        assert slopes[2] == pytest.approx(1)


FINE = np.linspace(-12.0, 12.0, 240_001)


@pytest.mark.parametrize("name", NAMES)
def test_max_slope_is_the_largest_derivative(name: str) -> None:
    act = ACTIVATIONS[name]
    slopes = act.derivative(np.concatenate([FINE, [40.0, 1e6]]))
    assert slopes.max() == pytest.approx(act.max_slope, rel=1e-9)
    assert slopes.max() <= act.max_slope * (1 + 1e-15)


@pytest.mark.parametrize("name", NAMES)
def test_outputs_stay_in_the_stated_range(name: str) -> None:
    act = ACTIVATIONS[name]
    low, high = act.output_range
    y = act.function(FINE)
    assert low <= y.min()
    assert y.max() <= high
    if act.bounds_attained[0]:
        assert y.min() == pytest.approx(low, abs=1e-9)
    if act.bounds_attained[1]:
        assert y.max() == pytest.approx(high, abs=1e-9)


@pytest.mark.parametrize("name", NAMES)
def test_zero_centred_means_odd(name: str) -> None:
    act = ACTIVATIONS[name]
    odd = np.array_equal(act.function(-FINE), -act.function(FINE))
    assert odd == act.zero_centred


def test_sigmoid_and_softplus_entries_are_the_core_functions() -> None:
    assert ACTIVATIONS["sigmoid"].function is sg.sigmoid
    assert ACTIVATIONS["sigmoid"].derivative is sg.sigmoid_derivative
    assert ACTIVATIONS["softplus"].function is sg.softplus
    assert ACTIVATIONS["softplus"].derivative is sg.sigmoid


def test_range_text() -> None:
    assert ACTIVATIONS["sigmoid"].range_text == "(0, 1)"
    assert ACTIVATIONS["relu"].range_text == "[0, inf)"
    assert ACTIVATIONS["hard_sigmoid"].range_text == "[0, 1]"
    assert ACTIVATIONS["leaky_relu"].range_text == "(-inf, inf)"


def test_get_normalises_names_and_lists_the_known_ones() -> None:
    assert activations.get(" Leaky-ReLU ") is ACTIVATIONS["leaky_relu"]
    assert activations.get("swish") is ACTIVATIONS["silu"]
    assert activations.get("expit") is ACTIVATIONS["sigmoid"]
    with pytest.raises(ValueError, match=r"unknown activation 'step'; known: sigmoid,"):
        activations.get("step")
    assert all(act.name == key for key, act in ACTIVATIONS.items())


def test_registry_and_entries_are_read_only() -> None:
    with pytest.raises(TypeError):
        ACTIVATIONS["mine"] = ACTIVATIONS["relu"]  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        ACTIVATIONS["relu"].max_slope = 2.0  # type: ignore[misc]
    assert isinstance(ACTIVATIONS["relu"], Activation)


def test_parameters_of_leaky_relu_and_elu() -> None:
    assert activations.leaky_relu(-2.0, negative_slope=0.2) == pytest.approx(-0.4)
    assert activations.leaky_relu_derivative(-2.0, negative_slope=0.2) == 0.2
    assert activations.elu(-np.inf, alpha=2.0) == -2.0
    assert activations.elu_derivative(0.0, alpha=2.0) == 2.0


def test_conventions_at_the_kinks() -> None:
    # PyTorch's: relu'(0) = 0, leaky_relu'(0) = slope, hard_sigmoid' = 0 at ±3.
    assert activations.relu_derivative(0.0) == 0
    assert activations.leaky_relu_derivative(0.0) == 0.01
    assert activations.hard_sigmoid_derivative(np.array([-3.0, 3.0])).tolist() == [0, 0]
    assert activations.hard_sigmoid(np.array([-3.0, 0.0, 3.0])).tolist() == [0, 0.5, 1]


def test_gelu_is_the_erf_form() -> None:
    x = np.linspace(-5, 5, 101)
    # x (1 + erf(x/√2)) / 2, written with erfc so that it does not cancel for x < 0.
    erf_form = [0.5 * v * math.erfc(-v / math.sqrt(2)) for v in x]
    np.testing.assert_allclose(activations.gelu(x), erf_form, rtol=1e-13, atol=1e-16)


def chebyshev_coefficients(f: Callable[[Any], Any], count: int) -> list[Any]:
    """Coefficients of the interpolant of f at `count` Chebyshev points of [-1, 1]."""
    nodes = [mpmath.cos(mpmath.pi * (j + 0.5) / count) for j in range(count)]
    values = [f(s) for s in nodes]
    coefficients = [
        2 * mpmath.fsum(v * mpmath.cos(mpmath.pi * k * (j + 0.5) / count)
                        for j, v in enumerate(values)) / count
        for k in range(count)
    ]  # fmt: skip
    coefficients[0] /= 2
    return coefficients


def in_powers_of(coefficients: list[Any], scale: Any, shift: Any) -> list[Any]:
    """Σ c_k T_k(s) with s = scale v + shift, as the coefficients of 1, v, v², ..."""
    previous, current = [mpmath.mpf(1)], [shift, scale]  # T_0 and T_1 in powers of v
    powers = [mpmath.mpf(0)] * len(coefficients)
    for k, c in enumerate(coefficients):
        term = previous if k == 0 else current
        for j, value in enumerate(term):
            powers[j] += c * value
        if k >= 1:  # T_(k+1) = 2 s T_k - T_(k-1)
            following = [2 * shift * v for v in current] + [mpmath.mpf(0)]
            for j, value in enumerate(current):
                following[j + 1] += 2 * scale * value
            for j, value in enumerate(previous):
                following[j] -= value
            previous, current = current, following
    return powers


def test_gelu_coefficients_are_the_documented_interpolants() -> None:
    kernels = _gelu_kernels
    with mpmath.workdps(50):
        t_low = mpmath.mpf(1 - kernels._K) / (1 + kernels._K)
        t_high = mpmath.mpf(kernels._Z_MAX - kernels._K) / (kernels._Z_MAX + kernels._K)

        def g(s: Any) -> Any:  # (Φ(√u) - 1/2) / √u, u = (s + 1) / 2
            x = mpmath.sqrt((s + 1) / 2)
            return (mpmath.ncdf(x) - mpmath.mpf(1) / 2) / x

        def zm(s: Any) -> Any:  # N(z) = z Q(z) / φ(z), z = 5 (1 + t) / (1 - t)
            t = t_low + (t_high - t_low) * (s + 1) / 2
            z = kernels._K * (1 + t) / (1 - t)
            return z * mpmath.ncdf(-z) / mpmath.npdf(z)

        # The first terms of degree-14 and degree-30 interpolants, in powers of
        # u = (s + 1) / 2 and of t = t_low + (t_high - t_low) (s + 1) / 2; N over √(2π).
        g_series = chebyshev_coefficients(g, 15)[: len(kernels._G)]
        zm_series = chebyshev_coefficients(zm, 31)[: len(kernels._N)]
        width = t_high - t_low
        expected_g = in_powers_of(g_series, 2, -1)
        expected_n = in_powers_of(zm_series, 2 / width, -(t_low + t_high) / width)
        expected_n = [c / mpmath.sqrt(2 * mpmath.pi) for c in expected_n]
        # The constant terms as double-doubles, to 2^-106 of their size.
        for stored, low, exact in ((kernels._G, kernels._G0_LO, expected_g[0]),
                                   (kernels._N, kernels._N0_LO, expected_n[0])):  # fmt: skip
            assert abs(mpmath.mpf(stored[0]) + low - exact) < exact * 2**-105
        inverse_sqrt_2pi = 1 / mpmath.sqrt(2 * mpmath.pi)
        pair = mpmath.mpf(kernels._INV_SQRT_2PI) + kernels._INV_SQRT_2PI_LO
        assert abs(pair - inverse_sqrt_2pi) < inverse_sqrt_2pi * 2**-105
    np.testing.assert_allclose(kernels._G, [float(c) for c in expected_g], rtol=1e-15)
    np.testing.assert_allclose(kernels._N, [float(c) for c in expected_n], rtol=1e-15)
    assert tuple(1 / math.factorial(n) for n in range(2, 14)) == kernels._EXP


def dense_sample() -> np.ndarray:
    """The ranges where GELU's formulas change, densely, with tiny and subnormal results."""
    rng = np.random.default_rng(22)
    tiny = np.exp(rng.uniform(math.log(1e-310), 0.0, 500))
    return np.concatenate([
        rng.uniform(-40.0, 10.0, 1500),
        rng.uniform(-3.0, 3.0, 1000),
        tiny, -tiny,
        -38.4 - rng.uniform(0.0, 0.4, 100),  # subnormal GELU(x)
        np.nextafter([-1.0, -1.0, 1.0, 1.0], [-2.0, 0.0, 0.0, 2.0]),
    ])  # fmt: skip


def exact_parts(values: list[Any]) -> tuple[np.ndarray, np.ndarray]:
    """The mpmath values as float64 pairs hi + lo, for errors in fractions of a ULP."""
    hi = np.array([float(v) for v in values])
    lo = np.array([float(v - h) for v, h in zip(values, hi, strict=True)])
    return hi, lo


def ulps_from(got: np.ndarray, hi: np.ndarray, lo: np.ndarray, dtype: type) -> np.ndarray:
    spacing = np.spacing(np.abs(hi).astype(dtype)).astype(np.float64)
    error: np.ndarray = np.abs((got.astype(np.float64) - hi) - lo) / spacing
    return error


def test_gelu_within_its_stated_ulps_of_mpmath() -> None:
    # The module docstring of sigmoid.activations._gelu_kernels states the
    # worst errors on a larger sample of the same kind.
    x = dense_sample()
    points = [mpmath.mpf(float(v)) for v in x]
    f_hi, f_lo = exact_parts([v * mpmath.ncdf(v) for v in points])
    d_hi, d_lo = exact_parts([mpmath.ncdf(v) + v * mpmath.npdf(v) for v in points])
    assert ulps_from(activations.gelu(x), f_hi, f_lo, np.float64).max() <= 2.43
    # Within 0.5 of the derivative's zero, in ULPs of 0.25 (a term's size there).
    near_root = np.abs(x - DERIVATIVE_ROOTS["gelu"]) < 0.5
    d_errors = ulps_from(activations.gelu_derivative(x), d_hi, d_lo, np.float64)
    assert d_errors[~near_root].max() <= 2.82
    absolute = np.abs((activations.gelu_derivative(x) - d_hi) - d_lo)[near_root]
    assert absolute.max() <= 1.35 * np.spacing(0.25)
    # float32: the float64 result rounded once, so within 0.5 ULP and a hair.
    x32 = x.astype(np.float32)
    points = [mpmath.mpf(float(v)) for v in x32]
    f_hi, f_lo = exact_parts([v * mpmath.ncdf(v) for v in points])
    d_hi, d_lo = exact_parts([mpmath.ncdf(v) + v * mpmath.npdf(v) for v in points])
    near_root = np.abs(x32 - DERIVATIVE_ROOTS["gelu"]) < 0.5
    assert ulps_from(activations.gelu(x32), f_hi, f_lo, np.float32).max() <= 0.5 + 1e-6
    d_errors = ulps_from(activations.gelu_derivative(x32), d_hi, d_lo, np.float32)
    assert d_errors[~near_root].max() <= 0.5 + 1e-6


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["gelu", "gelu_derivative"])
def test_gelu_threaded_result_is_bit_identical_to_small_calls(name: str, dtype: type) -> None:
    # Large enough to be split over threads (from ~40,000 elements), with a ragged end.
    f = getattr(activations, name)
    x = np.random.default_rng(5).uniform(-45, 12, 5 * (1 << 17) + 123).astype(dtype)
    pieces = np.concatenate([f(piece) for piece in np.array_split(x, 300)])
    assert f(x).tobytes() == pieces.tobytes()


def test_numba_is_imported_only_when_gelu_is_called() -> None:
    code = (
        "import sys; from sigmoid import activations as a; a.relu(1.0); a.tanh([1.0]); "
        "print('numba' in sys.modules, end=' '); a.gelu(1.0); print('numba' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=os.environ, check=True
    )
    assert result.stdout.split() == ["False", "True"]


def test_gelu_compiles_in_memory_without_a_disk_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    # sigmoid._kernels.CACHE is False where numba has no writable cache location.
    monkeypatch.setattr(_gelu_kernels, "CACHE", False)
    _gelu_kernels.loop.cache_clear()
    try:
        loop = _gelu_kernels.loop("gelu", np.dtype(np.float64))
        x, out = np.array([-1.0, 0.0, 2.0]), np.empty(3)
        loop(x, out)
        assert out.tolist() == activations.gelu(x).tolist()
    finally:
        _gelu_kernels.loop.cache_clear()


@pytest.mark.slow
def test_a_damaged_gelu_cache_is_compiled_again(tmp_path: Path) -> None:
    # A killed write or a full disk leaves cache files garbled (tests/test_import.py
    # checks the family's kernels, emptied files too).
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
    env.update(NUMBA_CACHE_DIR=str(tmp_path))
    code = "from sigmoid import activations as a; print(a.gelu(1.0))"
    command = [sys.executable, "-W", "error", "-c", code]
    first = subprocess.run(command, capture_output=True, text=True, env=env)
    assert first.returncode == 0, first.stderr
    cached = [p for p in tmp_path.rglob("*_gelu_kernels*") if p.suffix in (".nbi", ".nbc")]
    assert cached
    for path in cached:
        path.write_bytes(os.urandom(64))
    again = subprocess.run(command, capture_output=True, text=True, env=env)
    assert again.returncode == 0, again.stderr
    assert again.stdout == first.stdout == "0.8413447460685429\n"


def test_public_names_are_all_and_only_all() -> None:
    public = {name for name in dir(activations) if not name.startswith("_")}
    assert public == set(activations.__all__)
    assert len(activations.__all__) == len(set(activations.__all__))
