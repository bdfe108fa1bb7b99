"""Autograd through PyTorch and JAX gives our accurate derivatives, not y * (1 - y)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import sigmoid as sg
from optional import require

SIGMA_PRIME_40 = 4.248354255291589e-18  # σ'(40) in float64; y * (1 - y) gives 0
X = np.array([-745.0, -40.0, -3.0, -0.5, 0.0, 0.25, 1.0, 1.3169578969248166, 8.0, 40.0, 700.0])

# Each differentiable function with the NumPy function its derivative must equal.
GRADIENTS: dict[str, tuple[Callable[..., Any], Callable[[np.ndarray], Any]]] = {
    "sigmoid": (sg.sigmoid, sg.sigmoid_derivative),
    "log_sigmoid": (sg.log_sigmoid, lambda x: sg.sigmoid(-x)),
    "softplus": (sg.softplus, sg.sigmoid),
    "sigmoid_derivative": (sg.sigmoid_derivative, lambda x: sg.sigmoid_derivative(x, order=2)),
    "sigmoid_derivative2": (
        functools.partial(sg.sigmoid_derivative, order=2),
        lambda x: sg.sigmoid_derivative(x, order=3),
    ),
}


# torch.compile and torch.func load parts of torch that use TorchScript, which
# warns that it is deprecated; torch.compile also warns about its own
# instantiation of autograd.Function classes. Neither comes from us.
TORCH_OWN_WARNINGS = pytest.mark.filterwarnings(r"ignore:`torch\.jit\.script:DeprecationWarning")


def assert_close_in_ulps(got: np.ndarray, ref: np.ndarray, bound: int = 16) -> None:
    tolerance = bound * np.spacing(np.abs(ref)) + np.finfo(ref.dtype).smallest_subnormal
    assert np.all(np.abs(got - ref) <= tolerance), np.max(np.abs(got - ref) / tolerance)


# --- PyTorch ---------------------------------------------------------------------------


def test_torch_gradient_in_the_tail() -> None:
    torch = require("torch")
    x = torch.tensor(40.0, dtype=torch.float64, requires_grad=True)
    sg.sigmoid(x).backward()
    assert x.grad.item() == SIGMA_PRIME_40
    y = torch.tensor(40.0, dtype=torch.float64, requires_grad=True)
    torch.sigmoid(y).backward()
    assert y.grad.item() == 0.0  # what this package exists to avoid


@pytest.mark.parametrize("name", GRADIENTS)
def test_torch_gradients_are_the_accurate_derivatives(name: str) -> None:
    torch = require("torch")
    function, derivative = GRADIENTS[name]
    x = torch.tensor(X, requires_grad=True)
    function(x).sum().backward()
    assert x.grad.dtype == torch.float64
    assert_close_in_ulps(x.grad.numpy(), derivative(X))
    x32 = torch.tensor(X[2:-2], dtype=torch.float32, requires_grad=True)
    function(x32).sum().backward()
    assert x32.grad.dtype == torch.float32
    assert_close_in_ulps(x32.grad.numpy(), np.float32(derivative(X[2:-2].astype(np.float32))))


@pytest.mark.parametrize("name", [*GRADIENTS, "logit", "sigmoid_derivative3"])
def test_torch_gradcheck(name: str) -> None:
    torch = require("torch")
    if name == "logit":
        function: Callable[..., Any] = sg.logit
        x = torch.linspace(0.01, 0.99, 9, dtype=torch.float64, requires_grad=True)
    else:
        function = (
            GRADIENTS[name][0]
            if name in GRADIENTS
            else functools.partial(sg.sigmoid_derivative, order=3)
        )
        x = torch.linspace(-30, 30, 13, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(function, (x,))
    if name != "sigmoid_derivative3":  # its second derivative is σ's fifth
        assert torch.autograd.gradgradcheck(function, (x,))


def test_torch_fifth_derivative_is_refused() -> None:
    torch = require("torch")
    x = torch.tensor([0.5], dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(sg.sigmoid_derivative(x, order=3).sum(), x, create_graph=True)
    with pytest.raises(NotImplementedError, match="beyond the fourth"):
        torch.autograd.grad(g.sum(), x)


@TORCH_OWN_WARNINGS
def test_torch_func_transforms() -> None:
    torch = require("torch")
    x = torch.tensor([-40.0, 0.0, 40.0], dtype=torch.float64)
    grads = torch.func.vmap(torch.func.grad(sg.sigmoid))(x)
    np.testing.assert_array_equal(grads.numpy(), sg.sigmoid_derivative(x.numpy()))
    # Forward mode differentiates the stable formula itself, also exact in the tail.
    _, tangent = torch.func.jvp(sg.sigmoid, (x,), (torch.ones_like(x),))
    assert_close_in_ulps(tangent.numpy(), sg.sigmoid_derivative(x.numpy()), bound=4)


@pytest.mark.slow  # torch.compile takes half a minute
@TORCH_OWN_WARNINGS
@pytest.mark.filterwarnings("ignore:.*autograd.*should not be instantiated:DeprecationWarning")
def test_torch_compile_fullgraph() -> None:
    torch = require("torch")
    sg.sigmoid(torch.zeros(1))  # the gradient rule exists before compiling (see README)
    compiled = torch.compile(lambda t: sg.sigmoid(t) * 2.0, fullgraph=True)
    x = torch.tensor([-3.0, 0.5, 40.0], dtype=torch.float64, requires_grad=True)
    y = compiled(x)
    y.sum().backward()
    assert_close_in_ulps(y.detach().numpy(), 2 * sg.sigmoid(x.detach().numpy()), bound=4)
    assert_close_in_ulps(x.grad.numpy(), 2 * sg.sigmoid_derivative(x.detach().numpy()), bound=4)
    assert x.grad[2].item() == pytest.approx(2 * SIGMA_PRIME_40, rel=1e-15)


# --- JAX -------------------------------------------------------------------------------


@pytest.fixture
def jax_x64() -> Any:
    jax = require("jax")
    before = jax.config.jax_enable_x64
    with jax.enable_x64(True):
        yield jax
    assert jax.config.jax_enable_x64 == before


def test_jax_grad_in_the_tail(jax_x64: Any) -> None:
    jax = jax_x64
    assert float(jax.grad(sg.sigmoid)(40.0)) == SIGMA_PRIME_40
    assert float(jax.jit(jax.grad(sg.sigmoid))(40.0)) == SIGMA_PRIME_40
    assert float(jax.grad(jax.nn.sigmoid)(40.0)) == 0.0  # what this package exists to avoid


def test_jax_float32_without_x64() -> None:
    jax = require("jax")
    jnp = require("jax.numpy")
    grad = jax.grad(sg.sigmoid)(jnp.float32(40.0))
    assert grad.dtype == jnp.float32
    assert float(grad) == float(sg.sigmoid_derivative(np.float32(40.0)))


@pytest.mark.parametrize("name", GRADIENTS)
def test_jax_jit_grad_vmap(jax_x64: Any, name: str) -> None:
    jax = jax_x64
    jnp = require("jax.numpy")
    function, derivative = GRADIENTS[name]
    x = jnp.asarray(X)
    grads = jax.jit(jax.vmap(jax.grad(function)))(x)
    assert grads.dtype == jnp.float64
    assert_close_in_ulps(np.asarray(grads), derivative(X))
    values = jax.jit(function)(x)
    assert isinstance(values, jax.Array)
    assert_close_in_ulps(np.asarray(values), np.asarray(function(X)))


def test_jax_second_derivative_and_the_fifth(jax_x64: Any) -> None:
    jax = jax_x64
    second = jax.vmap(jax.hessian(sg.sigmoid))(jax.numpy.asarray(X))
    assert_close_in_ulps(np.asarray(second), sg.sigmoid_derivative(X, order=2))
    grad_logit = jax.vmap(jax.grad(sg.logit))(jax.numpy.asarray([0.25, 0.5, 0.999]))
    np.testing.assert_allclose(np.asarray(grad_logit), [16 / 3, 4.0, 1 / (0.999 * 0.001)])
    fourth = jax.grad(functools.partial(sg.sigmoid_derivative, order=3))
    with pytest.raises(NotImplementedError, match="beyond the fourth"):
        jax.grad(fourth)(0.5)
