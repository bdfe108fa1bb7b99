"""The ``sigmoid`` command, run in-process through `main` (and once as a program)."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tempfile
import types
from pathlib import Path
from typing import Any, ClassVar, Literal

import matplotlib

matplotlib.use("Agg")

import matplotlib.image
import numpy as np
import pytest

import sigmoid as sg
from cli_support import Result, assert_user_error, run_main
from sigmoid import activations
from sigmoid.cli import COMMANDS, ExitCode, main
from sigmoid.cli import _eval as _cli_eval


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Any:
    def run(*argv: str) -> Result:
        return run_main(argv, capsys)

    return run


@pytest.fixture
def stdin(monkeypatch: pytest.MonkeyPatch) -> Any:
    def feed(text: str) -> None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(text))

    return feed


def files_in(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


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


def test_interrupt_exits_with_130(run: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: Any) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(_cli_eval, "resolve", interrupted)
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
        "score,tanh",
        "0.0,0.0",
        f"2.0,{float(np.tanh(2.0))!r}",
    ]


def test_eval_csv_from_stdin_to_csv_file(run: Any, stdin: Any, tmp_path: Path) -> None:
    stdin("x\n0\n")
    target = tmp_path / "out.csv"
    assert run("eval", "--column", "x", "-d", "-o", str(target)).code == 0
    assert target.read_text() == "x,sigmoid'\n0.0,0.25\n"


def test_eval_single_column_csv_needs_no_column(run: Any, tmp_path: Path) -> None:
    source = tmp_path / "one.csv"
    source.write_text("p\n0.5\n")
    assert run("eval", "-i", str(source), "-f", "logit").out == "p,logit\n0.5,0.0\n"


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
        "x,relu",
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

    monkeypatch.setattr(_cli_eval, "resolve", lambda name, derivative: failing)
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


def test_file_that_is_not_npy(run: Any, tmp_path: Path) -> None:
    source = tmp_path / "fake.npy"
    source.write_text("1\n2\n")
    assert_user_error(run("eval", "-i", str(source)), ExitCode.DATA_ERROR, "cannot read")


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
