"""The ``eval`` sub-command: one function of the family over many numbers.

Numbers come from the arguments, standard input or a file: plain text (one
number per line), CSV (a header row, then ``--column NAME``) or ``.npy``;
results go to standard output or to a file whose extension picks the kind.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from sigmoid import _api, activations
from sigmoid._validate import as_float_array
from sigmoid.cli import _io
from sigmoid.cli._common import CliError, ExitCode, check_input_file
from sigmoid.cli._io import ArrayFunction

__all__ = ["add_eval_arguments", "function_names", "resolve", "run_eval"]

DEFAULT_CHUNK_SIZE = 1 << 20


def _log_sigmoid_derivative(x: Any) -> Any:
    return _api.sigmoid(-as_float_array(x))  # d/dx log σ(x) = 1 - σ(x) = σ(-x)


def _logit_derivative(p: Any) -> Any:
    arr = as_float_array(p)
    with np.errstate(all="ignore"):  # 1/0 = inf at p = 0 and 1 is the answer
        slope = 1.0 / (arr * (1.0 - arr))
    slope = np.where((arr < 0) | (arr > 1), np.nan, slope)  # outside logit's domain
    return slope[()] if slope.ndim == 0 else slope


# Functions of the family that are not activations: (function, derivative).
_EXTRA: dict[str, tuple[ArrayFunction, ArrayFunction]] = {
    "logit": (_api.logit, _logit_derivative),
    "log_sigmoid": (_api.log_sigmoid, _log_sigmoid_derivative),
}


def function_names() -> list[str]:
    """Every name ``--function`` accepts."""
    return [*activations.ACTIVATIONS, *_EXTRA]


def resolve(name: str, derivative: bool) -> ArrayFunction:
    """The function called `name` (or its derivative), or a usage error."""
    key = name.strip().lower().replace("-", "_")
    if key in _EXTRA:
        function, slope = _EXTRA[key]
    else:
        try:
            act = activations.get(name)
        except ValueError:
            known = ", ".join(function_names())
            message = f"unknown function {name!r}; known: {known}"
            raise CliError(message, ExitCode.USAGE) from None
        function, slope = act.function, act.derivative
    return slope if derivative else function


def add_eval_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "values", nargs="*", metavar="VALUE",
        help="numbers to evaluate (default: read -i FILE or standard input)",
    )  # fmt: skip
    parser.add_argument(
        "-f", "--function", default="sigmoid", metavar="NAME",
        help=f"one of {', '.join(function_names())} (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "-d", "--derivative", action="store_true",
        help="evaluate the function's derivative instead",
    )  # fmt: skip
    parser.add_argument(
        "-i", "--input", metavar="FILE",
        help="read numbers from FILE: .npy, .csv (see --column) or text",
    )  # fmt: skip
    parser.add_argument(
        "-o", "--output", metavar="FILE",
        help="write to FILE (.npy, .csv or text) instead of standard output",
    )  # fmt: skip
    parser.add_argument(
        "--column", metavar="NAME",
        help="the CSV column to read (needed when there are several)",
    )  # fmt: skip
    parser.add_argument(
        "--chunk-size", type=int, default=DEFAULT_CHUNK_SIZE, metavar="N",
        help="numbers evaluated at a time (default: %(default)s)",
    )  # fmt: skip


def _check_arguments(args: argparse.Namespace) -> None:
    problem = None
    if args.chunk_size < 1:
        problem = "--chunk-size must be at least 1"
    elif args.values and args.input:
        problem = "give numbers as arguments or with --input, not both"
    elif args.column and args.input and args.input.lower().endswith(".npy"):
        problem = "--column applies to CSV input, not .npy"
    elif not (args.values or args.input) and sys.stdin.isatty():
        problem = "no numbers: give them as arguments, with --input, or on standard input"
    if problem:
        raise CliError(problem, ExitCode.USAGE)


def _values(
    args: argparse.Namespace, source: Path | None, stack: ExitStack
) -> tuple[str | None, Iterator[float]]:
    """The CSV column read (None for text) and the numbers, parsed lazily."""
    if args.values:
        where = (f"argument {i}" for i in range(1, len(args.values) + 1))
        return None, map(_io.number, args.values, where)
    lines: TextIO = sys.stdin
    name = "<stdin>"
    is_csv = args.column is not None
    if source is not None:
        is_csv = is_csv or source.suffix.lower() == ".csv"
        newline = "" if is_csv else None  # the csv module handles line ends itself
        lines = stack.enter_context(source.open(encoding="utf-8", newline=newline))
        name = str(source)
    if is_csv:
        return _io.csv_values(lines, name, args.column)
    return None, _io.text_values(lines, name)


def run_eval(args: argparse.Namespace) -> int:
    _check_arguments(args)
    function = resolve(args.function, args.derivative)
    source = None if args.input is None else Path(args.input)
    output = None if args.output in (None, "-") else Path(args.output)
    result_name = f"{args.function}'" if args.derivative else args.function
    if source is not None:
        check_input_file(source)
        if source.suffix.lower() == ".npy":
            names = ("x", result_name)
            _io.eval_npy(source, function, output, chunk_size=args.chunk_size, names=names)
            return ExitCode.OK
    with ExitStack() as stack:
        column, values = _values(args, source, stack)
        names = (column or "x", result_name)
        chunks = _io.chunks(values, args.chunk_size)
        pairs = ((x, np.asarray(function(x))) for x in chunks)
        try:
            if output is None:  # CSV in, CSV out; otherwise results, one per line
                _io.write_stream(pairs, sys.stdout, names if column else None)
            else:
                _io.write_file(pairs, output, names)
        except UnicodeDecodeError:
            message = f"cannot read {source}: not UTF-8 text"
            raise CliError(message, ExitCode.DATA_ERROR) from None
    return ExitCode.OK
