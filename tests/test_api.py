"""NumPy ufunc semantics of the public functions: types, shapes, dtypes, out=, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import oracle as _oracle
import sigmoid as sg
from family import PUBLIC
from optional import require

UNARY = PUBLIC  # every function of the family
FLOATS = [np.float16, np.float32, np.float64, np.longdouble]


def test_public_names() -> None:
    assert sg.expit is sg.sigmoid
    assert sorted(sg.__all__) == [
        "__version__",
        "activations",
        "expit",
        "log_sigmoid",
        "logistic",
        "logit",
        "sigmoid",
        "sigmoid_derivative",
        "softplus",
    ]
    assert all(hasattr(sg, name) for name in sg.__all__)
    # Nothing else public at the top level but the sub-packages a user imports.
    public = {name for name in dir(sg) if not name.startswith("_")}
    assert public - set(sg.__all__) <= {"cli", "lab", "plotting"}


@pytest.mark.parametrize("func", UNARY.values(), ids=UNARY.keys())
@pytest.mark.parametrize("dtype", FLOATS)
def test_dtype_and_shape_kept(func, dtype) -> None:  # type: ignore[no-untyped-def]
    x = np.linspace(0.01, 0.99, 24, dtype=dtype).reshape(2, 3, 4)
    y = func(x)
    assert type(y) is np.ndarray
    assert y.dtype == dtype
    assert y.shape == x.shape


@pytest.mark.parametrize("func", UNARY.values(), ids=UNARY.keys())
def test_scalars_keep_their_kind(func) -> None:  # type: ignore[no-untyped-def]
    y = func(0.5)
    assert type(y) is float  # a Python number in, a Python number out
    assert y == func(np.array([0.5]))[0]  # the same kernel's value
    assert type(func(1)) is float
    assert isinstance(func(np.float64(0.5)), np.float64)
    assert isinstance(func(np.float32(0.5)), np.float32)
    assert isinstance(func(np.array(0.5, dtype=np.float16)), np.float16)


# Inputs where the float32 fast path must hand over to the exact one, the
# subnormal range, the limits and NaN: one NumPy scalar gets the array's value.
_F32_SCALAR_CASES = np.concatenate(
    [
        np.loadtxt(Path(__file__).parent / "data" / "f32_hard_inputs.txt", dtype=np.float32),
        np.array(
            [0.0, -0.0, 1e-30, -87.5, -95.0, -103.9, -104.5, 88.7, 17.4, 0.5, 0.999],
            dtype=np.float32,
        ),
        np.array([np.inf, -np.inf, np.nan], dtype=np.float32),
    ]
)


@pytest.mark.parametrize(
    "name",
    ["sigmoid", "sigmoid_derivative", "softplus", "log_sigmoid", "logit", "order2", "order3"],
)
def test_float32_scalar_path_matches_the_array_loop(name) -> None:  # type: ignore[no-untyped-def]
    if name.startswith("order"):
        order = int(name[-1])

        def func(x):  # type: ignore[no-untyped-def]
            return sg.sigmoid_derivative(x, order=order)
    else:
        func = getattr(sg, name)
    xs = _F32_SCALAR_CASES
    if name == "logit":  # into [0, 1), with NaN from the infinities
        with np.errstate(invalid="ignore"):
            xs = np.abs(xs) % 1
    want = func(xs)
    for x, w in zip(xs, want, strict=True):
        got = func(x)
        assert type(got) is np.float32
        assert got.tobytes() == w.tobytes() or (np.isnan(got) and np.isnan(w)), (x, got, w)


def _by_name(name: str):  # type: ignore[no-untyped-def]
    return PUBLIC[
        {"order2": "sigmoid_derivative2", "order3": "sigmoid_derivative3"}.get(name, name)
    ]


def _tiny_views(dtype: type) -> list[np.ndarray]:
    """Arrays of at most 32 elements in every layout: the tiny path's ufunc takes them all."""
    base = _F32_SCALAR_CASES.astype(dtype)[-40:]
    return [
        base[:32],
        base[:16],
        base[:1],
        base[3:4].reshape(()),
        base[:32:2],
        base[15::-1],
        base[:12].reshape(3, 4),
        base[:12].reshape(3, 4).T,
        base[:36].reshape(6, 6)[::2, 1::2],
        np.broadcast_to(base[:4], (3, 4)),
        base[:0].reshape(0, 3),
    ]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "name",
    ["sigmoid", "sigmoid_derivative", "softplus", "log_sigmoid", "logit", "order2", "order3"],
)
def test_tiny_arrays_match_the_array_loop(name, dtype) -> None:  # type: ignore[no-untyped-def]
    # Up to 32 elements go through a NumPy ufunc built from the scalar
    # functions; its values, dtype, shape and 0-d handling are those of the
    # vectorised loops (reached here with 1000 copies of the same values).
    from sigmoid import _engine

    func = _by_name(name)
    for view in _tiny_views(dtype):
        assert view.size <= _engine.TINY
        x = np.abs(view) % 1 if name == "logit" else view
        loop = func(np.tile(x.ravel(), 1000))[: x.size].reshape(x.shape)
        got = func(x)
        assert type(got) is (np.ndarray if x.ndim else dtype)
        assert np.shape(got) == x.shape
        assert np.asarray(got).dtype == dtype
        assert np.asarray(got).tobytes() == np.ascontiguousarray(loop).tobytes(), (x, got, loop)
        # out=: contiguous (the ufunc), strided and in place (the general path).
        for out in (np.empty(x.shape, dtype), np.zeros((2, *x.shape), dtype)[1, ...]):
            assert func(x, out=out) is out
            np.testing.assert_array_equal(out, loop)
        strided = np.zeros(2 * x.size, dtype)[::2].reshape(x.shape)
        func(x, out=strided)
        np.testing.assert_array_equal(strided, loop)
        inplace = np.array(x)
        func(inplace, out=inplace)
        np.testing.assert_array_equal(inplace, loop)


def test_tiny_arrays_raise_no_floating_point_errors() -> None:
    # The ufuncs' kernels set the underflow and invalid flags on purpose (and
    # clear them only outside the range where none can be set); NumPy would
    # turn a flag left over into a warning, or an error here.
    from sigmoid._engine import kernel
    from sigmoid._family import FAMILY

    rng = np.random.default_rng(7)
    for dtype in (np.float32, np.float64):
        info = np.finfo(dtype)
        low, high = np.log2(float(info.smallest_subnormal)), np.log2(float(info.max))
        magnitudes = np.exp2(rng.uniform(low, high, 100_000)).astype(dtype)
        special = np.array([0.0, np.nan, np.inf, 64.0, 64.00001, 2.0**-100, 2.0**-101], dtype)
        x = np.concatenate([magnitudes, -magnitudes, special, -special])
        with np.errstate(invalid="ignore"):  # inf % 1 is NaN: one more input
            powers = np.exp2(np.arange(-1074, 0, dtype=np.float64)).astype(dtype)
            p = np.concatenate([np.abs(x), 1 - np.abs(x) % 1, powers, np.array([2.0**-120], dtype)])
        # Within the bounds no flag may be raised; outside, each element clears
        # all of them (so these go last, or alone).
        quiet = (np.abs(x) >= 2.0**-100) & (np.abs(x) <= 64)
        quiet_p = (p >= 2.0**-120) & (p < 1)
        with np.errstate(all="raise"):
            for name in _oracle.NAMES:
                ufunc = kernel("ufunc", FAMILY[name])
                inputs, inside = (p, quiet_p) if name == "logit" else (x, quiet)
                ufunc(inputs[inside])
                ufunc(np.concatenate([inputs[inside], inputs[~inside]]))
                for value in inputs[~inside][::50]:
                    ufunc(value[np.newaxis])
            # And through the public functions, with and without out=.
            for name in ("sigmoid", "sigmoid_derivative", "softplus", "log_sigmoid", "order3"):
                _by_name(name)(x[-12:])
                _by_name(name)(x[-12:], out=np.empty(12, dtype))
            sg.logit(p[-12:])


@pytest.mark.parametrize(
    "value", [1, True, np.int8(1), np.uint64(1), [0, 1], np.array([1, 2], dtype=np.int16)]
)
def test_integers_and_bools_promote_to_float64(value) -> None:  # type: ignore[no-untyped-def]
    y = sg.sigmoid(value)
    assert np.asarray(y).dtype == np.float64
    np.testing.assert_array_equal(y, sg.sigmoid(np.asarray(value, dtype=np.float64)))


def test_lists_give_arrays() -> None:
    y = sg.sigmoid([[-1.0, 0.0], [1.0, 2.0]])
    assert isinstance(y, np.ndarray)
    assert y.shape == (2, 2)
    assert y[0, 1] == 0.5


@pytest.mark.parametrize(
    ("value", "match"),
    [
        (1j, "complex"),
        (np.array([1 + 2j]), "complex"),
        ("1.0", "str"),
        (b"1", "bytes"),
        (None, "None"),
        (np.array([object()]), "object"),
        ([1.0, "a"], "real numbers"),
        (np.array(["2020-01-01"], dtype="datetime64[D]"), "datetime64"),
    ],
)
@pytest.mark.parametrize("func", UNARY.values(), ids=UNARY.keys())
def test_non_real_input_is_a_type_error(func, value, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TypeError, match=match):
        func(value)


def test_empty_and_zero_dimensional() -> None:
    for dtype in (np.float32, np.float64):
        empty = sg.sigmoid(np.empty((0, 3), dtype=dtype))
        assert empty.shape == (0, 3)
        assert empty.dtype == dtype
    assert sg.sigmoid(np.array(0.0)) == 0.5
    assert np.ndim(sg.sigmoid(np.array(0.0))) == 0


def test_non_contiguous_and_fortran_order() -> None:
    base = np.linspace(-30, 30, 600).reshape(20, 30)
    for view in (base[::2, ::3], base.T, base[:, 5], np.asfortranarray(base)):
        np.testing.assert_array_equal(sg.sigmoid(view), sg.sigmoid(view.copy()))
    assert sg.sigmoid(np.asfortranarray(base)).flags.f_contiguous


def test_out_argument() -> None:
    x = np.linspace(-10, 10, 12)
    out = np.empty_like(x)
    assert sg.sigmoid(x, out=out) is out
    np.testing.assert_array_equal(out, sg.sigmoid(x))
    # Broadcasting into out, as NumPy ufuncs do.
    wide = np.empty((3, 12))
    sg.sigmoid(x, out=wide)
    np.testing.assert_array_equal(wide, np.broadcast_to(sg.sigmoid(x), (3, 12)))
    # A strided out.
    strided = np.zeros(24)[::2]
    sg.sigmoid(x, out=strided)
    np.testing.assert_array_equal(strided, sg.sigmoid(x))
    # Computed in the wider out dtype; narrowed with same_kind casting.
    out64 = np.empty(12)
    sg.sigmoid(x.astype(np.float32), out=out64)
    np.testing.assert_array_equal(out64, sg.sigmoid(x.astype(np.float32).astype(np.float64)))
    out32 = np.empty(12, dtype=np.float32)
    sg.sigmoid(x, out=out32)
    np.testing.assert_array_equal(out32, sg.sigmoid(x).astype(np.float32))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_in_place(dtype) -> None:  # type: ignore[no-untyped-def]
    x = np.linspace(-20, 20, 1001).astype(dtype)
    expected = sg.sigmoid_derivative(x)
    assert sg.sigmoid_derivative(x, out=x) is x
    np.testing.assert_array_equal(x, expected)


@pytest.mark.parametrize(
    ("out", "error", "match"),
    [
        ([0.0, 0.0], TypeError, "NumPy array"),
        (np.empty(2, dtype=np.int64), TypeError, "floating"),
        (np.empty(3), ValueError, "broadcast"),
    ],
)
def test_bad_out(out, error, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=match):
        sg.sigmoid(np.zeros(2), out=out)


def test_read_only_out() -> None:
    out = np.empty(2)
    out.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        sg.sigmoid(np.zeros(2), out=out)


def test_derivative_order() -> None:
    assert sg.sigmoid_derivative(0.3, order=0) == sg.sigmoid(0.3)
    assert sg.sigmoid_derivative(0.0, order=2) == 0.0
    assert sg.sigmoid_derivative(0.0, order=3) == -0.125
    for bad in (4, -1, True):
        with pytest.raises(ValueError, match="order must be"):
            sg.sigmoid_derivative(1.0, order=bad)
    with pytest.raises(TypeError, match="integer"):
        sg.sigmoid_derivative(1.0, order=1.5)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.longdouble])
def test_second_derivative_is_odd_at_zero_and_keeps_nan(dtype: type) -> None:
    # σ''(x) ~ -x/8, so σ''(+0) = -0 and σ''(-0) = +0; a NaN keeps its sign.
    x = np.array([0.0, -0.0, np.nan, -np.nan], dtype)
    assert np.signbit(sg.sigmoid_derivative(x, order=2)).tolist() == [True, False, False, True]
    assert np.signbit(sg.sigmoid_derivative(dtype(0.0), order=2))
    assert not np.signbit(sg.sigmoid_derivative(dtype(-0.0), order=2))


def test_logistic() -> None:
    x = np.linspace(-5, 5, 11)
    np.testing.assert_array_equal(sg.logistic(x), sg.sigmoid(x))
    np.testing.assert_allclose(
        sg.logistic(x, L=3.0, k=2.0, x0=1.0), 3.0 / (1.0 + np.exp(-2.0 * (x - 1.0))), rtol=1e-15
    )
    assert sg.logistic(np.float32(1.0), L=2.0).dtype == np.float32
    with pytest.raises(TypeError, match="L must be a real number"):
        sg.logistic(1.0, L="2")


@pytest.mark.parametrize("name", _oracle.NAMES)
def test_longdouble_path(name) -> None:  # type: ignore[no-untyped-def]
    func = {
        "sigmoid_derivative2": lambda x: sg.sigmoid_derivative(x, order=2),
        "sigmoid_derivative3": lambda x: sg.sigmoid_derivative(x, order=3),
    }.get(name, getattr(sg, name, None))
    x = np.linspace(0.001, 0.999, 50) if name == "logit" else np.linspace(-60, 60, 51)
    y = func(x.astype(np.longdouble))
    assert y.dtype == np.longdouble
    err = _oracle.ulp_error(name, x, y)
    assert err.max() <= 8.0


@pytest.mark.parametrize("func", UNARY.values(), ids=UNARY.keys())
@pytest.mark.parametrize("dtype", FLOATS)
def test_no_floating_point_warning_for_any_input(func, dtype) -> None:  # type: ignore[no-untyped-def]
    info = np.finfo(dtype)
    special = np.array(
        [
            0,
            -0.0,
            1,
            -1,
            0.5,
            info.max,
            -info.max,
            info.tiny,
            -info.tiny,
            info.smallest_subnormal,
            np.inf,
            -np.inf,
            np.nan,
            2,
            -745.5,
            745.5,
            100,
            -100,
        ],
        dtype=dtype,
    )
    with np.errstate(all="raise"):
        func(special)


def test_special_values() -> None:
    x = np.array([np.inf, -np.inf, np.nan, 0.0])
    np.testing.assert_array_equal(sg.sigmoid(x), [1.0, 0.0, np.nan, 0.5])
    np.testing.assert_array_equal(sg.sigmoid_derivative(x), [0.0, 0.0, np.nan, 0.25])
    np.testing.assert_array_equal(sg.softplus(x), [np.inf, 0.0, np.nan, np.log(2)])
    np.testing.assert_array_equal(sg.log_sigmoid(x), [0.0, -np.inf, np.nan, -np.log(2)])
    np.testing.assert_array_equal(
        sg.logit([0.0, 1.0, -0.1, 1.1, np.nan, 0.5]), [-np.inf, np.inf, np.nan, np.nan, np.nan, 0.0]
    )
    for dtype in (np.float16, np.float32, np.float64, np.longdouble):
        assert sg.sigmoid(dtype(0)) == 0.5


@pytest.mark.parametrize("name", PUBLIC)
def test_python_ints_of_any_size_give_python_floats(name: str) -> None:
    func = PUBLIC[name]
    for n in (0, 1, -7, 2**53 + 1, 2**63, -(2**63) - 1, 2**64, 2**1000, -(2**70), 10**400):
        with np.errstate(all="raise"):
            y = func(n)
        assert type(y) is float, (n, type(y))
        # The value for the int is the value for its nearest float (±inf beyond the range).
        nearest = float(n) if abs(n) < 2**1023 else (np.inf if n > 0 else -np.inf)
        assert y == func(nearest) or (np.isnan(y) and np.isnan(func(nearest)))


def test_python_int_limits() -> None:
    assert sg.sigmoid(2**1000) == 1.0
    assert sg.sigmoid(-(2**1000)) == 0.0
    assert sg.log_sigmoid(-(2**70)) == -float(2**70)
    assert sg.softplus(10**400) == np.inf
    out = np.empty(())
    sg.sigmoid(10**400, out=out)
    assert out == 1.0


def test_logistic_parameters_broadcast_like_ufunc_arguments() -> None:
    x = np.array([-1.0, 0.0, 1.0], np.float32)
    assert sg.logistic(x, L=2.0).dtype == np.float32  # a Python number is weak
    assert sg.logistic(x, L=np.float32(2.0)).dtype == np.float32
    assert sg.logistic(x, L=np.float64(2.0)).dtype == np.float64  # as np.multiply does
    y = sg.logistic(0.0, L=np.array([1.0, 2.0]), k=[[1.0], [2.0]], x0=1.0)
    assert y.shape == (2, 2)
    np.testing.assert_array_equal(y[1], np.array([1.0, 2.0]) * sg.sigmoid(-2.0))
    assert isinstance(sg.logistic(np.float32(1.0), k=np.float32(3.0)), np.float32)
    assert type(sg.logistic(1, L=3, k=2, x0=1)) is float
    out = np.empty((2, 3))
    assert sg.logistic(x, L=[[1.0], [3.0]], out=out) is out
    np.testing.assert_array_equal(out[1], 3.0 * sg.sigmoid(x).astype(np.float64))
    with pytest.raises(ValueError, match="does not broadcast to out"):
        sg.logistic(x, L=[1.0, 2.0, 3.0], out=np.empty(2))


def test_logistic_limits_and_no_warnings() -> None:
    with np.errstate(all="raise"):
        step = sg.logistic(np.array([-1.0, 2.0, 3.0]), k=np.inf, x0=2.0)
        np.testing.assert_array_equal(step, [0.0, 0.5, 1.0])
        np.testing.assert_array_equal(
            sg.logistic(np.array([-1.0, 2.0]), k=-np.inf, x0=2.0, L=4.0), [4.0, 2.0]
        )
        assert sg.logistic([1e300], k=1e300)[0] == 1.0  # an overflowing product saturates
        assert sg.logistic(np.float32(1e30), k=np.float32(1e30)) == 1.0
        assert sg.logistic(1.7e308, x0=-1.7e308) == 1.0
        assert sg.logistic(-800.0, L=np.inf) == np.inf  # σ(-800) > 0, though it rounds to 0
        assert sg.logistic(1.0, L=2**2000) == np.inf
        assert sg.logistic(-np.inf, L=2.0) == 0.0
        for nan in ({"L": np.nan}, {"k": np.nan}, {"x0": np.nan}):
            assert np.isnan(sg.logistic(1.0, **nan))
        assert sg.logistic(2.0, L=10.0, k=0.5, x0=2.0) == 5.0


@pytest.mark.parametrize("label", ["L", "k", "x0"])
def test_logistic_parameter_errors_name_the_parameter(label: str) -> None:
    for bad in ("2", None, True, 1j, [1j]):
        with pytest.raises(TypeError, match=rf"^{label}\b"):
            sg.logistic(1.0, **{label: bad})


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_out_overlapping_the_input(dtype: type) -> None:
    # out= one element ahead of x in the same buffer: the loops' fast path
    # must not take it (the float32 rare-path pass reads x again).
    buffer = np.random.default_rng(5).uniform(-110, 110, 20_000).astype(dtype)
    want = sg.sigmoid(buffer[:-1])
    assert sg.sigmoid(buffer[:-1], out=buffer[1:]) is not None
    assert buffer[1:].tobytes() == want.tobytes()


@pytest.mark.parametrize("func", UNARY.values(), ids=UNARY.keys())
def test_bfloat16_is_one_more_float_dtype(func) -> None:  # type: ignore[no-untyped-def]
    bfloat16 = require("ml_dtypes").bfloat16
    x = np.linspace(0.01, 0.99, 24).astype(bfloat16).reshape(2, 3, 4)
    y = func(x)
    assert type(y) is np.ndarray
    assert (y.dtype, y.shape) == (bfloat16, x.shape)
    scalar = func(x[0, 0, 0])
    assert type(scalar) is bfloat16
    assert scalar.tobytes() == y[0, 0, 0].tobytes()
    assert func(x[:, ::2]).tobytes() == y[:, ::2].tobytes()  # strided
    out = np.empty_like(x)
    assert func(x, out=out) is out
    assert out.tobytes() == y.tobytes()
    inplace = x.copy()
    func(inplace, out=inplace)
    assert inplace.tobytes() == y.tobytes()
    info = np.finfo(bfloat16)
    special = np.array(
        [0, -0.0, 1, -1, info.max, -info.max, info.tiny, info.smallest_subnormal, np.inf, np.nan],
        dtype=bfloat16,
    )
    with np.errstate(all="raise"):
        func(special)
