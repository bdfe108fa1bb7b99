"""Gradient rules for JAX (and any array-API library), so autograd uses our accurate derivatives.

A framework's own ``sigmoid`` has the backward ``y * (1 - y)``, which loses
the tails: σ'(40) in float64 would be 0, not 4.25e-18. Differentiating our
formulas operation by operation keeps the tails but is wrong at x = 0 (the
derivative of |x| there is taken as 0) and compounds roundings. So each
function gets a gradient rule (a ``jax.custom_jvp``) whose derivative is the
next formula of the family evaluated at x (PyTorch's rules, over the compiled
kernels, are in `sigmoid._backends.torch_ops`). Those derivatives have rules too, so higher
derivatives are accurate, up to the fourth derivative of σ; asking autograd
for a fifth raises `NotImplementedError`.

On JAX's CPU backend the function itself is the compiled kernels: an XLA FFI
call for float32 and float64 (`_ffi_target`, a handler per function compiled
by `sigmoid._kernels.loops` and registered on first use), a host callback for
float16 and bfloat16 or where the FFI is unavailable.

Nothing here imports a framework: a rule is built only for an input that is
already a tensor of it, taking the module from ``sys.modules``.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from sigmoid import _engine
from sigmoid._family import FAMILY, Function

from . import array_api

__all__ = ["implementation"]

# Built once per (name, namespace), in a plain dict keyed by strings.
_IMPLEMENTATIONS: dict[tuple[str, str], Callable[[Any], Any]] = {}
# The XLA FFI target of each function (None: the host callback instead), and
# the handlers behind them, kept alive: XLA holds their raw addresses.
_FFI_TARGETS: dict[str, str | None] = {}
_FFI_HANDLERS: list[Any] = []


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
    # Every function of the namespace at once: a traced derivative finds its rule built.
    from array_api_compat import is_jax_namespace

    for name, entry in FAMILY.items():
        function = array_api.narrow_in_float32(functools.partial(entry.formula, xp=xp), xp)
        if entry.derivative is not None and is_jax_namespace(xp):
            function = _jax_function(name, xp)
        _IMPLEMENTATIONS[name, xp.__name__] = function


def _derivative(name: str, xp: Any, x: Any) -> Any:
    entry = FAMILY[name]
    assert entry.derivative is not None  # only functions with a rule get here
    return implementation(entry.derivative, xp)(-x if entry.flip else x)


def _on_host(entry: Function, x: np.ndarray) -> np.ndarray:
    """entry(x) by the NumPy engine, for a JAX callback, in x's dtype (bfloat16 included)."""
    from sigmoid._kernels import dd  # numba: the kernels are about to run anyway

    x = np.asarray(x)
    mode = dd.keep_subnormals()  # XLA's threads flush subnormals to 0
    try:
        return np.asarray(_engine.evaluate(entry, x))
    finally:
        dd.restore_mxcsr(mode)


def _ffi_target(entry: Function) -> str | None:
    """The XLA FFI target running entry's loops on the CPU, registered once; None if unavailable.

    None where jax has no ``jax.ffi``, the C layout is not the one
    `sigmoid._kernels.xla_ffi` reads, XLA refuses the handler (a new major
    version of its FFI), or SIGMOID_JAX_FFI=0 asks for the host callback.
    """
    if entry.name in _FFI_TARGETS:
        return _FFI_TARGETS[entry.name]
    jax: Any = sys.modules["jax"]
    target = None
    if os.environ.get("SIGMOID_JAX_FFI", "1") != "0" and hasattr(jax, "ffi"):
        from sigmoid._kernels import loops, xla_ffi

        if xla_ffi.SUPPORTED:
            handler = loops.build("ffi", entry)
            # Unique to this handler: a name is bound to one address for the process.
            name = f"sigmoid_{entry.name}_{handler.address:x}"
            try:
                # The CPU backend first: a registration queued before it starts
                # is checked then, and a refused one fails the whole backend.
                jax.devices("cpu")
                capsule = jax.ffi.pycapsule(handler.address)
                jax.ffi.register_ffi_target(name, capsule, platform="cpu", api_version=1)
            except Exception:  # refused: keep the host callback
                pass
            else:
                _FFI_HANDLERS.append(handler)
                target = name
    _FFI_TARGETS[entry.name] = target
    return target


def _jax_function(name: str, xp: Any) -> Callable[[Any], Any]:
    jax: Any = sys.modules["jax"]
    entry = FAMILY[name]
    formula = array_api.narrow_in_float32(functools.partial(entry.formula, xp=xp), xp)
    on_host = functools.partial(_on_host, entry)

    def function(x: Any) -> Any:
        # On the CPU backend, the compiled kernels (the NumPy path's results,
        # bit for bit): float32 and float64 as an XLA FFI call on XLA's own
        # buffers, float16 and bfloat16 (or without the FFI) through a host
        # callback; on GPU and TPU, the formula.
        if entry.kernels is not None and jax.default_backend() == "cpu":
            shape = jax.ShapeDtypeStruct(x.shape, x.dtype)
            target = _ffi_target(entry) if x.dtype in (np.float32, np.float64) else None
            # Elementwise: a batch of inputs is just a larger array.
            if target is not None:
                return jax.ffi.ffi_call(target, shape, vmap_method="broadcast_all")(x)
            return jax.pure_callback(on_host, shape, x, vmap_method="expand_dims")
        return formula(x)

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
