"""What the command-line tests share: running `sigmoid.cli.main` in-process,
checking that a user error is one clear line, finding and running the
examples of the help texts and of the README, and watching a ``sigmoid``
process write its output so that a test can kill it midway."""

from __future__ import annotations

import io
import os
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

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


# --- the examples of the help texts and of the README ------------------------

README = Path(__file__).parent.parent / "README.md"


def help_paths() -> list[tuple[str, ...]]:
    """Every command whose ``--help`` there is: sigmoid, its commands, the lab's experiments."""
    from sigmoid.cli import COMMANDS
    from sigmoid.lab.cli import EXPERIMENTS

    return [
        (),
        *((command.name,) for command in COMMANDS),
        *(("lab", experiment[0]) for experiment in EXPERIMENTS),
    ]


def examples_in_help(text: str) -> list[str]:
    """The command lines of a help text's "examples:" section.

    An example is a line indented by two spaces, its description after two
    or more spaces; a deeper indent continues the description.
    """
    _, heading, section = text.partition("\nexamples:\n")
    found = []
    for line in section.splitlines() if heading else []:
        if not line.strip():
            break
        if line.startswith("  ") and not line.startswith("   "):
            found.append(re.split(r"\s{2,}", line.strip())[0])
    return found


def examples_in_readme(path: Path = README) -> list[str]:
    """The command lines of the README's "## Command line" section (its ```sh block)."""
    section = path.read_text(encoding="utf-8").split("\n## Command line\n", 1)[1]
    section = section.split("\n## ", 1)[0]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    lines = (re.sub(r"\s+#\s.*$", "", line).strip() for line in block.splitlines())
    return [line for line in lines if line]


def run_example(
    example: str,
    directory: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> Result:
    """Run `example` in `directory`: what feeds a pipe through bash, ``sigmoid ...`` in-process."""
    producer, pipe, command = example.rpartition("|")
    words = shlex.split(command)
    assert words[0] == "sigmoid", example
    stdin = ""
    if pipe:
        fed = subprocess.run(
            ["bash", "-c", producer], cwd=directory, capture_output=True, text=True, check=True
        )
        stdin = fed.stdout
    monkeypatch.chdir(directory)
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    return run_main(words[1:], capsys)


# --- killing a process while it writes ---------------------------------------


def unnamed_files_work(directory: Path) -> bool:
    """Whether `directory` can hold unnamed files (Linux's ``O_TMPFILE``)."""
    try:
        os.close(os.open(directory, os.O_TMPFILE | os.O_WRONLY))
    except (AttributeError, OSError):
        return False
    return True


def maps_a_file_in(pid: int, directory: Path, *, besides: str) -> bool:
    """Whether process `pid` has a file of `directory` other than `besides` in memory.

    ``sigmoid eval -i IN.npy -o OUT.npy`` maps its output, named or unnamed
    (``/dir/#123 (deleted)``), once it starts writing the results into it.
    """
    try:
        maps = Path(f"/proc/{pid}/maps").read_text(encoding="utf-8", errors="replace")
    except OSError:  # the process has just ended
        return False
    for line in maps.splitlines():
        mapped = line.split(maxsplit=5)[5:]
        if (
            mapped
            and mapped[0].startswith(f"{directory}/")
            and mapped[0] != f"{directory}/{besides}"
        ):
            return True
    return False


def start_writing(
    program: Sequence[str], directory: Path, source: str, target: str
) -> subprocess.Popen[str]:
    """Start ``PROGRAM eval -i SOURCE -o TARGET`` in `directory` and return once it writes TARGET.

    ``--chunk-size 1`` makes a large SOURCE take many seconds: time for the
    test to kill it midway.
    """
    argv = [*program, "eval", "-i", source, "-o", target, "--chunk-size", "1"]
    process = subprocess.Popen(
        argv, cwd=directory, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 120  # start-up loads numba: seconds on a busy machine
    while not maps_a_file_in(process.pid, directory, besides=source):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            _, err = process.communicate()
            pytest.fail(f"{argv} never wrote its output: exit {process.returncode}, {err!r}")
        time.sleep(0.02)
    time.sleep(0.2)  # some chunks into the output
    return process
