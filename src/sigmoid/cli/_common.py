"""What the sub-commands of ``sigmoid`` share: exit codes, errors, SIGTERM."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from enum import IntEnum
from pathlib import Path
from types import FrameType

__all__ = ["CliError", "ExitCode", "Terminated", "check_input_file", "sigterm_raises"]


class ExitCode(IntEnum):
    """Exit statuses of ``sigmoid``; the codes above 64 are those of BSD sysexits.h."""

    OK = 0
    #: A bad command line: unknown option, function or figure format (argparse's code).
    USAGE = 2
    #: The input holds something that is not a real number, or is not UTF-8 text.
    DATA_ERROR = 65
    #: An input file is missing, a directory, or unreadable.
    NO_INPUT = 66
    #: An optional dependency the command needs (matplotlib) is not installed.
    UNAVAILABLE = 69
    #: The output file cannot be created.
    CANT_CREATE = 73
    #: Reading or writing failed midway (disk full, device error).
    IO_ERROR = 74
    #: Interrupted by Ctrl-C (SIGINT): 128 + 2, as the shell reports a signal.
    INTERRUPTED = 130
    #: Stopped by SIGTERM (kill, timeout, a job scheduler): 128 + 15.
    TERMINATED = 143


class CliError(Exception):
    """A user error: printed as one line on standard error, exit with `code`."""

    def __init__(self, message: str, code: ExitCode) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class Terminated(BaseException):
    """SIGTERM arrived: like KeyboardInterrupt, it unwinds through every cleanup."""


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    signal.signal(signum, signal.SIG_DFL)  # a second SIGTERM ends the process at once
    raise Terminated


@contextmanager
def sigterm_raises() -> Iterator[None]:
    """While the block runs, SIGTERM raises `Terminated` in the main thread.

    Python's default for SIGTERM is to die on the spot, skipping every
    ``finally``. A handler set by whoever runs us (``SIG_IGN`` under nohup,
    a program calling `main`) is left as it is, and so is the default
    outside the main thread, where handlers cannot be set.
    """
    try:
        ours = signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
        if ours:
            signal.signal(signal.SIGTERM, _raise_terminated)
    except ValueError:  # not the main thread
        ours = False
    try:
        yield
    finally:
        if ours:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)


def check_input_file(path: Path) -> None:
    """Raise a `CliError` unless `path` is an existing regular file."""
    if path.is_dir():
        raise CliError(f"cannot read {path}: it is a directory", ExitCode.NO_INPUT)
    if not path.exists():
        raise CliError(f"cannot read {path}: no such file", ExitCode.NO_INPUT)
