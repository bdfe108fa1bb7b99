"""The public functions: check the input, then evaluate it with ufunc semantics."""

from __future__ import annotations

import operator
from typing import Any

from . import _dispatch, _logistic
from ._family import DERIVATIVE_ORDERS, FAMILY

__all__ = [
    "expit",
    "log_sigmoid",
    "logistic",
    "logit",
    "sigmoid",
    "sigmoid_derivative",
    "softplus",
]

# (_handler(type(x)) or _route(x))(function, x, out) is _dispatch.apply(function, x, out)
# without its frame: a call on one number costs mostly such overhead.
_handler, _route = _dispatch.handler, _dispatch.route
_SIGMOID = FAMILY["sigmoid"]
_SIGMOID_DERIVATIVE = FAMILY["sigmoid_derivative"]
_ORDERS = tuple(FAMILY[name] for name in DERIVATIVE_ORDERS)
_LOG_SIGMOID = FAMILY["log_sigmoid"]
_LOGIT = FAMILY["logit"]
_SOFTPLUS = FAMILY["softplus"]


def sigmoid(x: Any, /, *, out: Any = None) -> Any:
    """The logistic sigmoid σ(x) = 1 / (1 + e^(-x)), also known as expit.

    Correctly rounded in float16, bfloat16, float32 and float64 (see
    docs/accuracy.md). Never overflows or warns: σ(+inf) = 1, σ(-inf) = 0,
    NaN stays NaN, and tiny results are kept as subnormals rather than 0.

    Parameters
    ----------
    x : array_like or array of another library
        Real input. Integers and booleans are computed in float64; float16,
        bfloat16 (``ml_dtypes``), float32, float64 and longdouble keep their dtype.
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

    - PyTorch CPU tensors run the compiled kernels (as the torch operators
      ``torch.ops.sigmoid.<name>``), and JAX arrays on the CPU backend too
      (in a host callback, also under ``jit`` and ``vmap``): the NumPy
      path's results, bit for bit.
    - CuPy, PyTorch and JAX on other devices, ``array_api_strict`` and any
      array with ``__array_namespace__`` run the same stable formulas
      written with array-API calls only (no NumPy round trip, so CUDA
      tensors stay on their device). That path is not correctly rounded:
      measured within 3 ULP of the correctly rounded result in float32 and
      float64 (5, 6 and 9 ULP for orders 1, 2 and 3; see
      docs/formula-accuracy.md). float16 and bfloat16 are computed in
      float32 and rounded back; integers and booleans give the library's
      default floating dtype.
    - PyTorch autograd (backward, ``torch.func``, ``torch.compile`` with
      ``fullgraph=True``) and JAX (``grad``, ``jit``, ``vmap``)
      differentiate with the accurate derivative: the gradient of
      ``sigmoid`` at 40.0 in float64 is 4.25e-18, where ``y * (1 - y)``
      gives 0.
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
    return (_handler(type(x)) or _route(x))(_SIGMOID, x, out)


expit = sigmoid


def sigmoid_derivative(x: Any, /, *, order: int = 1, out: Any = None) -> Any:
    """The n-th derivative of σ, computed from x (never as s * (1 - s) of a rounded s).

    σ'(x) = e^(-|x|) / (1 + e^(-|x|))², which keeps its value in the tails
    where the textbook σ(x)(1 - σ(x)) rounds to 0 (x > 17.3 in float32,
    x > 37.4 in float64). Every order is correctly rounded in float16,
    bfloat16, float32 and float64, also next to the zeros of orders 2 and 3
    (σ''(0) = 0, σ'''(±1.3170) = 0). σ'' is odd down to the sign of
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
    if type(order) is int and order == 1:  # the common case, without the checks below
        return (_handler(type(x)) or _route(x))(_SIGMOID_DERIVATIVE, x, out)
    try:
        n = operator.index(order)
    except TypeError:
        raise TypeError(f"order must be an integer, not {type(order).__name__}") from None
    if isinstance(order, bool) or not 0 <= n < len(_ORDERS):
        raise ValueError(f"order must be 0, 1, 2 or 3, not {order!r}")
    return (_handler(type(x)) or _route(x))(_ORDERS[n], x, out)


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

    Correctly rounded in float16, bfloat16, float32 and float64, as `softplus`.
    """
    return (_handler(type(x)) or _route(x))(_LOG_SIGMOID, x, out)


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

    Correctly rounded in float16, bfloat16, float32 and float64 (see
    docs/accuracy.md and docs/accuracy64.md), near p = 1/2 too, where the
    result is tiny.
    """
    return (_handler(type(p)) or _route(p))(_LOGIT, p, out)


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

    Correctly rounded in float16, bfloat16, float32 and float64 (see
    docs/accuracy.md and docs/accuracy64.md). At the one float32 input where the float64
    result rounded once is not the correctly rounded one:

    >>> import numpy as np
    >>> x = np.float32(0.00044680992141366005)
    >>> sg.softplus(x), np.float32(sg.softplus(np.float64(x)))
    (np.float32(0.69337064), np.float32(0.6933706))
    """
    return (_handler(type(x)) or _route(x))(_SOFTPLUS, x, out)


def logistic(x: Any, /, *, L: Any = 1.0, k: Any = 1.0, x0: Any = 0.0, out: Any = None) -> Any:
    """The general logistic curve L / (1 + e^(-k (x - x0))).

    Computed as ``L * sigmoid(k * (x - x0))``; with the default parameters
    it is exactly `sigmoid`.

    Parameters
    ----------
    x : array_like or array of another library
        Real input, as for `sigmoid`.
    L, k, x0 : real number or array, optional
        The curve's maximum, steepness and midpoint: Python numbers, NumPy
        scalars or arrays, or arrays of the library of `x`. They broadcast
        with `x` and promote its dtype as the arguments of a NumPy ufunc do
        (a Python number keeps float32 `x` in float32).
    out : ndarray, optional
        Where to write the result (NumPy input only), as for a ufunc.

    Notes
    -----
    Nothing warns, for any input, and the limits are defined: k = ±inf is
    the step function, with L/2 at x = x0; products that overflow saturate;
    L = ±inf gives ±inf wherever σ > 0; a NaN anywhere gives NaN.

    Examples
    --------
    >>> import numpy as np
    >>> import sigmoid as sg
    >>> sg.logistic(2.0, L=10.0, k=0.5, x0=2.0)
    5.0
    >>> sg.logistic(np.array([-1.0, 0.0, 1.0]), k=np.inf)  # the step function
    array([0. , 0.5, 1. ])
    >>> sg.logistic(0.0, L=np.array([1.0, 2.0]), k=[[1.0], [2.0]], x0=1.0)
    array([[0.26894142, 0.53788284],
           [0.11920292, 0.23840584]])
    """
    return _logistic.logistic(x, L, k, x0, out)
