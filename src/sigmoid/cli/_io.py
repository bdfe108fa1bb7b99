"""Reading numbers and writing results for ``sigmoid eval``, chunk by chunk.

Text is parsed in chunks (CSV in `sigmoid.cli._csv`, imported only for CSV);
a ``.npy`` file is memory-mapped and evaluated chunk by chunk into a
memory-mapped result, so memory stays flat however large the file.

Results reach their destination only once all the input has been read and
evaluated: files through `atomic_output`, standard output through
`held_stdout`. A bad line midway prints nothing and leaves no partial file.
"""

from __future__ import annotations

import importlib
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal, TextIO

import numpy as np

from sigmoid.cli._common import CliError, ExitCode
from sigmoid.cli._output import atomic_output
from sigmoid.cli._text import NPY_MAGIC

__all__ = [
    "Evaluated",
    "chunks",
    "eval_npy",
    "format_values",
    "held_stdout",
    "is_npy",
    "number",
    "text_values",
    "write_results",
]

ArrayFunction = Callable[[Any], Any]
#: Chunks of (x, f(x), the CSV rows x was read from, or None for plain numbers).
Evaluated = Iterable[tuple[np.ndarray, np.ndarray, list[list[str]] | None]]

# Standard output is held in memory up to this size, then in a temporary file.
_HELD_IN_MEMORY = 1 << 24


def number(text: str, where: str) -> float:
    """`text` as a float, or a data error naming `where` it was found."""
    try:
        return float(text)
    except ValueError:
        message = f"{where}: {text.strip()!r} is not a number"
        raise CliError(message, ExitCode.DATA_ERROR) from None


def text_values(lines: Iterable[str], source: str) -> Iterator[float]:
    """The numbers of a text with one number per line."""
    for line_number, line in enumerate(lines, start=1):
        if line.strip():  # blank lines, such as a final one, are skipped
            yield number(line, f"{source}, line {line_number}")


def chunks(values: Iterable[float], size: int) -> Iterator[np.ndarray]:
    """`values` as float64 arrays of `size` numbers (the last one shorter)."""
    buffer: list[float] = []
    for value in values:
        buffer.append(value)
        if len(buffer) == size:
            yield np.array(buffer)
            buffer = []
    if buffer:
        yield np.array(buffer)


def format_values(values: np.ndarray) -> list[str]:
    """Shortest strings that read back to the same values in their dtype."""
    if values.dtype == np.float64:
        return [repr(value) for value in values.tolist()]
    return [str(value) for value in values]


def _write_text(evaluated: Evaluated, stream: TextIO) -> None:
    for _, y, _ in evaluated:
        stream.writelines(f"{text}\n" for text in format_values(y))


def _write_csv(evaluated: Evaluated, stream: TextIO, header: Sequence[str]) -> None:
    from sigmoid.cli import _csv  # the csv module only when CSV is written

    _csv.write_table(evaluated, stream, header)


@contextmanager
def held_stdout() -> Iterator[TextIO]:
    """A stream copied to standard output when the block ends without an error.

    Until then nothing is printed, so an error midway (a bad line, Ctrl-C)
    leaves standard output empty. Large outputs wait in a temporary file.
    """
    with tempfile.SpooledTemporaryFile(
        _HELD_IN_MEMORY, mode="w+", encoding="utf-8", newline=""
    ) as held:
        yield held  # type: ignore[misc]  # a text-mode spool is a TextIO
        held.seek(0)
        shutil.copyfileobj(held, sys.stdout)


def write_results(
    evaluated: Evaluated, output: Path | None, *, header: Sequence[str], csv_input: bool
) -> None:
    """Write the results once they are all computed; the kind follows `output`.

    Standard output (`output` None) gets CSV for CSV input, else one result
    per line; a file gets what its extension names: ``.npy`` (the results),
    ``.csv`` or text. CSV has the columns `header`: every input column and
    the result, or x and the result.
    """
    if output is None:
        with held_stdout() as stream:
            if csv_input:
                _write_csv(evaluated, stream, header)
            else:
                _write_text(evaluated, stream)
        return
    kind = output.suffix.lower()
    with atomic_output(output) as temporary:
        if kind == ".npy":  # from text or CSV: small enough to gather in memory
            results = [y for _, y, _ in evaluated]
            array = np.concatenate(results) if results else np.empty(0)
            with temporary.open("wb") as binary:
                np.save(binary, array, allow_pickle=False)
            return
        with temporary.open("w", encoding="utf-8", newline="") as stream:
            if kind == ".csv":
                _write_csv(evaluated, stream, header)
            else:
                _write_text(evaluated, stream)


class _NoProgress:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(total: int, label: str) -> Any:
    """A tqdm bar on a terminal if tqdm is installed, else nothing."""
    if not sys.stderr.isatty():
        return _NoProgress()
    try:
        tqdm = importlib.import_module("tqdm")
    except ImportError:
        return _NoProgress()
    return tqdm.tqdm(total=total, desc=label, unit="values", unit_scale=True, file=sys.stderr)


def is_npy(path: Path) -> bool:
    """Whether `path` is a regular file that begins as a .npy file does."""
    try:
        if not path.is_file():  # a pipe's first bytes, once read, would be lost
            return False
        with path.open("rb") as stream:
            return stream.read(len(NPY_MAGIC)) == NPY_MAGIC
    except OSError:
        return False


def _load_npy(source: Path) -> np.ndarray:
    if not is_npy(source):  # np.load would take it for a pickle, and say so
        message = f"cannot read {source}: not a .npy file (it does not begin with \\x93NUMPY)"
        raise CliError(message, ExitCode.DATA_ERROR)
    try:  # a memory map never holds Python objects: nothing is ever unpickled
        data: np.ndarray = np.load(source, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise CliError(f"cannot read {source}: {exc}", ExitCode.DATA_ERROR) from None
    if data.dtype.kind not in "fiub":
        message = f"{source} holds {data.dtype} values, not real numbers"
        raise CliError(message, ExitCode.DATA_ERROR)
    return data


def eval_npy(
    source: Path,
    function: ArrayFunction,
    output: Path | None,
    *,
    chunk_size: int,
    header: Sequence[str],
) -> None:
    """Evaluate `function` over a .npy file, `chunk_size` values at a time.

    A .npy result keeps the input's shape and memory order and is written
    into a memory map; text or CSV (columns `header`) is written as it comes.
    """
    data = _load_npy(source)
    order: Literal["C", "F"] = "C"
    if data.flags.f_contiguous and not data.flags.c_contiguous:
        order = "F"
    flat = np.asarray(data).reshape(-1, order=order)  # a view, in file order
    progress = _progress(flat.size, source.name)

    def evaluated() -> Iterator[tuple[np.ndarray, np.ndarray, None]]:
        for start in range(0, flat.size, chunk_size):
            x = flat[start : start + chunk_size]
            yield x, np.asarray(function(x)), None
            progress.update(x.size)

    try:
        if output is None or output.suffix.lower() != ".npy":
            write_results(evaluated(), output, header=header, csv_input=False)
            return
        dtype = np.asarray(function(flat[:0])).dtype
        with atomic_output(output) as temporary:
            result = np.lib.format.open_memmap(
                temporary, "w+", dtype, data.shape, fortran_order=order == "F"
            )
            target = result.reshape(-1, order=order)
            start = 0
            for _, y, _ in evaluated():
                target[start : start + y.size] = y
                start += y.size
            result.flush()
            del result, target  # unmap before the rename
    finally:
        progress.close()
