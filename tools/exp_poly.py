"""Print the polynomials used by the kernels, with their errors.

    python tools/exp_poly.py exp 10     # e^r, for the float32 fast path
    python tools/exp_poly.py expm1 10   # (e^r - 1 - r) / r^2, for float64
    python tools/exp_poly.py log1p 6    # (2 atanh(s) / s - 2) / s^2 in z = s^2
    python tools/exp_poly.py expm1_3 8  # (e^r - 1 - r - r^2/2) / r^3, for float64 sigma, sigma'
    python tools/exp_poly.py atanh_5 7  # (2 atanh(s) - 2s - 2s^3/3) / s^5 in z = s^2, for float64

The first two are fitted on |r| <= ln(2)/2, the fourth on |r| <= ln(2)/8
(with 2^-40 to spare for the reduction's rounding), the third on 0 <= z <= 1/25
(the float32 softplus path: log(1 + f) = 2 atanh(s), s = f / (2 + f), for f
in [-1/4, 1/2], so |s| <= 1/5), the fifth on z <= (3 - 2√2)^2 (float64 softplus
and logit, whose arguments are reduced to a ratio within √2 of 1). Each is interpolated
at the Chebyshev nodes of its interval in 200-bit mpmath, which is within a
small factor of the minimax polynomial; the coefficients are rounded to
float64 and the largest absolute error of that rounded polynomial is measured
in mpmath on a dense grid. That figure is where the error budgets in
`sigmoid._kernels` start.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable

import mpmath

mpmath.mp.prec = 200
HALF_LN2 = mpmath.log(2) / 2


def expm1_rest(r: mpmath.mpf) -> mpmath.mpf:
    """(e^r - 1 - r) / r^2 from its series (no cancellation near 0)."""
    return mpmath.fsum(r**n / mpmath.factorial(n + 2) for n in range(60))


def expm1_rest3(r: mpmath.mpf) -> mpmath.mpf:
    """(e^r - 1 - r - r^2/2) / r^3 from its series."""
    return mpmath.fsum(r**n / mpmath.factorial(n + 3) for n in range(60))


def atanh_rest(z: mpmath.mpf) -> mpmath.mpf:
    """(2 atanh(s) / s - 2) / s^2 = 2/3 + 2z/5 + 2z^2/7 + ..., z = s^2, from its series."""
    return mpmath.fsum(2 * z**n / (2 * n + 3) for n in range(60))


def atanh_rest5(z: mpmath.mpf) -> mpmath.mpf:
    """(2 atanh(s) - 2s - 2s^3/3) / s^5 = 2/5 + 2z/7 + ..., z = s^2, from its series."""
    return mpmath.fsum(2 * z**n / (2 * n + 5) for n in range(60))


EIGHTH_LN2 = mpmath.log(2) / 8 * (1 + mpmath.mpf(2) ** -40)
Z_MAX = mpmath.mpf(1) / 25  # s = f / (2 + f) for f in [-1/4, 1/2]: |s| <= 1/5

# float64 softplus and logit: |s| <= (√2 - 1)/(√2 + 1), with 2^-20 to spare.
Z_MAX_64 = (3 - 2 * mpmath.sqrt(2)) ** 2 * (1 + mpmath.mpf(2) ** -20)

Function = Callable[[mpmath.mpf], mpmath.mpf]
# name: (function, interval, how the interval reads in the output)
TARGETS: dict[str, tuple[Function, tuple[mpmath.mpf, mpmath.mpf], str]] = {
    "exp": (mpmath.exp, (-HALF_LN2, HALF_LN2), "|r| <= ln(2)/2"),
    "expm1": (expm1_rest, (-HALF_LN2, HALF_LN2), "|r| <= ln(2)/2"),
    "expm1_3": (expm1_rest3, (-EIGHTH_LN2, EIGHTH_LN2), "|r| <= ln(2)/8"),
    "log1p": (atanh_rest, (mpmath.mpf(0), Z_MAX), f"0 <= z <= {float(Z_MAX):.6g}"),
    "atanh_5": (atanh_rest5, (mpmath.mpf(0), Z_MAX_64), f"0 <= z <= {float(Z_MAX_64):.6g}"),
}


def chebyshev_fit(f: Function, degree: int, interval: tuple[mpmath.mpf, mpmath.mpf]) -> list[float]:
    """float64 coefficients c[0..degree] of the interpolant of f at Chebyshev nodes."""
    n = degree + 1
    mid, half = (interval[0] + interval[1]) / 2, (interval[1] - interval[0]) / 2
    nodes = [mid + half * mpmath.cos(mpmath.pi * (2 * i + 1) / (2 * n)) for i in range(n)]
    matrix = mpmath.matrix([[node**j for j in range(n)] for node in nodes])
    coefficients = mpmath.lu_solve(matrix, mpmath.matrix([f(node) for node in nodes]))
    return [float(c) for c in coefficients]


def max_error(
    f: Function,
    coefficients: list[float],
    interval: tuple[mpmath.mpf, mpmath.mpf],
    points: int = 4001,
) -> float:
    worst = mpmath.mpf(0)
    for i in range(points):
        r = interval[0] + (interval[1] - interval[0]) * mpmath.mpf(i) / (points - 1)
        p = mpmath.mpf(0)
        for c in reversed(coefficients):
            p = p * r + mpmath.mpf(c)
        worst = max(worst, abs(p - f(r)))
    return float(worst)


def main() -> None:
    target = sys.argv[1] if len(sys.argv) > 1 else "exp"
    degree = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    f, interval, where = TARGETS[target]
    coefficients = chebyshev_fit(f, degree, interval)
    error = max_error(f, coefficients, interval)
    print(f"# {target}, degree {degree}, {where}: max absolute error {error:.3g}")
    print(f"# = 2^{math.log2(error):.2f}")
    print("(")
    for c in coefficients:
        print(f"    {c!r},")
    print(")")


if __name__ == "__main__":
    main()
