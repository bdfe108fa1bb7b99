"""`import sigmoid` is light: no numba, no optional backend, nothing compiled."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import sigmoid

HEAVY = [
    "numba",
    "llvmlite",
    "matplotlib",
    "torch",
    "jax",
    "dask",
    "scipy",
    "mpmath",
    "pandas",
    "xarray",
]


def run_python(code: str, **env: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **env},
    )
    return result.stdout


def test_import_pulls_in_nothing_heavy() -> None:
    code = (
        f"import sys, json, sigmoid; print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    assert json.loads(run_python(code)) == []


def make_read_only(path: Path) -> None:
    if os.geteuid() != 0:
        path.chmod(0o555)
        return
    # Root writes through permission bits: mark the directory immutable instead.
    if shutil.which("chattr") is None:
        pytest.skip("running as root without chattr: cannot make a read-only directory")
    subprocess.run(["chattr", "+i", str(path)], check=True)


def make_writable(path: Path) -> None:
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(path)], check=False)
    path.chmod(0o755)


def test_read_only_install_still_compiles_and_caches(tmp_path: Path) -> None:
    # A copy of the package in a directory nobody can write to: numba cannot
    # put its cache beside the code and must fall back to the user's cache.
    package = tmp_path / "site" / "sigmoid"
    home = tmp_path / "home"
    shutil.copytree(
        Path(sigmoid.__file__).parent, package, ignore=shutil.ignore_patterns("__pycache__")
    )
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
    env.update(PYTHONPATH=str(package.parent), HOME=str(home), XDG_CACHE_HOME=str(home / "cache"))
    code = "import sigmoid; print(float(sigmoid.sigmoid(1.0)), sigmoid.__file__)"
    make_read_only(package)
    try:
        with pytest.raises(OSError, match=r"Permission denied|Operation not permitted|Read-only"):
            (package / "probe").write_text("")
        for _ in range(2):  # the second run loads what the first one stored
            result = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=home
            )
            assert result.returncode == 0, result.stderr
            value, location = result.stdout.split()
            assert float(value) == 0.7310585786300049
            assert Path(location).parent == package
    finally:
        make_writable(package)
    assert not (package / "__pycache__").exists()
    assert any((home / "cache").rglob("*.nbi"))  # numba's cache index, in the user's cache
