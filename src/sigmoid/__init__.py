"""The logistic sigmoid family for Python arrays: correctly rounded, fast, never warns.

>>> import sigmoid as sg
>>> sg.sigmoid([-2.0, 0.0, 2.0])
array([0.11920292, 0.5       , 0.88079708])
"""

from . import activations
from ._api import (
    expit,
    log_sigmoid,
    logistic,
    logit,
    sigmoid,
    sigmoid_derivative,
    softplus,
)

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "activations",
    "expit",
    "log_sigmoid",
    "logistic",
    "logit",
    "sigmoid",
    "sigmoid_derivative",
    "softplus",
]
