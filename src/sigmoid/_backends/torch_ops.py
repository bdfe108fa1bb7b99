"""PyTorch: the compiled kernels as torch operators, with the family's derivatives in autograd.

Imported only for an input that is a tensor (so torch is already imported).
Every function of the family with kernels is an operator ``sigmoid::<name>``
(`torch.library.custom_op`): on a CPU tensor it runs the NumPy engine on the
tensor's own memory (``Tensor.numpy()`` is a view, any strides), so results
are bit-identical to the NumPy path; it has a fake implementation (for
``torch.compile``, ``fullgraph=True`` included, and the meta device) and a
vmap rule. float16 and bfloat16 go through the NumPy engine's paths for them
(the float64 result, correctly rounded once), so they are bit-identical to
NumPy's too. Tensors on other devices (CUDA, MPS) run the array-API formulas
with the device's own operations.

Autograd: `function(name)` wraps the value in a ``torch.autograd.Function``
whose backward (and forward-mode jvp) is the derivative named in FAMILY,
itself such a function: double backward works, up to σ's fourth
derivative (formula only, no kernel). The classes are made at import, so
``torch.compile`` never has to trace their creation. In eager reverse mode
on a float32 or float64 CPU tensor, the forward pass computes the
derivative alongside the value in one dual loop (`_WithDerivative`) and
keeps it, so that the backward pass is one multiplication.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from array_api_compat import torch as xp

from sigmoid import _engine
from sigmoid._family import FAMILY, Function, kernel_derivative

from . import array_api

__all__ = ["OPERATORS", "evaluate", "function"]

_FLOAT64, _BFLOAT16 = torch.float64, torch.bfloat16


def _kernel(entry: Function, x: torch.Tensor) -> torch.Tensor:
    """entry(x) by the NumPy engine on the CPU tensor's memory."""
    if x.dtype == _BFLOAT16:  # the float64 result rounded once, as for NumPy's bfloat16
        # (torch's own conversion rounds to float32 first: twice, sometimes wrongly)
        bits = _engine.bfloat16_bits(entry, x.detach().to(_FLOAT64).numpy())
        return torch.from_numpy(bits.view(np.int16)).view(_BFLOAT16)
    y = _engine.evaluate(entry, _array(x))
    return torch.from_numpy(y if type(y) is np.ndarray else np.asarray(y))


def _array(x: torch.Tensor) -> np.ndarray:
    """The CPU tensor's memory as a NumPy array (any strides)."""
    if x.requires_grad:
        x = x.detach()
    if x.is_neg():  # a lazily negated view has no NumPy equivalent
        x = x.resolve_neg()
    return x.numpy()


def _operator(entry: Function) -> Any:
    @torch.library.custom_op(
        f"sigmoid::{entry.name}", mutates_args=(), schema="(Tensor x) -> Tensor"
    )
    def operator(x: torch.Tensor) -> torch.Tensor:
        return _kernel(entry, x)

    @operator.register_fake
    def _(x: torch.Tensor) -> torch.Tensor:
        return torch.empty_like(x, memory_format=torch.contiguous_format)

    def vmap_rule(info: Any, in_dims: tuple[int | None], x: torch.Tensor) -> Any:
        return operator(x), in_dims[0]  # elementwise: the batch dimension stays where it is

    operator.register_vmap(vmap_rule)
    return operator


#: The operators, by function name (torch.ops.sigmoid.<name>).
OPERATORS: dict[str, Any] = {
    name: _operator(entry) for name, entry in FAMILY.items() if entry.kernels is not None
}


# What traced code reads, in plain dicts (torch.compile cannot trace FAMILY's
# read-only mapping): the formulas, and d/dx f(x) = derivative(-x if flip else x).
_FORMULAS = {
    name: array_api.narrow_in_float32(functools.partial(entry.formula, xp=xp), xp)
    for name, entry in FAMILY.items()
}
_DERIVATIVES = {
    name: (entry.derivative, entry.flip)
    for name, entry in FAMILY.items()
    if entry.derivative is not None
}


_ENTRIES = {name: FAMILY[name] for name in OPERATORS}


def _value(name: str, x: torch.Tensor) -> torch.Tensor:
    if x.is_cpu and name in OPERATORS:
        if _needs_no_rule(x):  # eager and untracked: the kernel, without the operator's dispatch
            return _kernel(_ENTRIES[name], x)
        result: torch.Tensor = OPERATORS[name](x)
        return result
    # Other devices, and the derivatives that only have a formula: float16 and
    # bfloat16 computed in float32 (in float16 arithmetic the third derivative
    # is off by hundreds of ULP next to its zeros).
    value: torch.Tensor = array_api.evaluate(x, xp, _FORMULAS[name])
    return value


def _derivative(name: str, x: torch.Tensor) -> torch.Tensor:
    derivative, flip = _DERIVATIVES[name]
    x = -x if flip else x
    if _needs_no_rule(x):  # a backward that builds no graph needs no rule of its own
        return _value(derivative, x)
    return _FUNCTIONS[derivative](x)


class _Logistic(torch.autograd.Function):
    """FAMILY[name] at x, with its derivative as the gradient rule, for any name."""

    # forward without ctx (setup_context apart) lets torch.func (vmap, grad) use it.
    generate_vmap_rule = True

    @staticmethod
    def forward(x: torch.Tensor, name: str) -> torch.Tensor:
        return _value(name, x)

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[torch.Tensor, str], output: Any) -> None:
        ctx.save_for_backward(inputs[0])
        ctx.save_for_forward(inputs[0])
        ctx.name = inputs[1]

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        (x,) = ctx.saved_tensors
        return grad * _derivative(ctx.name, x), None


class _LogisticWithJvp(_Logistic):
    @staticmethod
    def jvp(ctx: Any, tangent: torch.Tensor, _: None) -> torch.Tensor:
        # Forward mode needs the rule too: differentiating the formula
        # through |x| would give 0 instead of σ'(0) = 1/4 at x = 0.
        (x,) = ctx.saved_tensors
        return tangent * _derivative(ctx.name, x)


class _WithDerivative(torch.autograd.Function):
    """FAMILY[name] at x with its derivative computed alongside, in one pass, for backward.

    Eager autograd only (a plain CPU float32 or float64 tensor that requires
    grad): the forward pass runs the dual loop (`sigmoid._engine.with_derivative`),
    which shares the two kernels' common work, and the backward pass is one
    multiplication. Under ``create_graph`` the backward pass goes through the
    differentiable derivative instead, so that double backward still works.
    """

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, name: str) -> torch.Tensor:
        pair = _engine.with_derivative(_ENTRIES[name], _array(x))
        assert pair is not None  # (the caller checked the dtype and the function)
        value, derivative = torch.from_numpy(pair[0]), torch.from_numpy(pair[1])
        ctx.save_for_backward(x, derivative)
        ctx.name = name
        return value

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        x, derivative = ctx.saved_tensors
        if torch.is_grad_enabled():  # create_graph: the derivative must be differentiable too
            return grad * _derivative(ctx.name, x), None
        return grad * derivative, None


_DUAL_DTYPES = (torch.float32, torch.float64)
_WITH_DERIVATIVE = {
    name for name, entry in _ENTRIES.items() if kernel_derivative(entry) is not None
}


def _rule(name: str) -> Callable[[torch.Tensor], torch.Tensor]:
    dual = name in _WITH_DERIVATIVE

    def rule(x: torch.Tensor) -> torch.Tensor:
        if dual and x.dtype in _DUAL_DTYPES and _tracked_by_autograd_only(x):
            value: torch.Tensor = _WithDerivative.apply(x, name)  # type: ignore[no-untyped-call]
            return value
        # torch.compile cannot trace a Function with a custom jvp; eager
        # forward mode (torch.func.jvp) needs one.
        function_class = _Logistic if torch.compiler.is_compiling() else _LogisticWithJvp
        result: torch.Tensor = function_class.apply(x, name)  # type: ignore[no-untyped-call]
        return result

    return rule


# In a plain dict keyed by strings, so that torch.compile can read it.
def _plain(name: str) -> Callable[[torch.Tensor], torch.Tensor]:
    return lambda x: _value(name, x)


_FUNCTIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    name: (_rule if entry.derivative is not None else _plain)(name)
    for name, entry in FAMILY.items()
}


def function(name: str) -> Callable[[torch.Tensor], torch.Tensor]:
    """FAMILY[name] for tensors, differentiable with the family's derivatives."""
    return _FUNCTIONS[name]


_grad_enabled, _forward_ad, _is_compiling = (
    torch.is_grad_enabled,
    torch.autograd.forward_ad,
    torch.compiler.is_compiling,
)
# functorch's wrapped tensors (vmap, grad, jvp) need the operator and its rules.
_is_wrapped = getattr(torch._C._functorch, "is_functorch_wrapped_tensor", lambda x: True)


def _eager_cpu(x: torch.Tensor) -> bool:
    """Whether x is a CPU tensor that no forward mode, transform or compiler is tracking."""
    return (
        x.is_cpu
        and _forward_ad._current_level < 0  # no forward-mode dual level entered
        and not _is_compiling()
        and not _is_wrapped(x)
    )


def _needs_no_rule(x: torch.Tensor) -> bool:
    """Whether x is a plain CPU tensor that no autograd, transform or compiler is tracking.

    Such a call can skip the operator's dispatch and the autograd.Function
    (together ~20 µs, 5x the whole cost of a call on 10 elements).
    """
    return not (x.requires_grad and _grad_enabled()) and _eager_cpu(x)


def _tracked_by_autograd_only(x: torch.Tensor) -> bool:
    """Whether x is a CPU tensor that eager reverse-mode autograd tracks, and nothing else."""
    return x.requires_grad and _grad_enabled() and _eager_cpu(x)


def evaluate(entry: Function, x: torch.Tensor) -> torch.Tensor:
    """entry(x) for a tensor: integers and booleans promote to the default float dtype.

    >>> import torch
    >>> from sigmoid._family import FAMILY
    >>> evaluate(FAMILY["sigmoid"], torch.tensor([0.0, 40.0], dtype=torch.float64))
    tensor([0.5000, 1.0000], dtype=torch.float64)
    """
    if not x.is_floating_point():
        x = array_api.as_floating(x, xp)
    if entry.kernels is not None and _needs_no_rule(x):
        return _kernel(entry, x)
    return _FUNCTIONS[entry.name](x)
