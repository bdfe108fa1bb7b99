"""JAX CPU arrays run the compiled kernels: the NumPy path's results, bit for bit."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from family import PUBLIC
from optional import require

jax = require("jax")
jnp = require("jax.numpy")


def inputs(dtype: type) -> np.ndarray:
    """Both tails, the subnormal results, signed zeros, NaNs of both signs, [0, 1] for logit."""
    info = np.finfo(dtype)
    special = [0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan, info.tiny, info.smallest_subnormal]
    x = np.concatenate(
        [np.linspace(-800, 800, 3001), np.linspace(-110, 110, 3001), np.linspace(0, 1, 2001)]
    )
    with np.errstate(over="ignore"):
        return np.concatenate([x.astype(dtype), np.array(special, dtype)])


@pytest.fixture(params=["float16", "bfloat16", "float32", "float64"])
def dtype(request: pytest.FixtureRequest) -> Any:
    """The narrow ones and float32 in JAX's default configuration, float64 with x64 enabled."""
    if request.param != "float64":
        yield jnp.dtype(request.param).type
        return
    with jax.enable_x64(True):
        yield np.float64


@pytest.mark.parametrize("name", PUBLIC)
def test_cpu_arrays_are_bit_identical_to_numpy(name: str, dtype: type) -> None:
    x = inputs(dtype)
    want = PUBLIC[name](x).tobytes()
    array = jnp.asarray(x)
    function = PUBLIC[name]
    for form, f in (("eager", function), ("jit", jax.jit(function)), ("vmap", jax.vmap(function))):
        got = f(array)
        assert got.dtype == dtype, form
        assert np.asarray(got).tobytes() == want, form


def test_gradients_are_the_kernels_derivatives() -> None:
    x = jnp.asarray(np.linspace(-30, 30, 61, dtype=np.float32))
    grad = jax.jit(jax.vmap(jax.grad(PUBLIC["sigmoid"])))(x)
    want = PUBLIC["sigmoid_derivative"](np.asarray(x))
    assert np.asarray(grad).tobytes() == want.tobytes()
    second = jax.vmap(jax.grad(jax.grad(PUBLIC["log_sigmoid"])))(x)
    np.testing.assert_array_equal(np.asarray(second), -PUBLIC["sigmoid_derivative"](np.asarray(x)))
    assert jax.grad(PUBLIC["sigmoid"])(40.0) == np.float32(4.248354e-18)
