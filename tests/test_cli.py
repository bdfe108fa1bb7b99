"""The ``sigmoid`` command, run in-process through `main` (and once as a program)."""

from __future__ import annotations

import atexit
import csv
import gc
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path
from typing import Any, ClassVar, Literal

import matplotlib

matplotlib.use("Agg")

import matplotlib.figure
import matplotlib.image
import numpy as np
import pytest

import sigmoid as sg
from cli_support import (
    Result,
    assert_user_error,
    examples_in_help,
    examples_in_readme,
    help_paths,
    run_example,
    run_main,
    start_writing,
    unnamed_files_work,
)
from sigmoid import activations
from sigmoid.cli import COMMANDS, ExitCode, main
from sigmoid.cli import _eval as _cli_eval
from sigmoid.cli import _io as _cli_io


def calls_instead(monkeypatch: pytest.MonkeyPatch, resolve: Any) -> None:
    """Make ``sigmoid eval`` use ``resolve(name, derivative)``'s function for every number,
    a few too (they would otherwise go to `sigmoid._rounded`: no correctly rounded twin)."""
    monkeypatch.setattr(_cli_eval, "resolve", resolve)
    monkeypatch.setattr(_cli_eval, "correctly_rounded_twin", lambda name, derivative: None)


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Any:
    def run(*argv: str) -> Result:
        return run_main(argv, capsys)

    return run


@pytest.fixture
def stdin(monkeypatch: pytest.MonkeyPatch) -> Any:
    def feed(data: str | bytes) -> None:
        """Text as already decoded, or bytes behind a text layer, as a real standard input."""
        stream = io.StringIO(data) if isinstance(data, str) else io.TextIOWrapper(io.BytesIO(data))
        monkeypatch.setattr(sys, "stdin", stream)

    return feed


def files_in(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


def read_csv(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


# --- the command line itself -------------------------------------------------


def test_version(run: Any) -> None:
    result = run("--version")
    assert result.code == ExitCode.OK
    assert result.out.strip() == f"sigmoid {sg.__version__}"


def test_help_lists_every_command(run: Any) -> None:
    result = run("--help")
    assert result.code == ExitCode.OK
    for command in COMMANDS:
        assert command.name in result.out


@pytest.mark.parametrize("command", [c.name for c in COMMANDS])
def test_each_command_has_help_with_an_example(run: Any, command: str) -> None:
    result = run(command, "--help")
    assert result.code == ExitCode.OK
    assert "examples:" in result.out
    assert f"sigmoid {command}" in result.out.split("examples:")[1]


def test_no_command_is_a_usage_error(run: Any) -> None:
    result = run()
    assert result.code == ExitCode.USAGE
    assert "choose a command: eval, plot, compare" in result.err


def test_unknown_option_is_a_usage_error(run: Any) -> None:
    result = run("eval", "--frobnicate")
    assert result.code == ExitCode.USAGE
    assert "unrecognized arguments: --frobnicate" in result.err


def test_argv_defaults_to_sys_argv(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["sigmoid", "eval", "0"])
    assert main() == ExitCode.OK
    assert capsys.readouterr().out == "0.5\n"


def test_the_program_leaves_its_objects_to_the_os_at_exit(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    registered: list[Any] = []
    monkeypatch.setattr(atexit, "register", registered.append)
    assert main(["--version"]) == ExitCode.OK  # in-process: nothing changes at exit
    assert registered == []
    monkeypatch.setattr(sys, "argv", ["sigmoid", "--version"])
    assert main() == ExitCode.OK  # as the program: no last collection over numba's objects
    assert registered == [gc.freeze]
    assert capsys.readouterr().out == f"sigmoid {sg.__version__}\n" * 2


def test_interrupt_exits_with_130(run: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: Any) -> int:
        raise KeyboardInterrupt

    calls_instead(monkeypatch, interrupted)
    assert_user_error(run("eval", "1"), ExitCode.INTERRUPTED, "interrupted")


# --- eval: sources and outputs -----------------------------------------------


def test_eval_arguments(run: Any) -> None:
    result = run("eval", "0", "2", "-3", "inf", "nan")
    assert result.code == ExitCode.OK
    values = [float(line) for line in result.out.split()]
    expected = sg.sigmoid(np.array([0, 2, -3, np.inf, np.nan]))
    np.testing.assert_array_equal(values, expected)


@pytest.mark.parametrize("name", list(activations.ACTIVATIONS))
def test_eval_every_activation_and_derivative(run: Any, name: str) -> None:
    act = activations.ACTIVATIONS[name]
    x = np.array([-2.5, 0.5, 4.0])
    args = [str(v) for v in x]
    assert [float(v) for v in run("eval", "-f", name, *args).out.split()] == list(act.function(x))
    slopes = run("eval", "--function", name, "--derivative", *args).out.split()
    assert [float(v) for v in slopes] == list(act.derivative(x))


def test_eval_logit_and_log_sigmoid(run: Any) -> None:
    assert float(run("eval", "-f", "logit", "0.25").out) == sg.logit(0.25)
    assert float(run("eval", "-f", "log_sigmoid", "-800").out) == -800.0
    assert float(run("eval", "-f", "log-sigmoid", "-d", "0").out) == 0.5
    slopes = run("eval", "-f", "logit", "-d", "0.5", "0", "2").out.split()
    assert slopes == ["4.0", "inf", "nan"]


def test_eval_reads_standard_input(run: Any, stdin: Any) -> None:
    stdin("1\n\n  -1  \n")
    result = run("eval", "-f", "relu")
    assert result.out == "1.0\n-0.0\n" or result.out == "1.0\n0.0\n"


def test_eval_text_file_to_text_file(run: Any, tmp_path: Path) -> None:
    source, target = tmp_path / "in.txt", tmp_path / "out.txt"
    source.write_text("0\n1e3\n-1e3\n")
    result = run("eval", "-i", str(source), "-o", str(target))
    assert result.code == ExitCode.OK
    assert result.out == ""
    assert target.read_text() == "0.5\n1.0\n0.0\n"
    assert files_in(tmp_path) == ["in.txt", "out.txt"]


def test_eval_csv_column_to_standard_output(run: Any, tmp_path: Path) -> None:
    source = tmp_path / "data.csv"
    source.write_text("id,score\na,0\nb,2\n")
    result = run("eval", "-i", str(source), "--column", "score", "-f", "tanh")
    assert result.code == ExitCode.OK
    assert result.out.splitlines() == [
        "id,score,tanh(score)",
        "a,0,0.0",
        f"b,2,{float(np.tanh(2.0))!r}",
    ]


def test_eval_csv_from_stdin_to_csv_file(run: Any, stdin: Any, tmp_path: Path) -> None:
    stdin("x\n0\n")
    target = tmp_path / "out.csv"
    assert run("eval", "--column", "x", "-d", "-o", str(target)).code == 0
    assert target.read_text() == "x,sigmoid'(x)\n0,0.25\n"


def test_eval_single_column_csv_needs_no_column(run: Any, tmp_path: Path) -> None:
    source = tmp_path / "one.csv"
    source.write_text("p\n0.5\n")
    assert run("eval", "-i", str(source), "-f", "logit").out == "p,logit(p)\n0.5,0.0\n"


def test_eval_text_to_npy(run: Any, tmp_path: Path) -> None:
    target = tmp_path / "out.npy"
    assert run("eval", "1", "2", "-o", str(target)).code == 0
    np.testing.assert_array_equal(np.load(target), sg.sigmoid(np.array([1.0, 2.0])))


@pytest.mark.parametrize("chunk_size", [1, 3, 7, 1000])
@pytest.mark.parametrize("order", ["C", "F"])
def test_eval_npy_streams_in_chunks(
    run: Any, tmp_path: Path, chunk_size: int, order: Literal["C", "F"]
) -> None:
    data = np.asarray(np.linspace(-8, 8, 60, dtype=np.float32).reshape(6, 10), order=order)
    source, target = tmp_path / "in.npy", tmp_path / "out.npy"
    np.save(source, data)
    args = ["eval", "-i", str(source), "-o", str(target), "-f", "gelu"]
    result = run(*args, "--chunk-size", str(chunk_size))
    assert result.code == ExitCode.OK
    out = np.load(target)
    assert out.dtype == np.float32
    assert out.shape == (6, 10)
    assert out.flags.f_contiguous == (order == "F")
    np.testing.assert_array_equal(out, activations.gelu(data))
    assert files_in(tmp_path) == ["in.npy", "out.npy"]


def test_eval_npy_of_integers_gives_float64(run: Any, tmp_path: Path) -> None:
    source, target = tmp_path / "in.npy", tmp_path / "out.npy"
    np.save(source, np.arange(-3, 4))
    assert run("eval", "-i", str(source), "-o", str(target), "--chunk-size", "2").code == 0
    np.testing.assert_array_equal(np.load(target), sg.sigmoid(np.arange(-3.0, 4.0)))


def test_eval_npy_to_text_and_csv(run: Any, tmp_path: Path) -> None:
    source = tmp_path / "in.npy"
    np.save(source, np.array([[0.0, 1.0], [2.0, 3.0]], dtype=np.float16))
    text = run("eval", "-i", str(source), "-f", "relu", "--chunk-size", "3").out
    assert text.split() == ["0.0", "1.0", "2.0", "3.0"]
    target = tmp_path / "out.csv"
    assert run("eval", "-i", str(source), "-f", "relu", "-o", str(target)).code == 0
    assert target.read_text().splitlines() == [
        "x,relu(x)",
        "0.0,0.0",
        "1.0,1.0",
        "2.0,2.0",
        "3.0,3.0",
    ]


def test_eval_empty_and_zero_dimensional_npy(run: Any, tmp_path: Path) -> None:
    source, target = tmp_path / "in.npy", tmp_path / "out.npy"
    np.save(source, np.empty((0, 3)))
    assert run("eval", "-i", str(source), "-o", str(target)).code == 0
    assert np.load(target).shape == (0, 3)
    np.save(source, np.array(2.0))
    assert run("eval", "-i", str(source), "-o", str(target), "-f", "softsign").code == 0
    out = np.load(target)
    assert out.shape == ()
    assert out == 2 / 3


CSV_WITH_TEXT = 'id,name,score,note\n7,"Smith, J",0,\n8,bob,-2.5,"said ""hi"""\n9,eve,1e3,x\n'


def test_eval_csv_keeps_every_column_and_appends_the_result(run: Any, tmp_path: Path) -> None:
    source, target = tmp_path / "data.csv", tmp_path / "scored.csv"
    source.write_text(CSV_WITH_TEXT)
    result = run("eval", "-i", str(source), "--column", "score", "-o", str(target))
    assert (result.code, result.out, result.err) == (ExitCode.OK, "", "")
    lines = target.read_text().splitlines()
    assert lines[0] == "id,name,score,note,sigmoid(score)"
    # Every input cell as it was (quoting kept where needed), then the result.
    assert lines[1:] == [
        '7,"Smith, J",0,,0.5',
        f'8,bob,-2.5,"said ""hi""",{sg.sigmoid(-2.5)!r}',
        "9,eve,1e3,x,1.0",
    ]


def test_eval_csv_to_standard_output_keeps_every_column(run: Any, stdin: Any) -> None:
    stdin(CSV_WITH_TEXT)
    result = run("eval", "--column", "score", "-f", "relu", "-d")
    assert result.code == ExitCode.OK
    rows = list(csv.reader(io.StringIO(result.out)))
    assert rows[0] == ["id", "name", "score", "note", "relu'(score)"]
    assert [row[:4] for row in rows[1:]] == list(csv.reader(io.StringIO(CSV_WITH_TEXT)))[1:]
    assert [row[4] for row in rows[1:]] == ["0.0", "0.0", "1.0"]


def test_eval_csv_in_chunks_keeps_rows_with_their_results(run: Any, tmp_path: Path) -> None:
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    p = np.linspace(0.01, 0.99, 23)
    source.write_text("label,p\n" + "".join(f"row{i},{v!r}\n" for i, v in enumerate(p.tolist())))
    args = ["eval", "-i", str(source), "--column", "p", "-f", "logit", "-d", "-o", str(target)]
    assert run(*args, "--chunk-size", "4").code == 0
    rows = read_csv(target)
    assert rows[0] == ["label", "p", "logit'(p)"]
    assert [row[0] for row in rows[1:]] == [f"row{i}" for i in range(23)]
    np.testing.assert_array_equal([float(row[2]) for row in rows[1:]], 1 / (p * (1 - p)))


def test_eval_name_chooses_the_result_column(run: Any, tmp_path: Path) -> None:
    source = tmp_path / "data.csv"
    source.write_text("id,score\n1,0\n")
    result = run("eval", "-i", str(source), "--column", "score", "--name", "p")
    assert result.out == "id,score,p\n1,0,0.5\n"
    target = tmp_path / "out.csv"
    assert run("eval", "0", "-f", "tanh", "--name", "t", "-o", str(target)).code == 0
    assert target.read_text() == "x,t\n0.0,0.0\n"


def test_eval_csv_result_name_already_taken(run: Any, tmp_path: Path) -> None:
    source = tmp_path / "scored.csv"
    source.write_text("score,sigmoid(score)\n0,0.5\n")
    result = run("eval", "-i", str(source), "--column", "score")
    assert_user_error(result, ExitCode.USAGE, "already has a column 'sigmoid(score)'", "--name")
    assert result.out == ""


@pytest.mark.parametrize(
    "args",
    [
        ["1", "--name", "p"],  # text to standard output
        ["-i", "in.csv", "--column", "x", "--name", "p", "-o", "out.npy"],
    ],
)
def test_eval_name_without_csv_output(
    run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in.csv").write_text("x\n1\n")
    assert_user_error(run("eval", *args), ExitCode.USAGE, "--name names the result column of CSV")
    assert files_in(tmp_path) == ["in.csv"]


def test_eval_csv_ragged_row(run: Any, tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text("a,b\n1,2\n3,4,5\n")
    result = run("eval", "-i", str(source), "--column", "b")
    assert_user_error(result, ExitCode.DATA_ERROR, "line 3: 3 cells, the header has 2")
    assert result.out == ""


# --- eval: negative numbers are values -----------------------------------------


@pytest.mark.parametrize("text", ["-3", "-3e2", "-.5", "-0.5", "-inf", "-Infinity", "-1E-5", "-0"])
def test_negative_numbers_in_any_float_syntax(run: Any, text: str) -> None:
    result = run("eval", text)
    assert (result.code, result.err) == (ExitCode.OK, "")
    assert result.out == f"{sg.sigmoid(float(text))!r}\n"


def test_negative_numbers_among_options(run: Any) -> None:
    result = run("eval", "-f", "relu", "-d", "-1e3", "-.25", "2")
    assert result.out.split() == ["0.0", "0.0", "1.0"]
    assert run("eval", "-nan").out == "nan\n"
    assert run("eval", "-inf", "-f", "log_sigmoid").out == "-inf\n"  # not -i nf


def test_negative_numbers_as_option_values(run: Any, tmp_path: Path) -> None:
    target = tmp_path / "f.svg"
    result = run("plot", "-o", str(target), "--range", "-1e1", "-2.5E0", "--no-derivative")
    assert result.code == ExitCode.OK
    assert target.read_bytes().startswith(b"<?xml")


def test_a_dash_word_is_still_an_unknown_option(run: Any) -> None:
    result = run("eval", "-3x")
    assert result.code == ExitCode.USAGE
    assert "unrecognized arguments: -3x" in result.err


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class FakeBar:
    """Stands in for tqdm.tqdm, which is optional."""

    made: ClassVar[list[FakeBar]] = []

    def __init__(self, total: int, **kwargs: Any) -> None:
        self.total, self.done, self.closed = total, 0, False
        self.file = kwargs["file"]
        FakeBar.made.append(self)

    def update(self, n: int) -> None:
        self.done += n

    def close(self) -> None:
        self.closed = True


def test_eval_npy_shows_progress_on_a_terminal(
    run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, target = tmp_path / "in.npy", tmp_path / "out.npy"
    np.save(source, np.zeros(100))
    monkeypatch.setattr(sys, "stderr", FakeTerminal())
    monkeypatch.setitem(sys.modules, "tqdm", types.SimpleNamespace(tqdm=FakeBar))
    FakeBar.made.clear()
    assert run("eval", "-i", str(source), "-o", str(target), "--chunk-size", "30").code == 0
    (bar,) = FakeBar.made
    assert (bar.total, bar.done, bar.closed) == (100, 100, True)
    assert bar.file is sys.stderr


def test_eval_npy_on_a_terminal_without_tqdm(
    run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, target = tmp_path / "in.npy", tmp_path / "out.npy"
    np.save(source, np.zeros(100))
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm fails
    assert run("eval", "-i", str(source), "-o", str(target), "--chunk-size", "30").code == 0
    assert terminal.getvalue() == ""
    np.testing.assert_array_equal(np.load(target), np.full(100, 0.5))


def test_eval_npy_shows_no_progress_when_not_a_terminal(run: Any, tmp_path: Path) -> None:
    source, target = tmp_path / "in.npy", tmp_path / "out.npy"
    np.save(source, np.zeros(100))
    result = run("eval", "-i", str(source), "-o", str(target), "--chunk-size", "10")
    assert result.err == ""


# --- eval: bad input ---------------------------------------------------------


def test_non_number_argument_names_it(run: Any) -> None:
    assert_user_error(
        run("eval", "1", "two", "3"),
        ExitCode.DATA_ERROR,
        "argument 2: 'two' is not a number",
    )


def test_non_number_line_names_the_line(run: Any, tmp_path: Path) -> None:
    source = tmp_path / "in.txt"
    source.write_text("1\n2\n\nthree\n")
    assert_user_error(
        run("eval", "-i", str(source)),
        ExitCode.DATA_ERROR,
        f"{source}, line 4: 'three' is not a number",
    )


def test_non_number_in_stdin_names_the_line(run: Any, stdin: Any) -> None:
    stdin("1\n1,5\n")
    assert_user_error(run("eval"), ExitCode.DATA_ERROR, "<stdin>, line 2: '1,5'")


def test_non_number_in_csv_names_line_and_column(run: Any, tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text("a,b\n1,2\n3,\n")
    assert_user_error(
        run("eval", "-i", str(source), "--column", "b"),
        ExitCode.DATA_ERROR,
        "line 3, column 'b': '' is not a number",
    )


def test_csv_text_column_prints_nothing(run: Any, tmp_path: Path) -> None:
    source = tmp_path / "data.csv"
    source.write_text(CSV_WITH_TEXT)
    result = run("eval", "-i", str(source), "--column", "name")
    assert_user_error(result, ExitCode.DATA_ERROR, "line 2, column 'name': 'Smith, J' is not")
    assert result.out == ""


@pytest.mark.parametrize("csv_input", [False, True])
def test_bad_number_after_many_chunks_prints_nothing(run: Any, stdin: Any, csv_input: bool) -> None:
    lines = ["0.5"] * 100 + ["oops"]
    stdin(("x\n" if csv_input else "") + "\n".join(lines) + "\n")
    args = ["--column", "x"] if csv_input else []
    result = run("eval", *args, "--chunk-size", "7")
    assert_user_error(result, ExitCode.DATA_ERROR, "'oops' is not a number")
    assert result.out == ""


def test_bad_value_in_arguments_prints_nothing(run: Any) -> None:
    result = run("eval", *["1"] * 40, "x")
    assert_user_error(result, ExitCode.DATA_ERROR, "argument 41: 'x' is not a number")
    assert result.out == ""


def test_failure_in_a_large_npy_prints_nothing(
    run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "in.npy"
    np.save(source, np.zeros(100))
    calls = []

    def failing(x: Any) -> Any:
        calls.append(len(x))
        if len(calls) == 3:
            raise KeyboardInterrupt
        return sg.sigmoid(x)

    calls_instead(monkeypatch, lambda name, derivative: failing)
    result = run("eval", "-i", str(source), "--chunk-size", "10")
    assert_user_error(result, ExitCode.INTERRUPTED, "interrupted")
    assert result.out == ""


def test_output_held_in_a_temporary_file_is_complete(
    run: Any, stdin: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_cli_io, "_HELD_IN_MEMORY", 1000)  # the rest waits on disk
    x = np.linspace(-30, 30, 5001)
    stdin("\n".join(map(repr, x.tolist())))
    result = run("eval", "-f", "softplus", "--chunk-size", "64")
    assert result.code == ExitCode.OK
    np.testing.assert_array_equal(np.array(result.out.split(), dtype=float), sg.softplus(x))


def test_unknown_function_lists_the_known_ones(run: Any) -> None:
    result = run("eval", "-f", "step", "1")
    assert_user_error(result, ExitCode.USAGE, "unknown function 'step'; known: ")
    for name in _cli_eval.function_names():
        assert name in result.err
    assert "logit" in result.err


def test_csv_column_problems(run: Any, tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text("a,b\n1,2\n")
    assert_user_error(
        run("eval", "-i", str(source)), ExitCode.USAGE, "has columns a, b: choose one"
    )
    assert_user_error(run("eval", "-i", str(source), "--column", "c"), ExitCode.USAGE, "no 'c'")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert_user_error(run("eval", "-i", str(empty)), ExitCode.DATA_ERROR, "no header")


def test_missing_input_file(run: Any, tmp_path: Path) -> None:
    missing = tmp_path / "nope.txt"
    assert_user_error(
        run("eval", "-i", str(missing)),
        ExitCode.NO_INPUT,
        f"cannot read {missing}: no such file",
    )


def test_input_directory(run: Any, tmp_path: Path) -> None:
    assert_user_error(run("eval", "-i", str(tmp_path)), ExitCode.NO_INPUT, "it is a directory")


def test_output_in_missing_directory(run: Any, tmp_path: Path) -> None:
    target = tmp_path / "no" / "out.txt"
    assert_user_error(
        run("eval", "1", "-o", str(target)),
        ExitCode.CANT_CREATE,
        f"cannot write {target}: directory {target.parent} does not exist",
    )


def test_output_is_a_directory(run: Any, tmp_path: Path) -> None:
    assert_user_error(
        run("eval", "1", "-o", str(tmp_path)), ExitCode.CANT_CREATE, "it is a directory"
    )


def test_output_under_a_file(run: Any, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    assert_user_error(
        run("eval", "1", "-o", str(tmp_path / "file" / "out.txt")),
        ExitCode.CANT_CREATE,
        "is not a directory",
    )


def test_output_without_permission(
    run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Root writes anywhere, so the refusal is simulated where it would happen.
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied")

    real_open, unnamed = os.open, getattr(os, "O_TMPFILE", None)

    def open_refusing_unnamed(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if unnamed is not None and flags & unnamed == unnamed:  # an unnamed file in path
            refuse()
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", open_refusing_unnamed)
    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    assert_user_error(
        run("eval", "1", "-o", str(tmp_path / "out.txt")),
        ExitCode.CANT_CREATE,
        "permission denied",
    )


def test_bad_line_late_in_the_file_leaves_no_partial_output(run: Any, tmp_path: Path) -> None:
    source, target = tmp_path / "in.txt", tmp_path / "out.txt"
    source.write_text("1\n" * 50 + "oops\n")
    target.write_text("old results\n")
    result = run("eval", "-i", str(source), "-o", str(target), "--chunk-size", "4")
    assert_user_error(result, ExitCode.DATA_ERROR, "line 51")
    assert target.read_text() == "old results\n"  # untouched, not half-replaced
    assert files_in(tmp_path) == ["in.txt", "out.txt"]  # no temporary left


def test_failure_midway_through_npy_leaves_no_partial_file(
    run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, target = tmp_path / "in.npy", tmp_path / "out.npy"
    np.save(source, np.zeros(100))
    calls = []

    def failing(x: Any) -> Any:
        calls.append(len(x))
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return sg.sigmoid(x)

    calls_instead(monkeypatch, lambda name, derivative: failing)
    result = run("eval", "-i", str(source), "-o", str(target), "--chunk-size", "10")
    assert_user_error(result, ExitCode.IO_ERROR, "No space left on device")
    assert files_in(tmp_path) == ["in.npy"]


def test_npy_with_objects_is_refused_without_unpickling(run: Any, tmp_path: Path) -> None:
    source = tmp_path / "objects.npy"
    np.save(source, np.array([1, "x"], dtype=object), allow_pickle=True)
    assert_user_error(run("eval", "-i", str(source)), ExitCode.DATA_ERROR, "cannot read")


def test_npy_of_complex_numbers(run: Any, tmp_path: Path) -> None:
    source = tmp_path / "complex.npy"
    np.save(source, np.array([1j]))
    assert_user_error(run("eval", "-i", str(source)), ExitCode.DATA_ERROR, "complex128 values")


def test_binary_file_as_text(run: Any, tmp_path: Path) -> None:
    source = tmp_path / "data.txt"
    source.write_bytes(b"\xff\xfe\x00\x01")
    assert_user_error(run("eval", "-i", str(source)), ExitCode.DATA_ERROR, "not UTF-8")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["1", "-i", "x.txt"], "not both"),
        (["1", "--chunk-size", "0"], "--chunk-size must be at least 1"),
        (["-i", "x.npy", "--column", "a"], "--column applies to CSV"),
    ],
)
def test_contradictory_options(run: Any, args: list[str], message: str) -> None:
    assert_user_error(run("eval", *args), ExitCode.USAGE, message)


def test_terminal_stdin_without_numbers(run: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", FakeTerminal())
    assert_user_error(run("eval"), ExitCode.USAGE, "no numbers")


# --- eval: encodings, and .npy files known by their content -------------------

BOM = "\ufeff"  # what Excel writes at the start of a UTF-8 CSV


def save_npy(path: Path, array: np.ndarray, **kwargs: Any) -> None:
    with path.open("wb") as stream:  # np.save(path) would add ".npy" to the name
        np.save(stream, array, **kwargs)


@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"])  # Excel for Windows and old Mac
def test_eval_csv_with_a_bom(run: Any, tmp_path: Path, end: str) -> None:
    source, target = tmp_path / "excel.csv", tmp_path / "scored.csv"
    source.write_text(f"{BOM}score,id{end}0,a{end}2,b{end}", encoding="utf-8", newline="")
    result = run("eval", "-i", str(source), "--column", "score", "-o", str(target))
    assert (result.code, result.err) == (ExitCode.OK, "")
    sigmoid_2 = repr(float(sg.sigmoid(2.0)))
    assert target.read_bytes() == f"score,id,sigmoid(score)\n0,a,0.5\n2,b,{sigmoid_2}\n".encode()


def test_eval_single_column_csv_with_a_bom(run: Any, tmp_path: Path) -> None:
    source = tmp_path / "excel.csv"
    source.write_text(f"{BOM}score\r\n0\r\n", encoding="utf-8", newline="")
    result = run("eval", "-i", str(source))
    assert (result.code, result.out, result.err) == (
        ExitCode.OK,
        "score,sigmoid(score)\n0,0.5\n",
        "",
    )


def test_eval_standard_input_with_a_bom(run: Any, stdin: Any) -> None:
    stdin(f"{BOM}1\n2\n".encode())
    assert run("eval", "-f", "relu").out == "1.0\n2.0\n"
    stdin(f"{BOM}x\n0\n".encode())
    assert run("eval", "--column", "x").out == "x,sigmoid(x)\n0,0.5\n"


@pytest.mark.parametrize(
    ("data", "args", "where"),
    [
        (
            "name,score\ncafé,0.5\n".encode("latin-1"),
            ["--column", "score"],
            "line 2, byte offset 14: 0xe9",
        ),
        (b"1\n" * 10_000 + "µ\n".encode("latin-1"), [], "line 10001, byte offset 20000: 0xb5"),
        (BOM.encode() + b"1\n\xff\n", [], "line 2, byte offset 5: 0xff"),
        (b"1\r\n2\r\n\xe9\r\n", [], "line 3, byte offset 6: 0xe9"),
        (b"1\r2\r\xe9\r", [], "line 3, byte offset 4: 0xe9"),
        ("x\n0\n1\n€\n".encode("cp1252"), ["--column", "x"], "line 4, byte offset 6: 0x80"),
        (b"1\n\xc3", [], "line 2, byte offset 2: 0xc3"),  # cut in the middle of a character
    ],
)
def test_text_that_is_not_utf8_names_line_and_byte(
    run: Any, stdin: Any, tmp_path: Path, data: bytes, args: list[str], where: str
) -> None:
    source = tmp_path / ("in.csv" if args else "in.txt")
    source.write_bytes(data)
    result = run("eval", "-i", str(source), *args, "-o", str(tmp_path / "out.txt"))
    assert_user_error(result, ExitCode.DATA_ERROR, f"{source}, {where} is not UTF-8 text")
    assert files_in(tmp_path) == [source.name]
    stdin(data)
    assert_user_error(run("eval", *args), ExitCode.DATA_ERROR, f"<stdin>, {where} is not UTF-8")


MIXED_LINE_ENDS = f'{BOM}id,note,score\r\n1,é€,0\n2,"two\nlines",1\r3,,2\r\n\n4,x,3'.encode()


@pytest.mark.parametrize("block", [1, 2, 3, 5, 64, 1 << 20])
def test_lines_are_the_same_whatever_the_blocks_read(
    run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    monkeypatch.setattr("sigmoid.cli._text._BLOCK", block)  # bytes decoded at a time
    source = tmp_path / "in.csv"
    source.write_bytes(MIXED_LINE_ENDS)
    result = run("eval", "-i", str(source), "--column", "score", "-f", "relu")
    assert (result.code, result.err) == (ExitCode.OK, "")
    assert result.out == (
        'id,note,score,relu(score)\n1,é€,0,0.0\n2,"two\nlines",1,1.0\n3,,2,2.0\n4,x,3,3.0\n'
    )
    source.write_bytes(MIXED_LINE_ENDS + b"\r\n5,\xe9,4\n")
    result = run("eval", "-i", str(source), "--column", "score")
    assert_user_error(result, ExitCode.DATA_ERROR, "line 8, byte offset 60: 0xe9 is not UTF-8")


def test_npy_on_standard_input_is_named(run: Any, stdin: Any) -> None:
    stream = io.BytesIO()
    np.save(stream, np.zeros(3))
    stdin(stream.getvalue())
    result = run("eval")
    assert_user_error(result, ExitCode.DATA_ERROR, "<stdin>, line 1, byte offset 0: 0x93", ".npy")


def test_lab_csv_that_is_not_utf8_names_line_and_byte(run: Any, tmp_path: Path) -> None:
    source = tmp_path / "latin1.csv"
    source.write_bytes("a,y\n\xe9,1\n".encode("latin-1"))
    result = run("lab", "classify", "--csv", str(source), "--no-figure")
    where = f"{source}, line 2, byte offset 4: 0xe9 is not UTF-8 text"
    assert_user_error(result, ExitCode.DATA_ERROR, where)


@pytest.mark.parametrize("name", ["data.csv", "data.txt", "data"])
def test_eval_npy_is_known_by_its_content(run: Any, tmp_path: Path, name: str) -> None:
    source, target = tmp_path / name, tmp_path / "out.npy"
    x = np.array([[-1.0, 0.0], [1.0, 2.0]], dtype=np.float32)
    save_npy(source, x)
    result = run("eval", "-i", str(source), "-o", str(target), "--chunk-size", "3")
    assert (result.code, result.err) == (ExitCode.OK, "")
    out = np.load(target)
    assert (out.shape, out.dtype) == (x.shape, x.dtype)
    np.testing.assert_array_equal(out, sg.sigmoid(x))
    assert run("eval", "-i", str(source), "-f", "relu").out.split() == ["0.0", "0.0", "1.0", "2.0"]


def test_eval_column_of_an_npy_named_csv(run: Any, tmp_path: Path) -> None:
    source = tmp_path / "data.csv"
    save_npy(source, np.zeros(3))
    result = run("eval", "-i", str(source), "--column", "score")
    assert_user_error(
        result, ExitCode.USAGE, "--column applies to CSV input", f"{source} is a .npy"
    )


def npz_bytes() -> bytes:
    stream = io.BytesIO()
    np.savez(stream, x=np.zeros(3))
    return stream.getvalue()


@pytest.mark.parametrize(
    "content", [b"1\n2\n", b"", b"\x93NUM", npz_bytes()], ids=["text", "empty", "short", "npz"]
)
def test_file_named_npy_that_is_not_one(run: Any, tmp_path: Path, content: bytes) -> None:
    source = tmp_path / "fake.npy"
    source.write_bytes(content)
    result = run("eval", "-i", str(source), "-o", str(tmp_path / "out.npy"))
    assert_user_error(result, ExitCode.DATA_ERROR, f"cannot read {source}: not a .npy file")
    assert files_in(tmp_path) == ["fake.npy"]


class MakesADirectory:
    """Unpickling it makes a directory: a trace left by any unpickling of a .npy."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return os.mkdir, (str(self.path),)


@pytest.mark.parametrize("name", ["objects.npy", "objects.csv", "objects"])
def test_npy_of_objects_is_never_unpickled(run: Any, tmp_path: Path, name: str) -> None:
    source, trace = tmp_path / name, tmp_path / "unpickled"
    save_npy(source, np.array([MakesADirectory(trace)], dtype=object), allow_pickle=True)
    result = run("eval", "-i", str(source))
    assert_user_error(result, ExitCode.DATA_ERROR, f"cannot read {source}", "Python objects")
    assert not trace.exists()


# --- plot and compare --------------------------------------------------------


def test_plot_writes_png_of_the_expected_size(
    run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("plot")
    assert result.code == ExitCode.OK
    assert result.out == "wrote sigmoid.png\n"
    image = matplotlib.image.imread(tmp_path / "sigmoid.png")
    assert image.shape == (500, 900, 4)
    assert files_in(tmp_path) == ["sigmoid.png"]
    assert (tmp_path / "sigmoid.png").stat().st_mode & 0o777 != 0o600  # not mkstemp's


@pytest.mark.parametrize(("suffix", "magic"), [(".svg", b"<?xml"), (".pdf", b"%PDF")])
def test_plot_format_follows_the_extension(
    run: Any, tmp_path: Path, suffix: str, magic: bytes
) -> None:
    target = tmp_path / f"figure{suffix.upper()}"
    result = run("plot", "-o", str(target), "--range", "-10", "10", "--no-derivative")
    assert result.code == ExitCode.OK
    assert target.read_bytes().startswith(magic)


def test_plot_is_reproducible(run: Any, tmp_path: Path) -> None:
    for name in ("a.svg", "b.svg"):
        assert run("plot", "-o", str(tmp_path / name)).code == 0
    assert (tmp_path / "a.svg").read_bytes() == (tmp_path / "b.svg").read_bytes()


def test_plot_unknown_format(run: Any, tmp_path: Path) -> None:
    target = tmp_path / "figure.bmp"
    assert_user_error(
        run("plot", "-o", str(target)),
        ExitCode.USAGE,
        "unknown figure format ('.bmp')",
        ".png",
    )
    assert_user_error(run("plot", "-o", str(tmp_path / "figure")), ExitCode.USAGE, "no extension")
    assert files_in(tmp_path) == []


def test_plot_bad_range(run: Any, tmp_path: Path) -> None:
    target = str(tmp_path / "f.png")
    assert_user_error(run("plot", "-o", target, "--range", "2", "1"), ExitCode.USAGE, "A < B")


def test_plot_without_matplotlib(run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert_user_error(
        run("plot", "-o", str(tmp_path / "f.png")),
        ExitCode.UNAVAILABLE,
        "needs matplotlib",
    )


def table_rows(out: str) -> dict[str, list[str]]:
    lines = out.splitlines()
    return {line.split()[0]: line.split() for line in lines[1:] if not line.startswith("wrote")}


def test_compare_prints_the_table_and_writes_the_figure(run: Any, tmp_path: Path) -> None:
    target = tmp_path / "family.png"
    result = run("compare", "sigmoid", "tanh", "relu", "-o", str(target))
    assert result.code == ExitCode.OK
    header = result.out.splitlines()[0].split()
    assert header == [
        "activation",
        "range",
        "zero-centred",
        "max",
        "slope",
        "saturating",
        "ns/element",
    ]
    rows = table_rows(result.out)
    assert list(rows) == ["sigmoid", "tanh", "relu"]
    assert rows["sigmoid"][:5] == ["sigmoid", "(0,", "1)", "no", "0.25"]
    assert rows["tanh"][3:6] == ["yes", "1", "yes"]
    assert float(rows["relu"][-1]) > 0
    assert result.out.endswith(f"wrote {target}\n")
    assert matplotlib.image.imread(target).shape == (500, 1200, 4)


def test_compare_defaults_to_every_activation(run: Any, tmp_path: Path) -> None:
    result = run("compare", "--no-figure", "--no-timing", "-o", str(tmp_path / "x.png"))
    assert result.code == ExitCode.OK
    assert list(table_rows(result.out)) == list(activations.ACTIVATIONS)
    assert "ns/element" not in result.out
    assert files_in(tmp_path) == []


def test_compare_unknown_name(run: Any, tmp_path: Path) -> None:
    assert_user_error(
        run("compare", "sigmoid", "step", "-o", str(tmp_path / "f.png")),
        ExitCode.USAGE,
        "unknown activation 'step'; known: sigmoid",
    )
    assert files_in(tmp_path) == []


def test_compare_checks_the_format_before_timing(run: Any, tmp_path: Path) -> None:
    result = run("compare", "-o", str(tmp_path / "f.gif"))
    assert_user_error(result, ExitCode.USAGE, "unknown figure format")
    assert result.out == ""


def test_compare_prints_nothing_when_the_figure_cannot_be_written(run: Any, tmp_path: Path) -> None:
    target = tmp_path / "missing" / "family.png"
    result = run("compare", "sigmoid", "--no-timing", "-o", str(target))
    assert_user_error(result, ExitCode.CANT_CREATE, f"directory {target.parent} does not exist")
    assert result.out == ""  # not the table


# --- output files: complete or absent, whatever stops the process ------------

#: The conventional exit status of a program that stops on SIGTERM: 128 + 15.
TERMINATED = 128 + signal.SIGTERM


@pytest.fixture(params=["unnamed", "named"])
def temporary_kind(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each output test twice: with O_TMPFILE (Linux), and with the named fallback."""
    if request.param == "named":
        monkeypatch.delattr(os, "O_TMPFILE", raising=False)
    elif not hasattr(os, "O_TMPFILE"):
        pytest.skip("no O_TMPFILE on this system")
    return str(request.param)


def terminate() -> None:
    """What SIGTERM does to the process, without sending one (the old code would die)."""
    handler = signal.getsignal(signal.SIGTERM)
    assert callable(handler), f"SIGTERM is not handled: {handler!r}"
    handler(signal.SIGTERM, None)


def age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


@pytest.mark.parametrize("target_name", ["out.npy", "out.csv", "out.txt"])
@pytest.mark.parametrize("source_name", ["in.npy", "in.txt"])
@pytest.mark.parametrize("replacing", [False, True])
def test_output_is_invisible_until_complete(
    run: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    temporary_kind: str,
    source_name: str,
    target_name: str,
    replacing: bool,
) -> None:
    source, target = tmp_path / source_name, tmp_path / target_name
    x = np.linspace(-5, 5, 50)
    if source.suffix == ".npy":
        np.save(source, x)
    else:
        source.write_text("".join(f"{value!r}\n" for value in x.tolist()))
    if replacing:
        target.write_text("old results\n")
    seen: list[tuple[list[str], str]] = []

    def watched(values: Any) -> Any:
        temporaries = [
            name for name in files_in(tmp_path) if name not in (source_name, target_name)
        ]
        old = target.read_text() if target.exists() else ""
        seen.append((temporaries, old))
        return sg.sigmoid(values)

    calls_instead(monkeypatch, lambda name, derivative: watched)
    result = run("eval", "-i", str(source), "-o", str(target), "--chunk-size", "7")
    assert (result.code, result.err) == (ExitCode.OK, "")
    assert [old for _, old in seen] == ["old results\n" if replacing else ""] * len(seen)
    temporaries = {name for names, _ in seen for name in names}
    if temporary_kind == "unnamed":
        assert temporaries == set()  # nothing to see but the old output, if any
    else:  # one hidden temporary, which a later run can tell is stale (see below)
        (name,) = temporaries
        assert re.fullmatch(rf"\.{re.escape(target_name)}\.sigmoid-[a-z0-9_]{{8}}\.part", name)
    assert files_in(tmp_path) == sorted([source_name, target_name])
    assert target.stat().st_mode & 0o777 == 0o666 & ~current_umask()
    if target.suffix == ".npy":
        np.testing.assert_array_equal(np.load(target), sg.sigmoid(x))
    else:
        assert target.read_text().count("\n") == len(x) + (target.suffix == ".csv")


def current_umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def test_the_named_temporary_is_locked_while_written(
    run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fcntl = pytest.importorskip("fcntl")
    monkeypatch.delattr(os, "O_TMPFILE", raising=False)
    source, target = tmp_path / "in.npy", tmp_path / "out.npy"
    np.save(source, np.zeros(30))
    locked: list[bool] = []

    def watched(values: Any) -> Any:
        for path in tmp_path.glob(".out.npy.sigmoid-*.part"):
            with path.open("rb") as stream:
                try:
                    fcntl.flock(stream, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    locked.append(True)
                else:
                    locked.append(False)
        return sg.sigmoid(values)

    calls_instead(monkeypatch, lambda name, derivative: watched)
    assert run("eval", "-i", str(source), "-o", str(target), "--chunk-size", "10").code == 0
    assert locked == [True, True, True]  # the three chunks: held by its writer all along
    assert files_in(tmp_path) == ["in.npy", "out.npy"]


def test_sigterm_is_handled_like_ctrl_c(
    run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, temporary_kind: str
) -> None:
    source, target = tmp_path / "in.npy", tmp_path / "out.npy"
    np.save(source, np.zeros(100))
    target.write_text("old results\n")
    calls = []

    def terminated(x: Any) -> Any:
        calls.append(len(x))
        if len(calls) == 3:
            terminate()
        return sg.sigmoid(x)

    calls_instead(monkeypatch, lambda name, derivative: terminated)
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    result = run("eval", "-i", str(source), "-o", str(target), "--chunk-size", "10")
    assert_user_error(result, ExitCode(TERMINATED), "terminated")
    assert ExitCode(TERMINATED).name == "TERMINATED"
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # restored once main returns
    assert files_in(tmp_path) == ["in.npy", "out.npy"]
    assert target.read_text() == "old results\n"


def test_a_sigterm_handler_of_the_caller_is_left_alone(
    run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = []

    def watched(x: Any) -> Any:
        seen.append(signal.getsignal(signal.SIGTERM))
        return sg.sigmoid(x)

    def own(signum: int, frame: Any) -> None:
        pass

    calls_instead(monkeypatch, lambda name, derivative: watched)
    assert run("eval", "0").code == ExitCode.OK
    for handler in (signal.SIG_IGN, own):  # nohup's, or a program calling main()
        previous = signal.signal(signal.SIGTERM, handler)
        try:
            assert run("eval", "0").code == ExitCode.OK
            assert signal.getsignal(signal.SIGTERM) is handler
        finally:
            signal.signal(signal.SIGTERM, previous)
    assert callable(seen[0])  # sigmoid's, while it runs
    assert seen[0] is not own
    assert seen[1:] == [signal.SIG_IGN, own]


FIGURE_COMMANDS = [
    ["plot"],
    ["compare", "sigmoid", "tanh", "--no-timing"],
    ["lab", "vanishing", "--depth", "2", "--width", "4", "--samples", "8"],
]


@pytest.mark.parametrize("argv", FIGURE_COMMANDS, ids=lambda argv: argv[0])
def test_figures_are_invisible_until_complete(
    run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    target = tmp_path / "figure.png"
    seen = []
    savefig = matplotlib.figure.Figure.savefig

    def watched(self: matplotlib.figure.Figure, *args: Any, **kwargs: Any) -> None:
        savefig(self, *args, **kwargs)
        seen.append(files_in(tmp_path))

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", watched)
    result = run(*argv, "-o", str(target))
    assert (result.code, result.err) == (ExitCode.OK, "")
    assert seen == [[]]  # written, not yet in the directory
    assert files_in(tmp_path) == ["figure.png"]
    assert matplotlib.image.imread(target).ndim == 3


@pytest.mark.parametrize("argv", FIGURE_COMMANDS, ids=lambda argv: argv[0])
def test_sigterm_while_writing_a_figure_leaves_nothing(
    run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, temporary_kind: str, argv: list[str]
) -> None:
    savefig = matplotlib.figure.Figure.savefig

    def terminated(self: matplotlib.figure.Figure, *args: Any, **kwargs: Any) -> None:
        savefig(self, *args, **kwargs)
        terminate()

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", terminated)
    result = run(*argv, "-o", str(tmp_path / "figure.png"))
    assert_user_error(result, ExitCode(TERMINATED), "terminated")
    assert files_in(tmp_path) == []


STALE = ".out.txt.sigmoid-k3j_x9q2.part"


def test_stale_temporaries_are_removed_and_only_those(run: Any, tmp_path: Path) -> None:
    fcntl = pytest.importorskip("fcntl")
    kept = [
        ".out.txt.sigmoid-fresh001.part",  # a run may have made it and not locked it yet
        ".out.txt.sigmoid-locked01.part",  # a live run holds its lock
        ".out.txt.sigmoid-toolong123.part",  # not a name sigmoid makes
        ".out.txt.k3j_x9q2.part",  # the old names, or another program's
        ".out.txt.part",
        ".other.txt.sigmoid-k3j_x9q2.part",  # another output's: its own run removes it
        "out.txt.sigmoid-k3j_x9q2.part",
    ]
    for name in [STALE, *kept]:
        (tmp_path / name).write_text("partial")
        if "fresh" not in name:
            age(tmp_path / name, 120)
    with (tmp_path / kept[1]).open("rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = run("eval", "1", "-o", str(tmp_path / "out.txt"))
    assert (result.code, result.err) == (ExitCode.OK, "")
    assert files_in(tmp_path) == sorted([*kept, "out.txt"])


def test_stale_temporary_beside_a_figure_is_removed(run: Any, tmp_path: Path) -> None:
    stale = tmp_path / ".figure.svg.sigmoid-abcdefgh.part"
    stale.write_text("partial")
    age(stale, 120)
    assert run("plot", "-o", str(tmp_path / "figure.svg")).code == ExitCode.OK
    assert files_in(tmp_path) == ["figure.svg"]


# The kills, in a subprocess: `python -m sigmoid eval -i big.npy -o out.npy`.

needs_proc = pytest.mark.skipif(
    not Path("/proc/self/maps").exists(), reason="watching a process's files needs /proc"
)
KILLED_INPUT_SIZE = 2_000_000  # values: tens of seconds with --chunk-size 1


@pytest.fixture
def big_npy(tmp_path: Path) -> Path:
    path = tmp_path / "big.npy"
    np.save(path, np.zeros(KILLED_INPUT_SIZE))
    return path


@pytest.mark.slow
@needs_proc
def test_sigterm_while_writing_leaves_nothing(tmp_path: Path, big_npy: Path) -> None:
    process = start_writing([sys.executable, "-m", "sigmoid"], tmp_path, "big.npy", "out.npy")
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=60)
    assert (process.returncode, out, err) == (TERMINATED, "", "sigmoid: error: terminated\n")
    assert files_in(tmp_path) == ["big.npy"]


@pytest.mark.slow
@needs_proc
def test_sigkill_while_writing_leaves_nothing(tmp_path: Path, big_npy: Path) -> None:
    if not unnamed_files_work(tmp_path):
        pytest.skip(f"no O_TMPFILE in {tmp_path}: see the next test")
    process = start_writing([sys.executable, "-m", "sigmoid"], tmp_path, "big.npy", "out.npy")
    process.kill()
    process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL
    assert files_in(tmp_path) == ["big.npy"]


WITHOUT_O_TMPFILE = (
    "import os, sys; os.__dict__.pop('O_TMPFILE', None); "
    "from sigmoid.cli import main; sys.exit(main())"
)


@pytest.mark.slow
@needs_proc
def test_sigkill_without_o_tmpfile_leaves_what_the_next_run_removes(
    run: Any, tmp_path: Path, big_npy: Path
) -> None:
    program = [sys.executable, "-c", WITHOUT_O_TMPFILE]
    process = start_writing(program, tmp_path, "big.npy", "out.npy")
    process.kill()
    process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL
    (left,) = (name for name in files_in(tmp_path) if name != "big.npy")
    assert re.fullmatch(r"\.out\.npy\.sigmoid-[a-z0-9_]{8}\.part", left)
    age(tmp_path / left, 120)  # no longer fresh
    small = tmp_path / "small.npy"
    np.save(small, np.zeros(3))
    assert run("eval", "-i", str(small), "-o", str(tmp_path / "out.npy")).code == ExitCode.OK
    assert files_in(tmp_path) == ["big.npy", "out.npy", "small.npy"]
    np.testing.assert_array_equal(np.load(tmp_path / "out.npy"), np.full(3, 0.5))


# --- every example of the help texts and of the README -----------------------

BIG = np.linspace(-12, 12, 3000, dtype=np.float32).reshape(1000, 3)


def write_example_inputs(directory: Path) -> None:
    """The files the examples name: big.npy, and data.csv with a score and a 0/1 outcome."""
    np.save(directory / "big.npy", BIG)
    rng = np.random.default_rng(0)
    score = np.round(rng.normal(size=60), 3)
    age = rng.integers(20, 80, size=60).tolist()
    outcome = (rng.random(60) < sg.sigmoid(3.0 * score)).astype(int).tolist()
    score = score.tolist()
    rows = (
        f"{i},{a},{s!r},{o}" for i, (a, s, o) in enumerate(zip(age, score, outcome, strict=True))
    )
    (directory / "data.csv").write_text("\n".join(["id,age,score,outcome", *rows]) + "\n")


def floats(text: str) -> np.ndarray:
    """The numbers of `text`, one per line, every one of them finite."""
    values = np.array([float(line) for line in text.splitlines()])
    assert values.size > 0
    assert np.isfinite(values).all(), text
    return values


def rows_of(out: str, first_words: list[str]) -> dict[str, list[str]]:
    """The first line starting with each word, as cells (two or more spaces apart)."""
    rows: dict[str, list[str]] = {}
    for line in out.splitlines():
        words = line.split()
        if words and words[0] in first_words and words[0] not in rows:
            rows[words[0]] = re.split(r"\s{2,}", line.strip())
    assert list(rows) == first_words, out
    return rows


def numbers_in(cells: list[str]) -> list[float]:
    """The cells that are numbers, every one of them finite."""
    values = []
    for cell in cells:
        try:
            values.append(float(cell))
        except ValueError:
            continue
    assert values, cells
    assert all(np.isfinite(values)), cells
    return values


def figure(directory: Path, name: str) -> None:
    magic = {".png": b"\x89PNG", ".svg": b"<?xml", ".pdf": b"%PDF"}[Path(name).suffix]
    assert (directory / name).read_bytes().startswith(magic)


def check_eval_numbers(result: Result, directory: Path) -> None:
    expected = sg.sigmoid(np.array([0.0, 1.5, -300.0]))
    np.testing.assert_array_equal(floats(result.out), expected)


def check_relu_slope(result: Result, directory: Path) -> None:
    assert floats(result.out).tolist() == [1.0]


def check_logit(result: Result, directory: Path) -> None:
    values = floats(result.out)
    np.testing.assert_array_equal(values, sg.logit(np.array([0.1, 0.5, 0.9])))
    assert values[0] < 0 == values[1] < values[2]


def check_tanh_of_seq(result: Result, directory: Path) -> None:
    x = np.arange(-3.0, 4.0)
    np.testing.assert_array_equal(floats(result.out), activations.tanh(x))


def check_big_npy(result: Result, directory: Path) -> None:
    assert result.out == ""
    out = np.load(directory / "out.npy")
    assert (out.dtype, out.shape) == (BIG.dtype, BIG.shape)
    np.testing.assert_array_equal(out, sg.sigmoid(BIG))


def check_scored_csv(result: Result, directory: Path) -> None:
    assert result.out == ""
    given = read_csv(directory / "data.csv")
    scored = read_csv(directory / "scored.csv")
    assert scored[0] == [*given[0], "sigmoid(score)"]
    assert [row[:-1] for row in scored[1:]] == given[1:]
    results = [float(row[-1]) for row in scored[1:]]
    assert results == [sg.sigmoid(float(row[2])) for row in given[1:]]


def plot_check(name: str) -> Any:
    def check(result: Result, directory: Path) -> None:
        assert result.out == f"wrote {name}\n"
        figure(directory, name)

    return check


def compare_check(names: list[str], output: str | None) -> Any:
    def check(result: Result, directory: Path) -> None:
        rows = rows_of(result.out, names)
        for name in names:
            assert rows[name][-1] == f"{float(rows[name][-1]):.2f}"  # ns/element
            assert float(rows[name][-1]) > 0
        if output is None:
            assert files_in(directory) == ["big.npy", "data.csv"]
        else:
            assert result.out.endswith(f"wrote {output}\n")
            figure(directory, output)

    return check


def vanishing_check(names: list[str], depth: int) -> Any:
    def check(result: Result, directory: Path) -> None:
        assert f"{depth} hidden layers" in result.out
        rows = rows_of(result.out, names)
        factors = {name: numbers_in(rows[name])[-1] for name in names}
        assert factors["sigmoid"] < min(factors["tanh"], factors["relu"]) / 2  # σ's vanish
        figure(directory, "lab_vanishing.png")

    return check


def check_training(result: Result, directory: Path) -> None:
    assert "seed 1" in result.out.splitlines()[0]
    for cells in rows_of(result.out, ["sigmoid", "tanh", "relu"]).values():
        accuracy = numbers_in(cells)[-4]  # the final test accuracy
        assert 0.0 <= accuracy <= 1.0
    figure(directory, "lab_training.png")


def classify_check(output: str, data: str) -> Any:
    def check(result: Result, directory: Path) -> None:
        assert result.out.startswith(data)
        for cells in rows_of(result.out, ["gradient", "sklearn"]).values():
            *accuracies, loss = numbers_in(cells)[-3:]
            assert all(0.5 < accuracy <= 1.0 for accuracy in accuracies), cells
            assert loss > 0
        figure(directory, output)

    return check


ALL = list(activations.ACTIVATIONS)
Check = Any  # (Result, Path) -> None
EXAMPLES: dict[str, Check] = {
    "sigmoid eval 0 1.5 -3e2": check_eval_numbers,
    "sigmoid eval -f relu -d 2": check_relu_slope,
    "sigmoid eval -f logit 0.1 0.5 0.9": check_logit,
    "seq -3 3 | sigmoid eval -f tanh": check_tanh_of_seq,
    "sigmoid eval -i big.npy -o out.npy": check_big_npy,
    "sigmoid eval -i data.csv --column score -o scored.csv": check_scored_csv,
    "sigmoid plot": plot_check("sigmoid.png"),
    "sigmoid plot -o sigmoid.svg --range -10 10 --no-derivative": plot_check("sigmoid.svg"),
    "sigmoid plot -o sigmoid.svg --range -8 8": plot_check("sigmoid.svg"),
    "sigmoid compare": compare_check(ALL, "family.png"),
    "sigmoid compare sigmoid tanh relu -o family.pdf": compare_check(
        ["sigmoid", "tanh", "relu"], "family.pdf"
    ),
    "sigmoid compare sigmoid tanh relu gelu": compare_check(
        ["sigmoid", "tanh", "relu", "gelu"], "family.png"
    ),
    "sigmoid compare --no-figure": compare_check(ALL, None),
    "sigmoid lab vanishing": vanishing_check(["sigmoid", "tanh", "relu"], 10),
    "sigmoid lab vanishing --depth 20 --activations sigmoid,tanh,relu,gelu": vanishing_check(
        ["sigmoid", "tanh", "relu", "gelu"], 20
    ),
    "sigmoid lab train --seed 1": check_training,
    "sigmoid lab classify": classify_check("lab_classifier.png", "breast cancer"),
    "sigmoid lab classify --csv data.csv --label outcome -o fit.svg": classify_check(
        "fit.svg", "data.csv"
    ),
}


def test_every_example_is_run_here(run: Any) -> None:
    found = []
    for path in help_paths():
        result = run(*path, "--help")
        assert result.code == ExitCode.OK
        found += examples_in_help(result.out)
    assert len(found) == len(set(found)) > 10
    readme = examples_in_readme()
    assert len(readme) >= 5
    assert set(found) | set(readme) == set(EXAMPLES)


# Those that take more than a few seconds (training, deep networks).
SLOW_EXAMPLES = {
    "sigmoid lab train --seed 1",
    "sigmoid lab classify",
    "sigmoid lab vanishing --depth 20 --activations sigmoid,tanh,relu,gelu",
}


@pytest.mark.parametrize(
    ("example", "check"),
    [
        pytest.param(
            example, check, id=example, marks=[pytest.mark.slow] if example in SLOW_EXAMPLES else []
        )
        for example, check in EXAMPLES.items()
    ],
)
def test_example(
    example: str,
    check: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_example_inputs(tmp_path)
    result = run_example(example, tmp_path, capsys, monkeypatch)
    assert (result.code, result.err) == (ExitCode.OK, "")
    check(result, tmp_path)
    assert not [name for name in files_in(tmp_path) if name.endswith(".part")]


# --- the installed program ---------------------------------------------------


def sigmoid_program() -> list[str]:
    found = shutil.which("sigmoid") or shutil.which("sigmoid", path=os.path.dirname(sys.executable))
    return [found] if found else [sys.executable, "-m", "sigmoid"]


def test_installed_command_end_to_end(tmp_path: Path) -> None:
    program = sigmoid_program()
    ok = subprocess.run(
        [*program, "eval", "-f", "softsign", "3"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, "0.75\n", "")
    bad = subprocess.run(
        [*program, "eval", "-i", str(tmp_path / "missing.txt")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == ExitCode.NO_INPUT
    assert bad.stderr.startswith("sigmoid: error: cannot read")
    assert "Traceback" not in bad.stderr


def test_python_dash_m(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sigmoid", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert result.stdout.startswith("sigmoid ")


def test_pipeline_example_in_a_shell(tmp_path: Path) -> None:
    program = Path(sigmoid_program()[0])
    if program.name != "sigmoid":
        pytest.skip("the sigmoid program is not installed")
    env = {**os.environ, "PATH": f"{program.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run(
        ["bash", "-c", "seq -3 3 | sigmoid eval -f tanh"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env=env,
    )
    assert (result.returncode, result.stderr) == (0, "")
    np.testing.assert_array_equal(floats(result.stdout), activations.tanh(np.arange(-3.0, 4.0)))


# What `sigmoid eval 0` may not load: the other commands' modules and libraries.
NOT_FOR_EVAL = [
    "sigmoid.lab",
    "sigmoid.plotting",
    "sigmoid.cli._figures",
    "sigmoid.cli._csv",
    "matplotlib",
    "tqdm",
    "sklearn",
]
_LOADED = """
import contextlib, io, json, sys
from sigmoid.cli import main
seen = {"import": sorted(sys.modules)}
with contextlib.redirect_stdout(io.StringIO()):
    main(["--help"])
seen["help"] = sorted(sys.modules)
with contextlib.redirect_stdout(io.StringIO()) as out:
    seen["code"] = main(["eval", *sys.argv[1:]])
seen.update(out=out.getvalue(), eval=sorted(sys.modules))
print(json.dumps(seen))
"""


def _loaded(*arguments: str) -> dict[str, Any]:
    command = [sys.executable, "-c", _LOADED, *arguments]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    seen: dict[str, Any] = json.loads(result.stdout)
    return seen


@pytest.mark.parametrize(
    ("arguments", "out"),
    [
        (["0"], "0.5\n"),
        (["-d", "0"], "0.25\n"),
        (["-f", "log-sigmoid", "-d", "0"], "0.5\n"),  # σ(-x)
        (["-f", "softplus", "-d", "--", "-3e2"], "5.148200222412013e-131\n"),  # σ(x)
    ],
)
def test_eval_of_a_number_loads_only_what_it_needs(arguments: list[str], out: str) -> None:
    """σ, σ' are correctly rounded in float64: a few numbers need no numba (`sigmoid._rounded`)."""
    seen = _loaded(*arguments)
    cli_only = [*NOT_FOR_EVAL, "sigmoid.cli._eval", "numba", "importlib.metadata", "csv"]
    assert [name for name in cli_only if name in seen["import"]] == []
    assert [name for name in cli_only if name in seen["help"]] == []  # names and help only
    assert (seen["code"], seen["out"]) == (0, out)
    not_loaded = [*NOT_FOR_EVAL, "numba", "sigmoid._kernels"]
    assert [name for name in not_loaded if name in seen["eval"]] == []


_BUILT = """
import contextlib, io, json, sys
from sigmoid.cli import main
from sigmoid._kernels import loops
built = []
build = loops.build
loops.build = lambda kind, function: built.append([kind, function.name]) or build(kind, function)
with contextlib.redirect_stdout(io.StringIO()) as out:
    code = main(["eval", *sys.argv[1:]])
print(json.dumps({"code": code, "out": out.getvalue(), "built": built}))
"""


def test_eval_of_a_number_without_a_correctly_rounded_twin_loads_one_kernel() -> None:
    # Every function of the family now has its twin: take softplus's away.
    no_twin = "import sigmoid._rounded as r\nr.kernel_is_exact = lambda function: False\n"
    command = [sys.executable, "-c", no_twin + _BUILT, "-f", "softplus", "0"]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    seen = json.loads(result.stdout)
    assert (seen["code"], seen["out"]) == (0, "0.6931471805599453\n")
    assert seen["built"] == [
        ["scalar", "softplus"]
    ]  # one compiled kernel, not a ufunc  # one compiled kernel, not a ufunc
