"""The activation family: values, derivatives, dtypes, limits and property data."""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import mpmath
import numpy as np
import pytest

import sigmoid as sg
from sigmoid import activations
from sigmoid.activations import ACTIVATIONS, Activation, _gelu

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
@pytest.mark.parametrize("dtype", FLOATS)
def test_dtype_and_shape_preserved(name: str, dtype: type) -> None:
    act = ACTIVATIONS[name]
    x: np.ndarray = np.linspace(-3, 3, 12, dtype=dtype).reshape(3, 4)
    for f in (act.function, act.derivative):
        out = f(x)
        assert isinstance(out, np.ndarray)
        assert out.dtype == dtype
        assert out.shape == (3, 4)
        assert out[::2, 1:].shape == f(x[::2, 1:]).shape  # strided input


@pytest.mark.parametrize("name", NAMES)
def test_scalars_lists_and_integers(name: str) -> None:
    act = ACTIVATIONS[name]
    # A Python float gives a float (σ's own functions return a plain float,
    # the NumPy formulas a np.float64, which is a float too).
    assert isinstance(act.function(1.5), float)
    assert np.ndim(act.function(1.5)) == 0
    assert isinstance(act.derivative(np.float32(1.5)), np.float32)
    assert act.function([1, 2]).dtype == np.float64
    assert act.function([1, 2]).tolist() == act.function([1.0, 2.0]).tolist()
    assert act.function(np.array([], dtype=np.float32)).shape == (0,)
    with pytest.raises(TypeError):
        act.function(1j)
    with pytest.raises(TypeError):
        act.function("1")


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


def chebyshev_coefficients(f: Callable[[Any], Any], count: int) -> list[float]:
    """Coefficients of the interpolant of f at `count` Chebyshev points of [-1, 1]."""
    nodes = [mpmath.cos(mpmath.pi * (j + 0.5) / count) for j in range(count)]
    values = [f(s) for s in nodes]
    coefficients = [
        2 * mpmath.fsum(v * mpmath.cos(mpmath.pi * k * (j + 0.5) / count)
                        for j, v in enumerate(values)) / count
        for k in range(count)
    ]  # fmt: skip
    coefficients[0] /= 2
    return [float(c) for c in coefficients]


def test_gelu_coefficients_are_the_documented_interpolants() -> None:
    with mpmath.workdps(50):

        def g(s: Any) -> Any:  # (Φ(√u) - 1/2) / √u, u = (s + 1) / 2
            x = mpmath.sqrt((s + 1) / 2)
            return (mpmath.ncdf(x) - mpmath.mpf(1) / 2) / x

        def zm(s: Any) -> Any:  # z Q(z) / φ(z), z = 5 (1 + t) / (1 - t)
            t = _gelu._T_LOW + (mpmath.mpf(_gelu._T_HIGH) - _gelu._T_LOW) * (s + 1) / 2
            z = 5 * (1 + t) / (1 - t)
            return z * mpmath.ncdf(-z) / mpmath.npdf(z)

        # The stored series are the first terms of degree-14 and degree-30 interpolants.
        np.testing.assert_allclose(
            _gelu._G, chebyshev_coefficients(g, 15)[: len(_gelu._G)], rtol=0, atol=1e-22
        )
        np.testing.assert_allclose(
            _gelu._ZM,
            chebyshev_coefficients(zm, 31)[: len(_gelu._ZM)],
            rtol=0,
            atol=1e-22,
        )
