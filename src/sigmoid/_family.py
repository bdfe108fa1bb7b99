"""The logistic family, each function named once.

`FAMILY` is the one table the rest of the package derives from: the compiled
loops and ufuncs (`sigmoid._kernels.loops`), the NumPy engine, the array-API
and longdouble paths, the gradient rules for PyTorch and JAX, and the tests'
and benchmarks' mpmath oracle. Adding a function is one entry here plus its
kernels in `sigmoid._kernels`.

Nothing here imports numba or mpmath: kernels are named, not imported, and
the mpmath reference takes the mpmath module as an argument.

>>> FAMILY["log_sigmoid"].derivative, FAMILY["log_sigmoid"].flip
('sigmoid', True)
>>> [f.name for f in FAMILY.values() if f.kernels is not None]  # doctest: +NORMALIZE_WHITESPACE
['sigmoid', 'sigmoid_derivative', 'sigmoid_derivative2', 'sigmoid_derivative3',
 'softplus', 'log_sigmoid', 'logit']
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

from ._backends import array_api as A

__all__ = ["DERIVATIVE_ORDERS", "FAMILY", "Function", "Kernels", "kernel_derivative"]


@dataclass(frozen=True, slots=True)
class Kernels:
    """Names of a function's numba kernels in `sigmoid._kernels.elementwise`.

    With ``mirror`` the function is -g(-x) for the g these name (log σ(x) is
    -softplus(-x)), in every dtype.
    """

    #: float64 -> float64, the float64 result; with ``f64_hard``, float64 ->
    #: (value, hard), hard where the value may not be the correctly rounded
    #: one (then ``f64_exact``'s function, or else ``f32_exact``'s, decides,
    #: rounded to float64).
    f64: str
    #: float64 -> (value, hard): the float32 result's value in plain float64,
    #: and whether it may round to the wrong float32 (then the exact path decides).
    f32_fast: str
    #: For flagged float32 values: a function of `sigmoid._kernels.exact`
    #: returning (k, qh, ql, sign) with ~100 bits, or None to use `f64`
    #: (the float32 result is then the float64 one rounded once).
    f32_exact: str | None = None
    mirror: bool = False
    f64_hard: bool = False
    #: For hard float64 values, when ``f32_exact``'s function is not accurate
    #: enough for them (it may settle for the float64 value where that rounds
    #: safely to float32).
    f64_exact: str | None = None
    #: The float32 and float64 loops' time per element on one core, in ns
    #: (`benchmarks/loops.py` on the AVX-512 machine of docs/benchmarks.md):
    #: how much work an array is, which decides whether a second thread pays
    #: for its hand-off (`sigmoid._engine.run`). Only speed depends on it.
    cost: tuple[float, float] = (1.0, 3.0)


@dataclass(frozen=True, slots=True)
class Function:
    """One function of the family and everything the package needs to know of it."""

    name: str
    #: Position in FAMILY: the compiled loops are generated from it (numba
    #: caches a generated loop on disk when its closure holds only this int).
    index: int
    #: The formula with array-API calls only, ``formula(x, xp)``.
    formula: Callable[..., Any]
    #: The value for x = -inf and x = +inf (for logit: at p = 0 and p = 1).
    limits: tuple[float, float]
    #: d/dx f(x) = FAMILY[derivative](-x if flip else x), for autograd.
    derivative: str | None = None
    flip: bool = False
    #: The compiled kernels; None for the helpers only autograd uses.
    kernels: Kernels | None = None
    #: The true value, ``reference(mpmath, x)`` for an mpmath number x.
    reference: Callable[[Any, Any], Any] | None = None
    #: "real" for all x; "unit" for [0, 1] (NaN outside).
    domain: Literal["real", "unit"] = "real"
    #: For 0 < |x| below this, the float64 kernel returns the leading term of
    #: the series at 0 exactly and loses the next one, which pulls the value
    #: toward 0 (σ'' = -x/8 + x³/24 - ...). Correctly rounded in float64 (where
    #: -x/8 is a subnormal tie the kernel rounds toward 0), but a narrower
    #: dtype's rounding must know it: -x/8 can be a bfloat16 rounding midpoint.
    truncated_below: float = 0.0

    def __reduce__(self) -> tuple[Callable[[str], Function], tuple[str]]:
        # Pickled by name (Dask sends it to its workers): the entry holds lambdas.
        return _by_name, (self.name,)


def _by_name(name: str) -> Function:
    return FAMILY[name]


def _mp_derivative(mp: Any, x: Any, order: int) -> Any:
    u = mp.exp(-abs(x))  # σ^(n) from u = e^-|x| <= 1: no overflow at any x
    if order == 1:
        return u / (1 + u) ** 2
    if order == 2:  # σ'' = -sign(x) u (1 - u) / (1 + u)³, 1 - u = -expm1(-|x|)
        return mp.sign(x) * u * mp.expm1(-abs(x)) / (1 + u) ** 3
    return u * (u * u - 4 * u + 1) / (1 + u) ** 4


_INF = float("inf")

_ENTRIES = (
    Function(
        "sigmoid",
        0,
        A.sigmoid,
        (0.0, 1.0),
        derivative="sigmoid_derivative",
        kernels=Kernels(
            "sigmoid_f64", "sigmoid_f32_fast", "sigmoid_exact", f64_hard=True, cost=(0.65, 1.8)
        ),
        reference=lambda mp, x: 1 / (1 + mp.exp(-x)),
    ),
    Function(
        "sigmoid_derivative",
        1,
        A.sigmoid_derivative,
        (0.0, 0.0),
        derivative="sigmoid_derivative2",
        kernels=Kernels(
            "sigmoid_derivative_f64",
            "sigmoid_derivative_f32_fast",
            "sigmoid_derivative_exact",
            f64_hard=True,
            cost=(0.87, 1.86),
        ),
        reference=lambda mp, x: _mp_derivative(mp, x, 1),
    ),
    Function(
        "sigmoid_derivative2",
        2,
        A.sigmoid_derivative2,
        (0.0, 0.0),
        derivative="sigmoid_derivative3",
        kernels=Kernels(
            "sigmoid_derivative2_f64",
            "sigmoid_derivative2_f32_fast",
            "sigmoid_derivative2_exact",
            f64_hard=True,
            cost=(2.4, 3.0),
        ),
        reference=lambda mp, x: _mp_derivative(mp, x, 2),
        truncated_below=2.0**-28,  # x³/24 is under 2^-56 x/8 there
    ),
    Function(
        "sigmoid_derivative3",
        3,
        A.sigmoid_derivative3,
        (0.0, 0.0),
        derivative="sigmoid_derivative4",
        kernels=Kernels(
            "sigmoid_derivative3_f64",
            "sigmoid_derivative3_f32_fast",
            "sigmoid_derivative3_exact",
            f64_hard=True,
            cost=(3.2, 3.7),
        ),
        reference=lambda mp, x: _mp_derivative(mp, x, 3),
    ),
    Function(
        "softplus",
        4,
        A.softplus,
        (0.0, _INF),
        derivative="sigmoid",
        kernels=Kernels(
            "softplus_f64",
            "softplus_f32_fast",
            "softplus_exact",
            f64_hard=True,
            f64_exact="softplus_exact64",
            cost=(1.2, 4.3),
        ),
        reference=lambda mp, x: mp.log1p(mp.exp(x)),
    ),
    Function(
        "log_sigmoid",
        5,
        A.log_sigmoid,
        (-_INF, 0.0),
        derivative="sigmoid",
        flip=True,  # d/dx log σ(x) = σ(-x)
        kernels=Kernels(
            "softplus_f64",
            "softplus_f32_fast",
            "softplus_exact",
            mirror=True,
            f64_hard=True,
            f64_exact="softplus_exact64",
            cost=(1.3, 4.5),
        ),
        reference=lambda mp, x: -mp.log1p(mp.exp(-x)),
    ),
    Function(
        "logit",
        6,
        A.logit,
        (-_INF, _INF),
        derivative="logit_derivative",
        kernels=Kernels(
            "logit_f64",
            "logit_f32_fast",
            "logit_exact",
            f64_hard=True,
            f64_exact="logit_exact64",
            cost=(0.87, 1.8),
        ),
        reference=lambda mp, p: mp.log(p / (1 - p)),
        domain="unit",
    ),
    # Only autograd needs these: the derivatives of the derivatives.
    Function("sigmoid_derivative4", 7, A.sigmoid_derivative4, (0.0, 0.0), "sigmoid_derivative5"),
    Function("sigmoid_derivative5", 8, A.sigmoid_derivative5, (0.0, 0.0)),
    Function("logit_derivative", 9, A.logit_derivative, (_INF, _INF), domain="unit"),
)

#: Every function by name, in index order.
FAMILY: Mapping[str, Function] = MappingProxyType({f.name: f for f in _ENTRIES})
assert all(f.index == i for i, f in enumerate(_ENTRIES))


#: `sigmoid_derivative(x, order=n)` is FAMILY[DERIVATIVE_ORDERS[n]].
def kernel_derivative(function: Function) -> Function | None:
    """function's derivative where both have compiled kernels, else None.

    Such a pair has a dual loop (`sigmoid._kernels.loops`): both in one pass.

    >>> [kernel_derivative(FAMILY[n]).name for n in ("sigmoid", "softplus", "log_sigmoid")]
    ['sigmoid_derivative', 'sigmoid', 'sigmoid']
    >>> kernel_derivative(FAMILY["logit"]) is None  # its derivative is a formula
    True
    """
    if function.kernels is None or function.derivative is None:
        return None
    derivative = FAMILY[function.derivative]
    return derivative if derivative.kernels is not None else None


DERIVATIVE_ORDERS = ("sigmoid", "sigmoid_derivative", "sigmoid_derivative2", "sigmoid_derivative3")
