"""Aligned plain-text tables, the format every lab command prints."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["format_table", "format_value"]


def format_value(value: float) -> str:
    """A norm, loss or factor in 3 significant digits; tiny ones in exponent form.

    Examples
    --------
    >>> format_value(0.2171), format_value(1.84e-07), format_value(12.0)
    ('0.217', '1.84e-07', '12')
    """
    return f"{value:.3g}"


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns left-aligned, two spaces apart, no trailing blanks.

    Examples
    --------
    >>> print(format_table(["name", "value"], [["sigmoid", "0.25"], ["tanh", "1"]]))
    name     value
    sigmoid  0.25
    tanh     1
    """
    table = [list(header), *(list(row) for row in rows)]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in table
    )
