"""The activation family to compare with σ: functions, derivatives, properties.

Every `Activation` carries its function and derivative (NumPy, vectorised,
never warning, keeping the input's type and dtype) and, as data, the
properties the textbooks compare: the output range, whether outputs are
zero-centred, the largest slope (σ' never exceeds 1/4, one cause of vanishing
gradients) and whether it saturates.

Examples
--------
>>> from sigmoid import activations
>>> act = activations.get("tanh")
>>> act.max_slope, act.zero_centred, act.range_text
(1.0, True, '(-1, 1)')
>>> act.derivative(0.0)
1.0
>>> list(activations.ACTIVATIONS)[:4]
['sigmoid', 'tanh', 'relu', 'leaky_relu']
"""

from sigmoid.activations._functions import (
    elu,
    elu_derivative,
    gelu,
    gelu_derivative,
    hard_sigmoid,
    hard_sigmoid_derivative,
    leaky_relu,
    leaky_relu_derivative,
    relu,
    relu_derivative,
    sigmoid,
    sigmoid_derivative,
    silu,
    silu_derivative,
    softplus,
    softplus_derivative,
    softsign,
    softsign_derivative,
    swish,
    tanh,
    tanh_derivative,
)
from sigmoid.activations._registry import ACTIVATIONS, Activation, get

__all__ = [
    "ACTIVATIONS",
    "Activation",
    "elu",
    "elu_derivative",
    "gelu",
    "gelu_derivative",
    "get",
    "hard_sigmoid",
    "hard_sigmoid_derivative",
    "leaky_relu",
    "leaky_relu_derivative",
    "relu",
    "relu_derivative",
    "sigmoid",
    "sigmoid_derivative",
    "silu",
    "silu_derivative",
    "softplus",
    "softplus_derivative",
    "softsign",
    "softsign_derivative",
    "swish",
    "tanh",
    "tanh_derivative",
]
