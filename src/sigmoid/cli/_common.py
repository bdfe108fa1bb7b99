"""What the sub-commands of ``sigmoid`` share: exit codes, errors, output files."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from enum import IntEnum
from pathlib import Path

__all__ = ["CliError", "ExitCode", "atomic_output", "check_input_file"]


class ExitCode(IntEnum):
    """Exit statuses of ``sigmoid``; the codes above 64 are those of BSD sysexits.h."""

    OK = 0
    #: A bad command line: unknown option, function or figure format (argparse's code).
    USAGE = 2
    #: The input holds something that is not a real number.
    DATA_ERROR = 65
    #: An input file is missing, a directory, or unreadable.
    NO_INPUT = 66
    #: An optional dependency the command needs (matplotlib) is not installed.
    UNAVAILABLE = 69
    #: The output file cannot be created.
    CANT_CREATE = 73
    #: Reading or writing failed midway (disk full, device error).
    IO_ERROR = 74
    #: Interrupted by Ctrl-C.
    INTERRUPTED = 130


class CliError(Exception):
    """A user error: printed as one line on standard error, exit with `code`."""

    def __init__(self, message: str, code: ExitCode) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def check_input_file(path: Path) -> None:
    """Raise a `CliError` unless `path` is an existing regular file."""
    if path.is_dir():
        raise CliError(f"cannot read {path}: it is a directory", ExitCode.NO_INPUT)
    if not path.exists():
        raise CliError(f"cannot read {path}: no such file", ExitCode.NO_INPUT)


def _cannot_write(path: Path, exc: OSError) -> CliError:
    directory = path.parent
    if isinstance(exc, FileNotFoundError):
        reason = f"directory {directory} does not exist"
    elif isinstance(exc, NotADirectoryError):
        reason = f"{directory} is not a directory"
    elif isinstance(exc, PermissionError):
        reason = f"permission denied in {directory}"
    else:
        reason = exc.strerror or str(exc)
    return CliError(f"cannot write {path}: {reason}", ExitCode.CANT_CREATE)


def _file_mode() -> int:
    """The mode a plain ``open(path, "w")`` would give: 0o666 less the umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextmanager
def atomic_output(path: Path) -> Iterator[Path]:
    """Yield a temporary file beside `path` that replaces `path` only on success.

    The temporary file lives in the destination directory, so the final
    ``os.replace`` is atomic: readers see the old file or the complete new
    one, and a failure (an exception, Ctrl-C) leaves no partial file behind.
    """
    if path.is_dir():
        raise CliError(f"cannot write {path}: it is a directory", ExitCode.CANT_CREATE)
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    os.close(fd)
    temporary = Path(name)
    try:
        yield temporary
        os.chmod(temporary, _file_mode())  # mkstemp creates it 0o600
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
