"""Reading numbers and writing results for ``sigmoid eval``, chunk by chunk.

Text and CSV are parsed in chunks; a ``.npy`` file is memory-mapped and
evaluated chunk by chunk into a memory-mapped result, so memory stays flat
however large the file. Files are written through `atomic_output`: a bad line
or a crash midway leaves no partial file.
"""

from __future__ import annotations

import csv
import importlib
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Literal, TextIO

import numpy as np

from sigmoid.cli._common import CliError, ExitCode, atomic_output

__all__ = [
    "chunks",
    "csv_values",
    "eval_npy",
    "number",
    "text_values",
    "write_file",
    "write_stream",
]

ArrayFunction = Callable[[Any], Any]
Pairs = Iterable[tuple[np.ndarray, np.ndarray]]


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


def csv_values(
    lines: Iterable[str], source: str, column: str | None
) -> tuple[str, Iterator[float]]:
    """The column read and its numbers; a header row names the columns."""
    reader = csv.reader(lines)
    header = [name.strip() for name in next(reader, [])]
    if not header:
        raise CliError(f"{source} has no header row", ExitCode.DATA_ERROR)
    if column is None and len(header) == 1:
        column = header[0]
    if column not in header:
        asked = "choose one with --column" if column is None else f"no {column!r}"
        message = f"{source} has columns {', '.join(header)}: {asked}"
        raise CliError(message, ExitCode.USAGE)
    index = header.index(column)

    def values() -> Iterator[float]:
        for row in reader:
            if any(cell.strip() for cell in row):
                where = f"{source}, line {reader.line_num}, column {column!r}"
                yield number(row[index] if index < len(row) else "", where)

    return column, values()


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


def _format(values: np.ndarray) -> list[str]:
    """Shortest strings that read back to the same values in their dtype."""
    if values.dtype == np.float64:
        return [repr(value) for value in values.tolist()]
    return [str(value) for value in values]


def write_stream(pairs: Pairs, stream: TextIO, names: tuple[str, str] | None) -> None:
    """Text (results, one per line) or, given column `names`, CSV with x and result."""
    if names is None:
        for _, y in pairs:
            stream.writelines(f"{text}\n" for text in _format(y))
        return
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(names)
    for x, y in pairs:
        writer.writerows(zip(_format(x), _format(y), strict=True))


def write_file(pairs: Pairs, path: Path, names: tuple[str, str]) -> None:
    """Write results atomically: .npy, .csv (x and result) or text, by extension."""
    kind = path.suffix.lower()
    with atomic_output(path) as temporary:
        if kind == ".npy":  # from text or CSV: small enough to gather in memory
            results = [y for _, y in pairs]
            array = np.concatenate(results) if results else np.empty(0)
            with temporary.open("wb") as stream:
                np.save(stream, array, allow_pickle=False)
        else:
            with temporary.open("w", encoding="utf-8", newline="") as stream:
                write_stream(pairs, stream, names if kind == ".csv" else None)


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


def _load_npy(source: Path) -> np.ndarray:
    try:
        data = np.load(source, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise CliError(f"cannot read {source}: {exc}", ExitCode.DATA_ERROR) from None
    if not isinstance(data, np.ndarray):  # an .npz archive under a .npy name
        raise CliError(f"cannot read {source}: not one array", ExitCode.DATA_ERROR)
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
    names: tuple[str, str],
) -> None:
    """Evaluate `function` over a .npy file, `chunk_size` values at a time.

    A .npy result keeps the input's shape and memory order and is written
    into a memory map; text or CSV (columns `names`) is written as it comes.
    """
    data = _load_npy(source)
    order: Literal["C", "F"] = "C"
    if data.flags.f_contiguous and not data.flags.c_contiguous:
        order = "F"
    flat = np.asarray(data).reshape(-1, order=order)  # a view, in file order
    progress = _progress(flat.size, source.name)

    def pairs() -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for start in range(0, flat.size, chunk_size):
            x = flat[start : start + chunk_size]
            yield x, np.asarray(function(x))
            progress.update(x.size)

    try:
        if output is None:
            write_stream(pairs(), sys.stdout, None)
            return
        if output.suffix.lower() != ".npy":
            write_file(pairs(), output, names)
            return
        dtype = np.asarray(function(flat[:0])).dtype
        with atomic_output(output) as temporary:
            result = np.lib.format.open_memmap(
                temporary, "w+", dtype, data.shape, fortran_order=order == "F"
            )
            target = result.reshape(-1, order=order)
            start = 0
            for _, y in pairs():
                target[start : start + y.size] = y
                start += y.size
            result.flush()
            del result, target  # unmap before the rename
    finally:
        progress.close()
