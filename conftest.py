"""Shared test setup for the tests and the doctests (src/, README.md, docs/).

Hypothesis profiles, the CI rule that a skip is a failure, and the optional
libraries some documentation pages need.
"""

from __future__ import annotations

import importlib.util
import os

import pytest
from hypothesis import HealthCheck, settings

import optional  # tests/optional.py (tests/ is on the path: see pyproject.toml)

# Compiling a kernel on first use takes seconds: no per-example deadline.
settings.register_profile("default", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "ci",
    deadline=None,
    derandomize=True,
    max_examples=300,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("ci" if os.environ.get("CI") else "default")

# The PyTorch operators' module imports torch: without it there is nothing to
# collect there (its tests skip in tests/test_torch.py, with the reason).
collect_ignore = [] if importlib.util.find_spec("torch") else ["src/sigmoid/_backends/torch_ops.py"]

# .ci/run sets this: there every optional dependency is installed, and a test
# that skips because one is missing must fail instead.
REQUIRE_ALL = os.environ.get("SIGMOID_NO_SKIP", "") not in ("", "0")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    if (
        report.skipped
        and isinstance(report.longrepr, tuple)
        and optional.MISSING in str(report.longrepr[2])
    ):
        # A missing library skips its tests wherever they ask for it (a test, a
        # fixture, a doctest): one location, so pytest's summary folds them into
        # one line per library.
        report.longrepr = (
            optional.__file__,
            optional.require.__code__.co_firstlineno,
            report.longrepr[2],
        )
    if REQUIRE_ALL and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped, but SIGMOID_NO_SKIP is set: {report.longrepr}"


def pytest_collectreport(report):  # type: ignore[no-untyped-def]
    # A module that skips as a whole (it needs a library at import) skips at collection.
    if REQUIRE_ALL and report.skipped:
        report.outcome = "failed"
        report.longrepr = f"skipped, but SIGMOID_NO_SKIP is set: {report.longrepr}"


# Documentation pages whose examples need a library the test command does not install.
_DOCS_NEED = {"pytorch.md": "torch"}


@pytest.fixture(autouse=True)
def _doc_requirements(request: pytest.FixtureRequest) -> None:
    needs = _DOCS_NEED.get(request.node.path.name)  # only doctests come from .md files
    if needs is not None:
        optional.require(needs)
