"""The formulas of the activation family: each function next to its derivative.

Every function takes what `sigmoid.sigmoid` takes, never warns (not even under
``np.errstate(all="raise")``), maps ±inf to its limit and NaN to NaN, and
follows the family's type rules: a Python float or int gives a Python float,
a NumPy scalar a NumPy scalar of its dtype, an array an array of its shape
and floating dtype (integers and bools give float64).
float16 and float32 inputs are computed in float64 and rounded once at the
end; float64 and longdouble are computed in their own precision, except GELU
(compiled loops, `sigmoid.activations._gelu`), which is computed in float64
for longdouble too.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec

import numpy as np

from sigmoid import _api
from sigmoid._validate import as_float_array
from sigmoid.activations import _gelu

# The family's own functions, under their activation names.
sigmoid = _api.sigmoid
sigmoid_derivative = _api.sigmoid_derivative
softplus = _api.softplus
softplus_derivative = _api.sigmoid  # d/dx log(1 + e^x) = σ(x)

# Beyond ±20000, e^-|x| is zero even in longdouble, so σ and σ' have reached
# their limits; clamping there avoids the NaN of inf * 0.
_CLAMP = 20000.0
P = ParamSpec("P")


def _elementwise(
    function: Callable[Concatenate[Any, P], Any],
) -> Callable[Concatenate[Any, P], Any]:
    """Run `function` under ``np.errstate(all="ignore")``; a Python number gives a float.

    Inside, overflow to inf, inf - inf, 0 * inf and underflow are expected: each
    formula either lands on the right limit or is replaced by `np.where`. The
    formulas return NumPy scalars for scalar input, as ufuncs do; for a Python
    float or int (not a NumPy scalar, though np.float64 is a float) that
    becomes a float.
    """

    @functools.wraps(function)
    def elementwise(x: Any, /, *args: P.args, **kwargs: P.kwargs) -> Any:
        with np.errstate(all="ignore"):
            result = function(x, *args, **kwargs)
        return float(result) if type(x) is float or type(x) is int else result

    return elementwise


def _lift(x: Any) -> tuple[np.ndarray, np.dtype[Any]]:
    """`x` as an array in the working precision, and the dtype to return."""
    arr = as_float_array(x)
    if arr.dtype.itemsize < 8:  # float16, float32: exact in float64
        return arr.astype(np.float64), arr.dtype
    return arr, arr.dtype


def _finish(result: np.ndarray, dtype: np.dtype[Any]) -> Any:
    """Round once to `dtype`; a 0-d result becomes a NumPy scalar, as from a ufunc."""
    out = result.astype(dtype, copy=False)
    return out[()] if out.ndim == 0 else out


@_elementwise
def tanh(x: Any, /) -> Any:
    """The hyperbolic tangent, σ stretched to (-1, 1): tanh(x) = 2 σ(2x) - 1.

    Examples
    --------
    >>> tanh([-1.0, 0.0, 1.0])
    array([-0.76159416,  0.        ,  0.76159416])
    """
    work, dtype = _lift(x)
    return _finish(np.tanh(work), dtype)


@_elementwise
def tanh_derivative(x: Any, /) -> Any:
    """tanh'(x) = 1 - tanh²(x), computed as 4t / (1 + t)² with t = e^(-2|x|).

    The second form keeps the tail: 1 - tanh² is exactly 0 beyond |x| = 19.1.

    Examples
    --------
    >>> tanh_derivative([0.0, 20.0])
    array([1.00000000e+00, 1.69934170e-17])
    """
    work, dtype = _lift(x)
    t = np.exp(-2.0 * np.abs(work))
    result = 4.0 * t / ((1.0 + t) * (1.0 + t))
    return _finish(result, dtype)


@_elementwise
def relu(x: Any, /) -> Any:
    """The rectifier max(x, 0).

    Examples
    --------
    >>> relu([-2.0, 0.5, np.nan])
    array([0. , 0.5, nan])
    """
    work, dtype = _lift(x)
    return _finish(np.maximum(work, 0.0), dtype)


@_elementwise
def relu_derivative(x: Any, /) -> Any:
    """The step 1 for x > 0, 0 for x <= 0 (0 at the kink, as PyTorch).

    Examples
    --------
    >>> relu_derivative([-2.0, 0.0, 3.0])
    array([0., 0., 1.])
    """
    work, dtype = _lift(x)
    return _finish(np.heaviside(work, 0.0), dtype)


@_elementwise
def leaky_relu(x: Any, /, *, negative_slope: float = 0.01) -> Any:
    """x for x >= 0, ``negative_slope * x`` below (PyTorch's default slope 0.01).

    Examples
    --------
    >>> leaky_relu([-100.0, 2.0])
    array([-1.,  2.])
    """
    work, dtype = _lift(x)
    result = np.where(work >= 0, work, negative_slope * work)
    return _finish(result, dtype)


@_elementwise
def leaky_relu_derivative(x: Any, /, *, negative_slope: float = 0.01) -> Any:
    """1 for x > 0, ``negative_slope`` for x <= 0.

    Examples
    --------
    >>> leaky_relu_derivative([-1.0, 0.0, 1.0])
    array([0.01, 0.01, 1.  ])
    """
    work, dtype = _lift(x)
    result = np.where(work > 0, 1.0, negative_slope).astype(work.dtype)
    return _finish(np.where(np.isnan(work), work, result), dtype)


@_elementwise
def elu(x: Any, /, *, alpha: float = 1.0) -> Any:
    """The exponential linear unit: x for x > 0, alpha (e^x - 1) below.

    Examples
    --------
    >>> elu([-np.inf, -1.0, 2.0])
    array([-1.        , -0.63212056,  2.        ])
    """
    work, dtype = _lift(x)
    result = np.where(work > 0, work, alpha * np.expm1(np.minimum(work, 0.0)))
    return _finish(result, dtype)


@_elementwise
def elu_derivative(x: Any, /, *, alpha: float = 1.0) -> Any:
    """1 for x > 0, alpha e^x below.

    Examples
    --------
    >>> elu_derivative([-1.0, 0.0, 1.0])
    array([0.36787944, 1.        , 1.        ])
    """
    work, dtype = _lift(x)
    result = np.where(work > 0, 1.0, alpha * np.exp(np.minimum(work, 0.0)))
    return _finish(result, dtype)


@_elementwise
def silu(x: Any, /) -> Any:
    """The sigmoid-weighted linear unit (swish with β = 1): x σ(x).

    Examples
    --------
    >>> silu([-np.inf, -1.0, 0.0, 1.0])
    array([-0.        , -0.26894142,  0.        ,  0.73105858])
    """
    work, dtype = _lift(x)
    clamped = np.maximum(work, -_CLAMP)
    return _finish(clamped * _api.sigmoid(clamped), dtype)


@_elementwise
def silu_derivative(x: Any, /) -> Any:
    """silu'(x) = σ(x) + x σ'(x), with σ' from `sigmoid.sigmoid_derivative`.

    Examples
    --------
    >>> silu_derivative([-np.inf, 0.0, np.inf])
    array([0. , 0.5, 1. ])
    """
    work, dtype = _lift(x)
    clamped = np.clip(work, -_CLAMP, _CLAMP)
    result = _api.sigmoid(clamped) + clamped * _api.sigmoid_derivative(clamped)
    return _finish(result, dtype)


swish = silu


@_elementwise
def gelu(x: Any, /) -> Any:
    """The exact Gaussian error linear unit x Φ(x), Φ the standard normal CDF.

    This is the erf form, x (1 + erf(x / √2)) / 2 (PyTorch's default
    ``approximate='none'``), not the tanh approximation.

    Examples
    --------
    >>> gelu([-1.0, 0.0, 1.0])
    array([-0.15865525,  0.        ,  0.84134475])
    """
    return _gelu.evaluate("gelu", x)


@_elementwise
def gelu_derivative(x: Any, /) -> Any:
    """gelu'(x) = Φ(x) + x φ(x), φ the standard normal density.

    Examples
    --------
    >>> gelu_derivative([-1.0, 0.0, 1.0])
    array([-0.08331547,  0.5       ,  1.08331547])
    """
    return _gelu.evaluate("gelu_derivative", x)


@_elementwise
def softsign(x: Any, /) -> Any:
    """x / (1 + |x|): like tanh, but approaches ±1 only as 1/x.

    Examples
    --------
    >>> softsign([-np.inf, -1.0, 3.0])
    array([-1.  , -0.5 ,  0.75])
    """
    work, dtype = _lift(x)
    result = np.where(np.isinf(work), np.sign(work), work / (1.0 + np.abs(work)))
    return _finish(result, dtype)


@_elementwise
def softsign_derivative(x: Any, /) -> Any:
    """softsign'(x) = 1 / (1 + |x|)².

    Examples
    --------
    >>> softsign_derivative([0.0, 1.0, np.inf])
    array([1.  , 0.25, 0.  ])
    """
    work, dtype = _lift(x)
    r = 1.0 / (1.0 + np.abs(work))
    return _finish(r * r, dtype)


@_elementwise
def hard_sigmoid(x: Any, /) -> Any:
    """PyTorch's piecewise-linear σ: relu6(x + 3) / 6, so 0 below -3 and 1 above 3.

    Keras and TensorFlow used another convention, clip(0.2 x + 0.5, 0, 1),
    which saturates at ±2.5 instead.

    Examples
    --------
    >>> hard_sigmoid([-4.0, 0.0, 1.5, 4.0])
    array([0.  , 0.5 , 0.75, 1.  ])
    """
    work, dtype = _lift(x)
    return _finish(np.clip(work + 3.0, 0.0, 6.0) / 6.0, dtype)


@_elementwise
def hard_sigmoid_derivative(x: Any, /) -> Any:
    """1/6 for -3 < x < 3, 0 outside (0 at the kinks, as PyTorch).

    Examples
    --------
    >>> hard_sigmoid_derivative([-3.0, 0.0, 5.0])
    array([0.        , 0.16666667, 0.        ])
    """
    work, dtype = _lift(x)
    inside = (work > -3.0) & (work < 3.0)
    result = np.where(inside, work.dtype.type(1.0) / 6, 0.0).astype(work.dtype)
    return _finish(np.where(np.isnan(work), work, result), dtype)
