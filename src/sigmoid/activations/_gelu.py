"""The exact GELU, x Φ(x), and its derivative in float64 NumPy.

NumPy has no ``erf``, so the standard normal CDF Φ is built from two
Chebyshev expansions, each the interpolant of the true function at Chebyshev
points, computed with mpmath at 50 digits and rounded to float64
(``tests/test_activations.py`` recomputes them):

* ``|x| <= 1``: Φ(x) = 1/2 + x g(x²), g smooth in u = x² on [0, 1];
* ``1 < |x| <= 40``: the tail Q(z) = 1 - Φ(z) = φ(z) N(z) / z, where
  N(z) = z Q(z) / φ(z) (z times the Mills ratio) is smooth in
  t = (z - 5) / (z + 5) and stays in [0.65, 1]. Beyond 40, φ is 0 in float64.

In the tails GELU and its derivative are written as φ times a smooth factor,
x Φ(x) = -φ(z) N(z) for x = -z, so no rounded tiny Φ is multiplied by a large
x: results stay within a few ULPs down to the subnormals.
φ(z) = exp(-z²/2) / √(2π) with z² split exactly (Veltkamp); a rounded z²
would cost up to z² ULPs in exp, 800 ULPs at z = 40.
"""

from __future__ import annotations

import numpy as np

__all__ = ["gelu_derivative_float64", "gelu_float64"]

_INV_SQRT_2PI = 0.3989422804014327  # 1/√(2π)
_SPLIT = 134217729.0  # 2^27 + 1: Veltkamp's splitter, leaves 26 bits in the high part
_Z_MAX = 40.0
_K = 5.0
_T_LOW = (1.0 - _K) / (1.0 + _K)
_T_HIGH = (_Z_MAX - _K) / (_Z_MAX + _K)

# g(u) = (Φ(√u) - 1/2) / √u, u = (s + 1) / 2 for s in [-1, 1].
_G = (
    0.3690955161047672,
    -0.028768099550741277,
    0.001047259750914927,
    -3.065264562641616e-05,
    7.371168584164308e-07,
    -1.496603254968702e-08,
    2.6239166153334063e-10,
    -4.043933706377385e-12,
    5.556950740668912e-14,
    -6.887180239708937e-16,
    7.771932123131337e-18,
    -8.048852735243063e-20,
)

# z M(z) = z Q(z) / φ(z), z = 5 (1 + t) / (1 - t), t linear in s over
# [_T_LOW, _T_HIGH]. z M rather than M: it stays in [0.65, 1], so the sum's
# absolute rounding error is also a relative one.
_ZM = (
    0.9058413905673278,
    0.14555072696564103,
    -0.07130759813093632,
    0.024794656609186904,
    -0.00675096757677187,
    0.0014708823695505316,
    -0.00025258768957191435,
    3.209180415528703e-05,
    -2.4178444014495894e-06,
    -4.164595054933818e-08,
    3.6239250812718476e-08,
    -3.2671906320762e-09,
    -2.404554546149336e-10,
    7.080920819179611e-11,
    -6.964140958306411e-13,
    -1.2101683612577465e-12,
    6.733794536524296e-14,
    2.0955080518135463e-14,
    -1.890222862502275e-15,
    -4.036179223328737e-16,
    4.412840922015224e-17,
    8.940646773298577e-18,
    -9.475501469089175e-19,
    -2.241840909498372e-19,
    1.8157399376107733e-20,
    6.074129153562059e-21,
    -2.526796480043604e-22,
)

FloatArray = np.ndarray  # of float64


def _chebyshev(s: FloatArray, coefficients: tuple[float, ...]) -> FloatArray:
    """Σ c_k T_k(s) by Clenshaw's recurrence (stable for |s| <= 1)."""
    b1: FloatArray | float = 0.0
    b2: FloatArray | float = 0.0
    for c in coefficients[:0:-1]:
        b1, b2 = 2.0 * s * b1 - b2 + c, b1
    result: FloatArray = s * b1 - b2 + coefficients[0]
    return result


def _pdf_times(z: FloatArray, factor: FloatArray | float = 1.0) -> FloatArray:
    """φ(z) times `factor` for z >= 0 (or NaN), rounded once even if subnormal."""
    z = np.minimum(z, _Z_MAX + 1.0)
    c = _SPLIT * z
    hi = c - (c - z)
    lo = z - hi
    # z²/2 = hi²/2 + lo (hi + lo/2), the first term exact; exp(-hi²/4) twice
    # stays normal where exp(-hi²/2) would already be a subnormal.
    half = np.exp(-0.25 * hi * hi)
    rest = np.exp(-lo * (hi + 0.5 * lo)) * _INV_SQRT_2PI * factor
    result: FloatArray = half * (half * rest)
    return result


def _parts(x: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """z = |x| clipped to [1, 40], |x|, N(z) and Φ(x) for |x| <= 1."""
    z = np.clip(np.abs(x), 1.0, _Z_MAX)
    t = (z - _K) / (z + _K)
    s = (2.0 * t - (_T_LOW + _T_HIGH)) / (_T_HIGH - _T_LOW)
    u = np.minimum(x * x, 1.0)
    central = 0.5 + x * _chebyshev(2.0 * u - 1.0, _G)
    return z, np.abs(x), _chebyshev(s, _ZM), central


def gelu_float64(x: FloatArray) -> FloatArray:
    """x Φ(x) for a float64 array; ±inf and NaN give their limits, never a warning."""
    with np.errstate(all="ignore"):
        _, abs_x, zm, central = _parts(x)
        # x Φ(x) = x - z Q(z) for x = z > 1 and -z Q(z) for x = -z < -1.
        tail = _pdf_times(abs_x, zm)
        result: FloatArray = np.where(abs_x <= 1.0, x * central, np.where(x < 0, -tail, x - tail))
    return result


def gelu_derivative_float64(x: FloatArray) -> FloatArray:
    """Φ(x) + x φ(x) for a float64 array; ±inf and NaN give their limits."""
    with np.errstate(all="ignore"):
        z, abs_x, zm, central = _parts(x)
        # Φ(x) + x φ(x) = 1 + φ(z) (z - N/z) for x = z > 1, φ(z) (N/z - z) for x = -z.
        tail = _pdf_times(abs_x, z - zm / z)
        result: FloatArray = np.where(
            abs_x <= 1.0,
            central + x * _pdf_times(abs_x),
            np.where(x < 0, -tail, 1.0 + tail),
        )
    return result
