"""The same network trained with each activation: curves, epochs to a target, saturation.

Every activation gets the same architecture, the same seed (so the same weight
draws, scaled by its initialisation, and the same mini-batches) and the same
learning-rate schedule: plain mini-batch gradient descent whose rate decays
from `learning_rate` to 0 along a half cosine. After every epoch the loss and
accuracy on both parts of the data are recorded, with the fraction of hidden
units (over all training examples) whose slope f'(z) is below 0.01 in each
layer: for σ that means |z| > 4.6, a saturated unit that passes almost no
gradient back. (For ReLU it counts the units that are off, f' = 0.)

Examples
--------
>>> from sigmoid.lab.data import split
>>> rng = np.random.default_rng(0)
>>> x = rng.standard_normal((80, 3))
>>> data = split(x, (x[:, 0] > 0).astype(float), seed=0)
>>> run = train(data, "tanh", depth=2, width=8, epochs=5, seed=0)
>>> run.test_accuracy.shape, run.saturation.shape
((6,), (6, 2))
>>> bool(run.train_loss[-1] < run.train_loss[0])
True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from sigmoid.lab import network
from sigmoid.lab._table import format_table
from sigmoid.lab.data import Dataset

__all__ = ["SATURATED_SLOPE", "TrainingComparison", "TrainingRun", "compare_training", "train"]

Array = npt.NDArray[np.float64]
SATURATED_SLOPE = 0.01
_CURVES = ("train_loss", "test_loss", "train_accuracy", "test_accuracy", "saturation")


@dataclass(frozen=True)
class TrainingRun:
    """Curves of one activation; index 0 is before training, index e after epoch e."""

    activation: str
    init: str
    train_loss: Array
    test_loss: Array
    train_accuracy: Array
    test_accuracy: Array
    saturation: Array  # (epochs + 1, depth): fraction of units with f' < SATURATED_SLOPE

    def epochs_to(self, target: float) -> int | None:
        """The first epoch whose test accuracy reaches `target`, or None within the budget."""
        reached = np.flatnonzero(self.test_accuracy >= target)
        return int(reached[0]) if len(reached) else None


@dataclass(frozen=True)
class TrainingComparison:
    """One `TrainingRun` per activation and the settings they share."""

    runs: tuple[TrainingRun, ...]
    data_name: str
    depth: int
    width: int
    epochs: int
    target: float

    def table(self) -> str:
        """Epochs to the target test accuracy, final and best accuracy, final losses."""
        header = ["activation", "init", f"epochs to {self.target:.0%}", "final test acc",
                  "best test acc", "train loss", "test loss"]  # fmt: skip
        rows = []
        for run in self.runs:
            reached = run.epochs_to(self.target)
            rows.append([
                run.activation, run.init,
                f"never in {self.epochs}" if reached is None else str(reached),
                f"{run.test_accuracy[-1]:.3f}", f"{run.test_accuracy.max():.3f}",
                f"{run.train_loss[-1]:.3g}", f"{run.test_loss[-1]:.3g}",
            ])  # fmt: skip
        return format_table(header, rows)

    def saturation_table(self) -> str:
        """Per activation and layer, the fraction of units with f' < 0.01: start, end, peak."""
        header = ["activation", "when", *(f"layer {i}" for i in range(1, self.depth + 1))]
        rows = []
        for run in self.runs:
            for when, values in (
                ("start", run.saturation[0]),
                ("end", run.saturation[-1]),
                ("peak", run.saturation.max(axis=0)),
            ):
                rows.append([run.activation, when, *(f"{v:.3f}" for v in values)])
        return format_table(header, rows)


def cosine_rate(epoch: int, epochs: int, learning_rate: float) -> float:
    """The rate for `epoch` (0-based): `learning_rate` decaying to 0 along a half cosine.

    Examples
    --------
    >>> cosine_rate(0, 10, 0.1), cosine_rate(5, 10, 0.1)
    (0.1, 0.05)
    """
    return learning_rate * 0.5 * (1.0 + math.cos(math.pi * epoch / epochs))


def _saturation(net: network.Network, trace: network.Trace) -> Array:
    """Per hidden layer, the fraction of units (over all examples) with f'(z) < SATURATED_SLOPE."""
    slopes = (net.activation.derivative(z) for z in trace.pre_activations)
    return np.array([np.mean(slope < SATURATED_SLOPE) for slope in slopes])


def _record(history: dict[str, list[Any]], net: network.Network, data: Dataset) -> None:
    """Append the losses, accuracies and saturation of `net` now to `history`."""
    for part, x, y in (("train", data.x_train, data.y_train), ("test", data.x_test, data.y_test)):
        trace = network.forward(net, x)
        history[f"{part}_loss"].append(network.loss(trace.logits, y))
        history[f"{part}_accuracy"].append(float(np.mean((trace.logits > 0.0) == (y == 1.0))))
        if part == "train":
            history["saturation"].append(_saturation(net, trace))


def train(
    data: Dataset,
    activation: str,
    *,
    depth: int = 4,
    width: int = 32,
    epochs: int = 200,
    batch_size: int = 32,
    learning_rate: float = 0.1,
    init: str = "auto",
    seed: int = 0,
    on_epoch: Callable[[], None] | None = None,
) -> TrainingRun:
    """Train a `depth` x `width` network on `data.x_train` by mini-batch gradient descent.

    `on_epoch` is called after each epoch (a progress bar's update).
    """
    rng = np.random.default_rng(seed)
    hidden = [width] * depth
    net = network.init_network(data.x_train.shape[1], hidden, activation, init=init, seed=rng)
    n = len(data.y_train)
    history: dict[str, list[Any]] = {key: [] for key in _CURVES}
    _record(history, net, data)
    for epoch in range(epochs):
        rate = cosine_rate(epoch, epochs, learning_rate)
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            batch = order[start : start + batch_size]
            trace = network.forward(net, data.x_train[batch])
            grads = network.backward(net, trace, data.y_train[batch])
            params = net.weights + net.biases
            for param, grad in zip(params, grads.weights + grads.biases, strict=True):
                param -= rate * grad  # in place: the lists hold the network's own arrays
        _record(history, net, data)
        if on_epoch is not None:
            on_epoch()
    curves = {key: np.array(values) for key, values in history.items()}
    return TrainingRun(net.activation.name, net.init, **curves)


def compare_training(
    data: Dataset,
    activations: Sequence[str] = ("sigmoid", "tanh", "relu"),
    *,
    depth: int = 4,
    width: int = 32,
    epochs: int = 200,
    batch_size: int = 32,
    learning_rate: float = 0.1,
    target: float = 0.95,
    init: str = "auto",
    seed: int = 0,
    on_epoch: Callable[[], None] | None = None,
) -> TrainingComparison:
    """`train` once per activation with identical settings; see the module docstring."""
    if depth < 1 or width < 1 or epochs < 1 or batch_size < 1 or not learning_rate > 0.0:
        raise ValueError("need depth, width, epochs, batch size >= 1 and a positive learning rate")
    runs = tuple(
        train(data, name, depth=depth, width=width, epochs=epochs, batch_size=batch_size,
              learning_rate=learning_rate, init=init, seed=seed, on_epoch=on_epoch)
        for name in activations
    )  # fmt: skip
    return TrainingComparison(runs, data.name, depth, width, epochs, target)
