"""PyTorch CPU tensors run the compiled kernels: the NumPy path's results, bit for bit."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import sigmoid as sg
from family import PUBLIC
from optional import require
from sigmoid._dispatch import apply
from sigmoid._family import FAMILY, kernel_derivative

torch = require("torch")

DTYPES = {torch.float16: np.float16, torch.float32: np.float32, torch.float64: np.float64}


def inputs(dtype: type) -> np.ndarray:
    """Both tails, the subnormal results, signed zeros, NaNs of both signs, [0, 1] for logit."""
    info = np.finfo(dtype)
    special = [0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan, info.tiny, info.smallest_subnormal]
    x = np.concatenate(
        [
            np.linspace(-800, 800, 3001),
            np.linspace(-110, 110, 3001),
            np.linspace(0, 1, 2001),
            np.logspace(-40, 0, 400),
            -np.logspace(-40, 0, 400),
        ]
    )
    with np.errstate(over="ignore"):
        return np.concatenate([x.astype(dtype), np.array(special, dtype)])


@pytest.mark.parametrize("name", PUBLIC)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_cpu_tensors_are_bit_identical_to_numpy(name: str, dtype: torch.dtype) -> None:
    x = inputs(DTYPES[dtype])
    want = PUBLIC[name](x)
    got = PUBLIC[name](torch.from_numpy(x.copy()))
    assert type(got) is torch.Tensor
    assert got.dtype == dtype
    assert got.numpy().tobytes() == want.tobytes()
    # Any strides, and gradients on: the same values.
    strided = torch.from_numpy(np.stack([x, x], axis=1).copy()).T[1]
    assert PUBLIC[name](strided).numpy().tobytes() == want.tobytes()
    if dtype != torch.float16:
        tracked = torch.from_numpy(x.copy()).requires_grad_()
        assert PUBLIC[name](tracked).detach().numpy().tobytes() == want.tobytes()


@pytest.mark.parametrize("name", PUBLIC)
def test_bfloat16_is_the_numpy_paths_result(name: str) -> None:
    # Every bfloat16, against NumPy's bfloat16 (correctly rounded: test_accuracy).
    bits = np.arange(1 << 16, dtype=np.uint16)
    want = PUBLIC[name](bits.view(require("ml_dtypes").bfloat16))
    got = PUBLIC[name](torch.from_numpy(bits.view(np.int16)).view(torch.bfloat16))
    assert got.dtype == torch.bfloat16
    assert got.view(torch.int16).numpy().tobytes() == want.tobytes()


def test_integers_promote_as_torch_does() -> None:
    y = sg.sigmoid(torch.tensor([0, 1, 2]))
    assert y.dtype == torch.get_default_dtype() == torch.sigmoid(torch.tensor([0.0])).dtype
    assert y[0].item() == 0.5


@pytest.mark.parametrize("name", [n for n, f in FAMILY.items() if kernel_derivative(f)])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=str)
def test_backward_is_the_derivative_kernel_times_grad(name: str, dtype: torch.dtype) -> None:
    """Eager autograd computes the derivative with the value (one dual loop) and keeps it.

    The gradient is grad times the derivative's own kernel result, bit for
    bit; backward twice on a kept graph gives it again.
    """
    function, entry = PUBLIC[name], FAMILY[name]
    x = inputs(DTYPES[dtype])
    x = x[(x >= 0) & (x <= 1)] if entry.domain == "unit" else x
    derivative = PUBLIC[kernel_derivative(entry).name]  # type: ignore[union-attr]
    want = derivative(-x if entry.flip else x)
    grad = torch.from_numpy(np.random.default_rng(2).uniform(-2, 2, x.size).astype(x.dtype))
    tracked = torch.from_numpy(x.copy()).requires_grad_()
    y = function(tracked)
    assert y.detach().numpy().tobytes() == function(x).tobytes()
    y.backward(grad, retain_graph=True)
    assert tracked.grad is not None
    assert tracked.grad.numpy().tobytes() == (grad * torch.from_numpy(want)).numpy().tobytes()
    first = tracked.grad.numpy().tobytes()
    tracked.grad = None
    y.backward(grad)
    assert tracked.grad.numpy().tobytes() == first


def test_double_backward_is_the_second_derivative() -> None:
    x = torch.tensor([-40.0, -1.0, 0.0, 0.5, 40.0], dtype=torch.float64, requires_grad=True)
    (first,) = torch.autograd.grad(sg.sigmoid(x).sum(), x, create_graph=True)
    (second,) = torch.autograd.grad(first.sum(), x)
    xs = x.detach().numpy()
    assert first.detach().numpy().tobytes() == sg.sigmoid_derivative(xs).tobytes()
    assert second.numpy().tobytes() == sg.sigmoid_derivative(xs, order=2).tobytes()


_COMPILE_FIRST = """
import warnings
warnings.simplefilter("ignore", DeprecationWarning)  # torch's own (TorchScript)
import torch, numpy as np, sigmoid as sg
compiled = torch.compile(lambda t: sg.log_sigmoid(t) * 2.0, fullgraph=True)
x = torch.tensor([-40.0, 0.5, 40.0], dtype=torch.float64, requires_grad=True)
y = compiled(x)  # the first call on a tensor, under torch.compile
y.sum().backward()
assert np.array_equal(y.detach().numpy(), 2 * sg.log_sigmoid(x.detach().numpy()))
assert np.array_equal(x.grad.numpy(), 2 * sg.sigmoid(-x.detach().numpy()))
print("ok")
"""


@pytest.mark.slow
def test_torch_compile_fullgraph_on_the_first_call() -> None:
    # A fresh process: nothing of ours has met a tensor before torch.compile traces it.
    result = subprocess.run(
        [sys.executable, "-c", _COMPILE_FIRST], capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "ok"


def test_operators_are_registered() -> None:
    x = torch.tensor([0.0, 1.0], dtype=torch.float64)
    sg.sigmoid(x)  # loads sigmoid's torch operators
    assert torch.equal(torch.ops.sigmoid.sigmoid(x), sg.sigmoid(x))
    meta = torch.ops.sigmoid.softplus(torch.empty(2, 3, device="meta"))
    assert meta.shape == (2, 3)
    assert meta.device.type == "meta"


@pytest.mark.parametrize("name", [n for n, entry in FAMILY.items() if entry.kernels is not None])
def test_the_formula_route_computes_float16_in_float32(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What CUDA and MPS tensors run, here on the CPU: with no operators, the formulas.
    from sigmoid._backends import torch_ops

    monkeypatch.setattr(torch_ops, "OPERATORS", {})
    bits = np.arange(1 << 16, dtype=np.uint16).view(np.float16)
    x = bits[np.isfinite(bits)]
    if name == "logit":
        x = x[(x >= 0) & (x <= 1)]
    got = torch_ops._value(name, torch.from_numpy(x)).numpy()
    want = apply(FAMILY[name], x)  # the NumPy path: correctly rounded in float16
    assert got.dtype == np.float16
    assert np.array_equal(np.isnan(got), np.isnan(want))
    finite = np.isfinite(want) & np.isfinite(got)
    with np.errstate(over="ignore"):  # the spacing above 65504 is inf: no error there
        spacing = np.spacing(np.abs(want[finite])).astype(np.float64)
    error = np.abs(got[finite].astype(np.float64) - want[finite]) / spacing
    assert error.max() <= 1, f"{error.max()} ULP at x = {x[finite][error.argmax()]}"
