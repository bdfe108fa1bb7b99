"""Double-double arithmetic for numba: a value is an unevaluated sum ``hi + lo``.

The fast kernels use a few of these steps to carry ~60 bits through the
places where plain float64 would lose the last bit; the rare-case path
(`exp_full`) carries ~100 bits so that a float32 result can always be rounded
correctly. The error-free transformations are the classic ones (Knuth's
TwoSum, Dekker's FastTwoSum, TwoProduct through a fused multiply-add). The
kernels' fixed-degree polynomials (Estrin's scheme) are here too.

This module imports numba: import it only from code that is about to compile.
"""

from __future__ import annotations

import decimal
import math
from fractions import Fraction

import llvmlite.binding
import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from . import CACHE

# Every helper is compiled into the loops that call it, never on its own.
jit = numba.njit(cache=CACHE, error_model="numpy", nogil=True, inline="always")


@intrinsic
def fma(typingctx, a, b, c):  # type: ignore[no-untyped-def]
    """``a * b + c`` rounded once (llvm.fma: one instruction on x86-64 with FMA)."""
    sig = types.float64(types.float64, types.float64, types.float64)

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        return builder.fma(*args)

    return sig, codegen


@intrinsic
def to_bits(typingctx, a):  # type: ignore[no-untyped-def]
    """The IEEE bit pattern of a float64, as int64 (a register move, no call)."""
    sig = types.int64(types.float64)

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        return builder.bitcast(args[0], context.get_value_type(types.int64))

    return sig, codegen


@intrinsic
def from_bits(typingctx, a):  # type: ignore[no-untyped-def]
    """The float64 whose IEEE bit pattern is the int64 `a`."""
    sig = types.float64(types.int64)

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        return builder.bitcast(args[0], context.get_value_type(types.float64))

    return sig, codegen


# x86-64 keeps the SSE/AVX exception flags in the low six bits of MXCSR.
_X86 = llvmlite.binding.get_process_triple().startswith(("x86_64", "i386", "i686", "amd64"))
_MXCSR_FLAGS = 0x3F
_NUMPY_FLAGS = 0x1D  # invalid, divide by zero, overflow, underflow (not denormal, inexact)


@intrinsic
def without_fp_flags(typingctx, y):  # type: ignore[no-untyped-def]
    """y, once the floating-point exception flags raised while computing it are cleared.

    For the NumPy ufuncs: NumPy reads the flags after each ufunc loop and
    warns (or raises, under ``np.errstate``) for underflow or invalid, which
    our kernels raise on purpose (subnormal results, NaN passing through). An
    empty asm statement that takes y's bits makes sure y is computed first;
    then MXCSR's flag bits are cleared on x86-64 (a few ns), or
    ``feclearexcept`` is called elsewhere.
    """
    sig = y(y)

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        i8p, i32, i64 = ir.IntType(8).as_pointer(), ir.IntType(32), ir.IntType(64)
        bits = builder.bitcast(args[0], i64) if signature.return_type == types.float64 else None
        if bits is None:
            bits = builder.zext(builder.bitcast(args[0], i32), i64)
        bits = builder.asm(ir.FunctionType(i64, [i64]), "", "=r,0", [bits], side_effect=True)
        if _X86:
            mxcsr = cgutils.alloca_once(builder, i32)
            pointer = builder.bitcast(mxcsr, i8p)
            access = ir.FunctionType(ir.VoidType(), [i8p])
            load = cgutils.get_or_insert_function(builder.module, access, "llvm.x86.sse.ldmxcsr")
            store = cgutils.get_or_insert_function(builder.module, access, "llvm.x86.sse.stmxcsr")
            builder.call(store, [pointer])
            flags = builder.load(mxcsr)
            # Writing MXCSR stalls the pipeline: only when NumPy would see a flag.
            raised = builder.and_(flags, ir.Constant(i32, _NUMPY_FLAGS))
            with builder.if_then(builder.icmp_unsigned("!=", raised, ir.Constant(i32, 0))):
                builder.store(builder.and_(flags, ir.Constant(i32, ~_MXCSR_FLAGS)), mxcsr)
                builder.call(load, [pointer])
        else:  # every C library masks the argument with its own FE_ALL_EXCEPT
            clear = ir.FunctionType(i32, [i32])
            feclearexcept = cgutils.get_or_insert_function(builder.module, clear, "feclearexcept")
            builder.call(feclearexcept, [ir.Constant(i32, -1)])
        if signature.return_type == types.float64:
            return builder.bitcast(bits, args[0].type)
        return builder.bitcast(builder.trunc(bits, i32), args[0].type)

    return sig, codegen


_FLUSH_TO_ZERO = 0x8040  # MXCSR's FTZ (bit 15) and DAZ (bit 6)


def _mxcsr_access(builder, name):  # type: ignore[no-untyped-def]
    i8p, i32 = ir.IntType(8).as_pointer(), ir.IntType(32)
    mxcsr = cgutils.alloca_once(builder, i32)
    access = ir.FunctionType(ir.VoidType(), [i8p])
    function = cgutils.get_or_insert_function(builder.module, access, name)
    return mxcsr, builder.bitcast(mxcsr, i8p), function


@intrinsic
def _read_mxcsr(typingctx):  # type: ignore[no-untyped-def]
    """The calling thread's MXCSR on x86-64; -1 elsewhere."""

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        if not _X86:
            return ir.Constant(ir.IntType(32), -1)
        mxcsr, pointer, store = _mxcsr_access(builder, "llvm.x86.sse.stmxcsr")
        builder.call(store, [pointer])
        return builder.load(mxcsr)

    return types.int32(), codegen


@intrinsic
def _write_mxcsr(typingctx, value):  # type: ignore[no-untyped-def]
    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        if _X86:
            mxcsr, pointer, load = _mxcsr_access(builder, "llvm.x86.sse.ldmxcsr")
            builder.store(args[0], mxcsr)
            builder.call(load, [pointer])
        return context.get_dummy_value()

    return types.none(types.int32), codegen


# Compiled on first use, in memory (they are tiny): at import they would read
# the disk cache outside `loops.build`'s guard against a damaged entry.
@numba.njit
def keep_subnormals():  # type: ignore[no-untyped-def]
    """Turn off flush-to-zero and denormals-are-zero on this thread; return the old MXCSR.

    A JAX host callback runs on a thread where XLA has set both, which would
    turn our subnormal results (and inputs) into 0. -1 where there is no MXCSR.
    """
    old = _read_mxcsr()
    if old >= 0 and old & _FLUSH_TO_ZERO:
        _write_mxcsr(numba.int32(old & ~_FLUSH_TO_ZERO))
    return old


@numba.njit
def restore_mxcsr(old):  # type: ignore[no-untyped-def]
    """Undo `keep_subnormals`."""
    if old >= 0 and old & _FLUSH_TO_ZERO:
        _write_mxcsr(old)


@jit
def two_sum(a, b):  # type: ignore[no-untyped-def]
    """s + e == a + b exactly, s = fl(a + b)."""
    s = a + b
    bb = s - a
    e = (a - (s - bb)) + (b - bb)
    return s, e


@jit
def fast_two_sum(a, b):  # type: ignore[no-untyped-def]
    """As `two_sum`, valid when ``|a| >= |b|`` (or a == 0)."""
    s = a + b
    return s, b - (s - a)


@jit
def two_prod(a, b):  # type: ignore[no-untyped-def]
    """p + e == a * b exactly, p = fl(a * b)."""
    p = a * b
    return p, fma(a, b, -p)


@jit
def dd_add(ah, al, bh, bl):  # type: ignore[no-untyped-def]
    """Double-double sum, relative error ~2^-104 (the accurate variant)."""
    sh, sl = two_sum(ah, bh)
    th, tl = two_sum(al, bl)
    sl += th
    sh, sl = fast_two_sum(sh, sl)
    sl += tl
    return fast_two_sum(sh, sl)


@jit
def dd_mul(ah, al, bh, bl):  # type: ignore[no-untyped-def]
    """Double-double product, relative error ~2^-104."""
    ph, pl = two_prod(ah, bh)
    pl += ah * bl + al * bh
    return fast_two_sum(ph, pl)


@jit
def dd_div(ah, al, bh, bl):  # type: ignore[no-untyped-def]
    """Double-double quotient (a / b), relative error ~2^-104."""
    q1 = ah / bh
    ph, pl = dd_mul(q1, 0.0, bh, bl)
    rh, rl = dd_add(ah, al, -ph, -pl)
    q2 = rh / bh
    ph, pl = dd_mul(q2, 0.0, bh, bl)
    rh, rl = dd_add(rh, rl, -ph, -pl)
    q3 = rh / bh
    qh, ql = fast_two_sum(q1, q2)
    return dd_add(qh, ql, q3, 0.0)


# Adding and subtracting 1.5 * 2^52 rounds a float64 of magnitude < 2^51 to the
# nearest whole number with two additions, which vectorise (no call to rint).
ROUND_SHIFTER = 6755399441055744.0
# k + _POW2_SHIFTER holds k + 1023 in its low bits (the shifter's low 51 bits
# are 0, and its 2^51 bit is dropped by the shift).
_POW2_SHIFTER = ROUND_SHIFTER + 1023.0


@jit
def pow2(k):  # type: ignore[no-untyped-def]
    """2.0**k for a whole float k in [-1022, 1023], built from the exponent bits.

    One addition and one shift: no float-to-int conversion, which AVX2 lacks
    for vectors of int64 (LLVM then takes the vector apart, lane by lane).
    """
    return from_bits(to_bits(k + _POW2_SHIFTER) << 52)


@jit
def scale(y, k):  # type: ignore[no-untyped-def]
    """y * 2**k for y in [2^-3, 2^3] and whole k >= -1200, rounded once.

    Two steps: the first product stays normal (exact), so a subnormal result
    is rounded only by the second.
    """
    ka = (k * 0.5 + ROUND_SHIFTER) - ROUND_SHIFTER  # a whole number next to k/2
    return y * pow2(ka) * pow2(k - ka)


# ln 2 split in three: LN2_HI has 32 significant bits, so k * LN2_HI is exact
# for |k| < 2^21 and t - k * LN2_HI is exact (Sterbenz) in Cody–Waite reduction.
LN2_HI = 0.6931471803691238
LN2_MID = 1.9082149292705877e-10
LN2_LO = 1.1612227229362532e-26
LOG2E = 1.4426950408889634


@jit
def reduce_ln2(t):  # type: ignore[no-untyped-def]
    """k, r_hi, r_lo with t = k*ln2 + r_hi + r_lo, |r| <= ~0.347, for |t| < 2^20."""
    k = (t * LOG2E + ROUND_SHIFTER) - ROUND_SHIFTER
    r1 = t - k * LN2_HI
    mh, ml = two_prod(k, LN2_MID)
    rh, rl = two_sum(r1, -mh)
    return k, rh, rl - ml - k * LN2_LO


def _expm1_steps(lowest: int = -32, highest: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """e^(i/64) - 1 for whole i from lowest to highest, as double-doubles (hi, lo arrays).

    From decimal arithmetic at 40 digits: hi is the value rounded once, lo the
    rest rounded once, so hi + lo is within 2^-106 of the value itself.
    """
    context = decimal.Context(prec=40)
    his, los = [], []
    for i in range(lowest, highest + 1):
        value = context.subtract(context.exp(context.divide(i, 64)), 1)
        hi = float(value)
        his.append(hi)
        los.append(float(context.subtract(value, decimal.Decimal(hi))))
    return np.array(his), np.array(los)


def _reciprocal_factorial(n: int) -> tuple[float, float]:
    """1/n! as a double-double."""
    value = Fraction(1, math.factorial(n))
    hi = float(value)
    return hi, float(value - Fraction(hi))


_EXPM1_HI, _EXPM1_LO = _expm1_steps()
_EXPM1_MIDDLE = 32  # the index of e^0 - 1
# 1/2 (exact) to 1/720 as double-doubles, then 1/7! to 1/12! in float64.
_INV2 = _reciprocal_factorial(2)
_INV3 = _reciprocal_factorial(3)
_INV4 = _reciprocal_factorial(4)
_INV5 = _reciprocal_factorial(5)
_INV6 = _reciprocal_factorial(6)
_EXPM1_TAIL = tuple(1.0 / math.factorial(n) for n in range(7, 13))


@jit
def expm1_full(rh, rl):  # type: ignore[no-untyped-def]
    """e^r - 1 as a double-double, |r| <= 0.35 (the table reaches 0.5), relative error ~2^-102.

    r = i/64 + u with |u| <= 1/128 (i/64 is exact, so is rh - i/64), and
    e^r - 1 = D + q + D q, with D = e^(i/64) - 1 from a table of
    double-doubles (within 2^-106 of D itself) and q = e^u - 1 =
    u (1 + u (1/2 + u (1/6 + u (1/24 + u (1/120 + u (1/720 + u T(u))))))),
    every step to 1/720 in double-double (~2^-104 each) and T(u) = 1/7! + ...
    + u^5/12! in float64 (its roundings: below 2^-107 of q; the terms left
    out: below 2^-116). q has u's sign and 1 + D > 0, so where D and q
    differ in sign, |q (1 + D)| <= e^(i/64) / 128 is at most about half of
    |D| (i != 0): the sum loses at most a factor of 3 of its relative
    accuracy. For i = 0 (|r| <= 1/128) it is q itself.
    """
    i = (rh * 64.0 + ROUND_SHIFTER) - ROUND_SHIFTER  # round(64 r)
    i = i if i >= -32.0 else -32.0  # (a NaN too: it stays NaN below, and in the table)
    i = i if i <= 32.0 else 32.0
    uh, ul = two_sum(rh - i * 0.015625, rl)  # (exact: Sterbenz, or i = 0)
    u = uh
    tail = _EXPM1_TAIL
    t = tail[0] + u * (tail[1] + u * (tail[2] + u * (tail[3] + u * (tail[4] + u * tail[5]))))
    ah, al = dd_add(_INV6[0], _INV6[1], u * t, 0.0)
    for ch, cl in (_INV5, _INV4, _INV3, _INV2, (1.0, 0.0)):
        ah, al = dd_mul(ah, al, uh, ul)
        ah, al = dd_add(ch, cl, ah, al)
    qh, ql = dd_mul(ah, al, uh, ul)
    index = int(i) + _EXPM1_MIDDLE
    dh, dl = _EXPM1_HI[index], _EXPM1_LO[index]
    ph, pl = dd_mul(dh, dl, qh, ql)
    ph, pl = dd_add(qh, ql, ph, pl)
    return dd_add(dh, dl, ph, pl)


@jit
def exp_full(t):  # type: ignore[no-untyped-def]
    """e^t = 2^k (1 + p_hi + p_lo) for t <= 0, with ~2^-100 relative error."""
    k, rh, rl = reduce_ln2(t)
    ph, pl = expm1_full(rh, rl)
    return k, ph, pl


# Polynomials of fixed degree by Estrin's scheme: a shorter dependency chain than
# Horner's, which the float64 loops (bound by latency as well as throughput) need.
@jit
def estrin6(c, z):  # type: ignore[no-untyped-def]
    """c[0] + c[1] z + ... + c[6] z^6."""
    z2 = z * z
    p01 = fma(c[1], z, c[0])
    p23 = fma(c[3], z, c[2])
    p45 = fma(c[5], z, c[4])
    p03 = fma(p23, z2, p01)
    p46 = fma(c[6], z2, p45)
    return fma(p46, z2 * z2, p03)


@jit
def estrin10(c, r):  # type: ignore[no-untyped-def]
    """c[0] + c[1] r + ... + c[10] r^10."""
    r2 = r * r
    r4 = r2 * r2
    p01 = fma(c[1], r, c[0])
    p23 = fma(c[3], r, c[2])
    p45 = fma(c[5], r, c[4])
    p67 = fma(c[7], r, c[6])
    p89 = fma(c[9], r, c[8])
    p03 = fma(p23, r2, p01)
    p47 = fma(p67, r2, p45)
    p8a = fma(c[10], r2, p89)
    return fma(fma(p8a, r4, p47), r4, p03)


@jit
def estrin12(c, r):  # type: ignore[no-untyped-def]
    """c[0] + c[1] r + ... + c[12] r^12."""
    r2 = r * r
    r4 = r2 * r2
    p03 = fma(fma(c[3], r, c[2]), r2, fma(c[1], r, c[0]))
    p47 = fma(fma(c[7], r, c[6]), r2, fma(c[5], r, c[4]))
    p8b = fma(fma(c[11], r, c[10]), r2, fma(c[9], r, c[8]))
    return fma(fma(c[12], r4, p8b), r4 * r4, fma(p47, r4, p03))
