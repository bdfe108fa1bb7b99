"""The family's public functions by name, derived from `sigmoid._family.FAMILY`.

Every function with compiled kernels, as a user calls it: ``PUBLIC["sigmoid"]``
is `sigmoid.sigmoid`, ``PUBLIC["sigmoid_derivative2"]`` is
``sigmoid_derivative(x, order=2)``. Shared by the tests, `benchmarks/` and
`tools/`, so that a new entry in the table is tested and measured everywhere.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import sigmoid as sg
from sigmoid._family import DERIVATIVE_ORDERS, FAMILY


def _public(name: str) -> Callable[..., Any]:
    if name in DERIVATIVE_ORDERS[2:]:
        return functools.partial(sg.sigmoid_derivative, order=DERIVATIVE_ORDERS.index(name))
    function: Callable[..., Any] = getattr(sg, name)
    return function


#: name -> the public function computing it (keyword options like ``out=`` pass through).
PUBLIC: dict[str, Callable[..., Any]] = {
    name: _public(name) for name, entry in FAMILY.items() if entry.kernels is not None
}
