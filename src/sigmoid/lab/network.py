"""A plain fully connected network in NumPy, differentiated by hand with our derivatives.

``depth`` hidden layers of ``width`` units, each ``f(x @ W + b)`` for one
activation ``f`` from `sigmoid.activations`, then one output unit whose logit
z gives the probability ``sg.sigmoid(z)``. The loss is the mean binary
cross-entropy written with ``sg.log_sigmoid``, so it stays finite for any
logit. The backward pass multiplies by ``f'`` (``act.derivative``; for σ that
is ``sg.sigmoid_derivative``) at every layer: the product the textbooks blame for
vanishing gradients.

Examples
--------
>>> import numpy as np
>>> from sigmoid.lab import network
>>> net = network.init_network(3, [4, 4], "tanh", seed=0)
>>> [w.shape for w in net.weights]
[(3, 4), (4, 4), (4, 1)]
>>> x, y = np.ones((2, 3)), np.array([0.0, 1.0])
>>> grads = network.backward(net, network.forward(net, x), y)
>>> [g.shape for g in grads.weights] == [w.shape for w in net.weights]
True
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

import sigmoid as sg
from sigmoid import activations

__all__ = [
    "INITS",
    "Gradients",
    "Network",
    "Trace",
    "backward",
    "forward",
    "init_network",
    "loss",
    "resolve_init",
]

Array = npt.NDArray[np.float64]
INITS = ("auto", "glorot", "he")


@dataclass
class Network:
    """Weights ``(fan_in, fan_out)`` and biases of each layer; the last layer has one unit."""

    weights: list[Array]
    biases: list[Array]
    activation: activations.Activation
    init: str

    @property
    def depth(self) -> int:
        """The number of hidden layers."""
        return len(self.weights) - 1


@dataclass
class Trace:
    """What `forward` keeps for `backward`: inputs of each layer and hidden pre-activations."""

    inputs: list[Array]  # inputs[0] is x, inputs[i] = f(pre_activations[i - 1])
    pre_activations: list[Array]
    logits: Array  # shape (n,)


@dataclass
class Gradients:
    """The gradient of the mean loss with respect to every weight and bias."""

    weights: list[Array]
    biases: list[Array]


def resolve_init(init: str, activation: activations.Activation) -> str:
    """The initialisation ``"auto"`` stands for: He for ReLU-like units, Glorot otherwise.

    Examples
    --------
    >>> from sigmoid.activations import get
    >>> resolve_init("auto", get("relu")), resolve_init("auto", get("sigmoid"))
    ('he', 'glorot')
    """
    if init not in INITS:
        raise ValueError(f"unknown initialisation {init!r}; known: {', '.join(INITS)}")
    if init == "auto":
        return "glorot" if activation.saturating else "he"
    return init


def init_network(
    n_inputs: int,
    hidden: Sequence[int],
    activation: str | activations.Activation,
    *,
    init: str = "auto",
    seed: int | np.random.Generator = 0,
) -> Network:
    """A network with Gaussian weights and zero biases.

    Parameters
    ----------
    n_inputs : int
        Features per example.
    hidden : sequence of int
        The width of each hidden layer.
    activation : str or Activation
        The hidden units' activation, see `sigmoid.activations.ACTIVATIONS`.
    init : {"auto", "glorot", "he"}
        Glorot: variance 2 / (fan_in + fan_out), which keeps the variance of
        tanh units; He: 2 / fan_in, which makes up for the half of ReLU units
        that are off. ``"auto"`` picks He for non-saturating units.
    seed : int or numpy.random.Generator
        Where the weights come from.

    Examples
    --------
    >>> net = init_network(2, [3], "relu", seed=1)
    >>> net.init, net.depth, net.biases[0].tolist()
    ('he', 1, [0.0, 0.0, 0.0])
    """
    act = (
        activation
        if isinstance(activation, activations.Activation)
        else activations.get(activation)
    )
    chosen = resolve_init(init, act)
    rng = np.random.default_rng(seed)
    sizes = [n_inputs, *hidden, 1]
    weights, biases = [], []
    for fan_in, fan_out in itertools.pairwise(sizes):
        variance = 2.0 / (fan_in + fan_out) if chosen == "glorot" else 2.0 / fan_in
        weights.append(rng.normal(0.0, np.sqrt(variance), size=(fan_in, fan_out)))
        biases.append(np.zeros(fan_out))
    return Network(weights, biases, act, chosen)


def forward(net: Network, x: npt.ArrayLike) -> Trace:
    """Run `x` (shape ``(n, n_inputs)``) through the network, keeping what backward needs."""
    inputs = [np.asarray(x, dtype=np.float64)]
    pre_activations = []
    for weight, bias in zip(net.weights[:-1], net.biases[:-1], strict=True):
        z = inputs[-1] @ weight + bias
        pre_activations.append(z)
        inputs.append(np.asarray(net.activation.function(z), dtype=np.float64))
    logits = (inputs[-1] @ net.weights[-1] + net.biases[-1])[:, 0]
    return Trace(inputs, pre_activations, logits)


def loss(logits: npt.ArrayLike, y: npt.ArrayLike) -> float:
    """Mean binary cross-entropy of labels `y` (0/1) under probabilities σ(logits).

    -[y log σ(z) + (1 - y) log σ(-z)] is -log σ(±z), the sign that of the
    label: ``sg.log_sigmoid`` keeps it exact where log(sg.sigmoid(z)) gives
    log(0) = -inf.

    Examples
    --------
    >>> loss([1000.0, -1000.0], [0.0, 1.0])
    1000.0
    """
    z = np.asarray(logits, dtype=np.float64)
    sign = 2.0 * np.asarray(y, dtype=np.float64) - 1.0
    return float(-np.mean(sg.log_sigmoid(sign * z)))


def backward(net: Network, trace: Trace, y: npt.ArrayLike) -> Gradients:
    """The gradient of ``loss(trace.logits, y)`` by the chain rule, layer by layer.

    d loss / d z = (σ(z) - y) / n at the output; each hidden layer then
    passes back ``(delta @ W.T) * f'(pre_activation)``.
    """
    labels = np.asarray(y, dtype=np.float64)
    delta: Any = (sg.sigmoid(trace.logits) - labels)[:, None] / len(labels)
    weights: list[Array] = []
    biases: list[Array] = []
    for layer in range(len(net.weights) - 1, -1, -1):
        weights.append(trace.inputs[layer].T @ delta)
        biases.append(delta.sum(axis=0))
        if layer > 0:
            slope = net.activation.derivative(trace.pre_activations[layer - 1])
            delta = (delta @ net.weights[layer].T) * slope
    return Gradients(weights[::-1], biases[::-1])
