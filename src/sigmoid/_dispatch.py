"""Which implementation an input gets, decided once per input type.

`ROUTES` is the dispatch order: the first route whose test accepts an input
handles it, and the choice is cached for the input's type, so each later call
costs one dictionary lookup (and plain NumPy input, found in `NUMPY_TYPES`,
not even that: `sigmoid._api` checks it before calling here). A route's test
never imports a library: pandas, xarray, dask, torch or jax can only have
made the input if they are already in ``sys.modules``.

- NumPy arrays and scalars, Python numbers, lists: the compiled kernels.
- pandas Series/DataFrame, xarray DataArray/Dataset: the kernels on their
  values, rebuilt with the same index, columns, coordinates, name and attrs.
- Dask arrays: ``map_blocks`` over the same routes, lazy; the functions are
  module-level, so the graph pickles to ``dask.distributed`` workers.
- Anything else with an array namespace (PyTorch, JAX, CuPy,
  ``array_api_strict``, ...): `sigmoid._agnostic`, with our gradient rules
  for PyTorch and JAX (`sigmoid._autodiff`).
- Anything else (objects with ``__array__``, ...): the NumPy path.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from . import _agnostic, _autodiff, _engine
from ._validate import as_float_array, check_out

__all__ = ["NUMPY_TYPES", "ROUTES", "apply", "as_floating"]

Handler = Callable[[str, Any], Any]

#: Types that take the NumPy path; grows as `_route` meets more of them.
NUMPY_TYPES: set[type] = {float, int, bool, list, tuple, np.ndarray, np.float32, np.float64}


def numpy_path(name: str, x: Any, out: Any = None) -> Any:
    """The compiled kernels, with NumPy ufunc semantics."""
    return _engine.evaluate(name, as_float_array(x), None if out is None else check_out(out))


def _as_ndarray(result: Any) -> Any:
    return np.asarray(result) if isinstance(result, np.generic) else result


def _is_numpy(x: Any) -> bool:
    return isinstance(x, (np.ndarray, np.generic, int, float, complex, list, tuple))


def _is_pandas(x: Any) -> bool:
    pd = sys.modules.get("pandas")
    return pd is not None and isinstance(x, pd.Series | pd.DataFrame)


def _pandas_values(name: str, series: Any) -> Any:
    numpy_dtype = getattr(series.dtype, "numpy_dtype", None)
    if numpy_dtype is None:
        return numpy_path(name, series.to_numpy())
    # A nullable number column (Float64, Int64, boolean): NA becomes NaN.
    dtype = numpy_dtype if numpy_dtype.kind == "f" else np.dtype(np.float64)
    return numpy_path(name, series.to_numpy(dtype=dtype, na_value=np.nan))


def _pandas(name: str, x: Any) -> Any:
    pd = sys.modules["pandas"]
    if isinstance(x, pd.Series):
        values = _pandas_values(name, x)
        return pd.Series(values, index=x.index, name=x.name, copy=False).__finalize__(x)
    result = x.copy(deep=False)  # keeps index, columns and attrs; each column may change dtype
    for i in range(x.shape[1]):
        result.isetitem(i, _pandas_values(name, x.iloc[:, i]))
    return result


def _is_xarray(x: Any) -> bool:
    xr = sys.modules.get("xarray")
    return xr is not None and isinstance(x, xr.DataArray | xr.Dataset)


def _xarray(name: str, x: Any) -> Any:
    if isinstance(x, sys.modules["xarray"].Dataset):
        return x.map(functools.partial(_xarray, name), keep_attrs=True)
    # x.data may itself be a Dask or CuPy array: it takes its own route.
    return x.copy(deep=False, data=_as_ndarray(apply(name, x.data)))


def _is_dask(x: Any) -> bool:
    da = sys.modules.get("dask.array")
    return da is not None and isinstance(x, da.Array)


def _dask_block(name: str, block: Any) -> Any:
    return _as_ndarray(apply(name, block))


def _dask(name: str, x: Any) -> Any:
    from dask.array.utils import meta_from_array  # dask is imported: x is a Dask array

    # The function on the empty meta array gives the output's array type and
    # dtype (or the TypeError for complex input) without computing anything.
    meta = _dask_block(name, meta_from_array(x))  # type: ignore[no-untyped-call]
    block = functools.partial(_dask_block, name)
    return x.map_blocks(block, dtype=meta.dtype, meta=meta, token=name)


def _has_namespace(x: Any) -> bool:
    from array_api_compat import is_array_api_obj

    return hasattr(x, "__array_namespace__") or bool(is_array_api_obj(x))


# Array namespaces by input type (array_api_compat's for PyTorch, CuPy, ...).
_NAMESPACES: dict[type, Any] = {}


def _namespace(x: Any) -> Any:
    xp = _NAMESPACES.get(type(x))
    if xp is None:
        from array_api_compat import array_namespace

        xp = _NAMESPACES[type(x)] = array_namespace(x)
    return xp


def _array_api(name: str, x: Any) -> Any:
    xp = _namespace(x)
    return _agnostic.evaluate(x, xp, _autodiff.implementation(name, xp))


def _numpy(name: str, x: Any) -> Any:
    return numpy_path(name, x)


#: The dispatch order: (label, test, handler); the first test that accepts wins.
ROUTES: tuple[tuple[str, Callable[[Any], bool], Handler], ...] = (
    ("numpy", _is_numpy, _numpy),
    ("pandas", _is_pandas, _pandas),
    ("xarray", _is_xarray, _xarray),
    ("dask", _is_dask, _dask),
    ("array API", _has_namespace, _array_api),
)

_RESOLVED: dict[type, Handler] = {}


def _route(x: Any) -> Handler:
    handler = _RESOLVED.get(type(x))
    if handler is None:
        handler = next((h for _, test, h in ROUTES if test(x)), _numpy)
        _RESOLVED[type(x)] = handler
        if handler is _numpy:
            NUMPY_TYPES.add(type(x))
    return handler


def apply(name: str, x: Any, out: Any = None) -> Any:
    """name(x) by the route for x's type; ``out=`` only where that route is NumPy's.

    Examples
    --------
    >>> apply("sigmoid", [0.0, 40.0])
    array([0.5, 1. ])
    >>> [label for label, _, _ in ROUTES]
    ['numpy', 'pandas', 'xarray', 'dask', 'array API']
    """
    handler = _route(x)
    if handler is _numpy:
        return numpy_path(name, x, out)
    if out is not None:
        raise TypeError(
            f"out= is supported for NumPy input only, not {type(x).__module__}."
            f"{type(x).__qualname__}; use the returned array instead"
        )
    return handler(name, x)


def as_floating(x: Any) -> Any:
    """x as a floating array of its own kind, for arithmetic before `apply` (see logistic)."""
    handler = _route(x)
    if handler is _numpy:
        return as_float_array(x)
    if handler is _array_api:
        return _agnostic.as_floating(x, _namespace(x))
    return x  # pandas, xarray and Dask promote integers to float64 themselves
