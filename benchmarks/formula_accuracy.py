"""Measured accuracy of the array-API formula path, on CPU builds of the libraries that use it.

GPU tensors, CuPy, ``array_api_strict`` and JAX on GPU do not run the compiled
kernels: they run the formulas of `sigmoid._backends.array_api`, which are not
correctly rounded. This script measures how far off they are, for every public
function of the family, in float16, float32 and float64, on CPU builds of
array_api_strict, PyTorch and JAX (PyTorch and JAX are forced through the
formulas; on CPU they normally get the compiled kernels). Writes
docs/formula-accuracy.md:

    python benchmarks/formula_accuracy.py          # 10^6 inputs each, the oracle on 5*10^4 (minutes)
    python benchmarks/formula_accuracy.py --quick  # 10^5 and 5*10^3, for a look (under a minute)

Two references. The truth: the tests' oracle (`tests/oracle.py`), the correctly
rounded value (longdouble rounded to float16 and float32, mpmath where that
cannot decide; mpmath for float64), on a random part of the inputs plus the
inputs worst against the other reference. The NumPy path (``sg.<function>`` on a
NumPy array: correctly rounded in float16 and float32, within 1 ULP in float64),
on all of them. Errors are distances in ULPs of the result's dtype: how many
floats of that dtype lie between result and reference, counted through the
floats' ordered integer bit patterns (so 0 is exact, 1 the neighbouring float).

Run it against a clean copy of the package while the working tree changes; the
oracle then comes from the same copy's tests:

    rm -rf /tmp/fa-pkg && git clone -q . /tmp/fa-pkg
    PYTHONPATH=/tmp/fa-pkg/src python benchmarks/formula_accuracy.py

It keeps to one core (NumPy engine, PyTorch and XLA each get one thread).
"""

from __future__ import annotations

import argparse
import datetime
import functools
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

import sigmoid as sg
from sigmoid._backends import array_api
from sigmoid._family import FAMILY

# The oracle: from the checkout sigmoid is imported from (a clean clone's, under
# PYTHONPATH), so that it matches the package measured; else from ours.
sys.path.insert(0, str(Path(sg.__file__).resolve().parents[2] / "tests"))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent / "tests"))
import oracle as _oracle
from family import PUBLIC  # type: ignore[import-not-found]

ROOT = Path(__file__).resolve().parent.parent

DTYPES = ("float16", "float32", "float64")
#: Added to the oracle sample: the inputs worst against the NumPy path, per route.
WORST = 10
#: Where σ''' = 0: ±ln(2 + √3).
SIGMA3_ZERO = float(np.log(2 + np.sqrt(3)))


# --- The routes: one way each of running the formulas -------------------------------------


#: (function name, NumPy input) -> the route's result as a NumPy array of the input's dtype.
Runner = Callable[[str, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Route:
    """A library and the way the package runs the formulas on its arrays."""

    label: str
    how: str
    dtypes: tuple[str, ...]
    run: Runner


def strict_route() -> Route:
    """array_api_strict arrays through the public functions: the dispatcher's array-API route."""
    import array_api_strict as xp

    def run(name: str, x: np.ndarray) -> np.ndarray:
        return np.from_dlpack(PUBLIC[name](xp.asarray(x)))

    how = "the public functions on its arrays (the dispatcher's array-API route)"
    return Route("array_api_strict", how, ("float32", "float64"), run)


def torch_routes() -> list[Route]:
    """CPU tensors through the formulas as `torch_ops` runs tensors of other devices."""
    import torch
    from array_api_compat import array_namespace

    torch.set_num_threads(1)
    xp = array_namespace(torch.empty(0))

    def run(name: str, x: np.ndarray) -> np.ndarray:
        # torch_ops._value on CUDA or MPS: float16 and bfloat16 computed in float32.
        formula = functools.partial(FAMILY[name].formula, xp=xp)
        result: np.ndarray = array_api.evaluate(torch.from_numpy(x), xp, formula).numpy()
        return result

    how = (
        "`array_api.evaluate` with `formula(x, array_api_compat.torch)` on CPU tensors, as "
        "`torch_ops` runs CUDA and MPS tensors (float16 computed in float32, rounded once)"
    )
    return [Route("torch", how, DTYPES, run)]


def jax_route() -> Route:
    """JAX arrays through the jitted formula, as `sigmoid._backends.autodiff` runs them on GPU."""
    os.environ["JAX_ENABLE_X64"] = "1"  # read at import
    import jax
    from array_api_compat import array_namespace

    xp = array_namespace(jax.numpy.zeros(1))
    jitted = {name: jax.jit(functools.partial(FAMILY[name].formula, xp=xp)) for name in PUBLIC}

    def run(name: str, x: np.ndarray) -> np.ndarray:
        return np.asarray(array_api.evaluate(xp.asarray(x), xp, jitted[name]))

    how = (
        "`array_api.evaluate` with the formula under `jax.jit`, as on GPU and TPU; float64 "
        "enabled. XLA on CPU flushes subnormal results to 0 and reads subnormal inputs as 0"
    )
    return Route("jax", how, DTYPES, run)


def routes() -> list[Route]:
    """Every route, in the tables' order."""
    return [strict_route(), *torch_routes(), jax_route()]


# --- Inputs -------------------------------------------------------------------------------


def log_uniform(rng: np.random.Generator, dtype: type, n: int, top: int) -> np.ndarray:
    """Positive values of `dtype` with uniform exponents from its smallest subnormal to 2^top."""
    info = np.finfo(dtype)
    exponents = rng.integers(info.minexp - info.nmant, top, n, endpoint=True)
    return np.ldexp(rng.uniform(1, 2, n), exponents).astype(dtype)


def specials(dtype: type, unit: bool) -> np.ndarray:
    """The edges of `dtype` and of the domain: zeros, infinities, NaN, extremes."""
    info = np.finfo(dtype)
    tiniest = float(info.smallest_subnormal)
    values = [0.0, -0.0, np.inf, -np.inf, np.nan, tiniest, -tiniest, 1.0, -1.0]
    if unit:
        half, one = dtype(0.5), dtype(1)
        values += [0.5, 1.5, -0.5, 2.0, float(np.nextafter(one, dtype(0)))]
        values += [float(np.nextafter(half, dtype(0))), float(np.nextafter(half, one))]
    else:
        values += [float(info.max), -float(info.max), float(info.tiny), -float(info.tiny)]
        values += [SIGMA3_ZERO, -SIGMA3_ZERO]
    return np.array(values, dtype=dtype)


def real_inputs(rng: np.random.Generator, dtype: type, n: int) -> np.ndarray:
    """x for σ and the rest: [-30, 30], every magnitude, the subnormal-result band, σ''''s zeros."""
    info = np.finfo(dtype)
    signs = rng.choice(np.array([-1.0, 1.0], dtype=dtype), n)
    # |x| where σ(-|x|) ≈ e^-|x| is subnormal: from ln(smallest normal) to ln(smallest subnormal).
    band = [-float(np.log(info.tiny)), -float(np.log(info.smallest_subnormal))]
    parts = [
        rng.uniform(-30, 30, n * 45 // 100).astype(dtype),
        log_uniform(rng, dtype, n * 40 // 100, info.maxexp - 1) * signs[: n * 40 // 100],
        (rng.uniform(band[0], band[1], n // 10) * signs[: n // 10]).astype(dtype),
        (SIGMA3_ZERO + rng.uniform(-0.01, 0.01, n // 20)).astype(dtype) * signs[: n // 20],
    ]
    return np.concatenate([specials(dtype, unit=False), *parts])


def unit_inputs(rng: np.random.Generator, dtype: type, n: int) -> np.ndarray:
    """p for logit: σ of the real inputs, uniform p, tiny p and p next to 1."""
    info = np.finfo(dtype)
    tiny = log_uniform(rng, dtype, n // 8, -2)
    near_one = 1 - np.ldexp(rng.uniform(1, 2, n // 8), rng.integers(-info.nmant - 1, -2, n // 8))
    parts = [
        sg.sigmoid(real_inputs(rng, dtype, n // 2)),
        rng.uniform(0, 1, n // 4).astype(dtype),
        tiny,
        near_one.astype(dtype),
    ]
    return np.concatenate([specials(dtype, unit=True), *parts])


def every_float16() -> np.ndarray:
    """All 2^16 float16 bit patterns (NaNs and infinities included)."""
    return np.arange(1 << 16, dtype=np.uint32).astype(np.uint16).view(np.float16)


def is_unit(name: str) -> bool:
    """Whether name's domain is [0, 1] (logit) rather than all reals."""
    return FAMILY[name].domain == "unit"


def inputs(name: str, dtype: str, n: int, seed: int) -> np.ndarray:
    """The large sample for one function and dtype, its specials first (float16: every input)."""
    if dtype == "float16":
        return every_float16()
    rng = np.random.default_rng([seed, FAMILY[name].index, np.dtype(dtype).itemsize])
    sample = unit_inputs if is_unit(name) else real_inputs
    return sample(rng, np.dtype(dtype).type, n)


# --- Comparing ----------------------------------------------------------------------------


def ordered(y: np.ndarray) -> np.ndarray:
    """Float bit patterns as uint64 in the floats' order: neighbours differ by 1, ±0 are one."""
    width = y.dtype.itemsize * 8
    bits = y.view(f"u{y.dtype.itemsize}").astype(np.uint64)
    sign = np.uint64(1 << (width - 1))
    magnitude = bits & (sign - np.uint64(1))
    middle = np.uint64(1 << 63)
    return np.where(bits & sign, middle - magnitude, middle + magnitude)


def ulp_distance(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    """Floats of the dtype between got and want: 0 if equal or both NaN, NaN if one is NaN."""
    a, b = ordered(got), ordered(want)
    distance: np.ndarray = np.where(a >= b, a - b, b - a).astype(np.float64)
    nan_got, nan_want = np.isnan(got), np.isnan(want)
    distance[nan_got & nan_want] = 0.0
    distance[nan_got != nan_want] = np.nan
    return distance


def ordinary(x: np.ndarray, want: np.ndarray) -> np.ndarray:
    """Where neither input nor reference is subnormal (XLA on CPU flushes those to 0)."""
    tiny = np.finfo(x.dtype).tiny
    subnormal: np.ndarray = (x != 0) & (np.abs(x) < tiny) | (want != 0) & (np.abs(want) < tiny)
    return ~subnormal


def main_distance(x: np.ndarray, distance: np.ndarray, want: np.ndarray) -> np.ndarray:
    """The distances the max ULP columns are over: 0 for subnormals and NaN mismatches."""
    return np.where(ordinary(x, want) & ~np.isnan(distance), distance, 0.0)


@dataclass
class Tally:
    """One route against one reference on one sample."""

    #: Inputs of the random sample: the counts below are over these.
    inputs: int
    #: Results that are not the reference's (NaN mismatches included; ±0 count as one).
    wrong: int
    #: The largest `main_distance`, and its input.
    max_ulp: float
    worst_x: float
    #: Where input or reference is subnormal: the largest distance, and how many
    #: results are 0 where the reference is not.
    max_ulp_subnormal: float
    zeroed: int
    #: A NaN where the reference is a number, or a number where it is NaN; the first input.
    nan_mismatches: int
    nan_x: float
    #: A zero of the other sign than the reference's zero.
    zero_signs: int


def compare(x: np.ndarray, got: np.ndarray, want: np.ndarray, sampled: int) -> Tally:
    """got against want; counts over the first `sampled` inputs, maxima over all."""
    distance = ulp_distance(got, want)
    mismatch = np.isnan(distance)
    subnormal = ~ordinary(x, want) & ~mismatch
    main = main_distance(x, distance, want)
    worst = int(np.argmax(main))
    counted = slice(0, sampled)
    zero_sign = (got == 0) & (want == 0) & (np.signbit(got) != np.signbit(want))
    return Tally(
        inputs=sampled,
        wrong=int(np.count_nonzero(distance[counted] != 0)),
        max_ulp=float(main[worst]),
        worst_x=float(x[worst]),
        max_ulp_subnormal=float(np.max(distance[subnormal], initial=0.0)),
        zeroed=int(np.count_nonzero((subnormal & (got == 0) & (want != 0))[counted])),
        nan_mismatches=int(np.count_nonzero(mismatch[counted])),
        nan_x=float(x[mismatch][0]) if mismatch.any() else np.nan,
        zero_signs=int(np.count_nonzero(zero_sign[counted])),
    )


def truth(name: str, x: np.ndarray) -> np.ndarray:
    """The correctly rounded name(x) in x's dtype, from the tests' oracle."""
    if x.dtype != np.float64:
        return np.asarray(_oracle.correctly_rounded(name, x, x.dtype))
    # float64: mpmath for every input (correctly_rounded is meant for float16 and float32;
    # its longdouble value for mpmath-resolved inputs has only 15 significant digits).
    rounded = [_oracle._round_mp(_oracle.exact(name, v), x.dtype) for v in x.tolist()]
    return np.array(rounded, dtype=np.float64)


def oracle_sample(
    name: str, x: np.ndarray, distances: list[np.ndarray], n: int, rng: np.random.Generator
) -> tuple[np.ndarray, int]:
    """n of name's large sample x (its specials and a random rest), then the WORST of x by
    each route's `distances` (`main_distance`s); and n. float16 is taken whole.
    """
    if x.dtype == np.float16:
        return x, x.size
    count = specials(x.dtype.type, is_unit(name)).size
    random = np.concatenate([x[:count], rng.choice(x[count:], n - count, replace=False)])
    worst = [x[np.argsort(d)[-WORST:]] for d in distances]
    return np.concatenate([random, *worst]), random.size


@dataclass
class Row:
    """One function, dtype and route, against both references."""

    name: str
    dtype: str
    route: str
    truth: Tally
    numpy: Tally


def measure(
    name: str, dtype: str, paths: list[Route], n: int, n_oracle: int, seed: int
) -> list[Row]:
    """Every route's results for one function and dtype, against the NumPy path and the truth."""
    x = inputs(name, dtype, n, seed)
    paths = [r for r in paths if dtype in r.dtypes]
    with np.errstate(all="ignore"):
        reference = np.asarray(PUBLIC[name](x))
        got = [r.run(name, x) for r in paths]
    assert all(g.dtype == x.dtype for g in got)
    rng = np.random.default_rng([seed, FAMILY[name].index, 1])
    distances = [main_distance(x, ulp_distance(g, reference), reference) for g in got]
    xo, sampled = oracle_sample(name, x, distances, n_oracle, rng)
    want = truth(name, xo)
    with np.errstate(all="ignore"):
        rows = [
            Row(
                name,
                dtype,
                r.label,
                compare(xo, r.run(name, xo), want, sampled),
                compare(x, g, reference, x.size),
            )
            for r, g in zip(paths, got, strict=True)
        ]
    return rows


# --- The report ---------------------------------------------------------------------------


def fmt_x(x: float, dtype: str) -> str:
    """x as the shortest decimal that reads back as the same value of dtype."""
    return str(np.dtype(dtype).type(x))


def fmt_count(ulps: float) -> str:
    """A distance in ULPs: whole, or in 3 digits when large."""
    return f"{ulps:.0f}" if ulps < 1e5 else f"{ulps:.3g}"


def fmt_ulp(t: Tally, dtype: str) -> str:
    """A max ULP and where it was found ("0" if exact everywhere)."""
    if t.max_ulp == 0:
        return "0"
    return f"{fmt_count(t.max_ulp)} (x = {fmt_x(t.worst_x, dtype)})"


def fmt_share(t: Tally) -> str:
    """The share of wrong results, in percent."""
    return f"{100 * t.wrong / t.inputs:.3f} %"


def fmt_subnormal(t: Tally) -> str:
    """Max ULP where input or reference is subnormal, and how many results were 0 there."""
    zeroed = f" ({t.zeroed:,})" if t.zeroed else ""
    return fmt_count(t.max_ulp_subnormal) + zeroed


def fmt_nan_x(t: Tally, dtype: str) -> str:
    """Where the first NaN mismatch was found, if any."""
    return f" (x = {fmt_x(t.nan_x, dtype)})" if t.nan_mismatches else ""


def table(rows: list[Row], dtype: str) -> list[str]:
    """The Markdown table of one dtype."""
    lines = [
        "| function | route | max ULP vs truth (at x) | not correctly rounded "
        "| max ULP vs NumPy path (at x) | differ from NumPy path "
        "| subnormal input or result: max ULP vs NumPy path (results 0 where NumPy's are not) "
        "| NaN mismatches (truth, NumPy) "
        "| ±0 of the wrong sign (vs NumPy) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        if row.dtype != dtype:
            continue
        t, u = row.truth, row.numpy
        lines.append(
            f"| `{row.name}` | {row.route} | {fmt_ulp(t, dtype)} | {fmt_share(t)} "
            f"| {fmt_ulp(u, dtype)} | {fmt_share(u)} | {fmt_subnormal(u)} "
            f"| {t.nan_mismatches}, {u.nan_mismatches}{fmt_nan_x(u, dtype)} | {u.zero_signs} |"
        )
    return lines


def summary(rows: list[Row]) -> str:
    """One sentence with the worst figures, for the README to quote."""
    both = [r for r in rows if r.dtype != "float16"]
    per_name = ", ".join(
        f"{fmt_count(max(r.truth.max_ulp for r in both if r.name == name))} (`{name}`)"
        for name in PUBLIC
    )
    worst = max(both, key=lambda r: r.truth.max_ulp)
    right = 1 - sum(r.truth.wrong for r in both) / sum(r.truth.inputs for r in both)
    by_route = {r.route: [s for s in rows if s.route == r.route] for r in rows}
    half = []
    for route, own in by_route.items():
        if any(r.dtype == "float16" for r in own):
            w = max((r for r in own if r.dtype == "float16"), key=lambda r: r.truth.max_ulp)
            half.append(f"{fmt_count(w.truth.max_ulp)} ULP on {route} (`{w.name}`)")
    sentence = (
        "Measured on CPU builds of array_api_strict, PyTorch and JAX, the array-API formula "
        f"path is within {per_name} ULP of the correctly rounded result in float32 and float64 "
        f"(worst {fmt_count(worst.truth.max_ulp)} ULP: `{worst.name}`, {worst.dtype}, "
        f"{worst.route}, x = {fmt_x(worst.truth.worst_x, worst.dtype)}; "
        f"{100 * right:.1f} % correctly rounded), and in float16 within {', '.join(half)}"
    )
    for route, own in by_route.items():
        # More than the rounding of the last bits of a subnormal.
        off = [r for r in own if r.numpy.max_ulp_subnormal > 2]
        if off:
            w = max(off, key=lambda r: r.numpy.max_ulp_subnormal)
            zeroed = sum(r.numpy.zeroed for r in off)
            sentence += (
                f"; where an input or result is subnormal, {route} is up to "
                f"{fmt_count(w.numpy.max_ulp_subnormal)} ULP off (`{w.name}`, {w.dtype}; "
                f"{zeroed:,} results 0 that are not)"
            )
    nan = [r for r in rows if r.truth.nan_mismatches or r.numpy.nan_mismatches]
    if not nan:
        return sentence + "; no NaN mismatches."
    where = ", ".join(f"`{r.name}` {r.dtype} on {r.route}" for r in nan)
    return sentence + f"; NaN mismatches in {where}."


def versions() -> str:
    """The versions of everything measured."""
    import array_api_compat
    import array_api_strict
    import jax
    import mpmath
    import torch

    return (
        f"Python {platform.python_version()} on {platform.machine()}, NumPy {np.__version__}, "
        f"PyTorch {torch.__version__}, array_api_strict {array_api_strict.__version__}, "
        f"array_api_compat {array_api_compat.__version__}, JAX {jax.__version__}, "
        f"mpmath {mpmath.__version__}, sigmoid {sg.__version__}"
    )


def report(rows: list[Row], paths: list[Route], n: int, n_oracle: int, seconds: float) -> str:
    """docs/formula-accuracy.md."""
    today = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d")
    lines = [
        "# Accuracy of the array-API formula path",
        "",
        f"Made by `python benchmarks/formula_accuracy.py` on {today} (UTC); do not edit by hand.",
        f"{versions()}; took {seconds / 60:.1f} min on one core.",
        "",
        summary(rows),
        "",
        "## What is measured",
        "",
        "The formulas of `sigmoid._backends.array_api` (what GPU tensors, CuPy, `array_api_strict`",
        "and JAX on GPU run), on CPU builds, for every public function in float16, float32 and",
        "float64. The routes:",
        "",
        *(f"- **{r.label}** ({', '.join(r.dtypes)}): {r.how}." for r in paths),
        "",
        f"Inputs, per function and dtype: float16 every one of the 2^16 bit patterns. float32 and"
        f" float64: {n:,} random values (45 % uniform in [-30, 30]; 40 % log-uniform magnitudes"
        " of both signs from the smallest subnormal to the largest finite value; 10 % where"
        " σ(-|x|) is subnormal; 5 % within 0.01 of σ''''s zeros ±ln(2 + √3)) plus ±0, ±inf, NaN,"
        " ±1, the extremes and the zeros themselves; for logit, p in [0, 1]: σ of half that many"
        " such x, uniform p, log-uniform tiny p, p next to 1, and 0, 1, 1/2 and its neighbours,"
        " NaN, ±inf and values outside [0, 1].",
        "",
        "Two references, one column pair each:",
        "",
        "- *truth*: the tests' oracle (`tests/oracle.py`): the correctly rounded value, from",
        "  longdouble rounded to float16 or float32 (mpmath where that cannot decide) and from",
        f"  mpmath for float64, on {n_oracle:,} of the inputs (float16: all) plus, per route,",
        f"  the {WORST} inputs worst against the NumPy path (in the maxima only, not in the",
        "  shares).",
        "- *NumPy path*: `sigmoid.<function>` on the NumPy array (the compiled kernels: correctly",
        "  rounded in float16 and float32, within 1 ULP in float64), on every input.",
        "",
        "A distance is the number of floats of the result's dtype from the result to the",
        "reference, through the ordered integer bit patterns (0: the same float; ±0 count as",
        "one; infinity is the float after the largest finite one). The max ULP columns leave",
        "out inputs and references that are subnormal: those have their own column (where one",
        "ULP is the smallest subnormal, and a result 0 is as many ULPs off as the reference has).",
        "NaN where the reference is NaN is exact; a NaN against a number, or a number against",
        "NaN, is a NaN mismatch (and counts as not correctly rounded); the first such input of",
        "the large sample is given. The shares and counts are over the random sample.",
    ]
    for dtype in DTYPES:
        lines += ["", f"## {dtype}", "", *table(rows, dtype)]
    return "\n".join([*lines, ""])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="10^5 inputs, 5*10^3 for mpmath")
    parser.add_argument("--inputs", type=int, help="random inputs per function and dtype")
    parser.add_argument("--oracle", type=int, help="of which the oracle checks this many")
    parser.add_argument("--seed", type=int, default=20260301)
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "formula-accuracy.md")
    args = parser.parse_args()
    # One thread for each library (another benchmark may share the machine), set before
    # use: the NumPy engine reads its setting at its first large call, XLA at jax's import.
    os.environ.setdefault("SIGMOID_NUM_THREADS", "1")
    os.environ.setdefault(
        "XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
    )
    n = args.inputs or (10**5 if args.quick else 10**6)
    n_oracle = args.oracle or (5_000 if args.quick else 50_000)
    began = time.perf_counter()
    paths = routes()
    rows: list[Row] = []
    jobs = [(dtype, name) for dtype in DTYPES for name in PUBLIC]
    for dtype, name in tqdm(jobs, desc="functions x dtypes"):
        rows += measure(name, dtype, paths, n, n_oracle, args.seed)
    text = report(rows, paths, n, n_oracle, time.perf_counter() - began)
    args.output.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
