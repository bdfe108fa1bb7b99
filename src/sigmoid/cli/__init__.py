"""The ``sigmoid`` command: evaluate the family on numbers and files, draw figures, experiment.

Each sub-command is a `Command`: its name, help, an example epilog, and where
the two functions live that add its arguments and run it. `COMMANDS` lists
them; a new sub-command (such as ``lab``) is one more entry. A command's
module is imported only when that command runs, so ``sigmoid eval 0`` loads
neither matplotlib nor the lab. `main` parses, runs, and turns every user
error, Ctrl-C and SIGTERM into one line on standard error and an
`ExitCode`, never a traceback.
Negative numbers in any float syntax (``-3e2``, ``-.5``, ``-inf``) are
values, never options.

Examples
--------
>>> main(["eval", "0", "1000", "-1e3"])
0.5
1.0
0.0
0
>>> main(["eval", "--function", "tanh", "--derivative", "0"])
1.0
0
"""

from __future__ import annotations

import argparse
import atexit
import gc
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sigmoid.cli._common import CliError, ExitCode, Terminated, sigterm_raises

__all__ = ["COMMANDS", "Command", "ExitCode", "build_parser", "main"]


def _load(target: str) -> Callable[..., Any]:
    """The function named by ``"module:function"``, importing its module."""
    module, _, name = target.partition(":")
    function: Callable[..., Any] = getattr(importlib.import_module(module), name)
    return function


@dataclass(frozen=True)
class Command:
    """One sub-command of ``sigmoid``; its functions are imported when it runs."""

    name: str
    help: str
    epilog: str
    #: ``"module:function"`` adding the command's arguments to its parser.
    arguments: str
    #: ``"module:function"`` running it on the parsed arguments, returning an exit code.
    runner: str

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        _load(self.arguments)(parser)

    def run(self, args: argparse.Namespace) -> int:
        return int(_load(self.runner)(args))


COMMANDS: tuple[Command, ...] = (
    Command(
        "eval",
        "evaluate a function of the family on numbers or files",
        """examples:
  sigmoid eval 0 1.5 -3e2             σ of three numbers
  sigmoid eval -f relu -d 2           the derivative of ReLU at 2
  sigmoid eval -f logit 0.1 0.5 0.9   logit, defined on [0, 1]
  seq -3 3 | sigmoid eval -f tanh     numbers from standard input, one per line
  sigmoid eval -i big.npy -o out.npy  streamed in chunks; same shape and dtype
  sigmoid eval -i data.csv --column score -o scored.csv
                                      every column of data.csv, then sigmoid(score)

Text and CSV are read as UTF-8, with or without a BOM; a .npy file is known by
its content, whatever its name. Results are written once all the input is read
and evaluated: a bad number, Ctrl-C or a kill prints nothing and leaves no
partial file.""",
        "sigmoid.cli._eval:add_eval_arguments",
        "sigmoid.cli._eval:run_eval",
    ),
    Command(
        "plot",
        "draw σ and its derivative (the classic figure)",
        """examples:
  sigmoid plot                       writes sigmoid.png
  sigmoid plot -o sigmoid.svg --range -10 10 --no-derivative""",
        "sigmoid.cli._figures:add_plot_arguments",
        "sigmoid.cli._figures:run_plot",
    ),
    Command(
        "compare",
        "compare activations: property table and figure",
        """examples:
  sigmoid compare                    all activations, writes family.png
  sigmoid compare sigmoid tanh relu -o family.pdf
  sigmoid compare --no-figure        the table only""",
        "sigmoid.cli._figures:add_compare_arguments",
        "sigmoid.cli._figures:run_compare",
    ),
    Command(
        "lab",
        "experiments: vanishing gradients, training per activation, a classifier",
        """examples:
  sigmoid lab vanishing              gradient norm per layer, writes lab_vanishing.png
  sigmoid lab vanishing --depth 20 --activations sigmoid,tanh,relu,gelu
  sigmoid lab train --seed 1         sigmoid vs tanh vs ReLU on breast-cancer data
  sigmoid lab classify               logistic regression beside scikit-learn's
  sigmoid lab classify --csv data.csv --label outcome -o fit.svg""",
        "sigmoid.lab.cli:add_lab_arguments",
        "sigmoid.lab.cli:run_lab",
    ),
)


def _is_negative_number(text: str) -> bool:
    if not text.startswith("-"):
        return False
    try:
        float(text)
    except ValueError:
        return False
    return True


class _Parser(argparse.ArgumentParser):
    """argparse, reading every negative number as a value, not only ``-3`` and ``-.5``.

    Plain argparse takes ``-3e2`` and ``-1E-5`` for unknown options and ``-inf``
    for ``-i nf``. No option of ``sigmoid`` looks like a number, so nothing is lost.
    """

    def _parse_optional(self, arg_string: str) -> Any:
        if _is_negative_number(arg_string):
            return None  # a positional argument, or an option's value
        return super()._parse_optional(arg_string)


def _version() -> str:
    from importlib import metadata  # only for --version: it takes 20-50 ms to import

    try:
        return metadata.version("sigmoid")
    except metadata.PackageNotFoundError:  # running from a source tree
        from sigmoid import __version__

        return __version__


class _VersionAction(argparse.Action):
    """``--version``, looking the version up only when asked for it."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        print(f"{parser.prog} {_version()}")
        parser.exit()


def build_parser(
    commands: Sequence[Command] = COMMANDS, *, chosen: str | None = None
) -> argparse.ArgumentParser:
    """The argument parser with one sub-parser per command.

    With `chosen`, only the command of that name gets its arguments (and its
    module imported): the others need only their name and help, for
    ``sigmoid --help``.
    """
    parser = _Parser(
        prog="sigmoid",
        description="The logistic sigmoid family: evaluate it, draw it, compare it.",
        epilog="Run 'sigmoid COMMAND --help' for a command's options and examples.",
    )
    parser.add_argument(
        "--version", action=_VersionAction, help="show the program's version and exit"
    )
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for command in commands:
        sub = subparsers.add_parser(
            command.name,
            help=command.help,
            description=command.help[0].upper() + command.help[1:] + ".",
            epilog=command.epilog,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        if chosen is None or command.name == chosen:
            command.add_arguments(sub)
        sub.set_defaults(run=command.run)
    return parser


def _fail(message: str, code: ExitCode) -> int:
    print(f"sigmoid: error: {message}", file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``sigmoid`` with `argv` (default: ``sys.argv[1:]``); return the exit code."""
    if argv is None:  # run as the program
        # Finalising the interpreter runs garbage collections over the ~10^5
        # objects numba makes: 1.06 s of 3.4 s for `sigmoid eval 0` on a loaded
        # 2-core machine, 0.09 s with them frozen. The OS takes the memory back.
        atexit.register(gc.freeze)
    arguments = sys.argv[1:] if argv is None else list(argv)
    # The command is the first word: the options before it (--help, --version) take no value.
    chosen = next((word for word in arguments if not word.startswith("-")), "")
    parser = build_parser(chosen=chosen)
    try:
        args = parser.parse_args(arguments)
    except SystemExit as exc:  # --help, --version, or a usage error already printed
        return exc.code if isinstance(exc.code, int) else ExitCode.USAGE
    if not hasattr(args, "run"):
        parser.print_usage(sys.stderr)
        names = ", ".join(command.name for command in COMMANDS)
        return _fail(f"choose a command: {names}", ExitCode.USAGE)
    try:
        with sigterm_raises():  # so that SIGTERM, like Ctrl-C, leaves no temporary file
            return int(args.run(args))
    except CliError as exc:
        return _fail(exc.message, exc.code)
    except KeyboardInterrupt:
        return _fail("interrupted", ExitCode.INTERRUPTED)
    except Terminated:
        return _fail("terminated", ExitCode.TERMINATED)
    except BrokenPipeError:  # the reader went away (`sigmoid eval ... | head`)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # no second error when Python exits
        return ExitCode.OK
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        return _fail(f"{where}{exc.strerror or exc}", ExitCode.IO_ERROR)
