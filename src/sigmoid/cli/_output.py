"""Output files that appear complete or not at all, however the process ends.

On Linux the content is written to an unnamed file (``O_TMPFILE``) in the
destination directory and linked into place once complete: the kernel frees
an unnamed file when the process ends, so even SIGKILL leaves nothing behind.
Elsewhere (another OS, a file system without ``O_TMPFILE``: NFS, FAT) it is
written to a hidden ``.NAME.sigmoid-XXXXXXXX.part`` beside the output and
renamed into place: an error, Ctrl-C or SIGTERM removes it, and one that a
killed run left behind is removed by the next run that writes NAME.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from sigmoid.cli._common import CliError, ExitCode

__all__ = ["atomic_output"]

# A temporary is .NAME<_MARK>XXXXXXXX.part, XXXXXXXX as tempfile.mkstemp makes them.
_MARK = ".sigmoid-"
_SUFFIX = ".part"
_RANDOM = re.compile(r"[a-z0-9_]{8}")
# A temporary younger than this is never taken for stale: its run may not hold
# its lock yet (see `_lock`), and mtimes on a network file system may lag.
_STALE_AFTER = 60.0  # seconds


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


def _lock(fd: int) -> None:
    """Hold an exclusive lock on `fd` until it is closed: the mark of a live writer.

    The kernel drops a lock when its holder dies, however it dies, so a
    temporary nobody holds belongs to no running process. Without locks
    (Windows, some file systems) nothing is held, and `_remove_stale` cannot
    remove what it cannot lock.
    """
    try:
        import fcntl
    except ImportError:  # Windows: an open file cannot be removed there anyway
        return
    with suppress(OSError):
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def _nobody_holds(path: str) -> bool:
    """Whether no process holds the lock of the file `path` (see `_lock`)."""
    try:
        import fcntl
    except ImportError:  # Windows: os.unlink refuses a file its writer has open
        return True
    with open(path, "rb") as stream:
        try:
            fcntl.flock(stream, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # held by a live writer, or no locks here: keep it
            return False
    return True


def _remove_stale(path: Path) -> None:
    """Remove the temporaries that killed runs left while writing `path`.

    One is ours by its name, stale when it is at least a minute old and no
    process holds its lock. Anything else is left alone: another program's
    file, a live run's temporary, one we cannot tell.
    """
    prefix = f".{path.name}{_MARK}"
    try:
        entries = list(os.scandir(path.parent))
    except OSError:  # no such directory: the error comes when the output is created
        return
    now = time.time()
    for entry in entries:
        name = entry.name
        if not (name.startswith(prefix) and name.endswith(_SUFFIX)):
            continue
        if not _RANDOM.fullmatch(name[len(prefix) : -len(_SUFFIX)]):
            continue
        with suppress(OSError):  # gone already, in use (Windows), not ours to remove
            if not entry.is_file(follow_symlinks=False):
                continue
            if now - entry.stat(follow_symlinks=False).st_mtime < _STALE_AFTER:
                continue
            if _nobody_holds(entry.path):
                os.unlink(entry.path)


def _open_unnamed(directory: Path) -> int | None:
    """An unnamed file in `directory` open for writing, or None where there are none."""
    flag = getattr(os, "O_TMPFILE", None)
    if flag is None:
        return None
    try:
        fd = os.open(directory, flag | os.O_RDWR, 0o600)  # writable through /proc, any umask
    except OSError:  # no O_TMPFILE on this file system: the fallback reports real errors
        return None
    if not os.path.exists(f"/proc/self/fd/{fd}"):  # linking it needs /proc
        os.close(fd)
        return None
    return fd


def _link(fd: int, path: Path) -> None:
    """Give the unnamed file `fd` the name `path`, replacing any file of that name at once."""
    source = f"/proc/self/fd/{fd}"
    directory = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    # A dst_dir_fd makes os.link call linkat(AT_SYMLINK_FOLLOW): without one,
    # Python before 3.13 calls link(), which links the /proc symlink itself.
    try:
        try:
            os.link(source, path.name, dst_dir_fd=directory, follow_symlinks=True)
            return
        except FileExistsError:
            pass  # link() never replaces: link under a temporary name, rename that
        for attempt in range(100):  # as mkstemp: another name when one is taken
            name = f".{path.name}{_MARK}{os.urandom(4).hex()}{_SUFFIX}"
            try:
                os.link(source, name, dst_dir_fd=directory, follow_symlinks=True)
                break
            except FileExistsError:
                if attempt == 99:
                    raise
        try:
            os.replace(name, path.name, src_dir_fd=directory, dst_dir_fd=directory)
        except BaseException:
            os.unlink(name, dir_fd=directory)
            raise
    finally:
        os.close(directory)


@contextmanager
def _unnamed_output(fd: int, path: Path) -> Iterator[Path]:
    try:
        _lock(fd)  # the file has a temporary name for a moment in `_link`
        yield Path(f"/proc/self/fd/{fd}")  # the file itself, for code that opens paths
        os.fchmod(fd, _file_mode())
        try:
            _link(fd, path)
        except OSError as exc:
            raise _cannot_write(path, exc) from None
    finally:
        os.close(fd)  # before completion: the kernel frees the file


@contextmanager
def _named_output(path: Path) -> Iterator[Path]:
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}{_MARK}", suffix=_SUFFIX, dir=path.parent)
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    temporary = Path(name)
    try:
        _lock(fd)
        yield temporary
        os.chmod(temporary, _file_mode())  # mkstemp creates it 0o600
    except BaseException:
        os.close(fd)
        temporary.unlink(missing_ok=True)
        raise
    os.close(fd)  # before the rename, which Windows refuses for an open file
    try:
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


@contextmanager
def atomic_output(path: Path) -> Iterator[Path]:
    """Yield a path to write `path`'s new content to; it becomes `path` only on success.

    Readers see the old file or the complete new one, never a part. Whatever
    ends the process midway, an exception, Ctrl-C, SIGTERM or (on Linux)
    SIGKILL, it leaves nothing behind (see the module's docstring).
    """
    if path.is_dir():
        raise CliError(f"cannot write {path}: it is a directory", ExitCode.CANT_CREATE)
    _remove_stale(path)
    fd = _open_unnamed(path.parent)
    output = _named_output(path) if fd is None else _unnamed_output(fd, path)
    with output as temporary:
        yield temporary
