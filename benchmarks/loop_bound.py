"""float32 σ's inner loop, counted: its instructions and cycles, against a float64-lane floor.

    python benchmarks/loop_bound.py              # writes docs/loop-bound.md
    python benchmarks/loop_bound.py --mcpu znver4 --llvm-mca llvm-mca-19

Timings on a shared machine are noisy; static counts are not. This compiles
the vectorised pass of float32 σ's loop (`sigmoid._kernels.loops`, the pass
every element takes) and, beside it, the floor (`floor_kernel.py`): the least a float64-lane σ
for float32 does — widen, e^-|x| through 2^k times a degree-7 polynomial
(error ~2^-27, what a float64-then-round peer needs for a nearly correctly
rounded result), one division, round to float32 — with no hard-value test
and no more accuracy than that. Both come from the same numba and LLVM, so
they differ only in the arithmetic. For each it finds the vector loop in the
generated assembly and reports:

- instructions per element (exact, from the assembly);
- llvm-mca's cycles per element on the target CPU (its scheduling model, the
  loop run back to back), and its "block reciprocal throughput": the cycles
  the loop's instructions need at the CPU's issue and pipe limits alone,
  dependencies ignored.

The target (issue 21): our loop's cycles within 1.25x of the floor's.
numba compiles in memory here (a fresh cache directory), so that its
assembly can be read.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

os.environ["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="sigmoid-loop-bound-")

import numba
import numpy as np

from floor_kernel import floor_pass
from sigmoid._family import FAMILY
from sigmoid._kernels import loops

DOCS = Path(__file__).resolve().parent.parent / "docs"
TARGET = 1.25


@dataclass(frozen=True)
class Loop:
    name: str
    body: list[str]  # the instructions of the vector loop, one per line
    elements: int  # per iteration

    @property
    def instructions(self) -> int:
        return len(self.body)


_LABEL = re.compile(r"^(\.?L\w+):")
_JUMP = re.compile(r"^\s*j\w+\s+(\.?L\w+)")
# A store of a whole vector register (vmovss and vmovsd store one element).
_VECTOR_STORE = re.compile(r"^\s*vmov(?!s[sd]\b)\w*\s+%(x|y|z)mm\d+,\s*(-?\w*\(([^)]*)\))")
_BYTES = {"x": 16, "y": 32, "z": 64}


def _instructions(lines: list[str]) -> list[str]:
    """The instruction lines (no labels, directives or comments)."""
    kept = []
    for line in lines:
        text = line.split("#")[0].rstrip()
        stripped = text.strip()
        if stripped and not stripped.startswith(".") and not _LABEL.match(stripped):
            kept.append(text)
    return kept


def vector_loop(name: str, asm: str) -> Loop:
    """The innermost loop (a label and the backward jump to it) with the most vector stores."""
    lines = asm.splitlines()
    where = {m.group(1): i for i, line in enumerate(lines) if (m := _LABEL.match(line.strip()))}
    spans = []
    for i, line in enumerate(lines):
        m = _JUMP.match(line)
        if m and m.group(1) in where and where[m.group(1)] < i:
            spans.append((where[m.group(1)], i))
    innermost = [
        s for s in spans if not any(o != s and s[0] <= o[0] and o[1] <= s[1] for o in spans)
    ]
    best: Loop | None = None
    for start, end in innermost:
        body = _instructions(lines[start : end + 1])
        stored = 0
        for instruction in body:
            m = _VECTOR_STORE.match(instruction)
            if m and "rsp" not in m.group(3):  # a store to out, not a spill
                stored += _BYTES[m.group(1)]
        loop = Loop(name, body, stored // 4)  # float32 results
        if loop.elements and (
            best is None
            or loop.elements * 1000 + loop.instructions > best.elements * 1000 + best.instructions
        ):
            best = loop
    if best is None:
        raise SystemExit(f"no vector loop storing float32 results found in {name}'s assembly")
    return best


@dataclass(frozen=True)
class Mca:
    cycles_per_iteration: float
    block_throughput: float  # cycles per iteration at the issue and pipe limits


def mca(loop: Loop, tool: str, mcpu: str) -> Mca:
    iterations = 300
    with tempfile.NamedTemporaryFile("w", suffix=".s", delete=False) as f:
        f.write("\n".join(line for line in loop.body if not _JUMP.match(line)) + "\n")
    try:
        result = subprocess.run(
            [tool, f"-mcpu={mcpu}", f"-iterations={iterations}", f.name],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(f.name)
    total = float(re.search(r"Total Cycles:\s+(\d+)", result).group(1))  # type: ignore[union-attr]
    block = float(re.search(r"Block RThroughput:\s+([\d.]+)", result).group(1))  # type: ignore[union-attr]
    return Mca(total / iterations, block)


def compiled_loops() -> list[Loop]:
    x = np.linspace(-10, 10, 4096, dtype=np.float32)
    out = np.empty_like(x)
    ours = loops._block_pass(FAMILY["sigmoid"].index)
    ours(x, out)
    floor_pass(x, out)
    return [
        vector_loop("ours: float32 σ's vector pass", ours.inspect_asm(ours.signatures[0])),
        vector_loop(
            "floor: σ in float64 lanes, rounded once",
            floor_pass.inspect_asm(floor_pass.signatures[0]),
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mcpu", default="znver4", help="llvm-mca's CPU model (default znver4)")
    parser.add_argument(
        "--llvm-mca", default=None, help="the llvm-mca to run (default: the newest found)"
    )
    args = parser.parse_args(argv)
    tool = args.llvm_mca or next(
        (
            t
            for t in ("llvm-mca-19", "llvm-mca-18", "llvm-mca-17", "llvm-mca-16", "llvm-mca")
            if shutil.which(t)
        ),
        None,
    )
    if tool is None:
        raise SystemExit("llvm-mca not found (Debian: apt install llvm-19)")
    version = subprocess.run([tool, "--version"], capture_output=True, text=True).stdout
    llvm = re.search(r"LLVM version ([\d.]+)", version)
    found = compiled_loops()
    measured = [(loop, mca(loop, tool, args.mcpu)) for loop in found]
    (ours, ours_mca), (floor, floor_mca) = measured
    ratio = (ours_mca.cycles_per_iteration / ours.elements) / (
        floor_mca.cycles_per_iteration / floor.elements
    )
    verdict = "PASS" if ratio <= TARGET else "FAIL"
    lines = [
        "# float32 σ's inner loop against the float64-lane floor",
        "",
        f"Made by `{' '.join(['python benchmarks/loop_bound.py', *(sys.argv[1:] if argv is None else argv)])}` "
        f"(llvm-mca of LLVM {llvm.group(1) if llvm else '?'}, `-mcpu={args.mcpu}`; numba {numba.__version__}); "
        "do not edit by hand. What is counted, and why: the script's docstring.",
        "",
        "| loop | elements per iteration | instructions per element | llvm-mca cycles per element | issue/pipe bound (cycles per element) |",
        "|---|---|---|---|---|",
    ]
    for loop, m in measured:
        lines.append(
            f"| {loop.name} | {loop.elements} | {loop.instructions / loop.elements:.1f} | "
            f"{m.cycles_per_iteration / loop.elements:.2f} | {m.block_throughput / loop.elements:.2f} |"
        )
    lines += [
        "",
        f"- **{verdict}**: float32 σ's inner loop within {TARGET}× of the float64-lane floor: "
        f"ours / floor = {ratio:.2f} (llvm-mca cycles per element).",
        f"  - for reference, against the floor's issue/pipe bound (its instructions perfectly "
        f"overlapped): {(ours_mca.cycles_per_iteration / ours.elements) / (floor_mca.block_throughput / floor.elements):.2f}; "
        f"ours at its own issue/pipe bound would be "
        f"{(ours_mca.block_throughput / ours.elements) / (floor_mca.cycles_per_iteration / floor.elements):.2f} of the floor.",
        "",
    ]
    (DOCS / "loop-bound.md").write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
