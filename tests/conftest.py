"""Shared test setup: hypothesis profiles and the CI rule that a skip is a failure."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

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

# .ci/run sets this: there every optional dependency is installed, and a test
# that skips because one is missing must fail instead.
REQUIRE_ALL = os.environ.get("SIGMOID_NO_SKIP", "") not in ("", "0")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    if REQUIRE_ALL and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped, but SIGMOID_NO_SKIP is set: {report.longrepr}"
