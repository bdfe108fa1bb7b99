"""Correctly rounded float64 values in pure Python, for a few numbers at a time.

`correctly_rounded(function, x)` evaluates the family table's reference
formula (`Function.reference`, written for mpmath) in interval arithmetic on
`decimal` numbers: every operation rounds the lower end of its result down and
the upper end up (``exp`` and ``ln``, correctly rounded to nearest by
`decimal`, are widened by one unit in the last place when inexact), so the
true value always lies in the interval. When both ends round to the same
float64, that float is the correctly rounded value; when they do not, the
precision doubles and the formula runs again (Ziv's strategy). The loop ends
for every input: no value of the family at a float64 input other than 0 (and
1/2 for logit) is rational, so none is a rounding midpoint, and the value at
those points is a float64.

It needs no numba. ``sigmoid eval`` uses it for the few numbers of a command
line, where loading the compiled kernels from numba's cache costs about a
second and the arithmetic here some tens of microseconds a number; it gives
the kernels' values wherever they are correctly rounded (`kernel_is_exact`),
and is used only there.

>>> from sigmoid._family import FAMILY
>>> correctly_rounded(FAMILY["sigmoid"], 1.0)
0.7310585786300049
>>> correctly_rounded(FAMILY["sigmoid_derivative"], -745.0)
5e-324
"""

from __future__ import annotations

import decimal
import math
from decimal import Decimal
from typing import Any

from sigmoid._family import Function

__all__ = ["correctly_rounded", "kernel_is_exact"]

# Working precisions in decimal digits: 40 (133 bits) decides all but about 1
# input in 10^20; each retry doubles it.
_DIGITS = (40, 80, 160, 320, 640, 1280)

# Beyond |x| = 1000, e^-|x| < 2^-1442 is far below half a unit in the last
# place of every value involved: each function rounds there as it does at
# +-1000 (to its limit 0 or 1, a zero taking the sign of the function's tail),
# or, on a side where its limit is infinite (softplus at +inf, log σ at -inf),
# to x itself. Decimal exponents never grow past e^1000 either.
_FAR = 1000.0

# At ±0 every function's value is the one it has at ±2^-1074 rounded: a
# float64 (σ(0) = 1/2, σ'(0) = 1/4, σ'''(0) = -1/8), or, for σ'' (odd, 0 at
# 0), a zero with the sign of the one-sided limit, -x/8 (as the kernels give).
_TINIEST = 5e-324

_TRAPS = [decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow]


def kernel_is_exact(function: Function) -> bool:
    """Whether `function`'s float64 kernel is correctly rounded (so agrees with this module)."""
    return function.kernels is not None and function.kernels.f64_hard


def correctly_rounded(function: Function, x: float) -> float:
    """function(x) correctly rounded to float64, for a float64 `x`.

    >>> from sigmoid._family import FAMILY
    >>> correctly_rounded(FAMILY["logit"], 0.75)
    1.0986122886681098
    >>> correctly_rounded(FAMILY["softplus"], 1e300), correctly_rounded(FAMILY["logit"], 2.0)
    (1e+300, nan)
    """
    if function.reference is None:
        raise ValueError(f"{function.name} has no reference formula")
    if x != x:
        return math.nan
    if function.domain == "unit":
        if not 0.0 <= x <= 1.0:
            return math.nan
        if x in (0.0, 1.0):  # log(0) and 1/0: the limits
            return function.limits[x == 1.0]
    elif abs(x) > _FAR:
        if math.isinf(function.limits[x > 0]):
            return x
        x = math.copysign(_FAR, x)
    elif x == 0.0:
        x = math.copysign(_TINIEST, x)
    for digits in _DIGITS:
        mp = _IntervalMath(digits)
        value = function.reference(mp, Interval(mp, Decimal(x)))
        lo, hi = float(value.lo), float(value.hi)
        if lo == hi and math.copysign(1.0, lo) == math.copysign(1.0, hi):
            return lo
    raise RuntimeError(f"{function.name}({x!r}) not decided at {_DIGITS[-1]} digits")


class _IntervalMath:
    """What `Function.reference` calls on its ``mp`` module, on `Interval` values."""

    def __init__(self, digits: int) -> None:
        self.digits = digits
        self.down = self._context(digits, decimal.ROUND_FLOOR)
        self.up = self._context(digits, decimal.ROUND_CEILING)
        self.nearest = self._context(digits, decimal.ROUND_HALF_EVEN)

    @staticmethod
    def _context(digits: int, rounding: str) -> decimal.Context:
        return decimal.Context(
            prec=digits,
            rounding=rounding,
            Emax=decimal.MAX_EMAX,
            Emin=decimal.MIN_EMIN,
            traps=_TRAPS,
        )

    def _widened(self, nearest: decimal.Context, value: Decimal) -> tuple[Decimal, Decimal]:
        # value is the correctly rounded result of nearest's last operation.
        if not nearest.flags[decimal.Inexact]:
            return value, value
        return self.down.next_minus(value), self.up.next_plus(value)

    def _exp(self, a: Decimal) -> tuple[Decimal, Decimal]:
        self.nearest.clear_flags()
        return self._widened(self.nearest, self.nearest.exp(a))

    def _ln(self, a: Decimal) -> tuple[Decimal, Decimal]:
        self.nearest.clear_flags()
        return self._widened(self.nearest, self.nearest.ln(a))

    def _finer(self, a: Decimal) -> int:
        # e^a - 1 and ln(1 + a) lose about -log10|a| digits to cancellation
        # near 0: compute their inner step with that many more.
        return self.digits + max(0, -a.adjusted()) + 2

    def exp(self, x: Interval) -> Interval:
        return Interval(self, self._exp(x.lo)[0], self._exp(x.hi)[1])

    def log(self, x: Interval) -> Interval:
        return Interval(self, self._ln(x.lo)[0], self._ln(x.hi)[1])

    def expm1(self, x: Interval) -> Interval:
        def end(a: Decimal, side: int, result: decimal.Context) -> Decimal:
            finer = _IntervalMath(self._finer(a))
            return result.subtract(finer._exp(a)[side], 1)

        return Interval(self, end(x.lo, 0, self.down), end(x.hi, 1, self.up))

    def log1p(self, x: Interval) -> Interval:
        def end(a: Decimal, side: int) -> Decimal:
            finer = _IntervalMath(self._finer(a))
            one_plus = (finer.down, finer.up)[side].add(1, a)
            return self._ln(one_plus)[side]

        return Interval(self, end(x.lo, 0), end(x.hi, 1))

    def sign(self, x: Interval) -> Interval:
        if x.lo > 0:
            return Interval(self, Decimal(1))
        if x.hi < 0:
            return Interval(self, Decimal(-1))
        if x.lo == x.hi == 0:
            return Interval(self, Decimal(0))
        return Interval(self, Decimal(-1), Decimal(1))


class Interval:
    """A closed interval [lo, hi] of decimal numbers, in the precision of `mp`."""

    __slots__ = ("hi", "lo", "mp")

    def __init__(self, mp: _IntervalMath, lo: Decimal, hi: Decimal | None = None) -> None:
        self.mp = mp
        self.lo = lo
        self.hi = lo if hi is None else hi

    def _other(self, other: Any) -> Interval:
        if isinstance(other, Interval):
            return other
        if isinstance(other, int):
            return Interval(self.mp, Decimal(other))
        raise TypeError(f"an Interval and a {type(other).__name__}")

    def __add__(self, other: Any) -> Interval:
        b = self._other(other)
        return Interval(self.mp, self.mp.down.add(self.lo, b.lo), self.mp.up.add(self.hi, b.hi))

    __radd__ = __add__

    def __sub__(self, other: Any) -> Interval:
        b = self._other(other)
        lo = self.mp.down.subtract(self.lo, b.hi)
        return Interval(self.mp, lo, self.mp.up.subtract(self.hi, b.lo))

    def __rsub__(self, other: Any) -> Interval:
        return self._other(other) - self

    def __neg__(self) -> Interval:
        # copy_negate is exact; unary minus would round to the thread's context.
        return Interval(self.mp, self.hi.copy_negate(), self.lo.copy_negate())

    def __abs__(self) -> Interval:
        if self.lo >= 0:
            return self
        if self.hi <= 0:
            return -self
        return Interval(self.mp, Decimal(0), max(self.lo.copy_negate(), self.hi))

    def __mul__(self, other: Any) -> Interval:
        b = self._other(other)
        ends = [(p, q) for p in (self.lo, self.hi) for q in (b.lo, b.hi)]
        lo = min(self.mp.down.multiply(p, q) for p, q in ends)
        return Interval(self.mp, lo, max(self.mp.up.multiply(p, q) for p, q in ends))

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> Interval:
        b = self._other(other)
        if b.lo <= 0 <= b.hi:
            raise ZeroDivisionError("interval division by an interval holding 0")
        ends = [(p, q) for p in (self.lo, self.hi) for q in (b.lo, b.hi)]
        lo = min(self.mp.down.divide(p, q) for p, q in ends)
        return Interval(self.mp, lo, max(self.mp.up.divide(p, q) for p, q in ends))

    def __rtruediv__(self, other: Any) -> Interval:
        return self._other(other) / self

    def __pow__(self, n: int) -> Interval:
        if not isinstance(n, int) or n < 1:
            raise TypeError("an Interval to a positive integer power only")
        result = self
        for _ in range(n - 1):
            result = result * self
        return result
