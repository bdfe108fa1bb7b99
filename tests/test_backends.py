"""Every array library through one `xp` fixture, plus pandas and xarray metadata.

The `xp` fixture gives the array namespace of numpy, array_api_strict, torch,
jax (with float64 enabled for the test) and dask. NumPy and Dask run our
compiled kernels, so they match the NumPy result bit for bit; the others run
the array-API formulas (sigmoid._backends.array_api), which are not correctly
rounded and are held to `XP_MAX_ULP` against the NumPy result.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import sigmoid as sg
from family import PUBLIC
from optional import require

BACKENDS = ["numpy", "array_api_strict", "torch", "jax", "dask"]
EXACT = {"numpy", "dask"}  # backends that run the compiled kernels
NAMESPACES = {  # the module `xp` is, by backend
    "numpy": "numpy",
    "array_api_strict": "array_api_strict",
    "array_api_compat.torch": "torch",
    "jax.numpy": "jax",
    "array_api_compat.dask.array": "dask",
}

FUNCTIONS = PUBLIC
# The agnostic formulas against the NumPy kernels, float32 and float64 (the
# worst seen over a million inputs on torch, jax and array_api_strict, in
# docs/formula-accuracy.md: 3, 5, 6, 9, 3, 3, 3).
XP_MAX_ULP = {
    "sigmoid": 4,
    "sigmoid_derivative": 6,
    "sigmoid_derivative2": 8,
    "sigmoid_derivative3": 16,
    "softplus": 4,
    "log_sigmoid": 4,
    "logit": 4,
}


@pytest.fixture(params=BACKENDS)
def xp(request: pytest.FixtureRequest) -> Iterator[Any]:
    """The array namespace of one backend; a missing backend skips (fails in CI)."""
    name = request.param
    if name == "jax":
        jax = require("jax")
        with jax.enable_x64(True):
            yield importlib.import_module("jax.numpy")
        return
    if name in ("torch", "dask"):
        require(name)
    yield require(next(n for n, b in NAMESPACES.items() if b == name))


def backend(xp: Any) -> str:
    return NAMESPACES[xp.__name__]


def to_numpy(y: Any) -> np.ndarray:
    if hasattr(y, "compute"):
        y = y.compute()
    return np.asarray(np.from_dlpack(y) if not isinstance(y, np.generic) else y)


def ulps(got: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """|got - ref| in units of the spacing at ref; matching NaN and infinities count 0."""
    same = (got == ref) | (np.isnan(got) & np.isnan(ref))
    spacing = np.spacing(np.abs(ref)).astype(np.longdouble)
    with np.errstate(invalid="ignore"):  # inf - inf where both are inf: `same` covers it
        err = np.abs(got.astype(np.longdouble) - ref.astype(np.longdouble)) / spacing
    return np.where(same, 0, err)


def grid(name: str, dtype: type) -> np.ndarray:
    if name == "logit":
        tails = np.logspace(-30 if dtype == np.float32 else -300, -0.4, 2000)
        return np.concatenate([np.linspace(0, 1, 4001), tails, 1 - tails]).astype(dtype)
    far = 100 if dtype == np.float32 else 740
    small = np.logspace(-30, 0, 500)
    zero3 = np.log(2 + np.sqrt(3)) + np.linspace(-1e-3, 1e-3, 201)  # σ''' crosses 0 here
    x = np.concatenate([np.linspace(-far, far, 4001), np.linspace(-8, 8, 4001), small, zero3])
    return np.concatenate([x, -x]).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", FUNCTIONS)
def test_values_match_numpy_in_ulps(xp: Any, name: str, dtype: type) -> None:
    x = grid(name, dtype)
    ref = np.asarray(FUNCTIONS[name](x))
    got = to_numpy(FUNCTIONS[name](xp.asarray(x)))
    assert got.dtype == ref.dtype
    if backend(xp) in EXACT:
        np.testing.assert_array_equal(got, ref)
        return
    # JAX on CPU flushes subnormal results to zero: those count in absolute terms.
    subnormal = np.abs(ref) < np.finfo(dtype).tiny
    assert np.all(np.abs(got[subnormal] - ref[subnormal]) <= np.finfo(dtype).tiny)
    err = ulps(got[~subnormal], ref[~subnormal])
    worst = np.argmax(err)
    assert err[worst] <= XP_MAX_ULP[name], f"{err[worst]} ULP at x = {x[~subnormal][worst]!r}"


@pytest.mark.parametrize("name", FUNCTIONS)
def test_special_values_match_numpy(xp: Any, name: str) -> None:
    x = np.array([-np.inf, -1e300, -0.0, 0.0, 1e300, np.inf, np.nan])
    if name == "logit":
        x = np.array([-np.inf, -1.0, -0.0, 0.0, 0.5, 1.0, 2.0, np.inf, np.nan])
    got = to_numpy(FUNCTIONS[name](xp.asarray(x)))
    # Exact everywhere but at x = 0 for σ''' (-1/8, a few ULP off in the xp path).
    bound = 0 if backend(xp) in EXACT else XP_MAX_ULP[name]
    assert np.all(ulps(got, FUNCTIONS[name](x)) <= bound)
    assert to_numpy(sg.sigmoid(xp.asarray([0.0, -0.0]))).tolist() == [0.5, 0.5]


def test_second_derivative_keeps_the_sign_of_zero(xp: Any) -> None:
    # σ''(x) ~ -x/8: σ''(+0) = -0 and σ''(-0) = +0, as in the NumPy loops.
    got = to_numpy(sg.sigmoid_derivative(xp.asarray([0.0, -0.0, 1e-30, -1e-30]), order=2))
    assert np.signbit(got).tolist() == [True, False, True, False]


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("name", FUNCTIONS)
def test_type_shape_dtype_device_kept(xp: Any, name: str, dtype: type) -> None:
    from array_api_compat import device

    if backend(xp) == "array_api_strict" and dtype == np.float16:
        return  # the standard has no float16, so array_api_strict has none to test
    for shape in [(), (0,), (2, 3)]:
        values = np.linspace(0.1, 0.9, int(np.prod(shape)), dtype=dtype).reshape(shape)
        x = xp.asarray(values)
        y = FUNCTIONS[name](x)
        if backend(xp) == "numpy" and shape == ():
            assert isinstance(y, dtype)  # NumPy's rule: a 0-d result is a scalar
        else:
            assert type(y) is type(x)
            assert device(y) == device(x)
        assert y.shape == x.shape
        assert y.dtype == x.dtype
        # float16 in the agnostic path is computed in float32 and rounded once more.
        bound = 0 if backend(xp) in EXACT else 1 if dtype == np.float16 else XP_MAX_ULP[name]
        ref = np.asarray(FUNCTIONS[name](values))
        assert np.all(ulps(to_numpy(y).reshape(shape), ref) <= bound)


def test_integers_and_bools_give_the_default_float(xp: Any) -> None:
    default = xp.__array_namespace_info__().default_dtypes()["real floating"]
    for x in (xp.asarray([0, 1, 2]), xp.asarray([True, False])):
        y = sg.sigmoid(x)
        assert y.dtype == default
        np.testing.assert_allclose(to_numpy(y), sg.sigmoid(to_numpy(x)), rtol=1e-6)


def test_complex_is_a_type_error(xp: Any) -> None:
    with pytest.raises(TypeError, match="complex input is not supported"):
        sg.sigmoid(xp.asarray([1j]))


def test_out_only_for_numpy(xp: Any) -> None:
    x = xp.asarray([0.0, 1.0])
    out = np.empty(2)
    if backend(xp) == "numpy":
        assert sg.sigmoid(x, out=out) is out
        return
    with pytest.raises(TypeError, match="out= is supported for NumPy input only"):
        sg.sigmoid(x, out=out)


def test_logistic_keeps_the_type(xp: Any) -> None:
    x = xp.asarray([-1.0, 0.0, 3.0], dtype=xp.float32)
    y = sg.logistic(x, L=2.0, k=0.5, x0=1.0)
    assert type(y) is type(x)
    assert y.dtype == x.dtype
    ref = sg.logistic(np.array([-1.0, 0.0, 3.0], dtype=np.float32), L=2.0, k=0.5, x0=1.0)
    np.testing.assert_allclose(to_numpy(y), ref, rtol=4e-7)
    assert sg.logistic(xp.asarray([0, 1])).dtype == sg.sigmoid(xp.asarray([0, 1])).dtype


def test_logistic_parameters_broadcast_as_arrays(xp: Any) -> None:
    # L, k and x0 as arrays of the same library broadcast with x; the limits
    # (k = inf: the step with L/2 at x0; L = inf) hold on every library.
    x = xp.asarray([-1.0, 0.0, 3.0], dtype=xp.float64)
    L = xp.asarray([[1.0], [2.0], [np.inf]], dtype=xp.float64)
    k = xp.asarray([0.5, np.inf, 2.0], dtype=xp.float64)
    y = sg.logistic(x, L=L, k=k, x0=0.0)
    assert type(y) is type(x)
    assert tuple(y.shape) == (3, 3)
    ref = sg.logistic(
        np.array([-1.0, 0.0, 3.0]),
        L=np.array([[1.0], [2.0], [np.inf]]),
        k=np.array([0.5, np.inf, 2.0]),
    )
    got = to_numpy(y)
    np.testing.assert_allclose(got, ref, rtol=1e-15)
    assert got[1, 1] == 1.0  # L/2 at the step
    assert np.all(got[2] == np.inf)


def test_torch_tensors_stay_on_their_device() -> None:
    # The meta device holds no data: any NumPy round trip would fail.
    torch = require("torch")
    x = torch.empty(3, 4, device="meta", dtype=torch.float16)
    for func in FUNCTIONS.values():
        y = func(x)
        assert y.device.type == "meta"
        assert y.dtype == torch.float16
        assert y.shape == x.shape


def test_pandas_series_and_frame_keep_their_metadata() -> None:
    pd = require("pandas")
    s = pd.Series([0.5, -1.0, 2.0], index=pd.Index(["a", "b", "c"], name="key"), name="score")
    s.attrs["unit"] = "logit"
    y = sg.sigmoid(s)
    assert type(y) is pd.Series
    pd.testing.assert_index_equal(y.index, s.index)
    assert y.name == "score"
    assert y.attrs == {"unit": "logit"}
    np.testing.assert_array_equal(y.to_numpy(), sg.sigmoid(s.to_numpy()))

    frame = pd.DataFrame(
        {"a": np.float32([0.1, 0.2]), "b": [1, 2], "c": pd.array([0.3, None], dtype="Float64")},
        index=pd.date_range("2024-01-01", periods=2),
    )
    frame.attrs["source"] = "test"
    y = sg.logit(frame)
    assert type(y) is pd.DataFrame
    pd.testing.assert_index_equal(y.index, frame.index)
    pd.testing.assert_index_equal(y.columns, frame.columns)
    assert y.attrs == {"source": "test"}
    assert list(y.dtypes) == [np.float32, np.float64, np.float64]  # ints promote; NA → NaN
    np.testing.assert_array_equal(y["a"].to_numpy(), sg.logit(np.float32([0.1, 0.2])))
    np.testing.assert_array_equal(y["c"].to_numpy(), [sg.logit(0.3), np.nan])
    assert frame["b"].dtype == np.int64  # the input is untouched


def test_pandas_duplicate_column_names() -> None:
    pd = require("pandas")
    frame = pd.DataFrame([[0.0, 1.0]], columns=["x", "x"])
    np.testing.assert_array_equal(sg.softplus(frame).to_numpy(), sg.softplus([[0.0, 1.0]]))


def test_xarray_keeps_coords_name_and_attrs() -> None:
    xr = require("xarray")
    a = xr.DataArray(
        np.linspace(-2, 2, 6, dtype=np.float32).reshape(2, 3),
        dims=("row", "col"),
        coords={"row": [10, 20], "col": ["p", "q", "r"], "label": ("row", ["u", "v"])},
        name="z",
        attrs={"unit": "1"},
    )
    y = sg.sigmoid_derivative(a, order=2)
    assert type(y) is xr.DataArray
    assert y.dims == a.dims
    assert y.name == "z"
    assert y.attrs == {"unit": "1"}
    xr.testing.assert_identical(y.coords.to_dataset(), a.coords.to_dataset())
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y.values, sg.sigmoid_derivative(a.values, order=2))

    dataset = xr.Dataset({"v": a, "w": ("row", [0, 1])}, attrs={"title": "t"})
    out = sg.softplus(dataset)
    assert out.attrs == {"title": "t"}
    assert out["v"].attrs == {"unit": "1"}
    assert out["w"].dtype == np.float64
    np.testing.assert_array_equal(out["v"].values, sg.softplus(a.values))


def test_xarray_over_dask_stays_lazy() -> None:
    xr = require("xarray")
    da = require("dask.array")
    values = np.linspace(-5, 5, 12)
    a = xr.DataArray(da.from_array(values, chunks=4), dims="t", name="x")
    y = sg.log_sigmoid(a)
    assert isinstance(y.data, da.Array)
    assert y.chunks == a.chunks
    np.testing.assert_array_equal(y.values, sg.log_sigmoid(values))


def test_numpy_use_imports_no_backend() -> None:
    # The dispatcher looks in sys.modules; NumPy input must not even load array_api_compat.
    code = (
        "import sys, json, numpy as np, sigmoid as sg\n"
        "sg.sigmoid(np.float16(1)); sg.logit([0.5]); sg.softplus(np.ones(3, np.float32))\n"
        "sg.logistic(np.int8(1), k=2.0)\n"
        "names = ['torch', 'jax', 'dask', 'pandas', 'xarray', 'array_api_strict', 'cupy',"
        " 'array_api_compat']\n"
        "print(json.dumps([m for m in names if m in sys.modules]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert json.loads(result.stdout) == []


def test_logistic_keeps_pandas_and_xarray_metadata() -> None:
    pd, xr = require("pandas"), require("xarray")
    s = pd.Series([-1.0, 0.0, 1.0], index=list("abc"), name="v")
    y = sg.logistic(s, L=2.0, k=np.inf)
    assert list(y.index) == ["a", "b", "c"]
    assert y.name == "v"
    np.testing.assert_array_equal(y.to_numpy(), [0.0, 1.0, 2.0])  # the step, L/2 at x0
    a = xr.DataArray([-1.0, 0.0, 1.0], dims="t", coords={"t": [1, 2, 3]}, attrs={"u": 1})
    z = sg.logistic(a, L=np.float64(3.0), x0=0.5)
    assert z.attrs == {"u": 1}
    np.testing.assert_array_equal(z.coords["t"], [1, 2, 3])
    np.testing.assert_array_equal(z.values, 3.0 * sg.sigmoid(np.array([-1.5, -0.5, 0.5])))
