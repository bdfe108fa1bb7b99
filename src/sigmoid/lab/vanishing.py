"""Vanishing gradients, measured: each layer's weight-gradient norm at initialisation.

Backpropagation multiplies the error by ``W.T`` and by f'(z) once per layer.
σ' never exceeds 1/4, so with weights that keep ``W.T`` near norm-preserving
(Glorot) the gradient of a sigmoid network shrinks by roughly a factor 4 per
layer on its way to the input; tanh (f'(0) = 1) with Glorot and ReLU
(f' = 1 on half the units) with He keep it near 1.

The factor per layer is the geometric mean of the ratios between successive
hidden layers, ``(norm[0] / norm[-1]) ** (1 / (depth - 1))``, the output layer
(shared by every activation) left out.

Examples
--------
>>> result = measure_vanishing(["sigmoid", "relu"], depth=6, width=32, samples=64)
>>> sigmoid, relu = result.runs
>>> sigmoid.factor < 0.35 < 0.7 < relu.factor
True
>>> sigmoid.norms.shape
(6,)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from sigmoid.lab import network
from sigmoid.lab._table import format_table, format_value

__all__ = ["DEFAULT_ACTIVATIONS", "VanishingExperiment", "VanishingRun", "measure_vanishing"]

Array = npt.NDArray[np.float64]
DEFAULT_ACTIVATIONS = ("sigmoid", "tanh", "relu")


@dataclass(frozen=True)
class VanishingRun:
    """The gradient norms of one activation's network, hidden layer 1 (next to the input) first."""

    activation: str
    init: str
    norms: Array

    @property
    def first(self) -> float:
        """The norm at the first hidden layer, the farthest from the loss."""
        return float(self.norms[0])

    @property
    def last(self) -> float:
        """The norm at the last hidden layer, the nearest to the loss."""
        return float(self.norms[-1])

    @property
    def factor(self) -> float:
        """How much the norm shrinks (< 1) or grows per layer, on average, towards the input."""
        if len(self.norms) < 2 or self.last == 0.0:
            return float("nan")
        return float((self.first / self.last) ** (1.0 / (len(self.norms) - 1)))


@dataclass(frozen=True)
class VanishingExperiment:
    """One `VanishingRun` per activation, on the same inputs and the same random draws."""

    runs: tuple[VanishingRun, ...]
    depth: int
    width: int
    samples: int
    seed: int

    def table(self) -> str:
        """Per activation: initialisation, the first and last layer's norm, the factor per layer."""
        header = ["activation", "init", "layer 1", f"layer {self.depth}", "factor/layer"]
        rows = [
            [run.activation, run.init, format_value(run.first), format_value(run.last),
             f"{run.factor:.3f}"]
            for run in self.runs
        ]  # fmt: skip
        return format_table(header, rows)


def measure_vanishing(
    activations: Sequence[str] = DEFAULT_ACTIVATIONS,
    *,
    depth: int = 10,
    width: int = 64,
    samples: int = 256,
    init: str = "auto",
    seed: int = 0,
    on_run: Callable[[], None] | None = None,
) -> VanishingExperiment:
    """Weight-gradient norms per hidden layer of freshly initialised networks.

    Every network has `depth` hidden layers of `width` units and sees the same
    batch: `samples` standard normal inputs of `width` features with random
    0/1 labels, all drawn from `seed`, as are the weights.

    Parameters
    ----------
    activations : sequence of str
        Hidden-unit activations, one network each.
    depth, width : int
        Hidden layers (at least 2) and units per layer.
    samples : int
        Examples in the batch whose mean loss is differentiated.
    init : {"auto", "glorot", "he"}
        See `sigmoid.lab.network.init_network`.
    seed : int
        Makes the inputs, labels and weights reproducible.
    on_run : callable, optional
        Called after each activation's network (a progress bar's update).
    """
    if depth < 2 or width < 1 or samples < 1:
        raise ValueError("need depth >= 2, width >= 1 and samples >= 1")
    data_seed, weight_seed = np.random.SeedSequence(seed).spawn(2)  # independent streams
    rng = np.random.default_rng(data_seed)
    x = rng.standard_normal((samples, width))
    y = rng.integers(0, 2, samples).astype(np.float64)
    runs = []
    for name in activations:
        weights = np.random.default_rng(weight_seed)  # the same draws for every activation
        net = network.init_network(width, [width] * depth, name, init=init, seed=weights)
        grads = network.backward(net, network.forward(net, x), y)
        norms = np.array([np.linalg.norm(g) for g in grads.weights[:-1]])
        runs.append(VanishingRun(net.activation.name, net.init, norms))
        if on_run is not None:
            on_run()
    return VanishingExperiment(tuple(runs), depth, width, samples, seed)
