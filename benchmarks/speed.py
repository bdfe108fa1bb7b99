"""Speed of sigmoid against its peers, all measured in one process.

    python benchmarks/speed.py                  # everything: sizes 1 to 10^8, ~10 min on 2 cores
    python benchmarks/speed.py --quick          # few repeats, sizes up to 10^6: a quick look
    python benchmarks/speed.py --max-size 1e7   # stop at 10^7 elements (combines with --quick)

Writes docs/benchmarks.md (tables, headline, speed targets, import and
first-call times) and docs/benchmarks.png. Within a repeat every implementation
runs once, in turn, the starting point rotating from repeat to repeat, so that
machine noise hits all of them alike; the tables give the median over repeats
and half the interquartile range. A peer that fails to import is reported as
missing.
"""

from __future__ import annotations

import os

# Set before torch and numexpr load their OpenMP runtimes: by default an OpenMP
# thread spins for a while after each call, stealing a core from whichever
# implementation runs next in the round-robin (the threaded ones suffer most).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse
import datetime
import gc
import importlib
import json
import operator
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numba
import numpy as np

import sigmoid as sg

ROOT = Path(__file__).resolve().parent.parent
DTYPES = ("float32", "float64")
SIZES: list[Any] = ["scalar", 1, 10, 10**3, 10**5, 10**6, 10**7, 10**8]
REPEATS = {"scalar": 41, 1: 41, 10: 41, 10**3: 31, 10**5: 21, 10**6: 15, 10**7: 7, 10**8: 5}
NUMEXPR = "1/(1+exp(-x))"
OURS, OURS_OUT = "ours", "ours, out="
EXPIT, COPYTO = "scipy.special.expit", "copy: np.copyto(dst, x)"
COPY_ALLOCATING = "copy: x.copy() (allocates)"
MISSING: dict[str, str] = {}


def optional(module: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as error:
        MISSING[module] = f"{type(error).__name__}: {error}"
        return None


special = optional("scipy.special")
torch = optional("torch")
jax = optional("jax")
numexpr = optional("numexpr")
if jax is not None:
    jax.config.update("jax_enable_x64", True)  # else JAX silently computes float64 in float32


# Setups: given the input (a 1-D array, or a 0-d one for the scalar case), build
# the buffers an implementation needs and return the call to time (None: n/a).
def call(func: Callable[[Any], Any], python_float: bool = True) -> Callable[[np.ndarray], Any]:
    """func on what a user passes: the array, or for the scalar case a Python float
    (float64) or a NumPy float32 scalar (float32); NumPy scalars only if not python_float."""

    def setup(x: np.ndarray) -> Callable[[], Any]:
        v = x if x.ndim else x.item() if python_float and x.dtype == np.float64 else x[()]
        return lambda: func(v)

    return setup


def of_probabilities(
    setup: Callable[[np.ndarray], Callable[[], Any] | None],
) -> Callable[[np.ndarray], Callable[[], Any] | None]:
    """The same setup on p = σ(x) in (0, 1), of x's dtype and shape: logit's input."""
    return lambda x: setup(np.asarray(sg.sigmoid(x), dtype=x.dtype).reshape(x.shape))


def into(func: Callable[..., Any]) -> Callable[[np.ndarray], Any]:
    def setup(x: np.ndarray) -> Callable[[], Any] | None:
        out = np.empty_like(x)
        return (lambda: func(x, out=out)) if x.ndim else None

    return setup


def on_tensor(func: Callable[..., Any], out: bool = False) -> Callable[[np.ndarray], Any]:
    """func on a CPU tensor sharing memory with the array (0-d for the scalar case)."""

    def setup(x: np.ndarray) -> Callable[[], Any] | None:
        t = torch.from_numpy(x)
        if not out:
            return lambda: func(t)
        o = torch.empty_like(t)
        return (lambda: func(t, out=o)) if x.ndim else None

    return setup


def torch_backward(x: np.ndarray) -> Callable[[], Any]:
    """The backward of torch.sigmoid alone, from its saved output y (computed beforehand)."""
    y = torch.sigmoid(torch.from_numpy(x))
    grad = torch.ones_like(y)
    return lambda: torch.ops.aten.sigmoid_backward(grad, y)


def jitted(name: str) -> Callable[[np.ndarray], Any]:
    def setup(x: np.ndarray) -> Callable[[], Any]:
        func, xj = jax.jit(getattr(jax.nn, name)), jax.device_put(x)
        return lambda: func(xj).block_until_ready()

    return setup


def copy_into(x: np.ndarray) -> Callable[[], Any] | None:
    dst = np.empty_like(x)
    return (lambda: np.copyto(dst, x)) if x.ndim else None


def textbook_sigmoid(x: Any) -> Any:
    return 1 / (1 + np.exp(-x))


def textbook_derivative(x: Any) -> Any:
    s = special.expit(x)  # timed too: a user has to compute it
    return s * (1 - s)


def textbook_derivative2(x: Any) -> Any:
    s = special.expit(x)
    return s * (1 - s) * (1 - 2 * s)


def textbook_derivative3(x: Any) -> Any:
    s = special.expit(x)
    return s * (1 - s) * (1 - 6 * s * (1 - s))


@dataclass(frozen=True)
class Impl:
    label: str
    setup: Callable[[np.ndarray], Callable[[], Any] | None]
    needs: Any = sg  # the module it needs: None when that failed to import
    role: str = "peer"  # "ours", "peer" or "copy"
    versus: str = OURS  # the row of ours a peer is compared with


COPIES = [
    Impl(COPYTO, copy_into, role="copy"),
    Impl(COPY_ALLOCATING, lambda x: x.copy if x.ndim else None, role="copy"),
]
FUNCTIONS = {
    "sigmoid": [
        Impl(OURS, call(sg.sigmoid), role="ours"),
        Impl(OURS_OUT, into(sg.sigmoid), role="ours"),
        Impl("1/(1+np.exp(-x))", call(textbook_sigmoid, python_float=False)),
        Impl(EXPIT, call(lambda v: special.expit(v)), special),
        Impl("torch.sigmoid", on_tensor(lambda t: torch.sigmoid(t)), torch),
        Impl(
            "torch.sigmoid, out=",
            on_tensor(lambda t, out: torch.sigmoid(t, out=out), out=True),
            torch,
            versus=OURS_OUT,
        ),
        Impl(
            f'numexpr "{NUMEXPR}"',
            call(lambda v: numexpr.evaluate(NUMEXPR, local_dict={"x": v}), python_float=False),
            numexpr,
        ),
        Impl("jax.nn.sigmoid (jit)", jitted("sigmoid"), jax),
        *COPIES,
    ],
    "sigmoid_derivative": [
        Impl(OURS, call(sg.sigmoid_derivative), role="ours"),
        Impl("s*(1-s), s = scipy.special.expit(x) timed too", call(textbook_derivative), special),
        Impl("torch sigmoid_backward(grad, y), y precomputed", torch_backward, torch),
        *COPIES,
    ],
    "sigmoid_derivative, order=2": [
        Impl(OURS, call(lambda v: sg.sigmoid_derivative(v, order=2)), role="ours"),
        Impl("s*(1-s)*(1-2s), s = scipy.special.expit(x)", call(textbook_derivative2), special),
        *COPIES,
    ],
    "sigmoid_derivative, order=3": [
        Impl(OURS, call(lambda v: sg.sigmoid_derivative(v, order=3)), role="ours"),
        Impl(
            "s*(1-s)*(1-6s(1-s)), s = scipy.special.expit(x)", call(textbook_derivative3), special
        ),
        *COPIES,
    ],
    "log_sigmoid": [
        Impl(OURS, call(sg.log_sigmoid), role="ours"),
        Impl("scipy.special.log_expit", call(lambda v: special.log_expit(v)), special),
        Impl(
            "torch.nn.functional.logsigmoid",
            on_tensor(lambda t: torch.nn.functional.logsigmoid(t)),
            torch,
        ),
        *COPIES,
    ],
    "logit": [
        Impl(OURS, of_probabilities(call(sg.logit)), role="ours"),
        Impl("scipy.special.logit", of_probabilities(call(lambda v: special.logit(v))), special),
        Impl("torch.logit", of_probabilities(on_tensor(lambda t: torch.logit(t))), torch),
        *COPIES,
    ],
}


_PAUSE = 0.003  # seconds


def seconds_per_call(func: Callable[[], Any], number: int) -> float:
    began = time.perf_counter()
    for _ in range(number):
        func()
    return (time.perf_counter() - began) / number


def measure(calls: dict[str, Any], repeats: int, budget: float, big: bool) -> dict[str, Any]:
    """Seconds per call of each, `repeats` times, round-robin; a sample lasts about `budget`."""
    numbers = {}
    for label, func in calls.items():
        func()  # warm-up: compiles (numba, JAX) and touches the buffers
        once = budget if big else min(seconds_per_call(func, 1) for _ in range(3))
        numbers[label] = max(1, int(budget / once))
    samples: dict[str, list[float]] = {label: [] for label in calls}
    labels = list(calls)
    gc.disable()
    try:
        for r in range(repeats):
            for label in labels[r % len(labels) :] + labels[: r % len(labels)]:
                # A pause before every sample, for everyone alike: thread pools
                # that spin after a call (XLA's, which OMP_WAIT_POLICY does not
                # reach) go idle instead of taking a core from the next sample.
                time.sleep(_PAUSE)
                samples[label].append(seconds_per_call(calls[label], numbers[label]))
    finally:
        gc.enable()
    return samples


def run(sizes: list[Any], repeats: dict[Any, int], budget: float) -> dict[Any, Any]:
    """results[function][dtype][size][label]: ns per element (an array), or "missing"/"n/a"."""
    rng = np.random.default_rng(0)
    results: dict[Any, Any] = {f: {d: {} for d in DTYPES} for f in FUNCTIONS}
    for dtype in DTYPES:
        for size in sizes:
            n = 1 if size == "scalar" else size
            x = rng.uniform(-10, 10, n).astype(dtype).reshape(() if size == "scalar" else n)
            for function, impls in FUNCTIONS.items():
                row: dict[str, Any] = {i.label: "missing" for i in impls if i.needs is None}
                calls = {i.label: i.setup(x) for i in impls if i.needs is not None}
                row |= {label: "n/a" for label, c in calls.items() if c is None}
                calls = {label: c for label, c in calls.items() if c is not None}
                timed = measure(calls, repeats[size], budget, big=n >= 10**7)
                row |= {label: 1e9 * np.array(s) / n for label, s in timed.items()}
                results[function][dtype][size] = {i.label: row[i.label] for i in impls}
                del calls  # frees this size's buffers before the next one
                print(f"{function} {dtype} {size}: ours {median(row[OURS]):.3g} ns/element")
            del x
            gc.collect()
    return results


STARTUP = """
import json, sys, time
began = time.perf_counter()
import sigmoid
imported = time.perf_counter()
numba_imported = "numba" in sys.modules
import numpy as np
x = np.linspace(-10, 10, 10**6, dtype=np.{dtype})
called = time.perf_counter()
sigmoid.sigmoid(x)
print(json.dumps([imported - began, time.perf_counter() - called, numba_imported]))
"""


def startup(rounds: int) -> dict[Any, Any]:
    """Import and first-call times in fresh processes, with a cold then a warm numba cache."""
    times: dict[Any, Any] = {"import": [], "numba imported": set()}
    for _ in range(rounds):
        for dtype in DTYPES:
            cache = tempfile.mkdtemp(prefix="sigmoid-numba-cache-")
            for state in ("cold", "warm"):  # the same directory: empty, then filled
                process = subprocess.run(
                    [sys.executable, "-c", STARTUP.format(dtype=dtype)],
                    env=os.environ | {"NUMBA_CACHE_DIR": cache},
                    capture_output=True,
                    text=True,
                    check=True,
                )
                imported, first_call, numba_imported = json.loads(process.stdout)
                times["import"].append(imported)
                times["numba imported"].add(numba_imported)
                times.setdefault((dtype, state), []).append(first_call)
            shutil.rmtree(cache)
    return times


def median(s: Any) -> float:
    return float("nan") if isinstance(s, str) else float(np.median(s))


def fmt(v: float) -> str:
    return "—" if v != v else f"{v:,.0f}" if v >= 1000 else f"{v:.3g}"


def cell(s: Any) -> str:
    if isinstance(s, str):
        return s
    q25, q50, q75 = np.percentile(s, [25, 50, 75])
    return f"{fmt(q50)} ±{50 * (q75 - q25) / q50:.0f}%"


def ratio(a: Any, b: Any) -> str:
    """median(a) / median(b), or why there is none ("missing", "n/a")."""
    return a if isinstance(a, str) else b if isinstance(b, str) else f"{median(a) / median(b):.2f}"


def size_name(size: Any) -> str:
    names = {"scalar": "1 (scalar)", 1: "1 (array)", 10: "10"}
    return names.get(size) or f"10^{len(str(size)) - 1}"


def table(first: str, sizes: list[Any], rows: dict[str, list[str]]) -> list[str]:
    header = [
        f"| {first} | " + " | ".join(map(size_name, sizes)) + " |",
        "|---" * (len(sizes) + 1) + "|",
    ]
    return header + [f"| {label} | " + " | ".join(cells) + " |" for label, cells in rows.items()]


def function_tables(function: str, dtype: str, res: dict[Any, Any]) -> list[str]:
    sizes, impls = list(res), FUNCTIONS[function]
    ours = [i.label for i in impls if i.role == "ours"]
    copies = [i.label for i in impls if i.role == "copy"]
    times = {i.label: [cell(res[s][i.label]) for s in sizes] for i in impls}
    speedup = {
        f"{i.label} / {i.versus}": [ratio(res[s][i.label], res[s][i.versus]) for s in sizes]
        for i in impls
        if i.role == "peer"
    }
    to_copy = {
        f"{o} / {c}": [ratio(res[s][o], res[s][c]) for s in sizes] for o in ours for c in copies
    }
    return [
        f"### `{function}`, {dtype}",
        "",
        "ns per element (median ± half the interquartile range, relative to the median):",
        "",
        *table("implementation", sizes, times),
        "",
        "Speed-up of ours over each peer (peer time / our time; above 1: ours is faster):",
        "",
        *table("peer / ours", sizes, speedup),
        "",
        "Ours against the memory limit (our time / copy time; 1 would be the limit):",
        "",
        *table("ours / copy", sizes, to_copy),
        "",
    ]


def headline(results: dict[Any, Any]) -> list[str]:
    lines = [
        "| dtype | elements | ours | ours, out= | fastest peer (allocating) | ours over it | ours over scipy | ours, out= over torch, out= | ours, out= / copyto | ours / copyto |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for dtype in DTYPES:
        for size, r in results["sigmoid"][dtype].items():
            if size == "scalar" or size < 10**6:
                continue
            peers = [i.label for i in FUNCTIONS["sigmoid"] if i.role == "peer" and i.versus == OURS]
            best = min(peers, key=lambda p: np.nan_to_num(median(r[p]), nan=np.inf))
            cells = [
                dtype,
                size_name(size),
                fmt(median(r[OURS])),
                fmt(median(r[OURS_OUT])),
                f"{best}: {fmt(median(r[best]))}",
                ratio(r[best], r[OURS]),
                ratio(r[EXPIT], r[OURS]),
                ratio(r["torch.sigmoid, out="], r[OURS_OUT]),
                ratio(r[OURS_OUT], r[COPYTO]),
                ratio(r[OURS], r[COPYTO]),
            ]
            lines.append("| " + " | ".join(cells) + " |")
    return lines if len(lines) > 2 else ["No size of 10^6 or more was measured."]


COMPARE = {">": operator.gt, ">=": operator.ge, "<=": operator.le}


def worst(res: dict[Any, Any], pairs: list[Any], op: str) -> tuple[float, str, int] | None:
    """The worst median(a) / median(b) over (size, a, b) in pairs (the least if op is > or >=),
    where it is, and how many pairs were measured; None if none was."""
    found = [
        (median(res[s][a]) / median(res[s][b]), f"{size_name(s)}, {a} / {b}")
        for s, a, b in pairs
        if not isinstance(res[s][a], str) and not isinstance(res[s][b], str)
    ]
    if not found:
        return None
    ratio, where = min(found) if op.startswith(">") else max(found)
    return ratio, where, len(found)


def check(name: str, res: dict[Any, Any], pairs: list[Any], op: str, bound: float) -> str:
    """PASS if median(a) / median(b) `op` `bound` for every (size, a, b) in pairs; shows the worst."""
    found = worst(res, pairs, op)
    if found is None:
        return f"- **NOT MEASURED**: {name}"
    ratio, where, measured = found
    verdict = "PASS" if COMPARE[op](ratio, bound) else "FAIL"
    missing = " (some peers missing)" if measured < len(pairs) else ""
    return f"- **{verdict}**: {name} ({op} {bound}): worst {ratio:.2f} ({where}){missing}"


def for_reference(name: str, res: dict[Any, Any], pairs: list[Any], op: str) -> list[str]:
    """A sub-item with the worst ratio over pairs and no verdict: context for the target above."""
    found = worst(res, pairs, op)
    return [] if found is None else [f"  - for reference, {name}: {found[0]:.2f} ({found[1]})"]


def targets(results: dict[Any, Any]) -> list[str]:
    """The checklist of speed targets, each target with its worst case.

    Two targets get a line of context below them. Ours is held to the stricter
    reading of "faster than every peer" (with ``out=``, against torch with
    ``out=``); the allocating comparison is shown too. And an allocating copy is
    the least any allocating function can cost (it reads x and writes fresh
    memory, which the kernel zeroes first), so its own ratio to np.copyto is
    the floor of "ours allocating within 2× of the copy".
    """
    lines = []
    peers = [i for i in FUNCTIONS["sigmoid"] if i.role == "peer"]
    for dtype in DTYPES:
        res = results["sigmoid"][dtype]
        big = [s for s in res if s != "scalar" and s >= 10**6]
        small = [s for s in res if s == "scalar" or s <= 10]
        huge = [s for s in big if s == 10**8]
        allocating_peers = [i.label for i in peers if i.versus == OURS]
        specs = [
            (
                "≥ 10^6 elements, faster than every peer: peer / ours, out= against out=",
                [(s, i.label, i.versus) for s in big for i in peers],
                ">",
                1,
                for_reference(
                    "allocating against allocating (peer / ours)",
                    res,
                    [(s, p, OURS) for s in big for p in allocating_peers],
                    ">",
                ),
            ),
            (
                "≥ 10^6 elements, at least 3× faster than scipy.special.expit: expit / ours",
                [(s, EXPIT, OURS) for s in big],
                ">=",
                3,
                [],
            ),
            (
                "10^8 elements, within 2× of the copy, like for like: ours, out= / copyto",
                [(s, OURS_OUT, COPYTO) for s in huge],
                "<=",
                2,
                [],
            ),
            (
                "10^8 elements, within 2× of the copy, ours allocating: ours / copyto",
                [(s, OURS, COPYTO) for s in huge],
                "<=",
                2,
                for_reference(
                    "the floor of any allocating function, an allocating copy / copyto",
                    res,
                    [(s, COPY_ALLOCATING, COPYTO) for s in huge],
                    "<=",
                ),
            ),
            (
                "≤ 10 elements, within 2× of scipy.special.expit: ours / expit",
                [(s, OURS, EXPIT) for s in small],
                "<=",
                2,
                [],
            ),
        ]
        for name, pairs, op, bound, context in specs:
            lines += [check(f"{dtype}, {name}", res, pairs, op, bound), *context]
    return lines


def machine(args: argparse.Namespace) -> list[str]:
    info = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    fields = dict(line.split(":", 1) for line in reversed(info.splitlines()) if ":" in line)
    model = fields.get("model name\t", platform.processor()).strip()
    flags = fields.get("flags\t\t", "").split()
    simd = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "no AVX2"
    git = ["git", "-C", str(ROOT), "describe", "--always", "--dirty"]
    commit = subprocess.run(git, capture_output=True, text=True).stdout.strip() or "no git"
    versions = [
        f"sigmoid {sg.__version__} ({commit})",
        f"numpy {np.__version__}",
        f"numba {numba.__version__}",
    ]
    for name, module in (("scipy", special), ("torch", torch), ("jax", jax), ("numexpr", numexpr)):
        versions.append(
            f"{name} {'missing' if module is None else importlib.import_module(name).__version__}"
        )
    engine = importlib.import_module("sigmoid._engine")
    threads = [
        f"ours {engine.thread_count() if hasattr(engine, 'thread_count') else '?'}",
        f"numba {numba.get_num_threads()}",
        f"torch {torch.get_num_threads() if torch else 'missing'}",
        f"numexpr {numexpr.get_num_threads() if numexpr else 'missing'}",
        "JAX: XLA's default pool",
        "NumPy and SciPy: 1",
    ]
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?"
    command = " ".join(["python benchmarks/speed.py", *sys.argv[1:]])
    return [
        f"Made by `{command}` on {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}; do not edit by hand.",
        "",
        f"- Machine: {model} ({simd}), {os.cpu_count()} logical cores, {usable} usable; "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}.",
        f"- Versions: {', '.join(versions)}.",
        f"- Threads: {', '.join(threads)}; OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')} (idle OpenMP threads sleep instead of spinning on the cores the next implementation needs); a {_PAUSE * 1000:.0f} ms pause before every sample lets other spinning pools (XLA's) go idle too.",
        f"- Missing peers: {'; '.join(f'{k} ({v})' for k, v in MISSING.items()) or 'none'}.",
        "- *ours*: `sigmoid.sigmoid`, `sigmoid.sigmoid_derivative` (orders 1, 2 and 3), `sigmoid.log_sigmoid`, `sigmoid.logit`, called as a user calls them.",
        "- Input: uniform random values x in [-10, 10] (for `logit`, p = σ(x), in the same dtype). *1 (scalar)*: one Python float for ours and SciPy in "
        "float64 (a NumPy float32 scalar in float32), a NumPy scalar for the textbook formula and numexpr, "
        "a 0-d tensor for torch and JAX. *1 (array)*: a 1-element array (or tensor).",
        f"- Repeats: {', '.join(f'{size_name(s)}: {args.repeats[s]}' for s in args.sizes)}, round-robin over "
        f"the implementations; a sample times enough calls to last about {args.budget * 1e3:.0f} ms (one call "
        "from 10^7 up), after a warm-up call. The machine is shared, so expect noise.",
        "- torch's backward is timed alone: `torch.ops.aten.sigmoid_backward(grad, y)` with y = σ(x) "
        "computed beforehand. The textbook derivative's time includes computing s = expit(x).",
    ]


def startup_lines(times: dict[Any, Any]) -> list[str]:
    imports = 1e3 * np.array(times["import"])
    q25, q50, q75 = np.percentile(imports, [25, 50, 75])
    lines = [
        f"- `import sigmoid`: median {q50:.0f} ms (IQR {q25:.0f}–{q75:.0f} ms) over {imports.size} fresh "
        f"processes; numba imported by it: {'yes' if True in times['numba imported'] else 'no'}.",
        "- First call `sigmoid.sigmoid(x)` on 10^6 elements in a fresh process, after `import sigmoid` (it "
        "includes importing numba and compiling or loading the loops), with `NUMBA_CACHE_DIR` an empty "
        "directory (cold) and then the same directory again (warm); medians:",
        "",
        "| dtype | cold cache | warm cache |",
        "|---|---|---|",
    ]
    for dtype in DTYPES:
        cold, warm = times[dtype, "cold"], times[dtype, "warm"]
        lines.append(
            f"| {dtype} | {np.median(cold):.2f} s (n = {len(cold)}) | {np.median(warm):.2f} s (n = {len(warm)}) |"
        )
    return lines


def plot(results: dict[Any, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shape = len(FUNCTIONS), len(DTYPES)
    fig, axes = plt.subplots(*shape, figsize=(12, 5 * shape[0]), sharex=True, squeeze=False)
    for row, (function, impls) in zip(axes, FUNCTIONS.items(), strict=True):
        bases = list(dict.fromkeys(i.label.removesuffix(", out=") for i in impls))
        for ax, dtype in zip(row, DTYPES, strict=True):
            res = results[function][dtype]
            sizes = [s for s in res if s != "scalar"]
            for impl in impls:
                style: dict[str, Any] = {
                    "color": f"C{bases.index(impl.label.removesuffix(', out='))}",
                    "ls": "-",
                }
                if impl.label.endswith("out="):
                    style["ls"] = ":"
                if impl.role == "ours":
                    style["lw"] = 2.5
                if impl.role == "copy":
                    style |= {"ls": "--", "color": "k" if impl.label == COPYTO else "grey"}
                medians = [median(res[s][impl.label]) for s in sizes]
                ax.loglog(sizes, medians, marker="o", ms=3, label=impl.label, **style)
            ax.set(title=f"{function}, {dtype}", xlabel="elements", ylabel="ns per element")
            ax.grid(True, which="both", alpha=0.3)
        row[0].legend(fontsize=7)
    fig.suptitle(
        "Median time per element; size 1 is a 1-element array (scalar calls: see the tables)"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="3-5 repeats, 1 ms samples, sizes up to 10^6"
    )
    parser.add_argument(
        "--max-size", type=float, help="largest array (default 10^8; 10^6 with --quick)"
    )
    args = parser.parse_args()
    max_size = args.max_size or (10**6 if args.quick else 10**8)
    args.sizes = [s for s in SIZES if s == "scalar" or s <= max_size]
    args.repeats = (
        {s: min(r, 5 if r > 10 else 3) for s, r in REPEATS.items()} if args.quick else REPEATS
    )
    args.budget = 1e-3 if args.quick else 5e-3
    began = time.perf_counter()
    # Read before the run writes docs/ (else the commit always reads "-dirty").
    header = machine(args)
    results = run(args.sizes, args.repeats, args.budget)
    times = startup(rounds=1 if args.quick else 3)
    plot(results, ROOT / "docs" / "benchmarks.png")
    lines = [
        "# Speed",
        "",
        *header,
        f"- Took {(time.perf_counter() - began) / 60:.1f} min.",
        "",
    ]
    lines += [
        "## Headline: `sigmoid`, ≥ 10^6 elements",
        "",
        "ns per element; *over*: peer time / our time.",
        "",
    ]
    lines += [*headline(results), "", "## Targets, computed from the tables below", ""]
    lines += [*targets(results), "", "## Import and first call", "", *startup_lines(times), ""]
    lines += [
        "## Every function, dtype and size",
        "",
        "![time per element vs size](benchmarks.png)",
        "",
    ]
    for function in FUNCTIONS:
        for dtype in DTYPES:
            lines += function_tables(function, dtype, results[function][dtype])
    (ROOT / "docs" / "benchmarks.md").write_text("\n".join(lines))
    print("\n".join(lines[: lines.index("## Every function, dtype and size")]))


if __name__ == "__main__":
    main()
