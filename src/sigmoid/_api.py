"""The public functions: check the input, then evaluate it with ufunc semantics."""

from __future__ import annotations

import operator
from typing import Any

from . import _engine
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


def _apply(name: str, x: Any, out: Any) -> Any:
    arr = as_float_array(x)
    return _engine.evaluate(name, arr, None if out is None else check_out(out))


def sigmoid(x: Any, /, *, out: Any = None) -> Any:
    """The logistic sigmoid σ(x) = 1 / (1 + e^(-x)), also known as expit.

    Correctly rounded in float16 and float32, within 1 ULP in float64 (see
    docs/accuracy.md). Never overflows or warns: σ(+inf) = 1, σ(-inf) = 0,
    NaN stays NaN, and tiny results are kept as subnormals rather than 0.

    Parameters
    ----------
    x : array_like
        Real input. Integers and booleans are computed in float64; float16,
        float32, float64 and longdouble keep their dtype.
    out : ndarray, optional
        Where to write the result, as for a NumPy ufunc (``x`` broadcasts to it).

    Returns
    -------
    ndarray or NumPy scalar
        σ(x), with the shape and dtype of ``x``; a scalar for scalar input.

    Examples
    --------
    >>> import numpy as np
    >>> import sigmoid as sg
    >>> sg.sigmoid(0.0)
    np.float64(0.5)
    >>> sg.sigmoid(np.array([-1.0, 0.0, 1.0], dtype=np.float32))
    array([0.26894143, 0.5       , 0.7310586 ], dtype=float32)
    >>> sg.sigmoid(-720.0)  # the true subnormal, not 0
    np.float64(2.03...e-313)
    """
    return _apply("sigmoid", x, out)


expit = sigmoid


def sigmoid_derivative(x: Any, /, *, order: int = 1, out: Any = None) -> Any:
    """The n-th derivative of σ, computed from x (never as s * (1 - s) of a rounded s).

    σ'(x) = e^(-|x|) / (1 + e^(-|x|))², which keeps its value in the tails
    where the textbook σ(x)(1 - σ(x)) rounds to 0 (x > 17.3 in float32,
    x > 37.4 in float64). Order 1 is correctly rounded in float16 and float32
    and within 2 ULP in float64; orders 2 and 3 are evaluated with ~100-bit
    intermediates.

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
    np.float64(0.25)
    >>> sg.sigmoid_derivative(40.0)  # s * (1 - s) would give 0.0
    np.float64(4.248354255291589e-18)
    >>> sg.sigmoid_derivative(1.0, order=2)
    np.float64(-0.09085774767294841)
    """
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
    np.float64(-0.6931471805599453)
    >>> sg.log_sigmoid(-1000.0)
    np.float64(-1000.0)
    >>> sg.log_sigmoid(40.0)
    np.float64(-4.248354255291589e-18)
    """
    return _apply("log_sigmoid", x, out)


def logit(p: Any, /, *, out: Any = None) -> Any:
    """The inverse of σ: logit(p) = log(p / (1 - p)).

    ``logit(0) = -inf``, ``logit(1) = inf``, and NaN outside [0, 1].

    Examples
    --------
    >>> import sigmoid as sg
    >>> sg.logit(0.5)
    np.float64(0.0)
    >>> sg.logit([0.0, 0.25, 1.0])
    array([      -inf, -1.09861229,        inf])
    """
    return _apply("logit", p, out)


def softplus(x: Any, /, *, out: Any = None) -> Any:
    """softplus(x) = log(1 + e^x), the antiderivative of σ, without overflow.

    Examples
    --------
    >>> import sigmoid as sg
    >>> sg.softplus(0.0)
    np.float64(0.6931471805599453)
    >>> sg.softplus(1000.0)
    np.float64(1000.0)
    >>> sg.softplus(-745.0)  # e^-745, a subnormal
    np.float64(5e-324)
    """
    return _apply("softplus", x, out)


def logistic(x: Any, /, *, L: float = 1.0, k: float = 1.0, x0: float = 0.0) -> Any:
    """The general logistic curve L / (1 + e^(-k (x - x0))).

    Computed as ``L * sigmoid(k * (x - x0))`` in the dtype of `x`; with the
    default parameters it is exactly `sigmoid`.

    Examples
    --------
    >>> import sigmoid as sg
    >>> sg.logistic(2.0, L=10.0, k=0.5, x0=2.0)
    np.float64(5.0)
    """
    params = {}
    for label, value in (("L", L), ("k", k), ("x0", x0)):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"{label} must be a real number, not {type(value).__name__}")
        params[label] = float(value)
    arr = as_float_array(x)
    if params["x0"] != 0.0:
        arr = arr - params["x0"]
    if params["k"] != 1.0:
        arr = arr * params["k"]
    y = sigmoid(arr)
    return y * params["L"] if params["L"] != 1.0 else y
