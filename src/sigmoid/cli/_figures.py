"""The ``plot`` and ``compare`` sub-commands: figures and the property table."""

from __future__ import annotations

import argparse
import importlib
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np

from sigmoid import activations
from sigmoid.cli._common import CliError, ExitCode
from sigmoid.cli._output import atomic_output

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "add_compare_arguments",
    "add_plot_arguments",
    "property_table",
    "run_compare",
    "run_plot",
]

FIGURE_FORMATS = ("png", "svg", "pdf")
# No creation date in the files, so the same figure gives the same bytes.
_METADATA: dict[str, dict[str, Any]] = {
    "png": {},
    "svg": {"Date": None},
    "pdf": {"CreationDate": None},
}
TIMING_SIZE = 100_000
TIMING_REPEATS = 5


def figure_format(path: Path) -> str:
    """The format named by `path`'s extension, or a usage error."""
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FIGURE_FORMATS:
        shown = f"'{path.suffix}'" if path.suffix else "no extension"
        known = ", ".join(f".{name}" for name in FIGURE_FORMATS)
        raise CliError(
            f"cannot write {path}: unknown figure format ({shown}); use {known}",
            ExitCode.USAGE,
        )
    return fmt


def _plotting() -> ModuleType:
    """`sigmoid.plotting`, or an error saying matplotlib is needed."""
    try:
        importlib.import_module("matplotlib")  # optional: imported only here
    except ImportError as exc:
        raise CliError(
            f"this command needs matplotlib ({exc}); install it with 'pip install sigmoid[plot]'",
            ExitCode.UNAVAILABLE,
        ) from None
    from sigmoid import plotting

    return plotting


def _write(figure: Figure, path: Path, fmt: str) -> None:
    import matplotlib

    # A fixed salt makes the SVG's element ids, and so the file, reproducible.
    with (
        atomic_output(path) as temporary,
        matplotlib.rc_context({"svg.hashsalt": "sigmoid"}),
    ):
        figure.savefig(temporary, format=fmt, metadata=_METADATA[fmt])


def _save(figure: Figure, path: Path, fmt: str) -> None:
    """Write the figure atomically, then say so."""
    _write(figure, path, fmt)
    print(f"wrote {path}")


def _x_range(values: Sequence[float]) -> tuple[float, float]:
    low, high = values
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise CliError(
            f"--range needs two finite numbers A < B, got {low:g} {high:g}",
            ExitCode.USAGE,
        )
    return low, high


def add_plot_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-o", "--output", default="sigmoid.png", metavar="FILE",
        help="the figure file: .png, .svg or .pdf (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--range", nargs=2, type=float, default=(-6.0, 6.0), metavar=("A", "B"),
        help="x from A to B in steps of 0.01 (default: -6 6)",
    )  # fmt: skip
    parser.add_argument("--no-derivative", action="store_true", help="draw σ only, without σ'")


def run_plot(args: argparse.Namespace) -> int:
    path = Path(args.output)
    fmt = figure_format(path)
    x_range = _x_range(args.range)
    lines = _plotting().plot_sigmoid(x_range=x_range, derivative=not args.no_derivative)
    _save(lines.sigmoid.figure, path, fmt)
    return ExitCode.OK


def seconds_per_element(
    function: Callable[[Any], Any],
    size: int = TIMING_SIZE,
    repeats: int = TIMING_REPEATS,
) -> float:
    """Median wall time of ``function(x)`` over `size` float64 values, per value."""
    x = np.linspace(-10.0, 10.0, size)
    function(x)  # warm up: caches, lazy imports, compiled kernels
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function(x)
        times.append(time.perf_counter() - start)
    return statistics.median(times) / size


def property_table(chosen: Sequence[activations.Activation], *, timing: bool) -> str:
    """The properties of `chosen` as an aligned text table, one row each."""
    header = ["activation", "range", "zero-centred", "max slope", "saturating"]
    if timing:
        header.append("ns/element")
    rows = [header]
    for act in chosen:
        row = [
            act.name,
            act.range_text,
            "yes" if act.zero_centred else "no",
            f"{act.max_slope:.5g}",
            "yes" if act.saturating else "no",
        ]
        if timing:
            row.append(f"{seconds_per_element(act.function) * 1e9:.2f}")
        rows.append(row)
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def add_compare_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "names", nargs="*", metavar="NAME",
        help="activations to compare (default: all of them)",
    )  # fmt: skip
    parser.add_argument(
        "-o", "--output", default="family.png", metavar="FILE",
        help="where to write the figure: png, svg or pdf (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument("--no-figure", action="store_true", help="print the table only")
    parser.add_argument("--no-timing", action="store_true", help="leave out the ns/element column")
    parser.add_argument(
        "--range", nargs=2, type=float, default=(-6.0, 6.0), metavar=("A", "B"),
        help="x from A to B in steps of 0.01 (default: -6 6)",
    )  # fmt: skip


def run_compare(args: argparse.Namespace) -> int:
    try:
        chosen = [activations.get(name) for name in args.names]
    except ValueError as exc:
        raise CliError(str(exc), ExitCode.USAGE) from None
    chosen = chosen or list(activations.ACTIVATIONS.values())
    path = Path(args.output)
    if not args.no_figure:  # check the command line before the slow part
        fmt = figure_format(path)
        x_range = _x_range(args.range)
        plotting = _plotting()
    table = property_table(chosen, timing=not args.no_timing)
    if not args.no_figure:  # before printing: an error leaves standard output empty
        names = [act.name for act in chosen]
        artists = plotting.plot_family(names, x_range=x_range)
        _write(next(iter(artists.functions.values())).figure, path, fmt)
    print(table)
    if not args.no_figure:
        print(f"wrote {path}")
    return ExitCode.OK
