"""Properties that must hold for every input (hypothesis draws them)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import sigmoid as sg

DTYPES = st.sampled_from([np.float16, np.float32, np.float64])


def float_arrays(dtype=DTYPES, allow_nan: bool = False):  # type: ignore[no-untyped-def]
    return dtype.flatmap(
        lambda dt: hnp.arrays(
            dt,
            hnp.array_shapes(min_dims=0, max_dims=3, max_side=6),
            elements=st.floats(allow_nan=allow_nan, width=np.finfo(dt).bits),
        )
    )


@given(float_arrays(allow_nan=True))
def test_range_dtype_and_shape(x: np.ndarray) -> None:
    y = np.asarray(sg.sigmoid(x))
    assert y.dtype == x.dtype
    assert y.shape == x.shape
    finite = ~np.isnan(x)
    assert np.all((y[finite] >= 0) & (y[finite] <= 1))
    assert np.array_equal(np.isnan(y), np.isnan(x))
    d = np.asarray(sg.sigmoid_derivative(x))
    assert np.all((d[finite] >= 0) & (d[finite] <= 0.25))


@given(float_arrays())
def test_monotone(x: np.ndarray) -> None:
    xs = np.sort(x.ravel())
    p = np.sort(1 / (1 + np.abs(xs.astype(np.float64))))  # in [0, 1]
    for f, values in ((sg.sigmoid, xs), (sg.log_sigmoid, xs), (sg.softplus, xs), (sg.logit, p)):
        y = f(values)
        assert np.all(y[1:] >= y[:-1])


@given(float_arrays())
def test_symmetry(x: np.ndarray) -> None:
    # σ(-x) = 1 - σ(x): each side is within 1 ULP, so the sum is 1 within 2 ULP of 1.
    y, z = sg.sigmoid(x), sg.sigmoid(-x)
    total = y.astype(np.float64) + z.astype(np.float64)
    assert np.all(np.abs(total - 1) <= 2 * np.finfo(x.dtype).eps)
    # σ' is even, exactly.
    assert np.array_equal(sg.sigmoid_derivative(x), sg.sigmoid_derivative(-x))


@given(st.floats(-30, 30))
def test_logit_inverts_sigmoid(x: float) -> None:
    # logit has condition number 1/(1-σ) near σ = 1: compare against the rounding of σ.
    s = sg.sigmoid(x)
    assert abs(sg.logit(s) - x) <= 4e-16 * (1 + abs(x)) / min(s, 1 - s)


@given(st.floats(1e-300, 1 - 2**-53))
def test_sigmoid_inverts_logit(p: float) -> None:
    # Rounding x = logit(p) moves σ(x) by σ'(x) |x| 2^-53 <= p |x| 2^-53.
    x = sg.logit(p)
    assert abs(sg.sigmoid(x) - p) <= p * (abs(x) + 4) * 2.3e-16


@given(float_arrays(allow_nan=True))
def test_log_sigmoid_is_minus_softplus_of_minus_x(x: np.ndarray) -> None:
    np.testing.assert_array_equal(sg.log_sigmoid(x), -np.asarray(sg.softplus(-x)))


@given(DTYPES, st.data())
def test_broadcast_into_out(dtype, data) -> None:  # type: ignore[no-untyped-def]
    shape_in = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4))
    shape_out = data.draw(hnp.array_shapes(min_dims=len(shape_in), max_dims=4, max_side=4))
    elements = st.floats(-50, 50, width=np.finfo(dtype).bits)
    x = data.draw(hnp.arrays(dtype, shape_in, elements=elements))
    try:
        expected = np.broadcast_to(sg.sigmoid(x), shape_out)
    except ValueError:
        return
    out = np.empty(shape_out, dtype=dtype)
    sg.sigmoid(x, out=out)
    np.testing.assert_array_equal(out, expected)


def test_limits() -> None:
    for dtype in (np.float16, np.float32, np.float64):
        assert sg.sigmoid(dtype(np.inf)) == 1
        assert sg.sigmoid(dtype(-np.inf)) == 0
        assert sg.sigmoid(dtype(0)) == 0.5
        assert np.isnan(sg.sigmoid(dtype(np.nan)))
        assert sg.logit(dtype(0)) == -np.inf
        assert sg.logit(dtype(1)) == np.inf
