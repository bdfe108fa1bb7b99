"""Two revisions of sigmoid against each other: the time of every function, interleaved.

    python benchmarks/versus.py 7b30c5e HEAD                 # 10^6 elements, 9 rounds
    python benchmarks/versus.py main WORKTREE --size 1e5     # the uncommitted tree as B

For a before/after claim ("speed unchanged", "within 1.1x of before"): each
revision's `src/` is exported to a temporary directory (`WORKTREE` is the
working tree) and timed in fresh processes, A and B alternating round by
round (A B B A A B ...), so that machine noise drifts over both alike. A
process warms each case up (compiling or loading numba's cache), then takes
the median of 7 samples of about 5 ms each; the table gives, per case, the
median over rounds of those medians in ns per element and B / A. Only the
public API is called, so any two revisions with it can be compared.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent

#: (label, the call) per public function; x is the input, o an output array of its shape.
CASES = {
    "sigmoid": "sg.sigmoid(x)",
    "sigmoid, out=": "sg.sigmoid(x, out=o)",
    "sigmoid_derivative": "sg.sigmoid_derivative(x)",
    "sigmoid_derivative, order=2": "sg.sigmoid_derivative(x, order=2)",
    "sigmoid_derivative, order=3": "sg.sigmoid_derivative(x, order=3)",
    "log_sigmoid": "sg.log_sigmoid(x)",
    "softplus": "sg.softplus(x)",
    "logit": "sg.logit(p)",
}

WORKER = """
import json, sys, time
import numpy as np
import sigmoid as sg

size, cases = int(sys.argv[1]), json.loads(sys.argv[2])
rng = np.random.default_rng(0)
out = {}
for dtype in ("float32", "float64"):
    x = rng.uniform(-10, 10, size).astype(dtype)
    p = sg.sigmoid(x)
    o = np.empty_like(x)
    for label, call in cases.items():
        f = eval("lambda: " + call, {"sg": sg, "x": x, "p": p, "o": o})
        f()
        began = time.perf_counter()
        f()
        number = max(1, int(0.005 / max(time.perf_counter() - began, 1e-9)))
        samples = []
        for _ in range(7):
            began = time.perf_counter()
            for _ in range(number):
                f()
            samples.append((time.perf_counter() - began) / number / size * 1e9)
        out[f"{label} | {dtype}"] = sorted(samples)[3]
print(json.dumps(out))
"""


def export(revision: str, into: Path) -> Path:
    """The package source of a revision (or of the working tree), as a directory to import from."""
    if revision == "WORKTREE":
        return REPO / "src"
    archive = into / f"{revision.replace('/', '_')}.tar"
    subprocess.run(
        ["git", "-C", str(REPO), "archive", "-o", str(archive), revision, "src"], check=True
    )
    target = into / revision.replace("/", "_")
    with tarfile.open(archive) as tar:
        tar.extractall(target, filter="data")
    return target / "src"


def describe(revision: str) -> str:
    if revision == "WORKTREE":
        return "the working tree"
    result = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", revision],
        capture_output=True,
        text=True,
        check=True,
    )
    return f"{revision} ({result.stdout.strip()})"


def run(source: Path, size: int, cases: dict[str, str], cache: str) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=str(source), NUMBA_CACHE_DIR=cache)
    result = subprocess.run(
        [sys.executable, "-c", WORKER, str(size), json.dumps(cases)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    times: dict[str, float] = json.loads(result.stdout)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("a", help="the revision before (a git revision, or WORKTREE)")
    parser.add_argument("b", help="the revision after")
    parser.add_argument("--size", type=float, default=1e6, help="elements (default 10^6)")
    parser.add_argument("--rounds", type=int, default=9, help="processes per revision")
    parser.add_argument(
        "--only", nargs="+", choices=CASES, metavar="CASE", help=f"some of: {', '.join(CASES)}"
    )
    args = parser.parse_args(argv)
    size = int(args.size)
    cases = {c: CASES[c] for c in args.only or CASES}
    with tempfile.TemporaryDirectory() as tmp:
        sources = {name: export(rev, Path(tmp)) for name, rev in (("A", args.a), ("B", args.b))}
        caches = {name: str(Path(tmp, f"cache-{name}")) for name in sources}
        times: dict[str, dict[str, list[float]]] = {"A": {}, "B": {}}
        for name in sources:  # the first process of each compiles and fills its cache
            run(sources[name], size, cases, caches[name])
        for i in range(args.rounds):
            order = ("A", "B") if i % 2 == 0 else ("B", "A")
            for name in order:
                for case, t in run(sources[name], size, cases, caches[name]).items():
                    times[name].setdefault(case, []).append(t)
    print(f"A = {describe(args.a)}, B = {describe(args.b)}; {size:.0e} elements,")
    print(f"median of {args.rounds} processes each, ns per element (python benchmarks/versus.py")
    print(f"{' '.join(sys.argv[1:] if argv is None else argv)})\n")
    print("| function | dtype | A | B | B / A |")
    print("|---|---|---|---|---|")
    worst = 0.0
    for case in times["A"]:
        if case not in times["B"]:
            continue
        a, b = float(np.median(times["A"][case])), float(np.median(times["B"][case]))
        worst = max(worst, b / a)
        label, dtype = case.split(" | ")
        print(f"| {label} | {dtype} | {a:.3g} | {b:.3g} | {b / a:.2f} |")
    print(f"\nworst B / A: {worst:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
