"""JAX CPU arrays run the compiled kernels: the NumPy path's results, bit for bit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
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


def ffi_targets(function: Any, x: Any) -> list[str]:
    """The custom-call targets in the lowered `jax.jit(function)(x)`."""
    text = jax.jit(function).lower(x).as_text()
    return [line for line in text.splitlines() if "custom_call" in line]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_float32_and_float64_run_as_xla_ffi_calls(dtype: str) -> None:
    """On the CPU the kernels run as an XLA FFI call, float16 and bfloat16 in a host callback."""
    with jax.enable_x64(dtype == "float64"):
        x = jnp.asarray(np.linspace(-5, 5, 7, dtype=dtype))
        for name in ("sigmoid", "logit", "log_sigmoid"):
            calls = ffi_targets(PUBLIC[name], x)
            assert len(calls) == 1, calls
            assert f"sigmoid_{name}_" in calls[0], calls[0]
            assert "callback" not in calls[0], calls[0]
    narrow = ffi_targets(PUBLIC["sigmoid"], jnp.asarray(np.ones(3, jnp.bfloat16)))
    assert len(narrow) == 1
    assert "callback" in narrow[0]


def test_ffi_call_shapes_batches_threads_and_subnormals() -> None:
    """Every shape (0-d, empty, transposed), vmap, concurrent calls, and a subnormal result."""
    from concurrent.futures import ThreadPoolExecutor

    f = jax.jit(PUBLIC["sigmoid_derivative"])
    rng = np.random.default_rng(3)
    for shape in [(), (0,), (3, 0), (5,), (2, 3, 4)]:
        x = (rng.normal(size=shape) * 40).astype(np.float32)
        assert np.asarray(f(jnp.asarray(x))).tobytes() == PUBLIC["sigmoid_derivative"](x).tobytes()
    x = (rng.normal(size=(6, 50)) * 40).astype(np.float32)
    want = PUBLIC["sigmoid_derivative"](x)
    assert np.asarray(f(jnp.asarray(x).T)).tobytes() == want.T.copy().tobytes()
    assert np.asarray(jax.jit(jax.vmap(f))(jnp.asarray(x))).tobytes() == want.tobytes()
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: np.asarray(f(jnp.asarray(x))), range(40)))
    assert all(r.tobytes() == want.tobytes() for r in results)
    tiny = np.asarray(jax.jit(PUBLIC["sigmoid"])(jnp.float32(-100.0)))
    assert tiny == PUBLIC["sigmoid"](np.float32(-100.0))
    assert 0 < tiny < np.finfo(np.float32).tiny  # XLA's flush-to-zero is off in the handler


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_large_arrays_split_over_xlas_pool_are_bit_identical(dtype: str) -> None:
    """From POOL_FROM elements the handler runs slices on XLA's threads: the same bits.

    An odd size (its last slice short), every function's hard values spread
    over every slice, concurrent calls from several threads, and vmap.
    """
    from concurrent.futures import ThreadPoolExecutor

    from sigmoid._kernels import xla_ffi

    rng = np.random.default_rng(11)
    n = 3 * xla_ffi.POOL_FROM + 17
    with jax.enable_x64(dtype == "float64"):
        x = rng.uniform(-60, 60, n).astype(dtype)
        x[rng.integers(0, n, 200)] = np.nan
        x[-len(inputs(np.float32)) :] = inputs(np.dtype(dtype).type)
        p = rng.uniform(0, 1, n).astype(dtype)
        for name, f in PUBLIC.items():
            data = p if name == "logit" else x
            want = f(data).tobytes()
            assert np.asarray(jax.jit(f)(jnp.asarray(data))).tobytes() == want, name
        f = jax.jit(PUBLIC["sigmoid"])
        array, want = jnp.asarray(x), PUBLIC["sigmoid"](x).tobytes()
        with ThreadPoolExecutor(3) as pool:
            results = list(pool.map(lambda _: np.asarray(f(array)).tobytes(), range(12)))
        assert results == [want] * 12
        batch = jax.jit(jax.vmap(PUBLIC["softplus"]))(jnp.asarray(x[: 2 * 70_001].reshape(2, -1)))
        assert np.asarray(batch).tobytes() == PUBLIC["softplus"](x[: 2 * 70_001]).tobytes()


def test_the_pool_task_is_linked_by_its_symbol() -> None:
    """The handler reaches its pool task through a symbol added for this process's address."""
    import llvmlite.binding

    from sigmoid._family import FAMILY
    from sigmoid._kernels import loops, xla_ffi

    f = jax.jit(PUBLIC["sigmoid_derivative"])
    f(jnp.ones(3, np.float32)).block_until_ready()  # builds and registers the handler
    key = loops._STAMP * loops._KEYS + FAMILY["sigmoid_derivative"].index
    address = llvmlite.binding.address_of_symbol(xla_ffi.task_symbol(key))
    tasks = [o for o in loops._UFUNC_OWNERS if getattr(o, "address", None) == address]
    assert address
    assert len(tasks) == 1


_POOLED_CALL = """
import hashlib, jax, numpy as np, sigmoid as sg
x = np.linspace(-50, 50, 300_001, dtype=np.float32)
y = np.asarray(jax.jit(sg.sigmoid)(x))
assert y.tobytes() == sg.sigmoid(x).tobytes()
print(hashlib.sha256(y.tobytes()).hexdigest())
"""


@pytest.mark.slow
def test_a_pooled_handler_loaded_from_the_disk_cache_finds_its_task(tmp_path: Path) -> None:
    """A second process loads the handler and its task from the cache and links them anew."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
    env.update(NUMBA_CACHE_DIR=str(tmp_path / "numba-cache"), NUMBA_DEBUG_CACHE="1")
    outputs = []
    for _ in range(2):
        result = subprocess.run(
            [sys.executable, "-c", _POOLED_CALL], capture_output=True, text=True, env=env
        )
        assert result.returncode == 0, result.stderr
        outputs.append(result.stdout)
    assert "data saved" in outputs[0]
    assert "data saved" not in outputs[1], outputs[1]
    assert "data loaded" in outputs[1]
    assert outputs[0].splitlines()[-1] == outputs[1].splitlines()[-1]


def test_without_the_ffi_the_host_callback_gives_the_same_results(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """SIGMOID_JAX_FFI=0 (or a refused registration) keeps the host callback, bit-identical."""
    from sigmoid._backends import autodiff

    # A shape not traced before (jit caches traces by shape), so the choice is made again.
    x = jnp.asarray(np.linspace(-100, 100, 211, dtype=np.float32))
    monkeypatch.setattr(autodiff, "_FFI_TARGETS", {})
    monkeypatch.setenv("SIGMOID_JAX_FFI", "0")
    calls = ffi_targets(PUBLIC["softplus"], x)
    assert len(calls) == 1
    assert "callback" in calls[0]
    want = PUBLIC["softplus"](np.asarray(x))
    assert np.asarray(jax.jit(PUBLIC["softplus"])(x)).tobytes() == want.tobytes()
    monkeypatch.setattr(autodiff, "_FFI_TARGETS", {})
    monkeypatch.delenv("SIGMOID_JAX_FFI")

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("refused")

    monkeypatch.setattr(jax.ffi, "register_ffi_target", refuse)
    assert autodiff._ffi_target(autodiff.FAMILY["softplus"]) is None
