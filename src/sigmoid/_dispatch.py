"""Which implementation an input gets, decided once per input type.

`ROUTES` is the dispatch order: the first route whose test accepts an input
handles it, and the choice is cached for the input's type, so each later call
costs one dictionary lookup. A route's test never imports a library: pandas,
xarray, dask, torch or jax can only have made the input if they are already
in ``sys.modules``.

- NumPy arrays and scalars, Python numbers, lists: the NumPy engine and its
  compiled kernels (`sigmoid._engine`).
- pandas, xarray, Dask: `sigmoid._backends.containers`, which sends their
  data back through `apply`.
- PyTorch tensors: `sigmoid._backends.torch_ops`, the compiled kernels as
  torch operators on CPU tensors (the formulas on other devices), with our
  derivatives in autograd.
- Anything else with an array namespace (JAX, CuPy,
  ``array_api_strict``, ...): the array-API formulas
  (`sigmoid._backends.array_api`) with our gradient rules for JAX
  (`sigmoid._backends.autodiff`).
- Anything else (objects with ``__array__``, ...): the NumPy engine.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from . import _engine
from ._backends import array_api, autodiff, containers
from ._family import Function
from ._validate import as_float_array

__all__ = ["ROUTES", "apply", "as_floating", "handler", "is_array_api", "route", "route_label"]

Handler = Callable[[Function, Any, Any], Any]  # handler(function, x, out)


def _is_numpy(x: Any) -> bool:
    return isinstance(x, (np.ndarray, np.generic, int, float, complex, list, tuple))


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


def _out_error(x: Any) -> TypeError:
    return TypeError(
        f"out= is supported for NumPy input only, not {type(x).__module__}."
        f"{type(x).__qualname__}; use the returned array instead"
    )


def _no_out(handler: Callable[[Function, Any], Any]) -> Handler:
    def route(function: Function, x: Any, out: Any) -> Any:
        if out is not None:
            raise _out_error(x)
        return handler(function, x)

    return route


def _is_torch(x: Any) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(x, torch.Tensor)


# The torch operators' module once a tensor has been met (it imports torch).
_torch_ops: Any = None


def _torch(function: Function, x: Any, out: Any) -> Any:
    # A handler of its own, not through _no_out: on 10 elements every frame
    # and import statement is a tenth of the call.
    global _torch_ops
    if out is not None:
        raise _out_error(x)
    if _torch_ops is None:
        from ._backends import torch_ops as _torch_ops
    return _torch_ops.evaluate(function, x)


def _array_api(function: Function, x: Any) -> Any:
    xp = _namespace(x)
    return array_api.evaluate(x, xp, autodiff.implementation(function.name, xp))


# pandas, xarray and Dask send their data back through `apply`.
def _pandas(function: Function, x: Any) -> Any:
    return containers.pandas(apply, function, x)


def _xarray(function: Function, x: Any) -> Any:
    return containers.xarray(apply, function, x)


def _dask(function: Function, x: Any) -> Any:
    return containers.dask(apply, function, x)


_ARRAY_API = _no_out(_array_api)

#: The dispatch order: (label, test, handler); the first test that accepts wins.
ROUTES: tuple[tuple[str, Callable[[Any], bool], Handler], ...] = (
    ("numpy", _is_numpy, _engine.evaluate),
    ("pandas", containers.is_pandas, _no_out(_pandas)),
    ("xarray", containers.is_xarray, _no_out(_xarray)),
    ("dask", containers.is_dask, _no_out(_dask)),
    ("torch", _is_torch, _torch),
    ("array API", _has_namespace, _ARRAY_API),
)

# The handler for every input type met so far; plain NumPy and Python types
# are known from the start.
_RESOLVED: dict[type, Handler] = {
    **dict.fromkeys((bool, list, tuple, np.float16), _engine.evaluate),
    **_engine.BY_TYPE,  # the engine's own entries, without `evaluate`'s frame
}
_NUMPY_HANDLERS = frozenset((_engine.evaluate, *_engine.BY_TYPE.values()))


def _route(x: Any) -> Handler:
    handler = _RESOLVED.get(type(x))
    if handler is None:
        handler = next((h for _, test, h in ROUTES if test(x)), _engine.evaluate)
        _RESOLVED[type(x)] = handler
    return handler


#: The handler for x's type, or None before its first call: ``handler(type(x)) or route(x)``
#: is what `apply` does, for the public functions to call without a frame of their own.
handler = _RESOLVED.get
route = _route


def apply(function: Function, x: Any, out: Any = None) -> Any:
    """function(x) by the route for x's type; ``out=`` only where that route is NumPy's.

    Examples
    --------
    >>> from sigmoid._family import FAMILY
    >>> apply(FAMILY["sigmoid"], [0.0, 40.0])
    array([0.5, 1. ])
    >>> [label for label, _, _ in ROUTES]
    ['numpy', 'pandas', 'xarray', 'dask', 'torch', 'array API']
    """
    return (_RESOLVED.get(type(x)) or _route(x))(function, x, out)


_LABELS = {handler: label for label, _, handler in ROUTES}


def route_label(x: Any) -> str:
    """The label in ROUTES of the route x takes ("numpy", "pandas", ...)."""
    return _LABELS.get(_route(x), "numpy")


#: Whether x is an array of an array-API library (without importing any).
is_array_api = _has_namespace


def as_floating(x: Any) -> Any:
    """x as a floating array of its own kind, for arithmetic before `apply` (see logistic)."""
    handler = _route(x)
    if handler in _NUMPY_HANDLERS:
        return as_float_array(x)
    if handler is _ARRAY_API or handler is _torch:
        return array_api.as_floating(x, _namespace(x))
    return x  # pandas, xarray and Dask promote integers to float64 themselves
