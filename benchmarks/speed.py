"""Speed of sigmoid against its peers, all measured in one process.

    python benchmarks/speed.py                  # everything: sizes 1 to 10^8, ~10 min on 2 cores
    python benchmarks/speed.py --quick          # few repeats, sizes up to 10^6: a quick look
    python benchmarks/speed.py --max-size 1e7   # stop at 10^7 elements (combines with --quick)
    python benchmarks/speed.py --startup-only   # remake only "Import and first call" (~2 min)

Writes docs/benchmarks.md (tables, headline, speed targets, import and
first-call times, `sigmoid.sigmoid` on PyTorch tensors and under jax.jit) and
docs/benchmarks.png. Within a repeat every implementation
runs once, in turn, the starting point rotating from repeat to repeat, so that
machine noise hits all of them alike; the tables give the median over repeats
and half the interquartile range. A peer that fails to import is reported as
missing.

What is compared is in peers.py, how it is timed in timing.py, and what is
written (with the speed targets) in report.py.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

# peers first: it sets OMP_WAIT_POLICY before any OpenMP runtime loads.
import peers
import report
import timing

DOCS = Path(__file__).resolve().parent.parent / "docs"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="3-5 repeats, 1 ms samples, sizes up to 10^6"
    )
    parser.add_argument(
        "--max-size", type=float, help="largest array (default 10^8; 10^6 with --quick)"
    )
    parser.add_argument(
        "--startup-only",
        action="store_true",
        help=f"remake only the section {STARTUP_HEADING[3:]!r} of the existing docs/benchmarks.md, "
        "saying so in it (after a change to imports or the command line alone)",
    )
    args = parser.parse_args(argv)
    if args.startup_only:
        return remake_startup(" ".join(["python benchmarks/speed.py", *argv]))
    max_size = args.max_size or (10**6 if args.quick else 10**8)
    sizes = timing.up_to(timing.SIZES, max_size)
    repeats = timing.REPEATS
    if args.quick:
        repeats = {s: min(r, 5 if r > 10 else 3) for s, r in repeats.items()}
    budget = 1e-3 if args.quick else 5e-3
    began = time.perf_counter()
    # Read before the run writes docs/ (else the commit always reads "-dirty").
    command = " ".join(["python benchmarks/speed.py", *argv])
    header = report.header(sizes, repeats, budget, command)
    results = timing.run(peers.FUNCTIONS, sizes, repeats, budget)
    frameworks = timing.run(
        peers.FRAMEWORKS, timing.up_to(timing.FRAMEWORK_SIZES, max_size), repeats, budget
    )
    times = timing.startup(rounds=1 if args.quick else 3)
    report.plot(results, DOCS / "benchmarks.png")
    minutes = (time.perf_counter() - began) / 60
    lines = report.document(header, minutes, results, frameworks, times)
    (DOCS / "benchmarks.md").write_text("\n".join(lines))
    print("\n".join(lines[: lines.index("## Every function, dtype and size")]))
    return 0


STARTUP_HEADING = "## Import and first call"


def remake_startup(command: str) -> int:
    """Replace the start-up section of docs/benchmarks.md by a new measurement of it."""
    path = DOCS / "benchmarks.md"
    before, found, rest = path.read_text().partition(STARTUP_HEADING + "\n")
    if not found:
        raise SystemExit(f"{path} has no section {STARTUP_HEADING!r}: run the whole benchmark")
    after = rest[rest.index("\n## ") :]  # the next section on
    machine = next(line for line in report.header([], {}, 0.0, command) if "Machine" in line)
    note = [
        f"Remade alone by `{command}` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())},"
        f" sigmoid at {report.commit()}; {machine[2:].lower()} The other sections are from the"
        " run named at the top.",
        "",
    ]
    section = [STARTUP_HEADING, "", *note, *report.startup_lines(timing.startup(rounds=3))]
    path.write_text(before + "\n".join(section) + "\n" + after)
    print("\n".join(section))
    return 0


if __name__ == "__main__":
    sys.exit(main())
