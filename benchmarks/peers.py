"""What the speed benchmark compares: for each function of the family, ours and its peers.

The rows of ours come from the family table (`PUBLIC` in tests/family.py), so
a function the benchmark covers is called exactly as the tests call it; only
its peers are written here, in `PEERS`. A peer whose library fails to import
is recorded in `MISSING` and reported as missing, not a crash.
"""

from __future__ import annotations

import os

# Set before torch and numexpr load their OpenMP runtimes: by default an OpenMP
# thread spins for a while after each call, stealing a core from whichever
# implementation runs next in the round-robin (the threaded ones suffer most).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import importlib
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np

import sigmoid as sg
from sigmoid._family import DERIVATIVE_ORDERS, FAMILY

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from family import PUBLIC  # type: ignore[import-not-found]

NUMEXPR = "1/(1+exp(-x))"
OURS, OURS_OUT = "ours", "ours, out="
EXPIT, TORCH_F, TORCH_OUT = "scipy.special.expit", "torch.sigmoid", "torch.sigmoid, out="
TEXTBOOK = "1/(1+np.exp(-x))"
#: The peers that compute what ours does in float32, as closely as they can:
#: in float64, rounded once to float32 (at most nearly correctly rounded).
TORCH_VIA_F64 = "torch.sigmoid(t.double()).float()"
TORCH_VIA_F64_OUT = "w.copy_(t); torch.sigmoid(w, out=w); o.copy_(w)"
EXPIT_VIA_F64 = "expit(x.astype(float64)).astype(float32)"
VIA_F64 = (TORCH_VIA_F64, TORCH_VIA_F64_OUT, EXPIT_VIA_F64)
COPYTO, COPY_ALLOCATING = "copy: np.copyto(dst, x)", "copy: x.copy() (allocates)"
#: Ours is also timed with out= for these: the headline and the targets need it.
WITH_OUT = ("sigmoid",)
MISSING: dict[str, str] = {}


def optional(module: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as error:
        MISSING[module] = f"{type(error).__name__}: {error}"
        return None


special = optional("scipy.special")
torch = optional("torch")
jax = optional("jax")
numexpr = optional("numexpr")
if jax is not None:
    jax.config.update("jax_enable_x64", True)  # else JAX silently computes float64 in float32
#: The optional libraries by the name their version is reported under (None: missing).
LIBRARIES = {"scipy": special, "torch": torch, "jax": jax, "numexpr": numexpr}

#: Given the input (a 1-D array, or a 0-d one for the scalar case), build the
#: buffers an implementation needs and return the call to time (None: n/a).
Setup = Callable[[np.ndarray], Callable[[], Any] | None]


def call(func: Callable[[Any], Any], python_float: bool = True) -> Setup:
    """func on what a user passes: the array, or for the scalar case a Python float
    (float64) or a NumPy float32 scalar (float32); NumPy scalars only if not python_float."""

    def setup(x: np.ndarray) -> Callable[[], Any]:
        v = x if x.ndim else x.item() if python_float and x.dtype == np.float64 else x[()]
        return lambda: func(v)

    return setup


def of_probabilities(setup: Setup) -> Setup:
    """The same setup on p = σ(x) in (0, 1), of x's dtype and shape: logit's input."""
    return lambda x: setup(np.asarray(sg.sigmoid(x), dtype=x.dtype).reshape(x.shape))


def into(func: Callable[..., Any]) -> Setup:
    def setup(x: np.ndarray) -> Callable[[], Any] | None:
        out = np.empty_like(x)
        return (lambda: func(x, out=out)) if x.ndim else None

    return setup


def on_tensor(func: Callable[..., Any], out: bool = False) -> Setup:
    """func on a CPU tensor sharing memory with the array (0-d for the scalar case)."""

    def setup(x: np.ndarray) -> Callable[[], Any] | None:
        t = torch.from_numpy(x)
        if not out:
            return lambda: func(t)
        o = torch.empty_like(t)
        return (lambda: func(t, out=o)) if x.ndim else None

    return setup


def float32_only(setup: Setup) -> Setup:
    """The setup for float32 input; n/a in float64 (where it is the plain peer again)."""
    return lambda x: setup(x) if x.dtype == np.float32 else None


def torch_via_float64_into(x: np.ndarray) -> Callable[[], Any] | None:
    """torch.sigmoid in float64 with out= (no allocation): widen into w, in place, round into o."""
    t = torch.from_numpy(x)
    w, o = torch.empty_like(t, dtype=torch.float64), torch.empty_like(t)
    return (lambda: o.copy_(torch.sigmoid(w.copy_(t), out=w))) if x.ndim else None


def torch_backward(x: np.ndarray) -> Callable[[], Any]:
    """The backward of torch.sigmoid alone, from its saved output y (computed beforehand)."""
    y = torch.sigmoid(torch.from_numpy(x))
    grad = torch.ones_like(y)
    return lambda: torch.ops.aten.sigmoid_backward(grad, y)


def jitted(func: Callable[[Any], Any]) -> Setup:
    """jax.jit(func) on the array put on JAX's device, compiled and run once here."""

    def setup(x: np.ndarray) -> Callable[[], Any]:
        compiled, xj = jax.jit(func), jax.device_put(x)
        compiled(xj).block_until_ready()
        return lambda: compiled(xj).block_until_ready()

    return setup


def forward_backward(func: Callable[[Any], Any]) -> Setup:
    """y = func(x), then y.backward(g), on a tensor x that requires grad (its grad cleared
    first, so no call accumulates into the last one's); g, ones, is made beforehand."""

    def setup(x: np.ndarray) -> Callable[[], Any]:
        t = torch.from_numpy(x).requires_grad_()
        g = torch.ones_like(t)

        def call() -> None:
            t.grad = None
            func(t).backward(g)

        return call

    return setup


def copy_into(x: np.ndarray) -> Callable[[], Any] | None:
    dst = np.empty_like(x)
    return (lambda: np.copyto(dst, x)) if x.ndim else None


def textbook_sigmoid(x: Any) -> Any:
    return 1 / (1 + np.exp(-x))


def textbook_derivative(x: Any) -> Any:
    s = special.expit(x)  # timed too: a user has to compute it
    return s * (1 - s)


def textbook_derivative2(x: Any) -> Any:
    s = special.expit(x)
    return s * (1 - s) * (1 - 2 * s)


def textbook_derivative3(x: Any) -> Any:
    s = special.expit(x)
    return s * (1 - s) * (1 - 6 * s * (1 - s))


@dataclass(frozen=True)
class Impl:
    label: str
    setup: Setup
    needs: Any = sg  # the module it needs: None when that failed to import
    role: Literal["ours", "peer", "copy"] = "peer"
    versus: str = OURS  # the row of ours a peer is compared with


# The lambdas look a peer's library up when called, not here, where it may be None.
PEERS: dict[str, tuple[Impl, ...]] = {
    "sigmoid": (
        Impl(TEXTBOOK, call(textbook_sigmoid, python_float=False)),
        Impl(EXPIT, call(lambda v: special.expit(v)), special),
        Impl(TORCH_F, on_tensor(lambda t: torch.sigmoid(t)), torch),
        Impl(
            TORCH_OUT,
            on_tensor(lambda t, out: torch.sigmoid(t, out=out), out=True),
            torch,
            versus=OURS_OUT,
        ),
        Impl(
            f'numexpr "{NUMEXPR}"',
            call(lambda v: numexpr.evaluate(NUMEXPR, local_dict={"x": v}), python_float=False),
            numexpr,
        ),
        Impl("jax.nn.sigmoid (jit)", jitted(lambda v: jax.nn.sigmoid(v)), jax),
        Impl(
            TORCH_VIA_F64,
            float32_only(on_tensor(lambda t: torch.sigmoid(t.double()).float())),
            torch,
        ),
        Impl(TORCH_VIA_F64_OUT, float32_only(torch_via_float64_into), torch, versus=OURS_OUT),
        Impl(
            EXPIT_VIA_F64,
            float32_only(
                call(
                    lambda v: special.expit(v.astype(np.float64)).astype(np.float32),
                    python_float=False,
                )
            ),
            special,
        ),
    ),
    "sigmoid_derivative": (
        Impl("s*(1-s), s = scipy.special.expit(x) timed too", call(textbook_derivative), special),
        Impl("torch sigmoid_backward(grad, y), y precomputed", torch_backward, torch),
    ),
    "sigmoid_derivative2": (
        Impl("s*(1-s)*(1-2s), s = scipy.special.expit(x)", call(textbook_derivative2), special),
    ),
    "sigmoid_derivative3": (
        Impl(
            "s*(1-s)*(1-6s(1-s)), s = scipy.special.expit(x)", call(textbook_derivative3), special
        ),
    ),
    "log_sigmoid": (
        Impl("scipy.special.log_expit", call(lambda v: special.log_expit(v)), special),
        Impl(
            "torch.nn.functional.logsigmoid",
            on_tensor(lambda t: torch.nn.functional.logsigmoid(t)),
            torch,
        ),
    ),
    "logit": (
        Impl("scipy.special.logit", call(lambda v: special.logit(v)), special),
        Impl("torch.logit", on_tensor(lambda t: torch.logit(t)), torch),
    ),
}
COPIES = (
    Impl(COPYTO, copy_into, role="copy"),
    Impl(COPY_ALLOCATING, lambda x: x.copy if x.ndim else None, role="copy"),
)


def rows(name: str) -> tuple[Impl, ...]:
    """Ours, its peers and the copies for the family's function `name`."""
    public = PUBLIC[name]
    ours = [Impl(OURS, call(public), role="ours")]
    if name in WITH_OUT:
        ours.append(Impl(OURS_OUT, into(public), role="ours"))
    impls = [*ours, *PEERS[name]]
    if FAMILY[name].domain == "unit":
        impls = [replace(i, setup=of_probabilities(i.setup)) for i in impls]
    return (*impls, *COPIES)  # a copy's time does not depend on the values it copies


def title(name: str) -> str:
    """How the tables name a function: the higher derivatives by their order, as called."""
    if name in DERIVATIVE_ORDERS[2:]:
        return f"sigmoid_derivative, order={DERIVATIVE_ORDERS.index(name)}"
    return name


# A misspelt key in PEERS would otherwise drop its function from the benchmark unnoticed.
if not PEERS.keys() <= PUBLIC.keys():
    raise KeyError(f"peers of functions not in the family: {sorted(PEERS.keys() - PUBLIC)}")
#: Every function the benchmark covers, in the family's order: name -> its rows.
FUNCTIONS: dict[str, tuple[Impl, ...]] = {name: rows(name) for name in PUBLIC if name in PEERS}

# GELU, the slowest of the activations compared with σ: held to 5x σ's time.
_GELU = sg.activations.get("gelu")
FUNCTIONS["gelu"] = (
    Impl(OURS, call(_GELU.function), role="ours"),
    Impl("sigmoid.activations gelu derivative", call(_GELU.derivative)),
    Impl("sigmoid.sigmoid (the reference: gelu within 5x)", call(sg.sigmoid)),
    Impl(
        "torch.nn.functional.gelu (erf form)",
        on_tensor(lambda t: torch.nn.functional.gelu(t)),
        torch,
    ),
    *COPIES,
)


def versus(ours: Impl, *others: Impl) -> tuple[Impl, ...]:
    """A group of rows: ours, then the others, each compared with ours."""
    return ours, *(replace(other, versus=ours.label) for other in others)


TENSOR, TENSOR_NUMPY, TORCH = "sg.sigmoid(t)", "sg.sigmoid(t.numpy())", "torch.sigmoid(t)"
BACKWARD, TORCH_BACKWARD = f"{TENSOR}.backward(g)", f"{TORCH}.backward(g)"
JIT, JAX_JIT = "jax.jit(sg.sigmoid)", "jax.jit(jax.nn.sigmoid)"
ON_TENSOR, ON_BACKWARD, ON_JIT = (
    "`sg.sigmoid` on a CPU tensor",
    "forward + backward on a CPU tensor",
    "`jax.jit` on a CPU array",
)
#: The other array libraries: each group of rows by its title (t: a CPU tensor
#: sharing memory with the NumPy array; for JAX, that array put on its device).
FRAMEWORKS: dict[str, tuple[Impl, ...]] = {
    ON_TENSOR: versus(
        Impl(TENSOR, on_tensor(sg.sigmoid), torch, role="ours"),
        Impl(TENSOR_NUMPY, on_tensor(lambda t: sg.sigmoid(t.numpy())), torch),
        Impl(TORCH, on_tensor(lambda t: torch.sigmoid(t)), torch),
    ),
    ON_BACKWARD: versus(
        Impl(BACKWARD, forward_backward(sg.sigmoid), torch, role="ours"),
        Impl(TORCH_BACKWARD, forward_backward(lambda t: torch.sigmoid(t)), torch),
    ),
    ON_JIT: versus(
        Impl(JIT, jitted(sg.sigmoid), jax, role="ours"),
        Impl(JAX_JIT, jitted(lambda v: jax.nn.sigmoid(v)), jax),
    ),
}
#: Every group of rows the benchmark times, by name: the family's, then the other libraries'.
GROUPS: dict[str, tuple[Impl, ...]] = FUNCTIONS | FRAMEWORKS
