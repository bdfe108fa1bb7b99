"""The logistic family written only with array-API calls, for arrays of any library.

These are the stable formulas of the compiled kernels, evaluated in the
working precision with the backend's own ``exp``, ``expm1`` and ``log1p``:
nothing overflows (every formula works from e = exp(-|x|) <= 1), tails are
kept, but results are not correctly rounded. tests/test_backends.py holds them
to within 4 ULP of the NumPy kernels in float32 and float64 (8 and 16 ULP for
the derivatives of order 2 and 3), except subnormal results, which JAX on CPU
flushes to 0.

Dtypes: float32 and float64 are computed as they are; other real floating
types (float16, bfloat16) are computed in float32 and rounded back once;
integers and booleans give the library's default floating dtype; anything
else is a `TypeError`. Only elementwise ``xp`` calls are used, so results stay
on the input's device (CUDA tensors, JAX devices) and lazy or traced arrays
stay lazy or traced.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# and the formulas, which sigmoid._family names
__all__ = ["as_floating", "evaluate", "narrow_in_float32"]

# σ''' has zeros where e = exp(-|x|) = 2 - √3, at |x| = A = ln(2 + √3); A split
# into hi + lo in the working precision keeps σ''' relatively accurate up to them.
_ROOT = 0.2679491924311227  # 2 - √3
_OTHER_ROOT = 3.732050807568877  # 2 + √3
_A_SPLIT = {
    "float32": (1.316957950592041, -5.366722533040047e-08),
    "float64": (1.3169578969248168, -8.682250844852022e-17),
}


def sigmoid(x: Any, xp: Any) -> Any:
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_derivative(x: Any, xp: Any) -> Any:
    e = xp.exp(-xp.abs(x))
    return e / ((1 + e) * (1 + e))


def sigmoid_derivative2(x: Any, xp: Any) -> Any:
    # σ'' = -sign(x) e (1 - e) / (1 + e)³, with 1 - e = -expm1(-|x|) exact near 0.
    e = xp.exp(-xp.abs(x))
    d = 1 + e
    y = xp.copysign(e * -xp.expm1(-xp.abs(x)) / (d * d * d), -x)  # σ''(±0) = ∓0
    return xp.where(xp.isnan(x), x, y)  # a NaN keeps its sign


def sigmoid_derivative3(x: Any, xp: Any) -> Any:
    # σ''' = e (e² - 4e + 1) / (1 + e)⁴ = e (e - (2 - √3)) (e - (2 + √3)) / (1 + e)⁴.
    # e - (2 - √3) = (2 - √3) expm1(A - |x|) = (2 - √3)(m + (1 + m) lo) with
    # m = expm1(hi - |x|), hi - |x| exact near A. Writing lo times data, not
    # (hi - |x|) + lo, stops a compiler folding hi + lo (XLA's jit does).
    hi, lo = _A_SPLIT["float32" if x.dtype == xp.float32 else "float64"]
    e = xp.exp(-xp.abs(x))
    m = xp.expm1(hi - xp.abs(x))
    polynomial = _ROOT * (m + (1 + m) * lo) * (e - _OTHER_ROOT)
    d2 = (1 + e) * (1 + e)
    return e * polynomial / (d2 * d2)  # e times the polynomial last: no subnormal on the way


def sigmoid_derivative4(x: Any, xp: Any) -> Any:
    # Only the gradient of σ''' needs it: sign(x) e (e - 1)(e² - 10e + 1) / (1 + e)⁵.
    e = xp.exp(-xp.abs(x))
    d = 1 + e
    return xp.sign(x) * e * xp.expm1(-xp.abs(x)) * ((e - 10) * e + 1) / (d * d * d * d * d)


def sigmoid_derivative5(x: Any, xp: Any) -> Any:
    # The chain of gradient rules stops here: differentiating the formula of the
    # fourth derivative would give 0 instead of 1/4 at x = 0 (from sign and |x|).
    raise NotImplementedError("derivatives of sigmoid beyond the fourth are not implemented")


def softplus(x: Any, xp: Any) -> Any:
    return xp.maximum(x, xp.zeros_like(x)) + xp.log1p(xp.exp(-xp.abs(x)))


def log_sigmoid(x: Any, xp: Any) -> Any:
    return -softplus(-x, xp)


def logit(p: Any, xp: Any) -> Any:
    # 0, 1, NaN and values outside [0, 1] become 1/2 before any log or division
    # (so no backend warns), and get their own results at the end.
    q = xp.where((p > 0) & (p < 1), p, xp.full_like(p, 0.5))
    near_half = xp.abs(q - 0.5) <= 0.25
    m = xp.where(near_half, q, xp.full_like(q, 0.5))
    # Near 1/2, log(q / (1 - q)) = log1p(a) with an exact numerator in a, kept
    # non-negative: 2m - 1 and 1 - m (or 1 - 2m) are exact, and JAX's float64
    # log1p is ~100 ULP off on (-0.53, -0.28) (jax-ml/jax#39707).
    middle = xp.where(m >= 0.5, xp.log1p((2 * m - 1) / (1 - m)), -xp.log1p((1 - 2 * m) / m))
    y = xp.where(near_half, middle, xp.log(q / (1 - q)))
    y = xp.where(p == 0, xp.full_like(p, -xp.inf), y)
    y = xp.where(p == 1, xp.full_like(p, xp.inf), y)
    return xp.where((p >= 0) & (p <= 1), y, xp.full_like(p, xp.nan))


def logit_derivative(p: Any, xp: Any) -> Any:
    return 1 / (p * (1 - p))


def as_floating(x: Any, xp: Any) -> Any:
    """`x` as a real floating array of its namespace `xp`, or a `TypeError`.

    Floating arrays are returned as they are; integers and booleans are cast
    to the namespace's default floating dtype.

    Examples
    --------
    >>> import numpy as np
    >>> from array_api_compat import numpy as xp
    >>> as_floating(np.arange(3), xp).dtype
    dtype('float64')
    >>> as_floating(np.ones(1, np.complex64), xp)
    Traceback (most recent call last):
    ...
    TypeError: complex input is not supported (got ndarray of dtype complex64); ...
    """
    dtype = x.dtype
    if xp.isdtype(dtype, "real floating"):
        return x
    if xp.isdtype(dtype, ("integral", "bool")):
        return xp.astype(x, xp.__array_namespace_info__().default_dtypes()["real floating"])
    if xp.isdtype(dtype, "complex floating"):
        raise TypeError(
            f"complex input is not supported (got {type(x).__name__} of dtype {dtype}); "
            "the logistic family is real-valued"
        )
    raise TypeError(f"input must be real numbers, not {type(x).__name__} of dtype {dtype}")


def evaluate(x: Any, xp: Any, implementation: Callable[[Any], Any]) -> Any:
    """Run `implementation` (a formula, possibly with a gradient rule) on `x`.

    Integers and booleans become the default floating dtype first.

    Examples
    --------
    >>> import functools
    >>> import numpy as np
    >>> from array_api_compat import numpy as xp
    >>> evaluate(np.array([40]), xp, functools.partial(sigmoid_derivative, xp=xp))
    array([4.24835426e-18])
    """
    return implementation(as_floating(x, xp))


def narrow_in_float32(formula: Callable[[Any], Any], xp: Any) -> Callable[[Any], Any]:
    """`formula` for float32 and float64; float16 and bfloat16 computed in float32, rounded back.

    In float16 arithmetic the third derivative is off by hundreds of ULP next
    to its zeros; computed in float32 and rounded once, every formula is within
    1 ULP of the correctly rounded float16 result.

    >>> import functools
    >>> import numpy as np
    >>> from array_api_compat import numpy as xp
    >>> f = narrow_in_float32(functools.partial(sigmoid, xp=xp), xp)
    >>> f(np.array([-1.0, 0.0, 40.0], np.float16))
    array([0.269, 0.5  , 1.   ], dtype=float16)
    """

    def in_float32(x: Any) -> Any:
        if x.dtype == xp.float32 or x.dtype == xp.float64:
            return formula(x)
        return xp.astype(formula(xp.astype(x, xp.float32)), x.dtype)

    return in_float32
