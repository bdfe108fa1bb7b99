"""How the speed benchmark measures: round-robin samples in one process, start-up in fresh ones.

Within a repeat every implementation runs once, in turn, the starting point
rotating from repeat to repeat, so that machine noise hits all of them alike.
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeAlias

import numpy as np

from peers import Impl, title

DTYPES = ("float32", "float64")
#: An array's length, or "scalar" (one Python float or NumPy scalar).
Size: TypeAlias = int | str
SIZES: tuple[Size, ...] = ("scalar", 1, 10, 10**3, 10**5, 10**6, 10**7, 10**8)
#: The sizes of the PyTorch and JAX section (peers.FRAMEWORKS).
FRAMEWORK_SIZES: tuple[Size, ...] = (10, 10**3, 10**5, 10**6)
REPEATS: dict[Size, int] = {
    "scalar": 41,
    1: 41,
    10: 41,
    10**3: 31,
    10**5: 21,
    10**6: 15,
    10**7: 7,
    10**8: 5,
}


def up_to(sizes: Sequence[Size], max_size: float) -> list[Size]:
    """The sizes of at most max_size elements (the scalar case always)."""
    return [s for s in sizes if isinstance(s, str) or s <= max_size]


#: ns per element, one per repeat; or why there is none: "missing" or "n/a".
Sample: TypeAlias = np.ndarray | str
#: results[function][dtype][size][label]
Results: TypeAlias = dict[str, dict[str, dict[Size, dict[str, Sample]]]]
PAUSE = 0.003  # seconds


def median(s: Sample) -> float:
    return float("nan") if isinstance(s, str) else float(np.median(s))


def seconds_per_call(func: Callable[[], Any], number: int) -> float:
    began = time.perf_counter()
    for _ in range(number):
        func()
    return (time.perf_counter() - began) / number


def measure(
    calls: dict[str, Callable[[], Any]], repeats: int, budget: float, big: bool
) -> dict[str, list[float]]:
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
                time.sleep(PAUSE)
                samples[label].append(seconds_per_call(calls[label], numbers[label]))
    finally:
        gc.enable()
    return samples


def run(
    functions: Mapping[str, Sequence[Impl]],
    sizes: Sequence[Size],
    repeats: Mapping[Size, int],
    budget: float,
) -> Results:
    """Every implementation of every function on uniform random x in [-10, 10], by dtype and size."""
    rng = np.random.default_rng(0)
    results: Results = {f: {d: {} for d in DTYPES} for f in functions}
    for dtype in DTYPES:
        for size in sizes:
            n = 1 if isinstance(size, str) else size
            x = rng.uniform(-10, 10, n).astype(dtype).reshape(() if isinstance(size, str) else n)
            for function, impls in functions.items():
                row: dict[str, Sample] = {i.label: "missing" for i in impls if i.needs is None}
                setups = {i.label: i.setup(x) for i in impls if i.needs is not None}
                row |= {label: "n/a" for label, c in setups.items() if c is None}
                calls = {label: c for label, c in setups.items() if c is not None}
                timed = measure(calls, repeats[size], budget, big=n >= 10**7)
                row |= {label: 1e9 * np.array(s) / n for label, s in timed.items()}
                results[function][dtype][size] = {i.label: row[i.label] for i in impls}
                del setups, calls  # frees this size's buffers before the next one
                ours = next(i.label for i in impls if i.role == "ours")
                print(
                    f"{title(function)} {dtype} {size}: {ours} {median(row[ours]):.3g} ns/element"
                )
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


#: The command line, as installed here. Every function is correctly rounded
#: in float64, so up to 32 numbers are computed in pure Python
#: (`sigmoid._rounded`) and load no numba: `sigmoid eval 0`. 40 numbers of
#: softplus load its scalar kernel from numba's cache, with SciPy present (at
#: its first compile or cache load numba imports scipy.linalg to check for
#: BLAS) and as if SciPy were absent (numba catches the ImportError), as after
#: the README's install. All read the command from sys.argv, so that main()
#: freezes the garbage collector at exit as the installed program does (given
#: argv, it does not).
_WITHOUT_SCIPY = (
    "import sys; sys.modules['scipy'] = None; from sigmoid.cli import main; sys.exit(main())"
)
_FORTY = [str(i) for i in range(40)]  # more than the 32 computed without numba
COMMAND_LINES: dict[str, list[str]] = {
    "sigmoid": ["-m", "sigmoid", "eval", "0"],
    "softplus, with SciPy": ["-m", "sigmoid", "eval", "-f", "softplus", *_FORTY],
    "softplus, without SciPy": ["-c", _WITHOUT_SCIPY, "eval", "-f", "softplus", *_FORTY],
}
#: Warm runs of each command line, at least (cold ones: one a round).
CLI_WARM_RUNS = 15


def _fresh_process(args: Sequence[str], cache: str) -> str:
    """The standard output of `python args` in a fresh process whose numba cache is `cache`."""
    process = subprocess.run(
        [sys.executable, *args],
        env=os.environ | {"NUMBA_CACHE_DIR": cache},
        capture_output=True,
        text=True,
        check=True,
    )
    return process.stdout


def _command_line(how: str, cache: str) -> float:
    """Seconds of a whole `sigmoid eval` process on one number, run as COMMAND_LINES[how]."""
    began = time.perf_counter()
    _fresh_process(COMMAND_LINES[how], cache)
    return time.perf_counter() - began


def startup(rounds: int) -> dict[Any, Any]:
    """Import and first-call times in fresh processes, with a cold then a warm numba cache.

    times["import"]: seconds, times["numba imported"]: whether `import sigmoid`
    imported numba, times[dtype, "cold" or "warm"]: seconds of the first call,
    times[how, "cold" or "warm"]: seconds of the command line run as
    COMMAND_LINES[how].
    """
    times: dict[Any, Any] = {"import": [], "numba imported": set()}
    for _ in range(rounds):
        for dtype in DTYPES:
            cache = tempfile.mkdtemp(prefix="sigmoid-numba-cache-")
            for state in ("cold", "warm"):  # the same directory: empty, then filled
                stdout = _fresh_process(["-c", STARTUP.format(dtype=dtype)], cache)
                imported, first_call, numba_imported = json.loads(stdout)
                times["import"].append(imported)
                times["numba imported"].add(numba_imported)
                times.setdefault((dtype, state), []).append(first_call)
            shutil.rmtree(cache)
    caches = {how: tempfile.mkdtemp(prefix="sigmoid-numba-cache-") for how in COMMAND_LINES}
    for _ in range(rounds):
        for how, cache in caches.items():  # each cold run on an empty cache
            shutil.rmtree(cache)
            os.mkdir(cache)
            times.setdefault((how, "cold"), []).append(_command_line(how, cache))
        for _ in range(-(-CLI_WARM_RUNS // rounds)):  # then warm runs on it, in turn
            for how, cache in caches.items():
                times.setdefault((how, "warm"), []).append(_command_line(how, cache))
    for cache in caches.values():
        shutil.rmtree(cache)
    return times
