"""`sigmoid._rounded`: correctly rounded float64 values in pure Python (what ``sigmoid eval`` uses
for a few numbers), against mpmath and, where they are correctly rounded, the compiled kernels."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import oracle as _oracle
from sigmoid import _rounded
from sigmoid._engine import evaluate
from sigmoid._family import FAMILY
from test_accuracy import f64_hard_sample, f64_sigmoid_sample

REFERENCED = [name for name, function in FAMILY.items() if function.reference is not None]
EXACT_KERNELS = [name for name in REFERENCED if _rounded.kernel_is_exact(FAMILY[name])]


def rounded(name: str, x: np.ndarray) -> np.ndarray:
    return np.array([_rounded.correctly_rounded(FAMILY[name], v) for v in x.tolist()])


def same_bits(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise: the same float64, NaN and the sign of zero included (any NaN is a NaN)."""
    both_nan = np.isnan(a) & np.isnan(b)
    return both_nan | ((a == b) & (np.signbit(a) == np.signbit(b)))


@pytest.mark.parametrize("name", REFERENCED)
def test_correctly_rounded_against_mpmath(name: str) -> None:
    """Every function with a reference formula, on a thinned hard sample (tails, subnormals)."""
    x = f64_hard_sample(name)[::8]
    expected = _oracle.correctly_rounded(name, x, np.float64)
    ok = same_bits(rounded(name, x), expected)
    assert ok.all(), f"{(~ok).sum()} differ, first at x = {x[~ok][0]!r}"


@pytest.mark.parametrize("name", EXACT_KERNELS)
def test_the_kernels_values_where_they_are_correctly_rounded(name: str) -> None:
    x = f64_sigmoid_sample(name)[::4]
    ok = same_bits(rounded(name, x), evaluate(FAMILY[name], x))
    assert ok.all(), f"{(~ok).sum()} differ, first at x = {x[~ok][0]!r}"


@pytest.mark.parametrize("name", REFERENCED)
def test_special_values_as_the_kernels_give_them(name: str) -> None:
    """NaN, infinities, signed zeros, the domain's edges and beyond, and |x| past 1000."""
    if FAMILY[name].domain == "unit":
        x = np.array([0.0, -0.0, 0.5, 1.0, -1.0, 2.0, 5e-324, np.inf, -np.inf, np.nan])
    else:
        x = np.array([0.0, -0.0, 5e-324, -5e-324, 999.0, 1000.0, 1001.0, 1e300, np.inf, np.nan])
        x = np.concatenate([x, -x])
    ok = same_bits(rounded(name, x), evaluate(FAMILY[name], x))
    assert ok.all(), f"x = {x[~ok]!r}"


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_the_interval_holds_the_value_and_decides_it(x: float) -> None:
    """Any float64 x: the same as mpmath rounds it (σ', which is even, at every magnitude)."""
    expected = _oracle.correctly_rounded("sigmoid_derivative", np.array([x]), np.float64)[0]
    assert same_bits(
        np.array([_rounded.correctly_rounded(FAMILY["sigmoid_derivative"], x)]),
        np.array([expected]),
    ).all()


def test_a_function_without_a_reference_is_refused() -> None:
    with pytest.raises(ValueError, match="no reference formula"):
        _rounded.correctly_rounded(FAMILY["logit_derivative"], 0.5)
