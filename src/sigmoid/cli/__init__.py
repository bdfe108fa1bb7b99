"""The ``sigmoid`` command: evaluate the family on numbers and files, draw figures, experiment.

Each sub-command is a `Command`: its name, help, an example epilog, a function
that adds its arguments and a function that runs it. `COMMANDS` lists them; a
new sub-command (such as ``lab``) is one more entry. `main` parses,
runs, and turns every user error into one line on standard error and an
`ExitCode`, never a traceback.

Examples
--------
>>> main(["eval", "0", "1000"])
0.5
1.0
0
>>> main(["eval", "--function", "tanh", "--derivative", "0"])
1.0
0
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata

from sigmoid.cli import _eval, _figures
from sigmoid.cli._common import CliError, ExitCode
from sigmoid.lab import cli as _cli_lab

__all__ = ["COMMANDS", "Command", "ExitCode", "build_parser", "main"]


@dataclass(frozen=True)
class Command:
    """One sub-command of ``sigmoid``."""

    name: str
    help: str
    epilog: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


COMMANDS: tuple[Command, ...] = (
    Command(
        "eval",
        "evaluate a function of the family on numbers or files",
        """examples:
  sigmoid eval 0 1.5 -- -3          σ of three numbers (-- before negatives like -3e2)
  sigmoid eval -f relu -d 2         the derivative of ReLU at 2
  seq 1 5 | sigmoid eval -f logit   numbers from standard input
  sigmoid eval -i big.npy -o out.npy          streamed in chunks
  sigmoid eval -i data.csv --column score -o scored.csv""",
        _eval.add_eval_arguments,
        _eval.run_eval,
    ),
    Command(
        "plot",
        "draw σ and its derivative (the classic figure)",
        """examples:
  sigmoid plot                       writes sigmoid.png
  sigmoid plot -o sigmoid.svg --range -10 10 --no-derivative""",
        _figures.add_plot_arguments,
        _figures.run_plot,
    ),
    Command(
        "compare",
        "compare activations: property table and figure",
        """examples:
  sigmoid compare                    all activations, writes family.png
  sigmoid compare sigmoid tanh relu -o family.pdf
  sigmoid compare --no-figure        the table only""",
        _figures.add_compare_arguments,
        _figures.run_compare,
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
        _cli_lab.add_lab_arguments,
        _cli_lab.run_lab,
    ),
)


def _version() -> str:
    try:
        return metadata.version("sigmoid")
    except metadata.PackageNotFoundError:  # running from a source tree
        from sigmoid import __version__

        return __version__


def build_parser(commands: Sequence[Command] = COMMANDS) -> argparse.ArgumentParser:
    """The argument parser with one sub-parser per command."""
    parser = argparse.ArgumentParser(
        prog="sigmoid",
        description="The logistic sigmoid family: evaluate it, draw it, compare it.",
        epilog="Run 'sigmoid COMMAND --help' for a command's options and examples.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for command in commands:
        sub = subparsers.add_parser(
            command.name,
            help=command.help,
            description=command.help[0].upper() + command.help[1:] + ".",
            epilog=command.epilog,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        command.add_arguments(sub)
        sub.set_defaults(run=command.run)
    return parser


def _fail(message: str, code: ExitCode) -> int:
    print(f"sigmoid: error: {message}", file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``sigmoid`` with `argv` (default: ``sys.argv[1:]``); return the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error already printed
        return exc.code if isinstance(exc.code, int) else ExitCode.USAGE
    if not hasattr(args, "run"):
        parser.print_usage(sys.stderr)
        names = ", ".join(command.name for command in COMMANDS)
        return _fail(f"choose a command: {names}", ExitCode.USAGE)
    try:
        return int(args.run(args))
    except CliError as exc:
        return _fail(exc.message, exc.code)
    except KeyboardInterrupt:
        return _fail("interrupted", ExitCode.INTERRUPTED)
    except BrokenPipeError:  # the reader went away (`sigmoid eval ... | head`)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # no second error when Python exits
        return ExitCode.OK
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        return _fail(f"{where}{exc.strerror or exc}", ExitCode.IO_ERROR)
