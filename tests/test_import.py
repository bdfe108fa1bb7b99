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


def _directories(path: Path) -> list[Path]:
    return [path, *(p for p in path.rglob("*") if p.is_dir())]


def make_read_only(path: Path) -> None:
    """Make the tree at `path` read-only, sub-packages included."""
    if os.geteuid() != 0:
        for directory in _directories(path):
            directory.chmod(0o555)
        return
    # Root writes through permission bits: mark the directory immutable instead.
    if shutil.which("chattr") is None:
        pytest.skip("running as root without chattr: cannot make a read-only directory")
    subprocess.run(["chattr", "-R", "+i", str(path)], check=True)


def make_writable(path: Path) -> None:
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-R", "-i", str(path)], check=False)
    for directory in _directories(path):
        directory.chmod(0o755)


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
    assert not any(package.rglob("__pycache__"))
    assert any((home / "cache").rglob("*.nbi"))  # numba's cache index, in the user's cache


# Every kind of compiled kernel (the scalar function, both loops, the ufunc)
# for a plain function, a mirrored one (log σ(x) = -softplus(-x)) and one on [0, 1].
_EVERY_KIND = """
import numpy as np
import sigmoid as sg
for f in (sg.sigmoid, sg.log_sigmoid, sg.logit):
    f(0.25)                                    # one Python float
    f(np.float32(0.25))                        # the ufunc
    for dtype in (np.float32, np.float64):
        f(np.full(1000, 0.25, dtype))          # the loops
"""


@pytest.mark.slow
def test_a_second_process_compiles_nothing(tmp_path: Path) -> None:
    # The generated loops' closures hold only an int, so numba finds them in
    # its disk cache from another process: the second run loads every kernel
    # and writes nothing (a compiled kernel would be saved, changing the cache).
    cache = tmp_path / "numba-cache"
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
    env.update(NUMBA_CACHE_DIR=str(cache), NUMBA_DEBUG_CACHE="1")

    def run() -> str:
        result = subprocess.run(
            [sys.executable, "-c", _EVERY_KIND], capture_output=True, text=True, env=env
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    def files() -> dict[Path, tuple[int, int]]:
        return {
            p: (p.stat().st_size, p.stat().st_mtime_ns) for p in cache.rglob("*") if p.is_file()
        }

    first = run()
    assert "data saved" in first
    stored = files()
    assert len([p for p in stored if p.suffix == ".nbc"]) >= 12  # 3 functions x 4 kinds
    second = run()
    assert "data saved" not in second, second
    assert "index saved" not in second, second
    assert "data loaded" in second
    assert files() == stored


_LOOP_RESULTS = (
    "import sys, numpy as np, sigmoid as sg; x = np.zeros(5000); "
    "print(' '.join(repr(float(getattr(sg, n)(x)[0])) for n in sys.argv[1:]))"
)


def test_loops_cached_by_two_processes_keep_their_own_code(tmp_path: Path) -> None:
    """Two loops, each compiled and cached by its own process, then both loaded into a third.

    Generated closures of one name got the same symbol in both processes,
    and the third ran σ's loop with σ''s code (0.25 for σ(0)).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
    env.update(NUMBA_CACHE_DIR=str(tmp_path / "numba-cache"))

    def run(*names: str) -> str:
        result = subprocess.run(
            [sys.executable, "-c", _LOOP_RESULTS, *names], capture_output=True, text=True, env=env
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    assert run("sigmoid_derivative") == "0.25"
    assert run("sigmoid") == "0.5"
    assert run("sigmoid_derivative", "sigmoid") == "0.25 0.5"
    assert run("sigmoid", "sigmoid_derivative") == "0.5 0.25"


_ONE_OF_EACH = (
    "import numpy as np, sigmoid as sg; "
    "print(sg.sigmoid(1.0), sg.sigmoid(np.full(40, 1.0, np.float32))[0], "
    "sg.logit(np.float32(0.25)))"
)
_EXPECTED = "0.7310585786300049 0.7310586 -1.0986123\n"


@pytest.mark.slow  # compiles every kernel it calls in a fresh process
def test_no_writable_cache_location_compiles_in_memory(tmp_path: Path) -> None:
    # Package and home both read-only, no NUMBA_CACHE_DIR: numba has nowhere to
    # cache ("no locator available"); every call must still work.
    package = tmp_path / "site" / "sigmoid"
    home = tmp_path / "home"
    shutil.copytree(
        Path(sigmoid.__file__).parent, package, ignore=shutil.ignore_patterns("__pycache__")
    )
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
    env.update(PYTHONPATH=str(package.parent), HOME=str(home), XDG_CACHE_HOME=str(home / "cache"))
    make_read_only(package)
    make_read_only(home)
    try:
        result = subprocess.run(
            [sys.executable, "-W", "error", "-c", _ONE_OF_EACH],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
        )
    finally:
        make_writable(home)
        make_writable(package)
    assert result.returncode == 0, result.stderr
    assert result.stdout == _EXPECTED
    assert not any(tmp_path.rglob("*.nbi"))


@pytest.mark.slow  # compiles again in fresh processes
@pytest.mark.parametrize("damage", ["emptied", "garbage"])
def test_a_damaged_cache_is_compiled_again(tmp_path: Path, damage: str) -> None:
    # A killed write or a full disk leaves cache files empty or garbled: the
    # kernels are compiled again in memory, not an UnpicklingError.
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
    env.update(NUMBA_CACHE_DIR=str(tmp_path))
    command = [sys.executable, "-W", "error", "-c", _ONE_OF_EACH]
    first = subprocess.run(command, capture_output=True, text=True, env=env)
    assert first.stdout == _EXPECTED, first.stderr
    cached = [p for p in tmp_path.rglob("*") if p.suffix in (".nbi", ".nbc")]
    assert cached
    for path in cached:
        path.write_bytes(b"" if damage == "emptied" else os.urandom(64))
    for _ in range(2):  # and again, whatever the first run left
        again = subprocess.run(command, capture_output=True, text=True, env=env)
        assert again.returncode == 0, again.stderr
        assert again.stdout == _EXPECTED


def test_the_loops_cache_key_follows_the_kernels_sources(tmp_path: Path) -> None:
    # numba checks a cache entry against the loop's own file only: the stamp
    # in the key is what makes an edited kernel compile again.
    from sigmoid._kernels import loops

    names = {path.name for path in loops._SOURCES}
    assert names == {"dd.py", "log.py", "elementwise.py", "exact.py", "xla_ffi.py", "_family.py"}
    assert all(path.is_file() for path in loops._SOURCES)
    source = tmp_path / "kernel.py"
    source.write_text("y = 1.0\n")
    before = loops.source_stamp([source])
    source.write_text("y = 2.0\n")
    assert loops.source_stamp([source]) != before
    assert 0 <= before < 2**40
