"""The public functions: check the input, then evaluate it with ufunc semantics."""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from . import _dispatch, _engine
from ._validate import as_float_array, check_out

__all__ = [
    "expit",
    "log_sigmoid",
    "logistic",
    "logit",
    "sigmoid",
    "sigmoid_derivative",
    "softplus",
]

_DERIVATIVES = ("sigmoid", "sigmoid_derivative", "sigmoid_derivative2", "sigmoid_derivative3")


_NUMPY_TYPES = _dispatch.NUMPY_TYPES


# The compiled entry points, once they exist (filled by sigmoid._engine): a
# call on one number or a few costs mostly its Python checks, so the public
# functions look these up first.
_SCALAR = _engine.SCALAR
_VECTOR = _engine.VECTOR
_SMALL = _engine.SMALL
_UFUNCS = _engine.UFUNCS
_SIGMOID_UFUNCS = _UFUNCS["sigmoid"]
_TINY = _engine.TINY
_NDARRAY = np.ndarray


def _apply(name: str, x: Any, out: Any) -> Any:
    kind = type(x)
    if out is None:
        # The commonest calls first, each as short as it can be: for one number
        # or ten, the checks cost more than the arithmetic.
        if kind is float:  # one Python number: the compiled scalar function, a float back
            scalar = _SCALAR.get(name)
            return scalar(x) if scalar is not None else _engine.evaluate_float(name, x)
        if kind is np.float32 or kind is np.float64:  # NumPy scalars: the ufunc, a scalar back
            return (_UFUNCS[name].get(kind) or _engine.tiny_ufunc(name))(x)
        elif kind is np.ndarray:
            if x.size <= _TINY and x.dtype in _VECTOR:  # float32 or float64
                # Any shape or strides; a 0-d array gives a NumPy scalar, as NumPy does.
                return (_UFUNCS[name].get(x.dtype) or _engine.tiny_ufunc(name))(x)
            loops = _VECTOR.get(x.dtype)
            if loops is not None and x.ndim == 1 and x.flags.c_contiguous:
                loop = loops.get(name)
                if loop is not None and len(x) < _SMALL:
                    result = np.empty(x.shape, x.dtype)  # (faster than np.empty_like)
                    loop(x, result)
                    return result
                return _engine.evaluate_vector(name, x)
        elif kind is int and -(2**53) <= x <= 2**53:  # exactly representable
            return _engine.evaluate_float(name, float(x))
    elif (
        kind is np.ndarray
        and type(out) is np.ndarray
        and x.size <= _TINY
        and out.dtype == x.dtype
        and out.shape == x.shape
        and out.flags.c_contiguous  # numba's ufunc loops misplace a strided out (numba 0.68)
        and out.flags.writeable  # (else the general path's error message)
        and x.dtype in _VECTOR
    ):  # exactly what the general path does here, overlap included
        return (_UFUNCS[name].get(x.dtype) or _engine.tiny_ufunc(name))(x, out=out)
    if kind in _NUMPY_TYPES:  # plain NumPy and Python input: straight to the kernels
        return _engine.evaluate(name, as_float_array(x), None if out is None else check_out(out))
    return _dispatch.apply(name, x, out)  # other array libraries, pandas, xarray, Dask


def sigmoid(x: Any, /, *, out: Any = None) -> Any:
    """The logistic sigmoid σ(x) = 1 / (1 + e^(-x)), also known as expit.

    Correctly rounded in float16 and float32, within 1 ULP in float64 (see
    docs/accuracy.md). Never overflows or warns: σ(+inf) = 1, σ(-inf) = 0,
    NaN stays NaN, and tiny results are kept as subnormals rather than 0.

    Parameters
    ----------
    x : array_like or array of another library
        Real input. Integers and booleans are computed in float64; float16,
        float32, float64 and longdouble keep their dtype.
    out : ndarray, optional
        Where to write the result, as for a NumPy ufunc (``x`` broadcasts to it).
        NumPy input only: for other libraries it is a `TypeError`.

    Returns
    -------
    ndarray or NumPy scalar, or the type of ``x``
        σ(x), with the shape and dtype of ``x``; a scalar for scalar input.

    Notes
    -----
    Every function of the family accepts other array libraries and returns
    their type, shape, dtype and device:

    - PyTorch, JAX, CuPy, ``array_api_strict`` and any array with
      ``__array_namespace__`` run the same stable formulas written with
      array-API calls only (no NumPy round trip, so CUDA tensors stay on
      their device). That path is not correctly rounded: within 4 ULP of
      the NumPy result in float32 and float64 (8 and 16 ULP for derivatives
      of order 2 and 3); JAX on CPU flushes subnormal results to 0. float16
      and bfloat16 are computed in float32 and rounded back; integers and
      booleans give the library's default floating dtype.
    - PyTorch autograd (backward, ``torch.func``) and JAX (``grad``,
      ``jit``, ``vmap``) differentiate with the accurate derivative: the
      gradient of ``sigmoid`` at 40.0 in float64 is 4.25e-18, where
      ``y * (1 - y)`` gives 0. This works under ``torch.compile`` (backward
      only); with ``fullgraph=True``, call the function once on a tensor
      before compiling (creating its ``autograd.Function`` cannot be traced).
    - Dask arrays stay lazy: our compiled kernels run block by block, also
      on ``dask.distributed`` workers.
    - pandas Series/DataFrame and xarray DataArray/Dataset keep their index,
      columns, coordinates, name and attrs (nullable pandas NA becomes NaN).

    Examples
    --------
    >>> import numpy as np
    >>> import sigmoid as sg
    >>> sg.sigmoid(0.0)
    0.5
    >>> sg.sigmoid(np.array([-1.0, 0.0, 1.0], dtype=np.float32))
    array([0.26894143, 0.5       , 0.7310586 ], dtype=float32)
    >>> sg.sigmoid(-720.0)  # the true subnormal, not 0
    2.03...e-313
    """
    if out is None:  # the commonest calls on a few numbers, kept to one Python frame
        kind = type(x)
        if kind is float and (scalar := _SCALAR.get("sigmoid")):
            return scalar(x)
        if kind is _NDARRAY:
            if x.size <= _TINY and (ufunc := _SIGMOID_UFUNCS.get(x.dtype)):
                return ufunc(x)
        elif ufunc := _SIGMOID_UFUNCS.get(kind):  # a NumPy float32 or float64 scalar
            return ufunc(x)
    return _apply("sigmoid", x, out)


expit = sigmoid


def sigmoid_derivative(x: Any, /, *, order: int = 1, out: Any = None) -> Any:
    """The n-th derivative of σ, computed from x (never as s * (1 - s) of a rounded s).

    σ'(x) = e^(-|x|) / (1 + e^(-|x|))², which keeps its value in the tails
    where the textbook σ(x)(1 - σ(x)) rounds to 0 (x > 17.3 in float32,
    x > 37.4 in float64). Every order is correctly rounded in float16 and
    float32; in float64 order 1 is within 0.5 + 2^-3 ULP (0.8125 for a
    subnormal result) and orders 2 and 3 within 1 ULP, also next to their
    zeros (σ''(0) = 0, σ'''(±1.3170) = 0). σ'' is odd down to the sign of
    zero: σ''(+0.0) is -0.0 and σ''(-0.0) is +0.0, as -x/8 would give.

    Parameters
    ----------
    x : array_like
        Real input, as for `sigmoid`.
    order : {1, 2, 3}, optional
        Which derivative; 0 gives σ itself.
    out : ndarray, optional
        Where to write the result, as for a NumPy ufunc.

    Examples
    --------
    >>> import sigmoid as sg
    >>> sg.sigmoid_derivative(0.0)
    0.25
    >>> sg.sigmoid_derivative(40.0)  # s * (1 - s) would give 0.0
    4.248354255291589e-18
    >>> sg.sigmoid_derivative(1.0, order=2)
    -0.09085774767294841
    """
    if out is None and type(x) is float and type(order) is int and order == 1:
        scalar = _SCALAR.get(_DERIVATIVES[1])
        if scalar is not None:
            return scalar(x)
    try:
        n = operator.index(order)
    except TypeError:
        raise TypeError(f"order must be an integer, not {type(order).__name__}") from None
    if isinstance(order, bool) or not 0 <= n < len(_DERIVATIVES):
        raise ValueError(f"order must be 0, 1, 2 or 3, not {order!r}")
    return _apply(_DERIVATIVES[n], x, out)


def log_sigmoid(x: Any, /, *, out: Any = None) -> Any:
    """log σ(x) = -softplus(-x), without overflow or loss for any x.

    Examples
    --------
    >>> import sigmoid as sg
    >>> sg.log_sigmoid(0.0)
    -0.6931471805599453
    >>> sg.log_sigmoid(-1000.0)
    -1000.0
    >>> sg.log_sigmoid(40.0)
    -4.248354255291589e-18

    As for `softplus`, a float32 result is the float64 one rounded once.
    """
    if out is None and type(x) is float and (scalar := _SCALAR.get("log_sigmoid")):
        return scalar(x)
    return _apply("log_sigmoid", x, out)


def logit(p: Any, /, *, out: Any = None) -> Any:
    """The inverse of σ: logit(p) = log(p / (1 - p)).

    ``logit(0) = -inf``, ``logit(1) = inf``, and NaN outside [0, 1].

    Examples
    --------
    >>> import sigmoid as sg
    >>> sg.logit(0.5)
    0.0
    >>> sg.logit([0.0, 0.25, 1.0])
    array([      -inf, -1.09861229,        inf])
    """
    if out is None and type(p) is float and (scalar := _SCALAR.get("logit")):
        return scalar(p)
    return _apply("logit", p, out)


def softplus(x: Any, /, *, out: Any = None) -> Any:
    """softplus(x) = log(1 + e^x), the antiderivative of σ, without overflow.

    Examples
    --------
    >>> import sigmoid as sg
    >>> sg.softplus(0.0)
    0.6931471805599453
    >>> sg.softplus(1000.0)
    1000.0
    >>> sg.softplus(-745.0)  # e^-745, a subnormal
    5e-324

    A float32 result is the float64 one rounded once:

    >>> import numpy as np
    >>> x = np.float32(-3.5)
    >>> sg.softplus(x) == np.float32(sg.softplus(np.float64(x)))
    np.True_
    """
    if out is None and type(x) is float and (scalar := _SCALAR.get("softplus")):
        return scalar(x)
    return _apply("softplus", x, out)


def logistic(x: Any, /, *, L: float = 1.0, k: float = 1.0, x0: float = 0.0) -> Any:
    """The general logistic curve L / (1 + e^(-k (x - x0))).

    Computed as ``L * sigmoid(k * (x - x0))`` in the dtype of `x`; with the
    default parameters it is exactly `sigmoid`. Arrays of other libraries
    keep their type, as for `sigmoid` (see its Notes).

    Examples
    --------
    >>> import sigmoid as sg
    >>> sg.logistic(2.0, L=10.0, k=0.5, x0=2.0)
    5.0
    """
    params = {}
    for label, value in (("L", L), ("k", k), ("x0", x0)):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"{label} must be a real number, not {type(value).__name__}")
        params[label] = float(value)
    if type(x) is float or (type(x) is int and -(2**53) <= x <= 2**53):  # as for sigmoid
        x = float(x)
        arr: Any = x
    else:
        arr = as_float_array(x) if type(x) in _NUMPY_TYPES else _dispatch.as_floating(x)
    if params["x0"] != 0.0:
        arr = arr - params["x0"]
    if params["k"] != 1.0:
        arr = arr * params["k"]
    y = sigmoid(arr)
    return y * params["L"] if params["L"] != 1.0 else y
