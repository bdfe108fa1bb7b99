"""Dask arrays: lazy, chunk for chunk equal to NumPy, and computed by worker processes."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

import sigmoid as sg
from optional import require

da = require("dask.array")


def explode(block: np.ndarray) -> np.ndarray:
    raise AssertionError("a block was computed")


def test_stays_lazy() -> None:
    from dask.callbacks import Callback

    class CountTasks(Callback):  # type: ignore[misc]
        count = 0

        def _pretask(self, key, dsk, state):  # type: ignore[no-untyped-def]
            CountTasks.count += 1

    # A graph whose computation raises: building the result must not touch it.
    x = da.ones((4, 6), chunks=(2, 3), dtype=np.float32).map_blocks(explode, dtype=np.float32)
    with CountTasks():
        y = sg.sigmoid_derivative(x, order=2)
        z = sg.logistic(x, L=2.0, k=3.0, x0=1.0)
    assert CountTasks.count == 0
    for result in (y, z):
        assert isinstance(result, da.Array)
        assert result.dtype == np.float32
        assert result.chunks == x.chunks
        assert type(result._meta) is np.ndarray
        with pytest.raises(AssertionError, match="a block was computed"):
            result.compute()


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int32])
def test_chunk_for_chunk_equal_to_numpy(dtype: type) -> None:
    rng = np.random.default_rng(4)
    values = (rng.standard_normal((7, 10)) * 30).astype(dtype)
    x = da.from_array(values, chunks=(3, 4))
    y = sg.sigmoid(x)
    assert y.chunks == x.chunks
    assert y.dtype == np.asarray(sg.sigmoid(values)).dtype
    for index in np.ndindex(*x.numblocks):
        block = x.blocks[index].compute()
        np.testing.assert_array_equal(y.blocks[index].compute(), sg.sigmoid(block))
    np.testing.assert_array_equal(y.compute(), sg.sigmoid(values))


def test_zero_dimensional_and_empty() -> None:
    assert sg.softplus(da.from_array(np.float32(2.0))).compute() == sg.softplus(np.float32(2.0))
    empty = sg.logit(da.zeros((0, 3), chunks=2))
    assert empty.shape == (0, 3)
    assert empty.compute().shape == (0, 3)


def test_complex_is_a_type_error_before_computing() -> None:
    with pytest.raises(TypeError, match="complex input is not supported"):
        sg.sigmoid(da.ones(3, dtype=np.complex128).map_blocks(explode, dtype=np.complex128))


@pytest.mark.slow
def test_local_cluster_with_worker_processes() -> None:
    distributed = require("distributed")
    values = np.linspace(-50, 50, 4_000).reshape(40, 100)
    x = da.from_array(values, chunks=(10, 50))
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        # The graph, with our functions in it, is pickled to two other processes.
        np.testing.assert_array_equal(sg.sigmoid(x).compute(), sg.sigmoid(values))
        derivative = client.compute(sg.sigmoid_derivative(x, order=3)).result()
        np.testing.assert_array_equal(derivative, sg.sigmoid_derivative(values, order=3))
        # The public functions travel by themselves too.
        future = client.submit(sg.log_sigmoid, values[0])
        np.testing.assert_array_equal(future.result(), sg.log_sigmoid(values[0]))
        workers = client.run(lambda: (os.getpid(), "sigmoid" in sys.modules))
    assert len(workers) == 2
    assert all(pid != os.getpid() and loaded for pid, loaded in workers.values())
