"""What the command-line tests share: running `sigmoid.cli.main` in-process and
checking that a user error is one clear line."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pytest

from sigmoid.cli import ExitCode, main


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


def run_main(argv: Sequence[str], capsys: pytest.CaptureFixture[str]) -> Result:
    """main(argv) with its exit code and what it printed."""
    code = main(list(argv))
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)


def assert_user_error(result: Result, code: ExitCode, *fragments: str) -> None:
    """One line on standard error naming the problem, no traceback, the right code."""
    assert result.code == code
    assert result.err.startswith("sigmoid: error: ")
    assert result.err.count("\n") == 1
    assert "Traceback" not in result.err
    for fragment in fragments:
        assert fragment in result.err
