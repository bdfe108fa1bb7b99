"""float64 accuracy audit: millions of hard inputs against the correctly rounded truth.

Every public function of the family (σ, σ', σ'', σ''', softplus, log-sigmoid,
logit) on float64 inputs, bit for bit against the correctly rounded float64
value: random bit patterns over the whole range, and dense samples where each
function is hardest (near 0 down to the subnormals, the tails, exp underflow,
the boundaries of the subnormal results; for logit p near 0, 1/2 and 1), plus
the special values. The inputs are reproducible (a fixed seed per function
and chunk, whatever the number of workers).

The truth costs little: the tests' longdouble reference (`tests/oracle.py`,
a 64-bit significand on x86-64) rounded to float64 wherever it lies farther
than its error bound from a float64 rounding midpoint; mpmath, at a precision
raised until the rounding is settled, for the rest (about one input in six of
this mix), for every result that is not correctly rounded (for its ULP error)
and for a sample of the others (a check of the prefilter and of its bound).

Writes docs/accuracy64.md and tests/data/f64_hard_inputs.txt (per function and
input category, the inputs whose true value lies closest to a float64 rounding
midpoint, and the inputs whose result was not correctly rounded: the worst
`WRONG_KEPT` per category, or all with --wrong-kept 0). Run it after any
float64 kernel change:

    python benchmarks/accuracy64.py                # 10^7 inputs per function, all cores (~7 min on two)
    python benchmarks/accuracy64.py --quick        # 10^5 per function: prints, writes nothing
    python benchmarks/accuracy64.py --count 2000000 --workers 2
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import mpmath
import numpy as np
from tqdm import tqdm

import sigmoid as sg
from sigmoid._kernels import exact as _exact
from sigmoid._kernels import loops

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import accuracy as _float32_audit
import oracle as _oracle

ROOT = Path(__file__).resolve().parent.parent
SEED = 20261205
CHUNK = 1 << 16
#: The inputs closest to a rounding midpoint kept per function and input category.
HARD = 20
#: Per chunk, this many inputs the prefilter settled are checked in mpmath as well.
CHECKS = 64
#: The inputs not correctly rounded kept for the data file per function and input
#: category (the largest ULP errors; `--wrong-kept`, 0 for all): a run sees
#: hundreds of thousands, most of them subnormal results rounded twice.
WRONG_KEPT = 50

# The float32 audit's table of functions, in this file's order.
FUNCTIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    name: _float32_audit.FUNCTIONS[name]
    for name in (
        "sigmoid",
        "sigmoid_derivative",
        "sigmoid_derivative2",
        "sigmoid_derivative3",
        "softplus",
        "log_sigmoid",
        "logit",
    )
}
CALLS = {
    "sigmoid": "sg.sigmoid(x)",
    "sigmoid_derivative": "sg.sigmoid_derivative(x)",
    "sigmoid_derivative2": "sg.sigmoid_derivative(x, order=2)",
    "sigmoid_derivative3": "sg.sigmoid_derivative(x, order=3)",
    "softplus": "sg.softplus(x)",
    "log_sigmoid": "sg.log_sigmoid(x)",
    "logit": "sg.logit(p)",
}


# --- The inputs ------------------------------------------------------------------------------

Sampler = Callable[[np.random.Generator, int], np.ndarray]


def _all_bits(rng: np.random.Generator, n: int) -> np.ndarray:
    bits = rng.integers(0, (1 << 64) - 1, n, dtype=np.uint64, endpoint=True)
    return bits.view(np.float64)


def _bit_range(lo: float, hi: float, signed: bool = True) -> Sampler:
    """Uniform over the bit patterns of [lo, hi] (0 <= lo < hi): log-uniform magnitudes."""
    a, b = (int(np.float64(v).view(np.uint64)) for v in (lo, hi))

    def sample(rng: np.random.Generator, n: int) -> np.ndarray:
        x = rng.integers(a, b, n, dtype=np.uint64, endpoint=True).view(np.float64)
        return _random_sign(rng, x) if signed else x

    return sample


def _uniform(lo: float, hi: float, signed: bool = True) -> Sampler:
    def sample(rng: np.random.Generator, n: int) -> np.ndarray:
        x = rng.uniform(lo, hi, n)
        return _random_sign(rng, x) if signed else x

    return sample


def _around(points: tuple[float, ...], offsets: Sampler, signed: bool = True) -> Sampler:
    """One of `points` plus a signed offset from `offsets`, of random sign if `signed`."""

    def sample(rng: np.random.Generator, n: int) -> np.ndarray:
        x = np.asarray(points)[rng.integers(0, len(points), n)] + offsets(rng, n)
        return _random_sign(rng, x) if signed else x

    return sample


def _random_sign(rng: np.random.Generator, x: np.ndarray) -> np.ndarray:
    signed: np.ndarray = np.where(rng.random(x.size) < 0.5, -x, x)
    return signed


@dataclass(frozen=True)
class Category:
    label: str
    share: float
    what: str
    sample: Sampler


#: σ'''(x) = 0 at ±ln(2 + √3).
SIGMA3_ZERO = 1.3169578969248168
#: exp(-t) is 2^-1022 (the smallest normal) at t = 1022 ln 2, and 2^-1075 (half the
#: smallest subnormal: below, a result rounds to 0) at t = 1075 ln 2.
SUBNORMAL_EDGES = (1022 * math.log(2), 1075 * math.log(2))

_BITS = Category(
    "bit patterns",
    0.20,
    "uniform over all 2^64 bit patterns (both signs, NaNs, ±inf)",
    _all_bits,
)
_REAL_MIX = (
    _BITS,
    Category(
        "near 0",
        0.15,
        "±(bit patterns of [2^-1074, 1]): log-uniform magnitudes down to the subnormals",
        _bit_range(5e-324, 1.0),
    ),
    Category(
        "tiny",
        0.03,
        "±(bit patterns of [2^-1074, 2^-1000]): subnormal and tiny x",
        _bit_range(5e-324, 2.0**-1000),
    ),
    Category("body", 0.17, "uniform in [-20, 20]", _uniform(-20.0, 20.0, signed=False)),
    Category(
        "tails", 0.15, "±uniform in [20, 40]: σ near 1, softplus(x) near x", _uniform(20.0, 40.0)
    ),
    Category("far", 0.05, "±uniform in [40, 690]", _uniform(40.0, 690.0)),
    Category(
        "exp underflow",
        0.10,
        "±uniform in [690, 746]: e^-|x| near and below the smallest normal and subnormal",
        _uniform(690.0, 746.0),
    ),
    Category(
        "subnormal edges",
        0.15,
        "±(1022 ln 2 or 1075 ln 2, ±uniform in [0, 1/4]): results near 2^-1022 and 2^-1075",
        _around(SUBNORMAL_EDGES, _uniform(0.0, 0.25)),
    ),
)
_ZEROS = Category(
    "zeros",
    0.05,
    "±(ln(2 + √3) ± bit patterns of [2^-52, 1/4]): σ''' near its zeros",
    _around((SIGMA3_ZERO,), _bit_range(2.0**-52, 0.25)),
)
_LOGIT_MIX = (
    Category("bit patterns", 0.05, _BITS.what, _all_bits),
    Category(
        "p in [0, 1]",
        0.30,
        "bit patterns of [0, 1]: log-uniform p down to the subnormals",
        _bit_range(0.0, 1.0, signed=False),
    ),
    Category("uniform p", 0.15, "uniform in [0, 1]", _uniform(0.0, 1.0, signed=False)),
    Category(
        "near 1/2",
        0.20,
        "1/2 ± bit patterns of [2^-54, 1/4]",
        _around((0.5,), _bit_range(2.0**-54, 0.25), signed=False),
    ),
    Category(
        "near 1",
        0.20,
        "1 - bit patterns of [2^-53, 1/2]: 1 - p small",
        lambda rng, n: 1.0 - _bit_range(2.0**-53, 0.5, signed=False)(rng, n),
    ),
    Category(
        "tiny p",
        0.10,
        "bit patterns of [2^-1074, 2^-1000]: subnormal and tiny p",
        _bit_range(5e-324, 2.0**-1000, signed=False),
    ),
)


def _with_zeros(mix: tuple[Category, ...]) -> tuple[Category, ...]:
    """`mix` with σ''''s zeros in place of part of the body."""
    body = next(c for c in mix if c.label == "body")
    smaller = Category(body.label, body.share - _ZEROS.share, body.what, body.sample)
    return (*(smaller if c is body else c for c in mix), _ZEROS)


MIXES: dict[str, tuple[Category, ...]] = {
    name: _LOGIT_MIX
    if name == "logit"
    else _with_zeros(_REAL_MIX)
    if name == "sigmoid_derivative3"
    else _REAL_MIX
    for name in FUNCTIONS
}
assert all(abs(sum(c.share for c in mix) - 1) < 1e-12 for mix in MIXES.values())

_TINY, _MAX = float(np.finfo(np.float64).tiny), float(np.finfo(np.float64).max)
_SPECIALS = [0.0, math.inf, math.nan, _MAX, _TINY, 5e-324, 1.0, 0.5, 2.0**-52, 2.0**-53]
SPECIALS = np.array(
    [
        *_SPECIALS,
        *(-v for v in _SPECIALS),
        *(math.nextafter(v, d) for v in (0.5, 1.0) for d in (0.0, 2.0)),
        *(s * v for v in (*SUBNORMAL_EDGES, 709.78, 36.7, 37.43, 40.0) for s in (1, -1)),
        # Near 0 (logit: near 1/2) each function is its Taylor series, and at these
        # its value lies a hair off a rounding midpoint: the hardest known inputs.
        *(s * m * 2.0**-k for k in range(1, 81) for m in (1, 3) for s in (1, -1)),
        *(0.5 + s * m * 2.0**-k for k in range(2, 54) for m in (1, 3) for s in (1, -1)),
    ]
)
SPECIALS_WHAT = (
    "±0, ±inf, NaN, ±the largest and smallest (normal, subnormal) finite values, ±1, ±1/2, "
    "the neighbours of 1/2 and 1, ±2^-52, ±2^-53, a few thresholds of the kernels, "
    "±2^-k and ±3 2^-k (k = 1..80) and 1/2 ± those (k = 2..53)"
)


def chunk_inputs(name: str, index: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Chunk `index` of `name`'s inputs and each one's category (an index into its mix).

    Every chunk holds the mix in its shares, from its own seeded generator, so
    that the inputs depend only on (function, chunk); the first chunk starts
    with `SPECIALS` (category len(mix)).
    """
    mix = MIXES[name]
    rng = np.random.default_rng([SEED, list(FUNCTIONS).index(name), index])
    counts = [int(c.share * size) for c in mix]
    counts[0] += size - sum(counts)
    x = np.concatenate([c.sample(rng, n) for c, n in zip(mix, counts, strict=True)])
    category = np.repeat(np.arange(len(mix), dtype=np.int64), counts)
    if index == 0:
        k = min(SPECIALS.size, size)
        x[:k], category[:k] = SPECIALS[:k], len(mix)
    return x, category


# --- The truth -------------------------------------------------------------------------------

#: The prefilter's bound on the relative error of the longdouble reference: the
#: oracle's own (`_LD_REL_ERROR` = 64 longdouble epsilons, 2^-57, for a few roundings
#: of exp, log1p, + and /), times 4. The run measures the error on every input it
#: also evaluates in mpmath and reports the largest beside it.
LD_BOUND = 4 * _oracle._LD_REL_ERROR
_LD_EPS = float(np.finfo(np.longdouble).eps)

#: mpmath: the first working precision, and the bits the formulas may lose to
#: cancellation (logit near 1/2 and σ''' near its zeros lose up to ~55) and their
#: roundings. The rounding is taken where the value lies farther than
#: 2^-(prec - MP_GUARD) of itself from a midpoint; else the precision doubles.
MP_PREC = 192
MP_GUARD = 80
MP_MAX_PREC = 1 << 15


def prefilter(value: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`value` rounded to float64, and where that is surely the truth correctly rounded.

    The truth lies within `LD_BOUND` |value| of `value`; if that interval holds
    no float64 rounding midpoint, every point of it rounds alike. The midpoints
    (r + r's neighbour)/2 and their differences from `value` are exact in
    longdouble (55 bits or fewer, Sterbenz).
    """
    with np.errstate(all="ignore"):
        rounded = value.astype(np.float64)
        r = rounded.astype(np.longdouble)
        low = (r + np.nextafter(rounded, -np.inf).astype(np.longdouble)) / 2
        high = (r + np.nextafter(rounded, np.inf).astype(np.longdouble)) / 2
        margin = np.abs(value) * np.longdouble(LD_BOUND * (1 + 2.0**-20))
        settled = (value - low > margin) & (high - value > margin)
    # NaN, ±inf and 0 are exact (a zero is the truth's underflow, or exact: σ''(±0) = ∓0).
    settled |= ~np.isfinite(value) | (value == 0)
    return rounded, settled


@dataclass(frozen=True)
class Truth:
    """A float64 input's true value, within 2^-(prec - MP_GUARD) of itself, and its rounding."""

    rounded: float  # to nearest float64
    #: |true value| - |nearest rounding midpoint|, in ulps: > 0 beyond it, away from 0
    #: (an mpmath number: it can be below the float64 range).
    distance: mpmath.mpf
    #: |true value| = (n + frac) 2^q, 2^q the spacing of the float64s at it (2^-1074
    #: below 2^-1022), n whole and frac in [0, 1) (frac rounded to a float).
    n: int
    frac: float
    frac_ld: np.longdouble  # frac to 64 bits, for the relative error of a longdouble
    q: int
    negative: bool
    prec: int

    @property
    def subnormal(self) -> bool:
        return self.n < 1 << 52

    def ulp_error(self, y: float) -> float:
        """|y - truth| in ulps (2^q; inf for a NaN or infinite y)."""
        if not math.isfinite(y):
            return math.inf
        other_side = y != 0 and (y < 0) != self.negative
        true = self.n + Fraction(self.frac)
        if y != 0 and math.frexp(y)[1] - self.q > 60:  # far off: as fractions
            scaled = abs(Fraction(y)) / Fraction(2) ** self.q
            return float(scaled + true if other_side else abs(scaled - true))
        near = math.ldexp(abs(y), -self.q)  # exact, and below 2^61
        if other_side:
            return near + self.n + self.frac
        return abs((near - self.n) - self.frac)  # the first difference is exact

    def relative_error(self, v: np.longdouble) -> float:
        """|v - truth| / |truth| for a longdouble v (NaN for a truth far below 2^-1074)."""
        if self.n + self.frac < 2.0**-20:
            return math.nan
        if v != 0 and (v < 0) != self.negative:
            return 2.0
        scaled = np.ldexp(np.abs(v), -self.q)  # exact in longdouble, as its difference from n
        true = self.n + self.frac_ld
        return float(abs((scaled - self.n) - self.frac_ld) / true)


def correctly_rounded_f64(name: str, x: float) -> Truth:
    """The true name(x) for a finite x with a finite, nonzero value, rounded to float64.

    mpmath evaluates the family's formula at `MP_PREC` bits, doubled until the
    value lies far enough from a float64 rounding midpoint. The rounding is
    exact integer arithmetic on that value, man 2^exp: the float64 spacing at
    it is 2^q (q = max(its exponent - 52, -1074), so subnormal results are
    rounded as the true value is), and man 2^(exp - q) = n + f with f in [0, 1)
    rounds to n or n + 1 as f is below or above 1/2.
    """
    formula = _oracle._MP_FUNCTIONS[name]
    point = mpmath.mpf(x)  # exact
    prec = MP_PREC
    while prec <= MP_MAX_PREC:
        with mpmath.workprec(prec):
            sign, man, exp, bits = formula(point)._mpf_
        if not man:
            raise ValueError(f"{name}({x!r}) is 0, infinite or NaN")
        q = max(exp + bits - 1 - 52, -1074)
        shift = q - exp
        n, frac, frac_ld, up = man, 0.0, np.longdouble(0), False
        if shift <= 0:  # a float64 (at this precision): half an ulp from the midpoints
            n, distance = man << -shift, mpmath.mpf(-0.5)
        elif shift > bits + 64:  # far below 2^-1075 (σ(-10^300)): 0, half an ulp from 2^-1075
            n, distance = 0, mpmath.mpf(-0.5)
        else:
            n, rest = man >> shift, man & ((1 << shift) - 1)
            twice = 2 * rest - (1 << shift)  # > 0 above the midpoint n + 1/2
            # |value| / 2^q < 2^53: the value's error is under 2^(53 + MP_GUARD - prec) ulps,
            # which |distance| = |twice| / 2^(shift + 1) must exceed.
            error = shift + 1 + 53 + MP_GUARD - prec
            if abs(twice) <= (1 << error if error >= 0 else 0):
                prec *= 2
                continue
            distance = mpmath.ldexp(twice, -(shift + 1))  # (may be below float64's range)
            frac, up = rest / (1 << shift), twice > 0
            top = rest >> shift - 64 if shift > 64 else rest << 64 - shift  # frac 2^64, truncated
            frac_ld = np.ldexp(
                np.longdouble(top >> 32) * 2**32 + np.longdouble(top & 0xFFFFFFFF), -64
            )
        rounded = math.ldexp(n + up, q)
        return Truth(-rounded if sign else rounded, distance, n, frac, frac_ld, q, bool(sign), prec)
    raise RuntimeError(f"{name}({x!r}): no rounding settled at {MP_MAX_PREC} bits (a tie?)")


def same_float(a: float, b: float) -> bool:
    """`same` for two floats."""
    if a != a:
        return b != b
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Bit for bit alike but for NaN payloads: NaN matches NaN, zeros match in sign."""
    alike: np.ndarray = ((a == b) & (np.signbit(a) == np.signbit(b))) | (np.isnan(a) & np.isnan(b))
    return alike


# --- The audit -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """An input evaluated in mpmath: its truth, and sg's result."""

    name: str
    x: float
    result: float
    truth: float  # correctly rounded
    distance: mpmath.mpf  # of the true value from the nearest midpoint, in ulps
    ulp: float  # sg's error in ulps of the true value
    subnormal: bool  # |true value| < 2^-1022
    category: str
    wrong: bool  # result != truth


@dataclass
class Tally:
    """One function's score over the inputs seen so far."""

    inputs: int = 0
    mpmath: int = 0  # inputs the prefilter could not settle
    wrong: int = 0
    checks: int = 0  # settled inputs checked in mpmath too
    disagreements: int = 0  # of those (and of the settled wrong ones): prefilter != mpmath
    max_ulp: float = 0.0  # normal results
    worst_x: float = math.nan
    max_ulp_subnormal: float = 0.0
    worst_x_subnormal: float = math.nan
    max_ld_error: float = 0.0  # |reference - truth| / |truth|, in longdouble epsilons
    max_prec: int = 0
    decimal: int = 0  # accurate-path results settled in decimal arithmetic (`sigmoid._rounded`)
    by_category: dict[str, list[int]] = field(default_factory=dict)  # inputs, mpmath, wrong
    #: Per input category, inputs not correctly rounded (the `keep` worst, if it is set).
    wrong_cases: dict[str, list[Case]] = field(default_factory=dict)
    #: Per input category, the `HARD` inputs whose truth lies nearest a midpoint.
    closest: dict[str, list[Case]] = field(default_factory=dict)

    def add(self, other: Tally, keep: int = 0) -> None:
        """Take in `other`, keeping the `keep` worst inputs not correctly rounded (0: all)."""
        self.inputs += other.inputs
        self.mpmath += other.mpmath
        self.wrong += other.wrong
        self.checks += other.checks
        self.disagreements += other.disagreements
        if other.max_ulp > self.max_ulp:
            self.max_ulp, self.worst_x = other.max_ulp, other.worst_x
        if other.max_ulp_subnormal > self.max_ulp_subnormal:
            self.max_ulp_subnormal = other.max_ulp_subnormal
            self.worst_x_subnormal = other.worst_x_subnormal
        self.max_ld_error = max(self.max_ld_error, other.max_ld_error)
        self.max_prec = max(self.max_prec, other.max_prec)
        self.decimal += other.decimal
        for label, counts in other.by_category.items():
            mine = self.by_category.setdefault(label, [0, 0, 0])
            mine[:] = [a + b for a, b in zip(mine, counts, strict=True)]
        for label, cases in other.wrong_cases.items():
            wrong = self.wrong_cases.get(label, []) + cases
            if keep:
                wrong = sorted(wrong, key=lambda c: -c.ulp)[:keep]
            self.wrong_cases[label] = wrong
        for label, cases in other.closest.items():
            self.closest[label] = _closest(self.closest.get(label, []) + cases)


def _closest(cases: list[Case]) -> list[Case]:
    return sorted(cases, key=lambda c: abs(c.distance))[:HARD]


def audit_chunk(name: str, index: int, size: int) -> Tally:
    x, category = chunk_inputs(name, index, size)
    labels = [c.label for c in MIXES[name]] + ["specials"]
    settled_before = loops.SETTLED_IN_DECIMAL[name]
    y = np.asarray(FUNCTIONS[name](x), dtype=np.float64)
    decimal = loops.SETTLED_IN_DECIMAL[name] - settled_before
    with np.errstate(all="ignore"):  # NaN, inf - inf, underflow: all expected
        value, trusted = _oracle._LD_FUNCTIONS[name](x.astype(np.longdouble))
        value = np.asarray(value, dtype=np.longdouble)
    want, settled = prefilter(value)
    # Where the longdouble formula is not within its bound (σ''' near its zeros), mpmath.
    settled &= np.asarray(trusted, dtype=bool) | ~np.isfinite(x)
    wrong = ~same(y, want)
    undecided = ~settled
    candidates = np.flatnonzero(settled & np.isfinite(x) & np.isfinite(value) & (value != 0))
    rng = np.random.default_rng([SEED, list(FUNCTIONS).index(name), index, 1])
    checked = np.zeros(x.size, dtype=bool)
    checked[rng.choice(candidates, min(CHECKS, candidates.size), replace=False)] = True
    tally = Tally(
        inputs=x.size, mpmath=int(undecided.sum()), checks=int(checked.sum()), decimal=decimal
    )
    for i in np.flatnonzero(undecided | (settled & wrong) | checked).tolist():
        truth = correctly_rounded_f64(name, float(x[i]))
        if settled[i] and not same_float(truth.rounded, float(want[i])):
            tally.disagreements += 1  # the prefilter's bound failed: mpmath is right
        want[i] = truth.rounded
        xi, yi = float(x[i]), float(y[i])
        case = Case(
            name,
            xi,
            yi,
            truth.rounded,
            truth.distance,
            truth.ulp_error(yi),
            truth.subnormal,
            labels[category[i]],
            not same_float(yi, truth.rounded),
        )
        if trusted[i]:
            error = truth.relative_error(value[i]) / _LD_EPS
            tally.max_ld_error = (
                max(tally.max_ld_error, error) if error == error else tally.max_ld_error
            )
        tally.max_prec = max(tally.max_prec, truth.prec)
        if case.subnormal and case.ulp > tally.max_ulp_subnormal:
            tally.max_ulp_subnormal, tally.worst_x_subnormal = case.ulp, case.x
        elif not case.subnormal and case.ulp > tally.max_ulp:
            tally.max_ulp, tally.worst_x = case.ulp, case.x
        if case.wrong:
            tally.wrong_cases.setdefault(case.category, []).append(case)
        tally.closest.setdefault(case.category, []).append(case)
    tally.closest = {label: _closest(cases) for label, cases in tally.closest.items()}
    wrong = ~same(y, want)
    tally.wrong = int(wrong.sum())
    for k, label in enumerate(labels):
        mine = category == k
        if mine.any():
            counts = [int(mine.sum()), int((mine & undecided).sum()), int((mine & wrong).sum())]
            tally.by_category[label] = counts
    return tally


def _tasks(count: int) -> Iterator[tuple[str, int, int]]:
    """(function, chunk, size), the functions interleaved so that progress is even."""
    chunks = -(-count // CHUNK)
    for index in range(chunks):
        for name in FUNCTIONS:
            yield name, index, min(CHUNK, count - index * CHUNK)


def run(count: int, workers: int, keep: int) -> dict[str, Tally]:
    totals = {name: Tally() for name in FUNCTIONS}
    names, indices, sizes = zip(*_tasks(count), strict=True)
    with (
        ProcessPoolExecutor(workers) as pool,
        tqdm(total=count * len(FUNCTIONS), unit="x", unit_scale=True) as bar,
    ):
        for name, tally in zip(names, pool.map(audit_chunk, names, indices, sizes), strict=True):
            totals[name].add(tally, keep)
            bar.update(tally.inputs)
    return totals


def confirm(name: str, x: float) -> float:
    """The tests' oracle's float64 rounding of name(x): `exact`'s value, to nearest."""
    return float(_oracle._round_mp(_oracle.exact(name, x), np.dtype(np.float64)))


def hard_cases(totals: dict[str, Tally]) -> list[tuple[Case, str]]:
    """The inputs for the data file, each with why: "closest" or "wrong"."""
    cases: dict[tuple[str, float], tuple[Case, str]] = {}
    for t in totals.values():
        for wrong in t.wrong_cases.values():
            for c in wrong:
                cases[c.name, c.x] = (c, "wrong")
        for near in t.closest.values():
            for c in near:
                cases.setdefault((c.name, c.x), (c, "wrong" if c.wrong else "closest"))
    return sorted(cases.values(), key=lambda cw: (list(FUNCTIONS).index(cw[0].name), cw[0].x))


def confirmations(cases: list[tuple[Case, str]], workers: int) -> int:
    """How many of `cases` the tests' oracle rounds otherwise (it should be none)."""
    names = [c.name for c, _ in cases]
    xs = [c.x for c, _ in cases]
    with ProcessPoolExecutor(workers) as pool:
        truths = list(
            tqdm(pool.map(confirm, names, xs, chunksize=16), total=len(xs), desc="oracle")
        )
    return sum(not same_float(t, c.truth) for t, (c, _) in zip(truths, cases, strict=True))


# --- The report ------------------------------------------------------------------------------


_BOUND_TEXT = f"2^{math.log2(_exact.ACCURATE_BOUND):.0f} (relative)"


def _commit() -> str:
    git = ["git", "-C", str(ROOT), "describe", "--always", "--dirty"]
    return subprocess.run(git, capture_output=True, text=True).stdout.strip() or "no git"


def _sci(v: mpmath.mpf, digits: int, sign: bool = False) -> str:
    """v in scientific notation, whatever its exponent (-1.234e-602)."""
    if v == 0:
        return "0"
    with mpmath.workdps(digits + 10):
        exponent = int(mpmath.floor(mpmath.log10(abs(v))))
        mantissa = float(v / mpmath.mpf(10) ** exponent)
    if f"{abs(mantissa):.{digits - 1}f}".startswith("10"):
        mantissa, exponent = mantissa / 10, exponent + 1
    return f"{mantissa:{'+' if sign else ''}.{digits - 1}f}e{exponent:+03d}"


def _options(count: int, keep: int) -> str:
    """The command-line options that made a run, beyond the defaults."""
    options = "" if count == 10_000_000 else f" --count {count}"
    return options + ("" if keep == WRONG_KEPT else f" --wrong-kept {keep}")


def _x(v: float) -> str:
    return "–" if math.isnan(v) else f"`{v!r}`"


def report(
    totals: dict[str, Tally],
    cases: list[tuple[Case, str]],
    mismatches: int,
    options: argparse.Namespace,
    seconds: float,
) -> str:
    count, workers, keep = options.count, options.workers, options.wrong_kept
    total_inputs = sum(t.inputs for t in totals.values())
    total_mp = sum(t.mpmath for t in totals.values())
    checks = sum(t.checks for t in totals.values())
    disagreements = sum(t.disagreements for t in totals.values())
    lines = [
        "# float64 accuracy",
        "",
        f"Made by `python benchmarks/accuracy64.py{_options(count, keep)}`;"
        " do not edit by hand. "
        f"{time.strftime('%Y-%m-%d', time.gmtime())}, sigmoid {sg.__version__} ({_commit()}),",
        f"{platform.machine()}, Python {platform.python_version()}, NumPy {np.__version__},"
        f" mpmath {mpmath.__version__}; {workers} workers, took {seconds / 60:.1f} min.",
        "",
        "Every public function on float64 inputs, bit for bit against the correctly rounded",
        "float64 value (NaN matches NaN, a zero must have the right sign). Every function",
        "is claimed correctly rounded: a fast path within a proven bound and a hard-value",
        "test (`sigmoid/_kernels/elementwise.py`), the inputs it cannot decide through the",
        "~2^-100 double-double path (`sigmoid/_kernels/exact.py`; log σ(x) is -softplus(-x)),",
        f"whose result, where it lies within {_BOUND_TEXT} of a float64 rounding midpoint, is settled",
        "in decimal interval arithmetic instead (`sigmoid._rounded`, its precision doubled until",
        f"it decides): that happened for {sum(t.decimal for t in totals.values()):,} of the inputs below.",
        "This counts how often they round the wrong way and how far they are from",
        "the truth. The inputs weight the hard regions heavily (see the mix below): the rates",
        "are not those of typical inputs; the table by input category shows where they fall.",
        "",
        f"The truth: the tests' longdouble reference (`tests/oracle.py`, a {np.finfo(np.longdouble).nmant + 1}-bit",
        "significand) rounded to float64 where it lies farther than its error bound",
        f"(2^{math.log2(LD_BOUND):.0f} relative: 4 times the oracle's `_LD_REL_ERROR`) from a float64 rounding",
        "midpoint; elsewhere (and for σ''' near its zeros, where that formula cancels) mpmath,",
        f"from {MP_PREC} bits, the precision doubled until the value lies farther than 2^-(prec - {MP_GUARD})",
        "of itself from a midpoint, and compared with the midpoints exactly (subnormal",
        "results and near-ties included). Every result not correctly rounded, and",
        f"{CHECKS} random settled inputs per chunk of {CHUNK:,} ({checks:,} in all), are evaluated in",
        f"mpmath too: the prefilter and mpmath disagreed on {disagreements} of them.",
        f"{total_mp:,} of the {total_inputs:,} inputs ({100 * total_mp / total_inputs:.2f} %) needed mpmath.",
        "ULP errors are |result - truth| in units of the spacing of float64s at the truth, from",
        "mpmath: every input not evaluated there is correctly rounded and farther than the",
        "bound from a midpoint, so the maxima below are the maxima over all inputs.",
        "",
        "| function | inputs | needed mpmath | not correctly rounded | % correctly rounded "
        "| max ULP, normal results (at x) | max ULP, subnormal results (at x) "
        "| longdouble error, max seen (eps) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, t in totals.items():
        lines.append(
            f"| `{CALLS[name]}` | {t.inputs:,} | {t.mpmath:,} ({100 * t.mpmath / t.inputs:.2f} %) "
            f"| {t.wrong:,} | {100 * (1 - t.wrong / t.inputs):.4f} "
            f"| {t.max_ulp:.4f} ({_x(t.worst_x)}) "
            f"| {t.max_ulp_subnormal:.4f} ({_x(t.worst_x_subnormal)}) | {t.max_ld_error:.2f} |"
        )
    lines += [
        "",
        "The longdouble column is the largest relative error of the reference seen on the",
        f"inputs evaluated in mpmath, in longdouble epsilons (2^-{np.finfo(np.longdouble).nmant}); the prefilter assumes",
        f"{LD_BOUND / _LD_EPS:.0f}.",
        "",
        "## The inputs",
        "",
        f"{count:,} per function, in chunks of {CHUNK:,} that each hold the mix below, from",
        f"NumPy's default generator seeded with ({SEED}, function, chunk); the first chunk",
        f"starts with {SPECIALS.size} special values ({SPECIALS_WHAT}).",
        "",
        "| functions | inputs | share | what |",
        "|---|---|---|---|",
    ]
    groups = {
        "σ, σ', σ'', softplus, log σ": MIXES["sigmoid"],
        "σ'''": MIXES["sigmoid_derivative3"],
        "logit": MIXES["logit"],
    }
    for group, mix in groups.items():
        for category in mix:
            share = f"{100 * category.share:.0f} %"
            lines.append(f"| {group} | {category.label} | {share} | {category.what} |")
    lines += [
        "",
        "## By input category",
        "",
        "With, for each, the input whose true value lies nearest a float64 rounding midpoint",
        "(signed distance |truth| - |midpoint| in ulps) and whether sg rounds it correctly.",
        "",
        "| function | inputs | count | needed mpmath | not correctly rounded "
        "| nearest a midpoint: x | distance (ulp) | sg correct there |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, t in totals.items():
        for label, (n, mp, wrong) in t.by_category.items():
            where = "– | – | –"
            if near := t.closest.get(label):
                c = near[0]
                right = "no" if c.wrong else "yes"
                where = f"`{c.x!r}` | {_sci(c.distance, 3, sign=True)} | {right}"
            lines.append(f"| `{name}` | {label} | {n:,} | {mp:,} | {wrong:,} | {where} |")
    kept = sum(len(cases) for t in totals.values() for cases in t.wrong_cases.values())
    wrong_total = sum(t.wrong for t in totals.values())
    which = (
        "every input whose result was not correctly rounded"
        if keep == 0 or kept == wrong_total
        else f"of the inputs whose result was not correctly rounded the {keep} with the largest "
        f"ULP errors per function and category ({kept:,} of {wrong_total:,})"
    )
    lines += [
        "",
        "## Hard inputs",
        "",
        f"`tests/data/f64_hard_inputs.txt` holds {len(cases):,} inputs for the tests, each with its",
        f"correctly rounded value: per function and input category the {HARD} whose true value",
        f"lies nearest a float64 rounding midpoint, and {which}.",
        f"The tests' oracle (`exact`, rounded by `_round_mp`) rounds {mismatches} of them otherwise.",
    ]
    return "\n".join(lines) + "\n"


def write_hard_inputs(cases: list[tuple[Case, str]], count: int, keep: int, path: Path) -> None:
    wrong = (
        "every input" if keep == 0 else f"the {keep} per function and category (largest ULP error)"
    )
    header = [
        "# float64 hard inputs, made by benchmarks/accuracy64.py (see docs/accuracy64.md): per",
        f"# function and input category, the {HARD} inputs of the {count:,} audited whose true value",
        f"# lies closest to a float64 rounding midpoint, and {wrong} whose result was",
        f"# not correctly rounded by sigmoid {sg.__version__} ({_commit()}). Truth from mpmath.",
        "# distance: (|true value| - |nearest rounding midpoint|) / ulp of the true value (> 0:",
        "# beyond the midpoint, away from 0). why: wrong (sg's result was not correctly",
        "# rounded then; it may be among the closest too) or closest (it was). x and",
        "# correctly_rounded as float.hex.",
        "# function x correctly_rounded distance why",
    ]
    rows = [
        f"{c.name} {c.x.hex()} {c.truth.hex()} {_sci(c.distance, 7, sign=True)} {why}"
        for c, why in cases
    ]
    path.parent.mkdir(exist_ok=True)
    path.write_text("\n".join(header + rows) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--count", type=int, default=None, help="inputs per function (default 10,000,000)"
    )
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="10^5 inputs per function (unless --count is given); print, write nothing",
    )
    parser.add_argument(
        "--wrong-kept",
        type=int,
        default=WRONG_KEPT,
        help="inputs not correctly rounded written to the data file per function and input "
        f"category, the largest ULP errors (default {WRONG_KEPT}; 0: all)",
    )
    args = parser.parse_args()
    args.count = args.count or (100_000 if args.quick else 10_000_000)
    began = time.perf_counter()
    totals = run(args.count, args.workers, args.wrong_kept)
    cases = hard_cases(totals)
    mismatches = confirmations(cases, args.workers)
    text = report(totals, cases, mismatches, args, time.perf_counter() - began)
    if not args.quick:
        (ROOT / "docs" / "accuracy64.md").write_text(text)
        path = ROOT / "tests" / "data" / "f64_hard_inputs.txt"
        write_hard_inputs(cases, args.count, args.wrong_kept, path)
        print(
            f"wrote docs/accuracy64.md and tests/data/f64_hard_inputs.txt ({len(cases):,} inputs)"
        )
    print(text)


if __name__ == "__main__":
    main()
