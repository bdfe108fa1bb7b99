"""The ``eval`` sub-command: one function of the family over many numbers.

Numbers come from the arguments, standard input or a file: plain text (one
number per line), CSV (a header row, then ``--column NAME``) or ``.npy``,
known by its first bytes whatever its name; text is UTF-8, with or without a
BOM. Results go to standard output or to a file whose extension picks the kind.
CSV output keeps every input column, in order, and appends the result
column, named like ``sigmoid(score)`` unless ``--name`` says otherwise.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Literal

import numpy as np

from sigmoid import _api, _rounded, activations
from sigmoid._engine import TINY
from sigmoid._family import FAMILY
from sigmoid._validate import as_float_array
from sigmoid.cli import _io
from sigmoid.cli._common import CliError, ExitCode, check_input_file
from sigmoid.cli._io import ArrayFunction
from sigmoid.cli._text import decoded_lines

__all__ = [
    "add_eval_arguments",
    "canonical_name",
    "correctly_rounded_twin",
    "function_names",
    "resolve",
    "run_eval",
]

DEFAULT_CHUNK_SIZE = 1 << 20


def _log_sigmoid_derivative(x: Any) -> Any:
    # d/dx log σ(x) = 1 - σ(x) = σ(-x); a Python float stays one (see _evaluate).
    return _api.sigmoid(-x if isinstance(x, float) else -as_float_array(x))


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


def canonical_name(name: str) -> str:
    """The name `name` stands for (``Log-Sigmoid`` is ``log_sigmoid``), or a usage error."""
    key = name.strip().lower().replace("-", "_")
    if key in _EXTRA:
        return key
    try:
        return activations.get(name).name
    except ValueError:
        known = ", ".join(function_names())
        raise CliError(f"unknown function {name!r}; known: {known}", ExitCode.USAGE) from None


def resolve(name: str, derivative: bool) -> ArrayFunction:
    """The function called `name` (or its derivative), or a usage error."""
    key = canonical_name(name)
    if key in _EXTRA:
        function, slope = _EXTRA[key]
    else:
        act = activations.ACTIVATIONS[key]
        function, slope = act.function, act.derivative
    return slope if derivative else function


def correctly_rounded_twin(name: str, derivative: bool) -> Callable[[float], float] | None:
    """The function called `name` (or its derivative) as `sigmoid._rounded` computes it.

    Only where the family's float64 kernel is correctly rounded, so that the
    two give the same values (None elsewhere): then a few numbers need no
    numba, which takes about a second to load the kernel from its cache.
    """
    function = FAMILY.get(canonical_name(name))
    flip = False
    if function is not None and derivative:
        flip = function.flip  # d/dx log σ(x) = σ(-x)
        function = FAMILY[function.derivative] if function.derivative else None
    if function is None or not _rounded.kernel_is_exact(function):
        return None
    rounded = functools.partial(_rounded.correctly_rounded, function)
    return (lambda x: rounded(-x)) if flip else rounded


def add_eval_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "values", nargs="*", metavar="VALUE",
        help="numbers to evaluate, negative ones too (default: read -i FILE or standard input)",
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
        help="the CSV column to evaluate (needed when there are several); CSV output "
        "keeps every column, in order, and appends the result",
    )  # fmt: skip
    parser.add_argument(
        "--name", metavar="NAME",
        help="the result's column in CSV output (default: FUNCTION(COLUMN), "
        "e.g. sigmoid(score), or sigmoid'(score) with -d)",
    )  # fmt: skip
    parser.add_argument(
        "--chunk-size", type=int, default=DEFAULT_CHUNK_SIZE, metavar="N",
        help="numbers evaluated at a time (default: %(default)s)",
    )  # fmt: skip


#: Where the numbers come from.
Source = Literal["arguments", "npy", "csv", "text"]


def _source_kind(args: argparse.Namespace) -> Source:
    """What the numbers are read from; a .npy file is known by its first bytes."""
    if args.values:
        return "arguments"
    if args.input is not None and (
        args.input.lower().endswith(".npy") or _io.is_npy(Path(args.input))
    ):
        return "npy"
    if args.column is not None or (args.input or "").lower().endswith(".csv"):
        return "csv"
    return "text"


def _writes_csv(args: argparse.Namespace, kind: Source) -> bool:
    if args.output not in (None, "-"):
        return bool(args.output.lower().endswith(".csv"))
    return kind == "csv"


def _check_arguments(args: argparse.Namespace, kind: Source) -> None:
    problem = None
    if args.chunk_size < 1:
        problem = "--chunk-size must be at least 1"
    elif args.values and args.input:
        problem = "give numbers as arguments or with --input, not both"
    elif args.column is not None and kind == "npy":
        problem = f"--column applies to CSV input, not .npy: {args.input} is a .npy file"
    elif args.column is not None and args.values:
        problem = "--column applies to CSV input, not to numbers given as arguments"
    elif args.name is not None and not _writes_csv(args, kind):
        problem = "--name names the result column of CSV output (CSV input or -o FILE.csv)"
    elif args.name is not None and not args.name.strip():
        problem = "--name needs a column name"
    elif not (args.values or args.input) and sys.stdin.isatty():
        problem = "no numbers: give them as arguments, with --input, or on standard input"
    if problem:
        raise CliError(problem, ExitCode.USAGE)


def _evaluate(
    function: ArrayFunction, x: np.ndarray, twin: Callable[[float], float] | None = None
) -> np.ndarray:
    """function(x) for float64 `x`; a few numbers go one by one, as Python floats.

    At most `TINY` numbers go to `twin` (`correctly_rounded_twin`, no numba,
    the same values) if there is one, else to `function` one Python float at a
    time: the engine takes a Python float through the compiled scalar
    function, which loads from numba's cache in a fraction of the ufunc's time.
    """
    if x.size <= TINY:
        one = twin or function
        return np.array([one(value) for value in x.tolist()], dtype=np.float64)
    return np.asarray(function(x))


def _data_error(message: str) -> CliError:
    return CliError(message, ExitCode.DATA_ERROR)


def _lines(source: Path | None, stack: ExitStack) -> tuple[Iterator[str], str]:
    """The lines of `source` (standard input if None) and the name to show in errors."""
    if source is None:
        binary = getattr(sys.stdin, "buffer", None)
        if binary is None:  # a text stream put in its place: already decoded
            return iter(sys.stdin), "<stdin>"
        return decoded_lines(binary, "<stdin>", error=_data_error), "<stdin>"
    stream = stack.enter_context(source.open("rb"))
    return decoded_lines(stream, str(source), error=_data_error), str(source)


Chunks = Iterator[tuple[np.ndarray, list[list[str]] | None]]


def _read(
    args: argparse.Namespace, kind: Source, source: Path | None, label: str, stack: ExitStack
) -> tuple[Chunks, list[str]]:
    """The numbers in chunks, with their CSV rows if any, and the CSV output's header."""
    if kind == "arguments":
        where = (f"argument {i}" for i in range(1, len(args.values) + 1))
        numbers = _io.chunks(map(_io.number, args.values, where), args.chunk_size)
        return ((x, None) for x in numbers), ["x", args.name or f"{label}(x)"]
    lines, name = _lines(source, stack)
    if kind == "text":
        numbers = _io.chunks(_io.text_values(lines, name), args.chunk_size)
        return ((x, None) for x in numbers), ["x", args.name or f"{label}(x)"]
    from sigmoid.cli import _csv  # the csv module only for CSV

    table = _csv.read_table(lines, name, args.column, args.chunk_size)
    result = args.name or f"{label}({table.column})"
    if result in (cell.strip() for cell in table.header):
        message = f"{name} already has a column {result!r}: choose another with --name"
        raise CliError(message, ExitCode.USAGE)
    return table.chunks, [*table.header, result]


def run_eval(args: argparse.Namespace) -> int:
    kind = _source_kind(args)
    _check_arguments(args, kind)
    function = resolve(args.function, args.derivative)
    twin = correctly_rounded_twin(args.function, args.derivative)
    name = canonical_name(args.function)
    label = f"{name}'" if args.derivative else name
    source = None if args.input is None else Path(args.input)
    output = None if args.output in (None, "-") else Path(args.output)
    if source is not None:
        check_input_file(source)
    if kind == "npy" and source is not None:
        header = ["x", args.name or f"{label}(x)"]
        _io.eval_npy(source, function, output, chunk_size=args.chunk_size, header=header)
        return ExitCode.OK
    with ExitStack() as stack:
        chunks, header = _read(args, kind, source, label, stack)
        evaluated = ((x, _evaluate(function, x, twin), rows) for x, rows in chunks)
        _io.write_results(evaluated, output, header=header, csv_input=kind == "csv")
    return ExitCode.OK
