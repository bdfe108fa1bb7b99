"""pandas, xarray and Dask: the family on their data, their metadata kept.

- pandas Series/DataFrame, xarray DataArray/Dataset: each column or
  variable's data goes back through `apply` (the compiled kernels for NumPy
  data, its own route for Dask or CuPy data), rebuilt with the same index,
  columns, coordinates, name and attrs.
- Dask arrays: ``map_blocks`` over `apply`, lazy; the block function is
  module-level, so the graph pickles to ``dask.distributed`` workers.

`apply` is the dispatcher's (passed in, so that nothing here imports upward).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from sigmoid._family import Function

Apply = Callable[[Function, Any], Any]


def _as_ndarray(result: Any) -> Any:
    return np.asarray(result) if isinstance(result, np.generic) else result


def is_pandas(x: Any) -> bool:
    pd = sys.modules.get("pandas")
    return pd is not None and isinstance(x, pd.Series | pd.DataFrame)


def _pandas_values(apply: Apply, function: Function, series: Any) -> Any:
    numpy_dtype = getattr(series.dtype, "numpy_dtype", None)
    if numpy_dtype is None:
        return apply(function, series.to_numpy())
    # A nullable number column (Float64, Int64, boolean): NA becomes NaN.
    dtype = numpy_dtype if numpy_dtype.kind == "f" else np.dtype(np.float64)
    return apply(function, series.to_numpy(dtype=dtype, na_value=np.nan))


def pandas(apply: Apply, function: Function, x: Any) -> Any:
    pd = sys.modules["pandas"]
    if isinstance(x, pd.Series):
        values = _as_ndarray(_pandas_values(apply, function, x))
        return pd.Series(values, index=x.index, name=x.name, copy=False).__finalize__(x)
    result = x.copy(deep=False)  # keeps index, columns and attrs; each column may change dtype
    for i in range(x.shape[1]):
        result.isetitem(i, _as_ndarray(_pandas_values(apply, function, x.iloc[:, i])))
    return result


def is_xarray(x: Any) -> bool:
    xr = sys.modules.get("xarray")
    return xr is not None and isinstance(x, xr.DataArray | xr.Dataset)


def xarray(apply: Apply, function: Function, x: Any) -> Any:
    if isinstance(x, sys.modules["xarray"].Dataset):
        return x.map(functools.partial(xarray, apply, function), keep_attrs=True)
    # x.data may itself be a Dask or CuPy array: it takes its own route.
    return x.copy(deep=False, data=_as_ndarray(apply(function, x.data)))


def is_dask(x: Any) -> bool:
    da = sys.modules.get("dask.array")
    return da is not None and isinstance(x, da.Array)


def _dask_block(apply: Apply, function: Function, block: Any) -> Any:
    return _as_ndarray(apply(function, block))


def dask(apply: Apply, function: Function, x: Any) -> Any:
    from dask.array.utils import meta_from_array  # dask is imported: x is a Dask array

    # The function on the empty meta array gives the output's array type and
    # dtype (or the TypeError for complex input) without computing anything.
    meta = _dask_block(apply, function, meta_from_array(x))  # type: ignore[no-untyped-call]
    block = functools.partial(_dask_block, apply, function)
    return x.map_blocks(block, dtype=meta.dtype, meta=meta, token=function.name)
