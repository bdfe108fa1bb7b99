"""Gradient rules for PyTorch and JAX, so autograd uses our accurate derivatives.

A framework's own ``sigmoid`` has the backward ``y * (1 - y)``, which loses
the tails: σ'(40) in float64 would be 0, not 4.25e-18. Differentiating our
formulas operation by operation keeps the tails but is wrong at x = 0 (the
derivative of |x| there is taken as 0) and compounds roundings. So each
function gets a gradient rule (a ``torch.autograd.Function`` with backward
and forward mode, a ``jax.custom_jvp``) whose derivative is the next formula
of the family evaluated at x. Those derivatives have rules too, so higher
derivatives are accurate, up to the fourth derivative of σ; asking autograd
for a fifth raises `NotImplementedError`.

Nothing here imports a framework: a rule is built only for an input that is
already a tensor of it, taking the module from ``sys.modules``.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

from sigmoid._family import FAMILY

__all__ = ["implementation"]

# Built once per (name, namespace), in a plain dict keyed by strings rather than
# functools.cache keyed by modules, so that torch.compile can read it.
_IMPLEMENTATIONS: dict[tuple[str, str], Callable[[Any], Any]] = {}


def implementation(name: str, xp: Any) -> Callable[[Any], Any]:
    """name's formula in namespace `xp`, with our gradient rule where `xp` differentiates.

    Examples
    --------
    >>> import numpy as np
    >>> from array_api_compat import numpy as xp
    >>> implementation("softplus", xp)(np.array([0.0, 1000.0]))
    array([6.93147181e-01, 1.00000000e+03])
    """
    function = _IMPLEMENTATIONS.get((name, xp.__name__))
    if function is None:
        _build(xp)
        function = _IMPLEMENTATIONS[name, xp.__name__]
    return function


def _build(xp: Any) -> None:
    # Every function of the namespace at once: a backward pass traced later by
    # torch.compile then finds its derivatives built and needs no class creation.
    from array_api_compat import is_jax_namespace, is_torch_namespace

    torch_classes = _torch_functions(xp) if is_torch_namespace(xp) else None
    for name, entry in FAMILY.items():
        function: Callable[[Any], Any] = functools.partial(entry.formula, xp=xp)
        if entry.derivative is not None and torch_classes is not None:
            function = _torch_rule(torch_classes, name)
        elif entry.derivative is not None and is_jax_namespace(xp):
            function = _jax_function(name, xp)
        _IMPLEMENTATIONS[name, xp.__name__] = function


def _derivative(name: str, xp: Any, x: Any) -> Any:
    entry = FAMILY[name]
    assert entry.derivative is not None  # only functions with a rule get here
    return implementation(entry.derivative, xp)(-x if entry.flip else x)


def _torch_rule(classes: tuple[Any, Any], name: str) -> Callable[[Any], Any]:
    torch: Any = sys.modules["torch"]
    traceable, with_jvp = classes

    def rule(x: Any) -> Any:
        # torch.compile cannot trace a Function with a custom jvp; eager forward
        # mode (torch.func.jvp) needs one.
        function_class = traceable if torch.compiler.is_compiling() else with_jvp
        return function_class.apply(x, name)

    return rule


def _torch_functions(xp: Any) -> tuple[Any, Any]:
    torch: Any = sys.modules["torch"]

    class LogisticFunction(torch.autograd.Function):  # type: ignore[misc]
        """FAMILY[name]'s formula at x, with its derivative as the gradient rule, for any name."""

        # forward without ctx (setup_context apart) lets torch.func (vmap, grad) use it.
        generate_vmap_rule = True

        @staticmethod
        def forward(x: Any, name: str) -> Any:
            return FAMILY[name].formula(x, xp)

        @staticmethod
        def setup_context(ctx: Any, inputs: tuple[Any, str], output: Any) -> None:
            ctx.save_for_backward(inputs[0])
            ctx.save_for_forward(inputs[0])
            ctx.name = inputs[1]

        @staticmethod
        def backward(ctx: Any, grad: Any) -> tuple[Any, None]:
            (x,) = ctx.saved_tensors
            return grad * _derivative(ctx.name, xp, x), None

    class LogisticFunctionWithJvp(LogisticFunction):
        @staticmethod
        def jvp(ctx: Any, tangent: Any, _: None) -> Any:
            # Forward mode needs the rule too: differentiating the formula
            # through |x| would give 0 instead of σ'(0) = 1/4 at x = 0.
            (x,) = ctx.saved_tensors
            return tangent * _derivative(ctx.name, xp, x)

    return LogisticFunction, LogisticFunctionWithJvp


def _jax_function(name: str, xp: Any) -> Callable[[Any], Any]:
    jax: Any = sys.modules["jax"]
    formula = FAMILY[name].formula

    def function(x: Any) -> Any:
        return formula(x, xp)

    function.__name__ = function.__qualname__ = name
    wrapped = jax.custom_jvp(function)

    def jvp(primals: tuple[Any], tangents: tuple[Any]) -> tuple[Any, Any]:
        ((x,), (t,)) = primals, tangents
        return wrapped(x), _derivative(name, xp, x) * t

    wrapped.defjvp(jvp)
    # jit: eagerly, one compiled computation instead of a dispatch per operation;
    # inside the user's own jit, grad or vmap it is simply inlined.
    result: Callable[[Any], Any] = jax.jit(wrapped)
    return result
