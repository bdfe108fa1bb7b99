"""CSV for ``sigmoid eval``: one column's numbers in, every column and the result out.

Imported only when the input or the output is CSV. The rows are kept, chunk by
chunk, with the numbers read from them, so the output repeats each input row
(its cells as they were) and appends the result: the result can be joined
back to its rows.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TextIO

import numpy as np

from sigmoid.cli._common import CliError, ExitCode
from sigmoid.cli._io import Evaluated, format_values, number

__all__ = ["ROWS_PER_CHUNK", "Table", "read_table", "write_table"]

# Rows held at a time, whatever --chunk-size says: a row is its cells, not one
# float, and a million of them would take hundreds of MB.
ROWS_PER_CHUNK = 1 << 16

Chunk = tuple[np.ndarray, list[list[str]]]


@dataclass(frozen=True)
class Table:
    """A CSV file's header row, the column read, and its rows in chunks with their numbers."""

    header: list[str]
    column: str
    chunks: Iterator[Chunk]


def read_table(lines: Iterable[str], source: str, column: str | None, chunk_size: int) -> Table:
    """The table in `lines`: a header row names the columns, `column` is read as numbers.

    `column` may be None when there is only one column. A row whose number of
    cells differs from the header's, or whose cell is not a number, is a data
    error naming its line.
    """
    reader = csv.reader(lines)
    header = next(reader, [])
    names = [name.strip() for name in header]
    if not any(names):
        raise CliError(f"{source} has no header row", ExitCode.DATA_ERROR)
    if column is None and len(names) == 1:
        column = names[0]
    if column not in names:
        asked = "choose one with --column" if column is None else f"no {column!r}"
        message = f"{source} has columns {', '.join(names)}: {asked}"
        raise CliError(message, ExitCode.USAGE)
    index = names.index(column)
    size = min(chunk_size, ROWS_PER_CHUNK)

    def chunks() -> Iterator[Chunk]:
        rows: list[list[str]] = []
        values: list[float] = []
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue  # blank lines, such as a final one
            where = f"{source}, line {reader.line_num}"
            if len(row) != len(header):
                message = f"{where}: {len(row)} cells, the header has {len(header)}"
                raise CliError(message, ExitCode.DATA_ERROR)
            values.append(number(row[index], f"{where}, column {column!r}"))
            rows.append(row)
            if len(rows) == size:
                yield np.array(values), rows
                rows, values = [], []
        if rows:
            yield np.array(values), rows

    return Table(header, column, chunks())


def write_table(evaluated: Evaluated, stream: TextIO, header: Sequence[str]) -> None:
    """CSV with the columns `header`: each input row and its result, or x and the result."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(header)
    for x, y, rows in evaluated:
        results = format_values(y)
        if rows is None:
            writer.writerows(zip(format_values(x), results, strict=True))
        else:
            writer.writerows([*row, result] for row, result in zip(rows, results, strict=True))
