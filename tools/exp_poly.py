"""Print the polynomials for e^r used by the kernels, with their errors.

    python tools/exp_poly.py exp 10     # e^r, for the float32 fast path
    python tools/exp_poly.py expm1 10   # (e^r - 1 - r) / r^2, for float64

Each is interpolated at the Chebyshev nodes of |r| <= ln(2)/2 in 200-bit
mpmath, which is within a small factor of the minimax polynomial; the
coefficients are rounded to float64 and the largest absolute error of that
rounded polynomial is measured in mpmath on a dense grid. That figure is where
the error budgets in `sigmoid._kernels` start.
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


TARGETS: dict[str, Callable[[mpmath.mpf], mpmath.mpf]] = {"exp": mpmath.exp, "expm1": expm1_rest}


def chebyshev_fit(f: Callable[[mpmath.mpf], mpmath.mpf], degree: int) -> list[float]:
    """float64 coefficients c[0..degree] of the interpolant of f at Chebyshev nodes."""
    n = degree + 1
    nodes = [HALF_LN2 * mpmath.cos(mpmath.pi * (2 * i + 1) / (2 * n)) for i in range(n)]
    matrix = mpmath.matrix([[node**j for j in range(n)] for node in nodes])
    coefficients = mpmath.lu_solve(matrix, mpmath.matrix([f(node) for node in nodes]))
    return [float(c) for c in coefficients]


def max_error(
    f: Callable[[mpmath.mpf], mpmath.mpf], coefficients: list[float], points: int = 4001
) -> float:
    worst = mpmath.mpf(0)
    for i in range(points):
        r = HALF_LN2 * (2 * mpmath.mpf(i) / (points - 1) - 1)
        p = mpmath.mpf(0)
        for c in reversed(coefficients):
            p = p * r + mpmath.mpf(c)
        worst = max(worst, abs(p - f(r)))
    return float(worst)


def main() -> None:
    target = sys.argv[1] if len(sys.argv) > 1 else "exp"
    degree = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    f = TARGETS[target]
    coefficients = chebyshev_fit(f, degree)
    error = max_error(f, coefficients)
    print(f"# {target}, degree {degree}, |r| <= ln(2)/2: max absolute error {error:.3g}")
    print(f"# = 2^{math.log2(error):.2f}")
    print("(")
    for c in coefficients:
        print(f"    {c!r},")
    print(")")


if __name__ == "__main__":
    main()
