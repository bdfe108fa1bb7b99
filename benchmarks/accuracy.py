"""Accuracy audit: every float32 input, and the peers beside them.

- σ and its derivatives: every float32 input (σ'' and σ''' every 7th) against
  the correctly rounded truth, with SciPy and the textbook formulas beside.
- Every function (σ and σ' again, σ'', σ''', softplus, log-sigmoid and
  logit): every float32 input, by their proof. The fast path's float64 value
  is within a proven bound of the truth and is rounded only where it lies
  farther than that from a float32 rounding midpoint, so those results are
  correctly rounded; every input it flags (it cannot decide, and every
  subnormal result) is found by running the fast path over all 2^32
  patterns, and its result (the rare path's) is checked against the truth.
  Only these inputs reach the rare path, so a change there is checked on
  every input it affects by `--without-sigma`.
- Every function and dtype: float16 and bfloat16 (every input), float32 (a
  sample), float64 (a hard sample against mpmath).

Writes docs/accuracy.md (and tests/data/f32_hard_inputs.txt, the float32
inputs where even a correctly rounded float64 value rounds to the wrong
float32, outside σ''s subnormal band `TIE_BAND`: the CI tests check every one
of them). Run it after any kernel change and commit its output:

    python benchmarks/accuracy.py                  # all 2^32 float32 inputs, both cores
    python benchmarks/accuracy.py --step 64        # every 64th bit pattern, for a quick look
    python benchmarks/accuracy.py --without-sigma  # all but the first section (20 minutes)
    python benchmarks/accuracy.py --rows-only      # the last section only (float64 changes)

In the first section σ'' and σ''' are audited on every 7th of those bit
patterns (their longdouble truth costs up to 8 times σ's, and near 0 most of
σ'' needs mpmath), which keeps the full run near half an hour on two cores;
the second section covers all 2^32 of theirs through the fast path's flags.

The truth is the tests' oracle (`tests/oracle.py`): the function in longdouble rounded to
float32, with mpmath wherever that value is too near a rounding midpoint.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy
import scipy.special
from tqdm import tqdm

import sigmoid as sg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import oracle as _oracle

ROOT = Path(__file__).resolve().parent.parent
CHUNK = 1 << 22


def textbook_sigmoid(x: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        y: np.ndarray = 1 / (1 + np.exp(-x))
    return y


def textbook_derivative(x: np.ndarray) -> np.ndarray:
    s = scipy.special.expit(x)
    y: np.ndarray = s * (1 - s)
    return y


# (function, implementation) -> callable on a float32 array.
F32_AUDIT: dict[tuple[str, str], Callable[[np.ndarray], np.ndarray]] = {
    ("sigmoid", "sigmoid.sigmoid"): sg.sigmoid,
    ("sigmoid", "scipy.special.expit"): scipy.special.expit,
    ("sigmoid", "1/(1+np.exp(-x))"): textbook_sigmoid,
    ("sigmoid_derivative", "sigmoid.sigmoid_derivative"): sg.sigmoid_derivative,
    ("sigmoid_derivative", "s*(1-s), s = expit(x)"): textbook_derivative,
    ("sigmoid_derivative2", "sigmoid.sigmoid_derivative, order=2"): lambda x: sg.sigmoid_derivative(
        x, order=2
    ),
    ("sigmoid_derivative3", "sigmoid.sigmoid_derivative, order=3"): lambda x: sg.sigmoid_derivative(
        x, order=3
    ),
}
# Monotonicity is checked where it is one direction per sign of x; for the
# higher derivatives it follows from correct rounding (0 wrong).
MONOTONE = ("sigmoid", "sigmoid_derivative")
# σ'' and σ''': every 7th of the audited bit patterns. The stride is odd so
# that odd patterns are seen too: σ''(x) ~ -x/8 is an exact float32 rounding
# midpoint for x in [2^-124, 2^-123) with an odd last bit, where only the x³
# term decides the rounding.
HIGHER_STRIDE = 7
# Below this, σ'' is a float32 subnormal and about x/8: there a correctly
# rounded float64 often rounds to the wrong float32 (1.2 million of the inputs
# the full run sees, all with |x| <= 2^-123). The tests sample that band
# directly, so tests/data/f32_hard_inputs.txt keeps only the isolated cases.
TIE_BAND = 2.0**-120


# float32 functions audited through their fast path's flags: (its kernel, applied to -x?).
F32_BY_FLAGS = {
    "sigmoid": ("sigmoid_f32_fast", False),
    "sigmoid_derivative": ("sigmoid_derivative_f32_fast", False),
    "sigmoid_derivative2": ("sigmoid_derivative2_f32_fast", False),
    "sigmoid_derivative3": ("sigmoid_derivative3_f32_fast", False),
    "softplus": ("softplus_f32_fast", False),
    "log_sigmoid": ("softplus_f32_fast", True),
    "logit": ("logit_f32_fast", False),
}


@dataclass
class Tally:
    """What one implementation scored over the inputs seen so far."""

    inputs: int = 0
    wrong: int = 0
    max_ulp: float = 0.0  # over results whose true value is a normal float32
    worst_x: float = float("nan")
    max_ulp_subnormal: float = 0.0  # in units of the smallest subnormal, 2^-149
    flushed: int = 0  # true value >= 2^-149 (rounds to a nonzero float32), result 0
    monotonicity: int | None = 0  # None: not checked

    def add(self, other: Tally) -> None:
        self.inputs += other.inputs
        self.wrong += other.wrong
        if other.max_ulp > self.max_ulp:
            self.max_ulp, self.worst_x = other.max_ulp, other.worst_x
        self.max_ulp_subnormal = max(self.max_ulp_subnormal, other.max_ulp_subnormal)
        self.flushed += other.flushed
        if self.monotonicity is not None and other.monotonicity is not None:
            self.monotonicity += other.monotonicity
        else:
            self.monotonicity = None


def ulp_errors(y: np.ndarray, true: np.ndarray) -> np.ndarray:
    """|y - true| / ulp(true) in float32 (float64 arithmetic: ~2^-29 ULP of slack)."""
    true = true.astype(np.float64)
    ulp = np.spacing(np.abs(true).astype(np.float32)).astype(np.float64)
    with np.errstate(all="ignore"):
        err = np.abs(y.astype(np.float64) - true) / ulp
    both_nan = np.isnan(y) & np.isnan(true)
    return np.where(both_nan | (y == true), 0.0, err).astype(np.float64)


def direction(name: str, x: np.ndarray) -> np.ndarray:
    """+1 where the function increases with x, -1 where it decreases."""
    if name == "sigmoid":
        return np.ones(x.shape)
    return np.where(x < 0, 1.0, -1.0)  # σ' rises to x = 0, then falls


def monotonicity_violations(name: str, x: np.ndarray, y: np.ndarray) -> int:
    """Neighbouring inputs of one sign whose results step against `direction`."""
    # Consecutive bit patterns are consecutive floats: increasing for
    # positive x, decreasing for negative x.
    order = np.where(x[:-1] >= 0, 1.0, -1.0) * direction(name, x[:-1])
    same_side = np.signbit(x[:-1]) == np.signbit(x[1:])
    with np.errstate(invalid="ignore"):
        steps = (y[1:].astype(np.float64) - y[:-1]) * order
    return int(np.sum(same_side & (steps < 0)))


AuditResult = tuple[dict[tuple[str, str], Tally], list[float]]


def audit_chunk(start: int, step: int) -> AuditResult:
    bits = np.arange(start, min(start + CHUNK * step, 1 << 32), step, dtype=np.uint64)
    every = bits.astype(np.uint32).view(np.float32)
    tallies: dict[tuple[str, str], Tally] = {}
    hard: list[float] = []
    for name in dict.fromkeys(name for name, _ in F32_AUDIT):
        x = every if name in MONOTONE else every[::HIGHER_STRIDE]
        true = _oracle.reference(name, x)
        want = _oracle.correctly_rounded(name, x, np.float32, value=true)
        normal = np.abs(true) >= np.finfo(np.float32).tiny
        with np.errstate(all="ignore"):
            via_f64 = true.astype(np.float64).astype(np.float32)
        double_rounded = (via_f64 != want) & ~np.isnan(want)
        if name == "sigmoid_derivative2":
            double_rounded &= np.abs(x) >= TIE_BAND
        hard += x[double_rounded].tolist()
        for (fname, impl), func in F32_AUDIT.items():
            if fname != name:
                continue
            y = np.asarray(func(x)).astype(np.float32)
            err = ulp_errors(y, true)
            err_normal = np.where(normal, err, 0.0)
            worst = int(np.argmax(err_normal))
            tallies[name, impl] = Tally(
                inputs=x.size,
                wrong=int(np.sum(~((y == want) | (np.isnan(y) & np.isnan(want))))),
                max_ulp=float(err_normal[worst]),
                worst_x=float(x[worst]),
                max_ulp_subnormal=float(np.max(np.where(normal, 0.0, err), initial=0.0)),
                flushed=int(np.sum((y == 0) & (want != 0))),
                monotonicity=monotonicity_violations(name, x, y) if name in MONOTONE else None,
            )
    return tallies, hard


def run_float32(step: int, workers: int) -> AuditResult:
    starts = range(0, 1 << 32, CHUNK * step)
    totals = {key: Tally() for key in F32_AUDIT}
    hard: list[float] = []
    with (
        ProcessPoolExecutor(workers) as pool,
        tqdm(total=1 << 32, unit="x", unit_scale=True) as bar,
    ):
        for tallies, chunk_hard in pool.map(audit_chunk, starts, [step] * len(starts)):
            for key, tally in tallies.items():
                totals[key].add(tally)
            hard += chunk_hard
            bar.update(CHUNK * step)
    return totals, hard


FUNCTIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sigmoid": sg.sigmoid,
    "sigmoid_derivative": sg.sigmoid_derivative,
    "sigmoid_derivative2": lambda x: sg.sigmoid_derivative(x, order=2),
    "sigmoid_derivative3": lambda x: sg.sigmoid_derivative(x, order=3),
    "log_sigmoid": sg.log_sigmoid,
    "logit": sg.logit,
    "softplus": sg.softplus,
}


def other_rows() -> list[str]:
    """float16 and bfloat16 (every input), float32 (a 2^20 sample), float64 (mpmath sample) rows."""
    # The test suite's samples, so that the table and CI measure the same sets.
    import sys

    sys.path.insert(0, str(ROOT / "tests"))
    from ml_dtypes import bfloat16

    from test_accuracy import (  # type: ignore[import-not-found]  # found through sys.path
        all_bit_patterns,
        f32_ulp_error,
        f64_hard_sample,
    )

    rows = []
    x16 = {
        "float16": all_bit_patterns(np.float16),
        "bfloat16": np.arange(1 << 16, dtype=np.uint16).view(bfloat16),
    }
    x32 = all_bit_patterns(np.float32, step=4096)
    for name, func in tqdm(FUNCTIONS.items(), desc="float16/bfloat16/float32/float64 rows"):
        for dtype, x in x16.items():
            want = _oracle.correctly_rounded(name, x, x.dtype)
            got = func(x)
            ok = (got == want) | (np.isnan(got) & np.isnan(want))
            rows.append(
                f"| `{name}` | {dtype} | all {x.size:,} | {100 * ok.mean():.4f} % | {int((~ok).sum())} |"
            )
        xs = x32[(x32 >= 0) & (x32 <= 1)] if name == "logit" else x32
        err = f32_ulp_error(name, xs, func(xs))
        rows.append(
            f"| `{name}` | float32 | {xs.size:,} strided | max {err.max():.3f} ULP | {int((err > 0.5).sum())} |"
        )
        x64 = f64_hard_sample(name)
        err = _oracle.ulp_error(name, x64, func(x64))
        rows.append(
            f"| `{name}` | float64 | {x64.size:,} hard sample | max {err.max():.3f} ULP | {int((err > 0.5).sum())} |"
        )
    return rows


def sigma_section(audit: AuditResult, step: int, seconds: float) -> str:
    totals, _ = audit
    every = "all 2^32 inputs" if step == 1 else f"every {step}th bit pattern"
    scope = every + f" (σ'' and σ''': every {step * HIGHER_STRIDE}th bit pattern)"
    lines = [
        "# Accuracy",
        "",
        "Made by `python benchmarks/accuracy.py`; do not edit by hand.",
        f"Machine: {platform.machine()}, Python {platform.python_version()}, NumPy {np.__version__},",
        f"SciPy {scipy.__version__}, sigmoid {sg.__version__}; took {seconds / 60:.1f} min.",
        "",
        f"## float32 σ and its derivatives, {scope}",
        "",
        "ULP errors are against the true value; *wrong* counts results that differ from the",
        "correctly rounded one. Monotonicity counts neighbouring inputs whose results step the",
        "wrong way (for σ and σ'; for orders 2 and 3, which turn, it follows from correct rounding).",
        "",
        "| function | implementation | inputs | incorrectly rounded | % correctly rounded "
        "| max ULP, normal results (at x) | max ULP, subnormal results | nonzero results returned as 0 "
        "| monotonicity violations |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for (name, impl), t in totals.items():
        lines.append(
            f"| `{name}` | `{impl}` | {t.inputs:,} | {t.wrong:,} | {100 * (1 - t.wrong / t.inputs):.6f} "
            f"| {t.max_ulp:.3f} ({t.worst_x:.6g}) | {t.max_ulp_subnormal:.3f} | {t.flushed:,} "
            f"| {'–' if t.monotonicity is None else f'{t.monotonicity:,}'} |"
        )
    return "\n".join(lines) + "\n"


FLAGS_HEADING = "## float32, every function, all 2^32 inputs, through the fast path's flags"
# That section's earlier headings (for --without-sigma on an older docs/accuracy.md).
OLD_FLAGS_HEADINGS = (
    "## float32 σ'', σ''', softplus, log-sigmoid and logit, all 2^32 inputs",
    "## float32 softplus, log-sigmoid and logit, all 2^32 inputs",
)


def sigma2_tiny_truth(x: np.ndarray) -> np.ndarray:
    """The correctly rounded float32 σ''(x) for |x| < `TIE_BAND`, without mpmath.

    σ''(x) = -x/8 + x³/24 - ...: there x/8 (exact in float64) lies at least
    2^-24 of itself from any float32 rounding midpoint unless it is one, and
    x³/24 is below 2^-240 of it. So the truth is x/8 moved toward 0 by far
    less than that distance (2^-40 of itself), rounded once; the sign is -x's.
    """
    q = np.abs(x.astype(np.float64)) / 8 * (1 - 2.0**-40)
    truth: np.ndarray = np.copysign(q.astype(np.float32), -x)
    return truth


def flagged_inputs(kernel: str, negate: bool, top: int) -> np.ndarray:
    """The float32 inputs (bit patterns below `top`) the fast path flags as not safe to round."""
    import numba

    from sigmoid._kernels import elementwise

    fast = getattr(elementwise, kernel)
    sign = -1.0 if negate else 1.0

    @numba.njit(nogil=True)
    def flags(x):  # type: ignore[no-untyped-def]
        out = np.zeros(x.size, np.bool_)
        for i in range(x.size):
            out[i] = fast(np.float64(x[i]) * sign)[1]
        return out

    def chunk(start: int) -> np.ndarray:
        x = np.arange(start, min(start + CHUNK, top), dtype=np.uint64).astype(np.uint32)
        x = x.view(np.float32)
        hard: np.ndarray = x[flags(x)]
        return hard

    with ThreadPoolExecutor(os.cpu_count() or 1) as pool:  # (the loop releases the GIL)
        found: np.ndarray = np.concatenate(list(pool.map(chunk, range(0, top, CHUNK))))
    return found


def flags_section() -> list[str]:
    """Every input the fast path flags, with its result, against the correctly rounded value."""
    lines = [
        FLAGS_HEADING,
        "",
        "The fast path evaluates in float64 within a proven bound of the truth and",
        "rounds where that value lies farther than the bound from a float32 rounding midpoint:",
        "those results are correctly rounded. The rest it flags (and every float32 subnormal",
        "result, which a second vector pass tests at its own rounding bit), and they take the",
        "rare path; here are all the flagged inputs, found by running the fast path over every bit",
        "pattern (logit: every p in [0, 1]), each result against the correctly rounded value,",
        "and, for comparison, the float64 function's result rounded once. σ'' flags every",
        "|x| < 2^-120, where its truth is -x/8 with ties toward 0 (`sigma2_tiny_truth`); the",
        "rest, as every other flagged input, are checked against the tests' oracle (mpmath",
        "near a midpoint). The bounds are stated in `sigmoid/_kernels/elementwise.py`.",
        "",
        "| function | inputs | flagged | flagged, incorrectly rounded | float64 result rounded once, incorrectly rounded |",
        "|---|---|---|---|---|",
    ]
    for name, (kernel, negate) in tqdm(F32_BY_FLAGS.items(), desc="float32 flagged inputs"):
        top = 0x3F800001 if name == "logit" else 1 << 32
        x = flagged_inputs(kernel, negate, top)
        tiny = np.abs(x) < TIE_BAND if name == "sigmoid_derivative2" else np.zeros(x.size, bool)
        want = np.empty_like(x)
        want[tiny] = sigma2_tiny_truth(x[tiny])
        want[~tiny] = _oracle.correctly_rounded(name, x[~tiny], np.float32)
        got = FUNCTIONS[name](x)
        with np.errstate(all="ignore"):
            once = FUNCTIONS[name](x.astype(np.float64)).astype(np.float32)

        wrong = [int(np.sum(~((y == want) | (np.isnan(y) & np.isnan(want))))) for y in (got, once)]
        lines.append(f"| `{name}` | {top:,} | {x.size:,} | {wrong[0]:,} | {wrong[1]:,} |")
    return [*lines, ""]


ROWS_HEADING = "## Every function and dtype"
REMADE = "The sections below were remade by"
REMADE_ROWS = "The section below was remade by"


def rows_section(rows: list[str]) -> list[str]:
    return [
        ROWS_HEADING,
        "",
        "float16 and bfloat16: every input against the correctly rounded value. float32: 2^20 strided bit",
        "patterns, max ULP against the true value. float64: the tests' hard sample (log-uniform",
        "magnitudes 1e-300 to 800, both signs, the overflow and underflow edges, subnormals,",
        "±0, ±inf, NaN) against mpmath.",
        "",
        "| function | dtype | inputs | accuracy | results off by more than 0.5 ULP |",
        "|---|---|---|---|---|",
        *rows,
        "",
    ]


def _commit() -> str:
    git = ["git", "-C", str(ROOT), "describe", "--always", "--dirty"]
    return subprocess.run(git, capture_output=True, text=True).stdout.strip() or "no git"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--step", type=int, default=1, help="check every STEP-th float32 bit pattern"
    )
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--without-sigma",
        action="store_true",
        help="remake all but the first section (σ and its derivatives, half an hour) in the "
        "existing docs/accuracy.md, after a change that leaves their float32 kernels alone",
    )
    parser.add_argument(
        "--rows-only",
        action="store_true",
        help=f"remake only the last section ({ROWS_HEADING[3:]!r}, a few minutes) in the "
        "existing docs/accuracy.md, after a change to the float64 kernels alone",
    )
    args = parser.parse_args()
    began = time.perf_counter()
    path = ROOT / "docs" / "accuracy.md"
    if args.rows_only:
        kept = path.read_text().partition(ROWS_HEADING)[0].partition(REMADE_ROWS)[0]
        note = (
            f"{REMADE_ROWS} `python benchmarks/accuracy.py --rows-only` on"
            f" {time.strftime('%Y-%m-%d', time.gmtime())}, sigmoid {sg.__version__}"
            f" ({_commit()}); the sections above are from earlier runs.\n\n"
        )
        path.write_text(kept.rstrip("\n") + "\n\n" + note + "\n".join(rows_section(other_rows())))
        print(path.read_text())
        return
    audit = None if args.without_sigma else run_float32(args.step, args.workers)
    rest = "\n".join([*flags_section(), *rows_section(other_rows())])
    if audit is None:
        old = path.read_text()
        heading = next(h for h in (FLAGS_HEADING, *OLD_FLAGS_HEADINGS) if h in old)
        kept = old.partition(heading)[0].partition(REMADE)[0].rstrip("\n")
        first = (
            f"{kept}\n\n{REMADE} `python benchmarks/accuracy.py"
            f" --without-sigma` on {time.strftime('%Y-%m-%d', time.gmtime())}, sigmoid"
            f" {sg.__version__} ({_commit()}); the one above is from the last full run.\n"
        )
    else:
        first = sigma_section(audit, args.step, time.perf_counter() - began)
    path.write_text(first + "\n" + rest)
    if audit is not None and args.step == 1:
        data = ROOT / "tests" / "data" / "f32_hard_inputs.txt"
        data.parent.mkdir(exist_ok=True)
        values = np.unique(np.array(audit[1], dtype=np.float32))
        np.savetxt(
            data,
            values,
            fmt="%.9g",
            header="float32 inputs of σ and its derivatives where a correctly rounded float64 rounds to the wrong float32 (benchmarks/accuracy.py)",
        )
    print(path.read_text())


if __name__ == "__main__":
    main()
