"""The registry of activations: one `Activation` per function, looked up by `get`."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from sigmoid.activations import _functions as F

__all__ = ["ACTIVATIONS", "Activation", "get"]

_ArrayFunction = Callable[[Any], Any]


@dataclass(frozen=True)
class Activation:
    """One activation function, its derivative and its properties.

    Attributes
    ----------
    name : str
        The name in `ACTIVATIONS` and on the command line (``sigmoid eval
        --function NAME``).
    label : str
        The name for legends and tables.
    function, derivative : callable
        Vectorised NumPy functions of one array.
    output_range : tuple of float
        Infimum and supremum of the outputs (``math.inf`` when unbounded).
    bounds_attained : tuple of bool
        Whether each bound of `output_range` is a value the function takes.
    zero_centred : bool
        Whether the function is odd, f(-x) = -f(x), so outputs are balanced
        around 0 (σ's are all positive, which biases the next layer's updates).
    max_slope : float
        The supremum of the derivative.
    saturating : bool
        Whether the derivative goes to 0 for large inputs of *both* signs
        (bounded on both sides); ReLU-like units keep slope 1 for x > 0.
    """

    name: str
    label: str
    function: _ArrayFunction
    derivative: _ArrayFunction
    output_range: tuple[float, float]
    bounds_attained: tuple[bool, bool]
    zero_centred: bool
    max_slope: float
    saturating: bool

    @property
    def range_text(self) -> str:
        """The output range as an interval, e.g. ``'(0, 1)'`` or ``'[0, inf)'``."""
        low, high = (f"{bound:g}" for bound in self.output_range)
        left = "[" if self.bounds_attained[0] else "("
        right = "]" if self.bounds_attained[1] else ")"
        return f"{left}{low}, {high}{right}"


_OPEN = (False, False)
_INF = math.inf

ACTIVATIONS: Mapping[str, Activation] = MappingProxyType(
    {
        act.name: act
        for act in (
            Activation(
                "sigmoid", "Sigmoid", F.sigmoid, F.sigmoid_derivative,
                (0.0, 1.0), _OPEN, False, 0.25, True,
            ),
            Activation(
                "tanh", "tanh", F.tanh, F.tanh_derivative,
                (-1.0, 1.0), _OPEN, True, 1.0, True,
            ),
            Activation(
                "relu", "ReLU", F.relu, F.relu_derivative,
                (0.0, _INF), (True, False), False, 1.0, False,
            ),
            Activation(
                "leaky_relu", "Leaky ReLU", F.leaky_relu, F.leaky_relu_derivative,
                (-_INF, _INF), _OPEN, False, 1.0, False,
            ),
            Activation(
                "elu", "ELU", F.elu, F.elu_derivative,
                (-1.0, _INF), _OPEN, False, 1.0, False,
            ),
            Activation(
                "softplus", "Softplus", F.softplus, F.softplus_derivative,
                (0.0, _INF), _OPEN, False, 1.0, False,
            ),
            # Minimum at x = -1.2785 (mpmath); max slope at x = 2.3994.
            Activation(
                "silu", "SiLU (swish)", F.silu, F.silu_derivative,
                (-0.27846454276107380, _INF), (True, False), False,
                1.0998393201288669, False,
            ),
            # Minimum at x = -0.75179 (mpmath); max slope at x = √2.
            Activation(
                "gelu", "GELU", F.gelu, F.gelu_derivative,
                (-0.16997120747990366, _INF), (True, False), False,
                1.1289041451851548, False,
            ),
            Activation(
                "softsign", "Softsign", F.softsign, F.softsign_derivative,
                (-1.0, 1.0), _OPEN, True, 1.0, True,
            ),
            Activation(
                "hard_sigmoid", "Hard sigmoid", F.hard_sigmoid, F.hard_sigmoid_derivative,
                (0.0, 1.0), (True, True), False, 1.0 / 6.0, True,
            ),
        )
    }
)  # fmt: skip

_ALIASES = {"swish": "silu", "expit": "sigmoid"}


def get(name: str) -> Activation:
    """Look an activation up by name; case, ``-`` for ``_`` and aliases are accepted.

    Raises
    ------
    ValueError
        If the name is unknown; the message lists the known names.

    Examples
    --------
    >>> get("Leaky-ReLU").name
    'leaky_relu'
    >>> get("swish").label
    'SiLU (swish)'
    >>> get("step")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: unknown activation 'step'; known: sigmoid, tanh, relu, ..., hard_sigmoid
    """
    key = name.strip().lower().replace("-", "_")
    key = _ALIASES.get(key, key)
    try:
        return ACTIVATIONS[key]
    except KeyError:
        known = ", ".join(ACTIVATIONS)
        raise ValueError(f"unknown activation {name!r}; known: {known}") from None
