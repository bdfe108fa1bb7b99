"""What the speed benchmark writes: docs/benchmarks.md's tables, headline and targets, and the plot.

The speed targets are data (`TARGETS`), checked by `evaluate`.
"""

from __future__ import annotations

import datetime
import importlib
import operator
import os
import platform
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import numba
import numpy as np

import peers
import sigmoid as sg
from peers import (
    BACKWARD,
    COPY_ALLOCATING,
    COPYTO,
    EXPIT,
    JAX_JIT,
    JIT,
    ON_BACKWARD,
    ON_JIT,
    ON_TENSOR,
    OURS,
    OURS_OUT,
    TENSOR,
    TENSOR_NUMPY,
    TEXTBOOK,
    TORCH,
    TORCH_BACKWARD,
    TORCH_F,
    TORCH_OUT,
    VIA_F64,
    Impl,
)
from timing import COMMAND_LINES, DTYPES, PAUSE, Results, Sample, Size, median

ROOT = Path(__file__).resolve().parent.parent


def fmt(v: float) -> str:
    return "—" if v != v else f"{v:,.0f}" if v >= 1000 else f"{v:.3g}"


def cell(s: Sample) -> str:
    if isinstance(s, str):
        return s
    q25, q50, q75 = np.percentile(s, [25, 50, 75])
    return f"{fmt(q50)} ±{50 * (q75 - q25) / q50:.0f}%"


def ratio(a: Sample, b: Sample) -> str:
    """median(a) / median(b), or why there is none ("missing", "n/a")."""
    return a if isinstance(a, str) else b if isinstance(b, str) else f"{median(a) / median(b):.2f}"


def size_name(size: Size) -> str:
    names: dict[Size, str] = {"scalar": "1 (scalar)", 1: "1 (array)", 10: "10"}
    return names.get(size) or f"10^{len(str(size)) - 1}"


def table(first: str, sizes: Sequence[Size], rows: dict[str, list[str]]) -> list[str]:
    header = [
        f"| {first} | " + " | ".join(map(size_name, sizes)) + " |",
        "|---" * (len(sizes) + 1) + "|",
    ]
    return header + [f"| {label} | " + " | ".join(cells) + " |" for label, cells in rows.items()]


def function_tables(
    heading: str, impls: Sequence[Impl], res: Mapping[Size, Mapping[str, Sample]]
) -> list[str]:
    """The tables of one group of rows in one dtype: times, speed-ups, and (if the
    group has copies) ours against the copies."""
    sizes = list(res)
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
    lines = [
        f"### {heading}",
        "",
        "ns per element (median ± half the interquartile range, relative to the median):",
        "",
        *table("implementation", sizes, times),
        "",
        "Speed-up of ours over each peer (peer time / our time; above 1: ours is faster):",
        "",
        *table("peer / ours", sizes, speedup),
        "",
    ]
    if not to_copy:
        return lines
    return [
        *lines,
        "Ours against the memory limit (our time / copy time; 1 would be the limit):",
        "",
        *table("ours / copy", sizes, to_copy),
        "",
    ]


def headline(results: Results) -> list[str]:
    lines = [
        "| dtype | elements | ours | ours, out= | fastest peer (allocating) | ours over it | ours over scipy | ours, out= over torch, out= | ours, out= / copyto | ours / copyto |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    allocating = [
        i.label for i in peers.FUNCTIONS["sigmoid"] if i.role == "peer" and i.versus == OURS
    ]
    for dtype in DTYPES:
        for size, r in results["sigmoid"][dtype].items():
            if isinstance(size, str) or size < 10**6:
                continue
            best = min(allocating, key=lambda p: np.nan_to_num(median(r[p]), nan=np.inf))
            cells = [
                dtype,
                size_name(size),
                fmt(median(r[OURS])),
                fmt(median(r[OURS_OUT])),
                f"{best}: {fmt(median(r[best]))}",
                ratio(r[best], r[OURS]),
                ratio(r[EXPIT], r[OURS]),
                ratio(r[TORCH_OUT], r[OURS_OUT]),
                ratio(r[OURS_OUT], r[COPYTO]),
                ratio(r[OURS], r[COPYTO]),
            ]
            lines.append("| " + " | ".join(cells) + " |")
    return lines if len(lines) > 2 else ["No size of 10^6 or more was measured."]


# In a target's rows, EVERY_PEER stands for each peer in turn (each of
# `among`, if the target names some), against ITS_OURS (the row of ours it
# is compared with) or against the row named (then only the peers compared
# with that row).
EVERY_PEER, ITS_OURS = "<every peer>", "<its row of ours>"
COMPARE = {">": operator.gt, ">=": operator.ge, "<=": operator.le}


@dataclass(frozen=True)
class Context:
    """A line below a target: the worst of another ratio, with no verdict."""

    name: str
    rows: tuple[str, str]
    among: tuple[str, ...] = ()


@dataclass(frozen=True)
class Target:
    """For the group of rows `function` (in peers.GROUPS), in each dtype of dtypes:
    median(a) / median(b) `op` `bound`, where (a, b) = rows, at every size of
    sizes that was measured."""

    name: str
    sizes: tuple[Size, ...]
    rows: tuple[str, str]
    op: Literal[">", ">=", "<="]
    bound: float
    context: Context | None = None
    function: str = "sigmoid"
    dtypes: tuple[str, ...] = DTYPES
    among: tuple[str, ...] = ()  # the peers EVERY_PEER stands for (all if empty)


LARGE, SMALL = (10**5, 10**6, 10**7, 10**8), ("scalar", 1, 10)
ARRAYS = (1, 10, 10**3, *LARGE)
# The speed bars of the product (PRODUCT.md), judged at equal accuracy: a
# correctly rounded float32 result needs float64 lanes, so float32 is raced
# against the peers that compute in float64 and round once, and PyTorch's
# float32 kernel (float32 lanes, up to 2.4 ULP) is shown for reference only.
TARGETS = (
    Target(
        "≥ 10^5 elements, at equal accuracy at least 2× faster than the peers that compute "
        "in float64 and round once: peer / ours, out= against out=",
        LARGE,
        (EVERY_PEER, ITS_OURS),
        ">=",
        2,
        Context(
            "torch.sigmoid in float32 lanes (not correctly rounded), torch.sigmoid / ours",
            (TORCH_F, OURS),
        ),
        dtypes=("float32",),
        among=VIA_F64,
    ),
    Target(
        "≥ 10^5 elements, faster than torch.sigmoid on all threads, allocating and out=: "
        "torch / ours",
        LARGE,
        (EVERY_PEER, ITS_OURS),
        ">",
        1,
        dtypes=("float64",),
        among=(TORCH_F, TORCH_OUT),
    ),
    Target(
        "≥ 10^5 elements, at least 3× faster than scipy.special.expit: expit / ours",
        LARGE,
        (EXPIT, OURS),
        ">=",
        3,
    ),
    Target(
        f"mid-size arrays (10^3 and 10^5), at least level with the textbook {TEXTBOOK}: "
        "textbook / ours",
        (10**3, 10**5),
        (TEXTBOOK, OURS),
        ">=",
        1,
    ),
    Target(
        "out= never slower than allocating (every array size, 10% for noise): ours, out= / ours",
        ARRAYS,
        (OURS_OUT, OURS),
        "<=",
        1.1,
    ),
    Target(
        "10^8 elements, within 2× of the copy, like for like: ours, out= / copyto",
        (10**8,),
        (OURS_OUT, COPYTO),
        "<=",
        2,
    ),
    # An allocating copy is the least any allocating function can cost (it
    # reads x and writes fresh memory, which the kernel zeroes first).
    Target(
        "10^8 elements, within 2× of the copy, like for like: ours / x.copy()",
        (10**8,),
        (OURS, COPY_ALLOCATING),
        "<=",
        2,
        Context("an allocating copy over copyto, x.copy() / copyto", (COPY_ALLOCATING, COPYTO)),
    ),
    Target(
        "≤ 10 elements, within 2× of scipy.special.expit: ours / expit",
        SMALL,
        (OURS, EXPIT),
        "<=",
        2,
    ),
    # The other array libraries (the section "PyTorch and JAX").
    Target(
        f"CPU tensor of ≥ 10^5 elements, within 1.2× of our NumPy path on the same data: {TENSOR} / {TENSOR_NUMPY}",
        (10**5, *LARGE),
        (TENSOR, TENSOR_NUMPY),
        "<=",
        1.2,
        function=ON_TENSOR,
    ),
    Target(
        f"forward + backward on 10^6 elements, within 2× of torch.sigmoid's: {BACKWARD} / {TORCH_BACKWARD}",
        (10**6,),
        (BACKWARD, TORCH_BACKWARD),
        "<=",
        2,
        function=ON_BACKWARD,
        dtypes=("float32",),
    ),
    Target(
        f"10^6 elements on JAX's CPU backend, within 1.5× of jax.nn.sigmoid: {JIT} / {JAX_JIT}",
        (10**6,),
        (JIT, JAX_JIT),
        "<=",
        1.5,
        function=ON_JIT,
        dtypes=("float32",),
    ),
    Target(
        f"10-element CPU tensor, within 3× of torch.sigmoid's call: {TENSOR} / {TORCH}",
        (10,),
        (TENSOR, TORCH),
        "<=",
        3,
        function=ON_TENSOR,
    ),
)


def evaluate(target: Target, res: Mapping[Size, Mapping[str, Sample]]) -> list[str]:
    """The target's checklist line (PASS or FAIL, and its worst ratio), then its context's."""

    def pairs(rows: tuple[str, str], among: tuple[str, ...]) -> list[tuple[Size, str, str]]:
        a, b = rows
        if a != EVERY_PEER:
            return [(s, a, b) for s in target.sizes if s in res]
        impls = [
            i
            for i in peers.GROUPS[target.function]
            if i.role == "peer" and (not among or i.label in among)
        ]
        chosen = [i for i in impls if b in (ITS_OURS, i.versus)]
        return [(s, i.label, i.versus) for s in target.sizes if s in res for i in chosen]

    def worst(rows: tuple[str, str], among: tuple[str, ...]) -> tuple[float, str, bool] | None:
        """The worst ratio (the least if op is > or >=), where it is, and whether some
        pairs could not be measured; None if none was."""
        every = pairs(rows, among)
        found = [
            (median(res[s][a]) / median(res[s][b]), f"{size_name(s)}, {a} / {b}")
            for s, a, b in every
            if not isinstance(res[s][a], str) and not isinstance(res[s][b], str)
        ]
        if not found:
            return None
        value, where = min(found) if target.op.startswith(">") else max(found)
        return value, where, len(found) < len(every)

    found = worst(target.rows, target.among)
    if found is None:
        lines = [f"- **NOT MEASURED**: {target.name}"]
    else:
        value, where, some_missing = found
        verdict = "PASS" if COMPARE[target.op](value, target.bound) else "FAIL"
        missing = " (some peers missing)" if some_missing else ""
        lines = [
            f"- **{verdict}**: {target.name} ({target.op} {target.bound:g}): worst {value:.2f} ({where}){missing}"
        ]
    if (
        target.context is not None
        and (context := worst(target.context.rows, target.context.among)) is not None
    ):
        lines.append(f"  - for reference, {target.context.name}: {context[0]:.2f} ({context[1]})")
    return lines


def targets(results: Results) -> list[str]:
    """The checklist of speed targets, each with its worst case, dtype by dtype."""
    lines = []
    for dtype in DTYPES:
        for target in TARGETS:
            if dtype in target.dtypes:
                named = replace(target, name=f"{dtype}, {target.name}")
                lines += evaluate(named, results[target.function][dtype])
    return lines


def commit() -> str:
    """The checkout's commit, ``-dirty`` if it has changes."""
    git = ["git", "-C", str(ROOT), "describe", "--always", "--dirty"]
    return subprocess.run(git, capture_output=True, text=True).stdout.strip() or "no git"


def header(
    sizes: Sequence[Size], repeats: Mapping[Size, int], budget: float, command: str
) -> list[str]:
    """The lines on how the run was made: machine, versions, threads, repeats."""
    info = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    fields = dict(line.split(":", 1) for line in reversed(info.splitlines()) if ":" in line)
    model = fields.get("model name\t", platform.processor()).strip()
    flags = fields.get("flags\t\t", "").split()
    simd = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "no AVX2"
    versions = [
        f"sigmoid {sg.__version__} ({commit()})",
        f"numpy {np.__version__}",
        f"numba {numba.__version__}",
    ]
    for name, module in peers.LIBRARIES.items():
        versions.append(
            f"{name} {'missing' if module is None else importlib.import_module(name).__version__}"
        )
    engine = importlib.import_module("sigmoid._engine")
    torch, numexpr = peers.torch, peers.numexpr
    threads = [
        f"ours {engine.thread_count() if hasattr(engine, 'thread_count') else '?'}",
        f"numba {numba.get_num_threads()}",
        f"torch {torch.get_num_threads() if torch else 'missing'}",
        f"numexpr {numexpr.get_num_threads() if numexpr else 'missing'}",
        "JAX: XLA's default pool",
        "NumPy and SciPy: 1",
    ]
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?"
    return [
        f"Made by `{command}` on {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}; do not edit by hand.",
        "",
        f"- Machine: {model} ({simd}), {os.cpu_count()} logical cores, {usable} usable; "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}.",
        f"- Versions: {', '.join(versions)}.",
        f"- Threads: {', '.join(threads)}; OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')} (idle OpenMP threads sleep instead of spinning on the cores the next implementation needs); a {PAUSE * 1000:.0f} ms pause before every sample lets other spinning pools (XLA's) go idle too.",
        f"- Missing peers: {'; '.join(f'{k} ({v})' for k, v in peers.MISSING.items()) or 'none'}.",
        "- *ours*: `sigmoid.sigmoid`, `sigmoid.sigmoid_derivative` (orders 1, 2 and 3), `sigmoid.log_sigmoid`, `sigmoid.logit`, called as a user calls them.",
        "- Input: uniform random values x in [-10, 10] (for `logit`, p = σ(x), in the same dtype). *1 (scalar)*: one Python float for ours and SciPy in "
        "float64 (a NumPy float32 scalar in float32), a NumPy scalar for the textbook formula and numexpr, "
        "a 0-d tensor for torch and JAX. *1 (array)*: a 1-element array (or tensor).",
        f"- Repeats: {', '.join(f'{size_name(s)}: {repeats[s]}' for s in sizes)}, round-robin over "
        f"the implementations; a sample times enough calls to last about {budget * 1e3:.0f} ms (one call "
        "from 10^7 up), after a warm-up call. The machine is shared, so expect noise.",
        "- torch's backward is timed alone: `torch.ops.aten.sigmoid_backward(grad, y)` with y = σ(x) "
        "computed beforehand. The textbook derivative's time includes computing s = expit(x).",
        "- Equal accuracy in float32: ours is correctly rounded, which takes float64 lanes; the peers "
        "that compute the same thing (in float64, rounded once to float32, so at most nearly "
        f"correctly rounded) are {', '.join(f'`{v}`' for v in VIA_F64)} (t a float32 tensor, "
        "w and o preallocated float64 and float32 tensors); n/a in float64.",
    ]


#: What each way of running the command line (timing.COMMAND_LINES) is.
COMMAND_LINE_CASES = {
    "sigmoid": "`sigmoid eval 0`: σ, correctly rounded in float64, computed without numba "
    "(`sigmoid._rounded`)",
    "softplus, with SciPy": "`sigmoid eval -f softplus 0 1 … 39` (40 numbers: more than the 32 "
    "computed without numba), its numba kernel, SciPy installed as in "
    "this venv: numba imports scipy.linalg to check for BLAS at its first compile or cache load",
    "softplus, without SciPy": "the same without SciPy, as after the README's install "
    "(`sys.modules['scipy'] = None`, then `sigmoid.cli.main()`)",
}
#: `sigmoid eval 0`, a whole process with a warm cache: at most this (seconds).
CLI_TARGET = 0.4
if COMMAND_LINE_CASES.keys() != COMMAND_LINES.keys():
    raise KeyError(
        f"command lines without a description: {COMMAND_LINES.keys() ^ COMMAND_LINE_CASES}"
    )


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
    lines += [
        "",
        "- The command line on one number as a whole process (interpreter, imports, the "
        "arithmetic, exit), each cold run on an empty `NUMBA_CACHE_DIR`, then warm runs on it, "
        "the ways in turn; medians:",
        "",
        "| command line | warm cache | cold cache |",
        "|---|---|---|",
    ]
    for how, what in COMMAND_LINE_CASES.items():
        cold, warm = times[how, "cold"], times[how, "warm"]
        lines.append(
            f"| {what} | {np.median(warm):.2f} s (n = {len(warm)}) | {np.median(cold):.2f} s (n = {len(cold)}) |"
        )
    warm = float(np.median(times["sigmoid", "warm"]))
    verdict = "PASS" if warm <= CLI_TARGET else "FAIL"
    lines += [
        "",
        f"- **{verdict}**: `sigmoid eval 0` within {CLI_TARGET:g} s with a warm cache (median of "
        f"whole processes): {warm:.2f} s",
    ]
    return lines


def plot(results: Results, path: Path) -> None:
    """One panel per function and dtype: ns per element against the number of elements."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shape = len(results), len(DTYPES)
    fig, axes = plt.subplots(*shape, figsize=(12, 5 * shape[0]), sharex=True, squeeze=False)
    for row, function in zip(axes, results, strict=True):
        impls = peers.FUNCTIONS[function]
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
            ax.set(
                title=f"{peers.title(function)}, {dtype}",
                xlabel="elements",
                ylabel="ns per element",
            )
            ax.grid(True, which="both", alpha=0.3)
        row[0].legend(fontsize=7)
    fig.suptitle(
        "Median time per element; size 1 is a 1-element array (scalar calls: see the tables)"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


FRAMEWORKS_INTRODUCTION = [
    "## PyTorch and JAX",
    "",
    "`sigmoid.sigmoid` on the other libraries' CPU arrays, timed as the tables below are (the same "
    "repeats and samples, round-robin within each group of rows, after a warm-up call), on the same "
    "uniform x in [-10, 10]. ns per element: at 10 elements, ten times a row is the cost of one call.",
    "",
    f"- *{ON_TENSOR}*: `{TENSOR}` on `t = torch.from_numpy(x)` (the array's memory), against "
    f"`{TORCH}` and our NumPy path on the same data, `{TENSOR_NUMPY}` (the view made in the call).",
    f"- *{ON_BACKWARD}*: t requires grad; a call sets `t.grad = None`, computes y = f(t) and runs "
    "`y.backward(g)`, g a tensor of ones made beforehand; f is `sg.sigmoid` (its forward pass "
    "computes σ'(t) with σ(t) in one dual loop and keeps it; its backward: g · σ'(t)) or "
    "`torch.sigmoid` (its backward: g · y(1 − y)).",
    f"- *{ON_JIT}*: `{JIT}` (on the CPU backend, our kernels as an XLA FFI call) against "
    f"`{JAX_JIT}`, on `jax.device_put(x)`; a call waits for its result (`.block_until_ready()`); "
    "both were compiled and run once beforehand.",
    "- Their targets are at the end of the list of targets above.",
    "",
]


def document(
    header: list[str],
    minutes: float,
    results: Results,
    frameworks: Results,
    times: dict[Any, Any],
) -> list[str]:
    """docs/benchmarks.md, line by line: `results` of peers.FUNCTIONS, `frameworks` of
    peers.FRAMEWORKS."""
    lines = ["# Speed", "", *header, f"- Took {minutes:.1f} min.", ""]
    lines += [
        "## Headline: `sigmoid`, ≥ 10^6 elements",
        "",
        "ns per element; *over*: peer time / our time.",
        "",
    ]
    lines += [*headline(results), "", "## Targets, computed from the tables below", ""]
    lines += [*targets(results | frameworks), ""]
    lines += ["## Import and first call", "", *startup_lines(times), "", *FRAMEWORKS_INTRODUCTION]
    for group, by_dtype in frameworks.items():
        for dtype in DTYPES:
            lines += function_tables(f"{group}, {dtype}", peers.FRAMEWORKS[group], by_dtype[dtype])
    lines += [
        "## Every function, dtype and size",
        "",
        "![time per element vs size](benchmarks.png)",
        "",
    ]
    for function, by_dtype in results.items():
        for dtype in DTYPES:
            heading = f"`{peers.title(function)}`, {dtype}"
            lines += function_tables(heading, peers.FUNCTIONS[function], by_dtype[dtype])
    return lines
