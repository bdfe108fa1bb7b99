"""Binary data sets for the lab: scikit-learn's breast-cancer data or a CSV file.

Features are standardised with the training part's mean and standard
deviation, and the held-out part is split off with a seeded, stratified
permutation, so every experiment and scikit-learn see the same split.

Examples
--------
>>> import numpy as np
>>> x = np.arange(20.0).reshape(10, 2)
>>> y = np.array([0, 1] * 5)
>>> data = split(x, y, test_fraction=0.2, seed=0, name="toy")
>>> data.x_train.shape, data.x_test.shape, int(data.y_test.sum())
((8, 2), (2, 2), 1)
>>> np.allclose(data.x_train.mean(axis=0), 0.0)
True
"""

from __future__ import annotations

import csv
import importlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

__all__ = ["DataError", "Dataset", "load_breast_cancer", "read_csv", "split"]

Array = npt.NDArray[np.float64]


class DataError(ValueError):
    """Data the lab cannot use: the message names the file, line and column."""


@dataclass(frozen=True)
class Dataset:
    """A standardised train/test split of a binary task (labels 0.0 and 1.0)."""

    name: str
    feature_names: tuple[str, ...]
    x_train: Array
    y_train: Array
    x_test: Array
    y_test: Array


def split(
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    *,
    test_fraction: float = 0.25,
    seed: int = 0,
    name: str = "data",
    feature_names: Sequence[str] = (),
) -> Dataset:
    """Split off a stratified held-out part and standardise with the training statistics."""
    features = np.asarray(x, dtype=np.float64)
    labels = np.asarray(y, dtype=np.float64)
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"the test fraction must be between 0 and 1, got {test_fraction:g}")
    rng = np.random.default_rng(seed)
    test: list[int] = []
    for label in (0.0, 1.0):  # the same share of each class in both parts
        members = np.flatnonzero(labels == label)
        if len(members) < 2:
            raise DataError(f"{name}: need at least 2 examples of label {label:g}")
        count = min(max(1, round(test_fraction * len(members))), len(members) - 1)
        test.extend(rng.permutation(members)[:count].tolist())
    is_test = np.zeros(len(labels), dtype=bool)
    is_test[test] = True
    mean = features[~is_test].mean(axis=0)
    scale = features[~is_test].std(axis=0)
    scale[scale == 0.0] = 1.0  # a constant column stays 0 instead of becoming NaN
    standard = (features - mean) / scale
    names = tuple(feature_names) or tuple(f"x{i}" for i in range(features.shape[1]))
    return Dataset(
        name, names, standard[~is_test], labels[~is_test], standard[is_test], labels[is_test]
    )


def load_breast_cancer(*, test_fraction: float = 0.25, seed: int = 0) -> Dataset:
    """scikit-learn's bundled Wisconsin breast-cancer data (569 x 30), split and standardised.

    Raises ImportError when scikit-learn is missing; nothing is downloaded.
    """
    datasets = importlib.import_module("sklearn.datasets")
    bunch = datasets.load_breast_cancer()
    return split(
        bunch.data,
        bunch.target,
        test_fraction=test_fraction,
        seed=seed,
        name="breast cancer",
        feature_names=[str(name) for name in bunch.feature_names],
    )


def _number(text: str, where: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise DataError(f"{where}: {text.strip()!r} is not a number") from None
    if not math.isfinite(value):
        raise DataError(f"{where}: {text.strip()!r} is not a finite number")
    return value


def read_csv(path: Path, label: str | None = None) -> tuple[Array, Array, list[str]]:
    """Features, 0/1 labels and feature names from a CSV file with a header row.

    Every column but `label` (default: the last one) is a feature.

    Raises
    ------
    DataError
        A missing label column, a cell that is not a finite number, a label
        other than 0 or 1, a ragged row, no rows, or a byte that is not
        UTF-8 (a BOM is fine); the message names the file, and the line and
        column of a bad cell or the line and offset of a bad byte.
    """
    from sigmoid.cli._text import decoded_lines  # the CLI's reading of text: UTF-8, a BOM or not

    with path.open("rb") as stream:
        reader = csv.reader(decoded_lines(stream, str(path), error=DataError))
        header = [name.strip() for name in next(reader, [])]
        if not header:
            raise DataError(f"{path}: empty file, expected a header row")
        label = header[-1] if label is None else label
        if label not in header:
            raise DataError(f"{path}: no column {label!r}; columns: {', '.join(header)}")
        if len(header) < 2:
            raise DataError(f"{path}: no feature columns besides {label!r}")
        target = header.index(label)
        rows: list[list[float]] = []
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue  # blank lines, such as a trailing one
            if len(row) != len(header):
                message = f"{path}, line {line}: {len(row)} cells, the header has {len(header)}"
                raise DataError(message)
            rows.append(
                [
                    _number(c, f"{path}, line {line}, column {n!r}")
                    for c, n in zip(row, header, strict=True)
                ]
            )
            if rows[-1][target] not in (0.0, 1.0):
                raise DataError(f"{path}, line {line}: label {row[target].strip()!r} is not 0 or 1")
    if not rows:
        raise DataError(f"{path}: no data rows after the header")
    table = np.array(rows)
    names = [name for i, name in enumerate(header) if i != target]
    return np.delete(table, target, axis=1), table[:, target], names
