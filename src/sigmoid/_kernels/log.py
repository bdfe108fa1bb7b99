"""A float64's exponent and fraction without a libm call, for the logarithms of logit.

`exponent_and_fraction` works on the bits, with no float-int conversion, so
that the loops calling it vectorise on AVX2 (which has no int64-to-float64
conversion)."""

from __future__ import annotations

from .dd import ROUND_SHIFTER, from_bits, jit, to_bits

_EXPONENT_BITS = 0x7FF0000000000000
_ONE_BITS = 0x3FF0000000000000
_SHIFTER_BITS = 0x4338000000000000  # 1.5 * 2^52
_UNBIAS = ROUND_SHIFTER + 1023.0


@jit
def exponent_and_fraction(v):  # type: ignore[no-untyped-def]
    """e, f with v = 2^e f, f in [1, 2), for a normal v > 0 (e as a float)."""
    bits = to_bits(v)
    # The biased exponent placed in the low bits of 1.5 * 2^52 (whose low 51
    # bits are 0): no int-to-float conversion, which AVX2 lacks for int64.
    biased = from_bits(((bits & _EXPONENT_BITS) >> 52) | _SHIFTER_BITS)
    return biased - _UNBIAS, from_bits((bits & ~_EXPONENT_BITS) | _ONE_BITS)
