"""Every input that is not a NumPy array or a Python number.

- `array_api`: the family written with array-API calls only (PyTorch, JAX,
  CuPy, ``array_api_strict``, ...), results on the input's device.
- `autodiff`: gradient rules for PyTorch and JAX from the family's exact derivatives.
- `containers`: pandas, xarray and Dask: the NumPy path on their data, metadata kept.
- `longdouble`: ``np.longdouble`` arrays, through the array-API formulas.

None of these imports a backend: a library is looked up in ``sys.modules``,
where it must be for an input of its type to exist.
"""
