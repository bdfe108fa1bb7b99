"""The lab: the network's gradients, the measured claims, the classifier, ``sigmoid lab``."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.image
import numpy as np
import pytest

import sigmoid as sg
from cli_support import Result, assert_user_error, run_main
from sigmoid import lab
from sigmoid.cli import ExitCode
from sigmoid.lab import data, network, training

# --- the network: forward, backward, loss ------------------------------------


def numerical_gradient(net: network.Network, x: Any, y: Any, param: Any) -> Any:
    """Central differences of the loss with respect to every entry of `param`."""
    grad = np.zeros_like(param)
    step = 1e-6
    for index in np.ndindex(param.shape):
        saved = param[index]
        param[index] = saved + step
        up = network.loss(network.forward(net, x).logits, y)
        param[index] = saved - step
        down = network.loss(network.forward(net, x).logits, y)
        param[index] = saved
        grad[index] = (up - down) / (2 * step)
    return grad


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "gelu", "softsign"])
def test_backward_matches_finite_differences(activation: str) -> None:
    rng = np.random.default_rng(7)
    x = rng.standard_normal((6, 4))
    y = np.array([0.0, 1.0, 1.0, 0.0, 1.0, 0.0])
    net = network.init_network(4, [5, 3], activation, seed=3)
    for bias in net.biases:
        bias[:] = rng.normal(0.0, 0.3, bias.shape)  # not all zero: their gradients matter too
    grads = network.backward(net, network.forward(net, x), y)
    for param, grad in zip(net.weights + net.biases, grads.weights + grads.biases, strict=True):
        expected = numerical_gradient(net, x, y, param)
        assert grad.shape == param.shape
        np.testing.assert_allclose(grad, expected, rtol=1e-5, atol=1e-9)


def test_init_scales() -> None:
    glorot = network.init_network(400, [400], "tanh", init="glorot", seed=0)
    he = network.init_network(400, [400], "tanh", init="he", seed=0)
    assert glorot.weights[0].std() == pytest.approx(np.sqrt(2 / 800), rel=0.02)
    assert he.weights[0].std() == pytest.approx(np.sqrt(2 / 400), rel=0.02)
    assert network.init_network(3, [4], "relu").init == "he"
    assert network.init_network(3, [4], "sigmoid").init == "glorot"
    with pytest.raises(ValueError, match="unknown initialisation 'lecun'"):
        network.init_network(3, [4], "relu", init="lecun")


def test_loss_is_stable_for_any_logit() -> None:
    logits = np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0])
    y = np.array([1.0, 1.0, 0.0, 0.0, 0.0])
    assert network.loss(logits, y) == pytest.approx((1000 + 30 + np.log(2) + 30 + 1000) / 5)
    moderate = np.array([-2.0, 0.5, 3.0])
    labels = np.array([0.0, 1.0, 0.0])
    p = 1 / (1 + np.exp(-moderate))
    naive = -np.mean(labels * np.log(p) + (1 - labels) * np.log(1 - p))
    assert network.loss(moderate, labels) == pytest.approx(naive, rel=1e-12)


# --- vanishing gradients ------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sigmoid_gradients_vanish_and_tanh_relu_do_not(seed: int) -> None:
    result = lab.measure_vanishing(seed=seed)  # depth 10, width 64, suitable init
    runs = {run.activation: run for run in result.runs}
    assert list(runs) == ["sigmoid", "tanh", "relu"]
    assert [runs[name].init for name in runs] == ["glorot", "glorot", "he"]
    sigmoid, tanh, relu = runs["sigmoid"], runs["tanh"], runs["relu"]
    assert 0.1 < sigmoid.factor < 0.3  # σ' <= 1/4 per layer, as theory says
    assert sigmoid.first < 1e-4 * sigmoid.last
    assert 0.8 < tanh.factor < 1.2
    assert 0.7 < relu.factor < 1.2
    assert sigmoid.factor < 0.4 * min(tanh.factor, relu.factor)
    assert np.all(np.isfinite(sigmoid.norms))
    assert np.all(sigmoid.norms > 0)


def test_sigmoid_vanishes_under_he_init_too() -> None:
    result = lab.measure_vanishing(["sigmoid", "relu"], init="he", depth=8, width=32)
    sigmoid, relu = result.runs
    assert sigmoid.factor < 0.4 < 0.7 < relu.factor


def test_vanishing_is_reproducible_and_tabulated() -> None:
    first = lab.measure_vanishing(depth=4, width=16, seed=5)
    again = lab.measure_vanishing(depth=4, width=16, seed=5)
    other = lab.measure_vanishing(depth=4, width=16, seed=6)
    for a, b, c in zip(first.runs, again.runs, other.runs, strict=True):
        np.testing.assert_array_equal(a.norms, b.norms)
        assert not np.array_equal(a.norms, c.norms)
    lines = first.table().splitlines()
    assert lines[0].split() == ["activation", "init", "layer", "1", "layer", "4", "factor/layer"]
    assert [line.split()[0] for line in lines[1:]] == ["sigmoid", "tanh", "relu"]
    with pytest.raises(ValueError, match="depth >= 2"):
        lab.measure_vanishing(depth=1)


# --- training comparison -----------------------------------------------------


@pytest.fixture(scope="module")
def cancer() -> data.Dataset:
    return lab.load_breast_cancer(seed=0)


@pytest.fixture(scope="module")
def comparison(cancer: data.Dataset) -> training.TrainingComparison:
    return lab.compare_training(cancer, epochs=30, seed=0)


def test_training_curves_have_one_entry_per_epoch(comparison: Any) -> None:
    assert [run.activation for run in comparison.runs] == ["sigmoid", "tanh", "relu"]
    for run in comparison.runs:
        for curve in (run.train_loss, run.test_loss, run.train_accuracy, run.test_accuracy):
            assert curve.shape == (31,)
            assert np.all(np.isfinite(curve))
        assert np.all((run.test_accuracy >= 0) & (run.test_accuracy <= 1))
        assert run.saturation.shape == (31, 4)
        assert np.all((run.saturation >= 0) & (run.saturation <= 1))


def test_tanh_and_relu_train_faster_than_sigmoid(comparison: Any) -> None:
    sigmoid, tanh, relu = comparison.runs
    assert tanh.epochs_to(0.95) is not None
    assert tanh.epochs_to(0.95) <= 5
    assert relu.epochs_to(0.95) is not None
    assert relu.epochs_to(0.95) <= 5
    assert sigmoid.epochs_to(0.95) is None  # a 4-layer sigmoid net sits on a plateau
    assert sigmoid.train_loss[10] > 0.5 > 0.2 > max(tanh.train_loss[10], relu.train_loss[10])
    assert tanh.train_loss[-1] < tanh.train_loss[0]
    assert "never in 30" in comparison.table()
    # ReLU's zero slope for z < 0 counts: about half its units, far more than σ's.
    assert 0.2 < relu.saturation[0].mean() < 0.8
    assert sigmoid.saturation[0].mean() < 0.1
    assert len(comparison.saturation_table().splitlines()) == 1 + 3 * 3


def test_training_is_reproducible(cancer: data.Dataset, comparison: Any) -> None:
    again = lab.compare_training(cancer, ["relu"], epochs=30, seed=0)
    np.testing.assert_array_equal(again.runs[0].train_loss, comparison.runs[2].train_loss)


def test_sigmoid_reaches_the_target_with_the_full_budget(cancer: data.Dataset) -> None:
    run = lab.train(cancer, "sigmoid", epochs=200, seed=0)
    reached = run.epochs_to(0.95)
    assert reached is not None
    assert 20 < reached < 150


# --- the classifier -----------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_classifier_matches_sklearn_within_one_point(seed: int) -> None:
    split = lab.load_breast_cancer(seed=seed)
    result = lab.compare_with_sklearn(split)
    assert result.sklearn_model is not None
    ours = result.fit.model.accuracy(split.x_test, split.y_test)
    theirs = result.sklearn_model.accuracy(split.x_test, split.y_test)
    assert abs(ours - theirs) <= 0.01
    assert ours > 0.93
    # The same objective, minimised to nearly the same value.
    assert result.objective(result.fit.model) == pytest.approx(
        result.objective(result.sklearn_model), rel=1e-3
    )


def test_gradient_descent_never_increases_the_objective() -> None:
    split = lab.load_breast_cancer(seed=0)
    fit = lab.fit_logistic(split.x_train, split.y_train, iterations=500)
    assert fit.iterations == 500
    assert np.all(np.diff(fit.losses) <= 1e-15)
    probabilities = fit.model.predict_proba(split.x_test)
    assert np.all((probabilities >= 0) & (probabilities <= 1))


def test_classifier_loss_stays_finite_on_separable_data() -> None:
    x = np.array([[-50.0], [-40.0], [40.0], [50.0]])
    fit = lab.fit_logistic(x, [0, 0, 1, 1], c=1e6, iterations=200)
    assert np.all(np.isfinite(fit.losses))
    assert lab.logistic_loss([-800.0], [1.0]) == 800.0
    assert sg.sigmoid(-800.0) == 0.0  # so -log(sg.sigmoid(z)) would be inf here


# --- data ---------------------------------------------------------------------


def write_csv(directory: Path, text: str, name: str = "data.csv") -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


GOOD_CSV = "a,b,y\n" + "".join(f"{i},{(i * 7) % 5},{i % 2}\n" for i in range(20))


def test_read_csv(tmp_path: Path) -> None:
    x, y, names = lab.read_csv(write_csv(tmp_path, GOOD_CSV + "\n"))
    assert x.shape == (20, 2)
    assert names == ["a", "b"]
    assert set(y.tolist()) == {0.0, 1.0}
    x2, y2, names2 = lab.read_csv(write_csv(tmp_path, "\ufeffy,a\n1,2\n0,3\n"), "y")  # a BOM
    assert names2 == ["a"]
    assert y2.tolist() == [1.0, 0.0]
    assert x2.tolist() == [[2.0], [3.0]]


@pytest.mark.parametrize(
    ("text", "label", "fragment"),
    [
        ("a,y\n1,0\n", "label", "no column 'label'; columns: a, y"),
        ("a,y\n1,0\n2,x\n", None, "line 3, column 'y': 'x' is not a number"),
        ("a,y\n1,0\nabc,1\n", None, "line 3, column 'a': 'abc' is not a number"),
        ("a,y\n1,0\n2,2\n", None, "line 3: label '2' is not 0 or 1"),
        ("a,y\n1,0\n2,nan\n", None, "line 3, column 'y': 'nan' is not a finite number"),
        ("a,y\n1,0\n2\n", None, "line 3: 1 cells, the header has 2"),
        ("", None, "empty file"),
        ("a,y\n", None, "no data rows"),
        ("y\n1\n", None, "no feature columns"),
    ],
)
def test_read_csv_rejects_bad_data(
    tmp_path: Path, text: str, label: str | None, fragment: str
) -> None:
    with pytest.raises(lab.DataError, match=f"data.csv.*{fragment}"):
        lab.read_csv(write_csv(tmp_path, text), label)


def test_split_is_stratified_and_standardised_on_training_data() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(5.0, 3.0, (100, 3))
    y = np.r_[np.zeros(70), np.ones(30)]
    split = lab.split(x, y, test_fraction=0.2, seed=1)
    assert split.y_test.sum() == 6
    assert len(split.y_test) == 20
    np.testing.assert_allclose(split.x_train.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(split.x_train.std(axis=0), 1.0)
    with pytest.raises(lab.DataError, match="at least 2 examples of label 1"):
        lab.split(x, np.zeros(100))


# --- the command line, in-process ----------------------------------------------


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: Any) -> Any:
    monkeypatch.chdir(tmp_path)  # default figure names land here

    def run(*argv: str) -> Result:
        return run_main(["lab", *argv], capsys)

    return run


def assert_image(path: Path) -> None:
    image = matplotlib.image.imread(path)
    assert image.ndim == 3
    assert image.shape[0] > 100


def test_cli_vanishing(run: Any, tmp_path: Path) -> None:
    result = run("vanishing")
    assert result.code == ExitCode.OK, result.err
    lines = result.out.splitlines()
    assert lines[0].startswith("Weight-gradient norms at initialisation: 10 hidden layers")
    assert [line.split()[0] for line in lines[2:5]] == ["sigmoid", "tanh", "relu"]
    assert lines[-1] == "wrote lab_vanishing.png"
    assert_image(tmp_path / "lab_vanishing.png")
    factor = float(lines[2].split()[-1])
    assert factor < 0.3


def test_cli_vanishing_options_and_seed(run: Any, tmp_path: Path) -> None:
    argv = ("vanishing", "--depth", "5", "--width", "16", "--activations", "sigmoid,GELU")
    first = run(*argv, "--seed", "3", "-o", "v.svg")
    again = run(*argv, "--seed", "3", "--no-figure")
    other = run(*argv, "--seed", "4", "--no-figure")
    assert first.code == again.code == other.code == ExitCode.OK
    assert first.out.splitlines()[:4] == again.out.splitlines()
    assert first.out.splitlines()[2:4] != other.out.splitlines()[2:4]
    assert "gelu" in again.out
    assert "layer 5" in again.out
    assert (tmp_path / "v.svg").read_text().startswith("<?xml")


def test_cli_train(run: Any, tmp_path: Path) -> None:
    result = run("train", "--epochs", "12", "--depth", "2", "-o", "t.png")
    assert result.code == ExitCode.OK, result.err
    assert "epochs to 95%" in result.out
    assert "Fraction of hidden units with f' < 0.01" in result.out
    assert result.out.count("\nrelu ") == 3 + 1  # one result row, three saturation rows
    assert_image(tmp_path / "t.png")


def test_cli_classify_breast_cancer(run: Any, tmp_path: Path) -> None:
    result = run("classify", "--seed", "1")
    assert result.code == ExitCode.OK, result.err
    rows = {line.split("  ")[0]: line.split() for line in result.out.splitlines()[2:4]}
    ours, theirs = rows["gradient descent (sigmoid)"], rows["sklearn LogisticRegression"]
    assert abs(float(ours[-2]) - float(theirs[-2])) <= 0.01
    assert_image(tmp_path / "lab_classifier.png")


def test_cli_classify_own_csv(run: Any, tmp_path: Path) -> None:
    rows = "".join(f"{i},{i % 2},{(i * 7) % 5}\n" for i in range(20))
    write_csv(tmp_path, "a,y,b\n" + rows)  # the label in the middle
    result = run("classify", "--csv", "data.csv", "--label", "y", "--no-figure")
    assert result.code == ExitCode.OK, result.err
    assert result.out.startswith("data.csv: 2 features, 16 training and 4 test examples")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["data.csv"]


@pytest.mark.parametrize(
    ("argv", "code", "fragment"),
    [
        (["classify", "--csv", "missing.csv"], ExitCode.NO_INPUT, "missing.csv: no such file"),
        (["classify", "--csv", "bad.csv", "--label", "z"], ExitCode.DATA_ERROR, "no column 'z'"),
        (["classify", "--csv", "labels.csv"], ExitCode.DATA_ERROR, "label '3' is not 0 or 1"),
        (["train", "--csv", "cells.csv"], ExitCode.DATA_ERROR, "line 4, column 'a': 'n/a'"),
        (["classify", "--csv", "latin1.csv"], ExitCode.DATA_ERROR, "not UTF-8"),
        (["classify", "--csv", "bad.csv"], ExitCode.DATA_ERROR, "at least 2 examples of label 0"),
        (["classify", "--label", "y"], ExitCode.USAGE, "--label needs --csv"),
        (["classify", "-o", "fit.gif"], ExitCode.USAGE, "unknown figure format"),
        (["classify", "-o", "nowhere/fit.png"], ExitCode.CANT_CREATE, "does not exist"),
        (["vanishing", "--activations", "sigmoid,step"], ExitCode.USAGE, "unknown activation"),
        (["vanishing", "--depth", "1"], ExitCode.USAGE, "--depth of at least 2"),
        (["train", "--learning-rate", "0"], ExitCode.USAGE, "--learning-rate"),
        (["train", "--test-fraction", "1.5"], ExitCode.USAGE, "--test-fraction"),
        ([], ExitCode.USAGE, "choose an experiment: vanishing, train, classify"),
    ],
)
def test_cli_bad_input(
    run: Any, tmp_path: Path, argv: list[str], code: ExitCode, fragment: str
) -> None:
    write_csv(tmp_path, "a,y\n1,0\n2,1\n", "bad.csv")
    write_csv(tmp_path, "a,y\n1,0\n2,3\n", "labels.csv")
    write_csv(tmp_path, "a,y\n1,0\n2,1\nn/a,1\n", "cells.csv")
    (tmp_path / "latin1.csv").write_bytes("a,y\n\xe9,1\n".encode("latin-1"))
    before = sorted(path.name for path in tmp_path.iterdir())
    assert_user_error(run(*argv), code, fragment)
    assert sorted(path.name for path in tmp_path.iterdir()) == before  # no partial output


def test_cli_progress_bar_on_a_terminal(run: Any, monkeypatch: Any) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    result = run("train", "--epochs", "3", "--depth", "1", "--no-figure")
    assert result.code == ExitCode.OK
    assert "training" in terminal.getvalue()
    assert "epoch" in terminal.getvalue()
    assert "training" not in result.err


# --- imports -------------------------------------------------------------------


def test_the_core_never_imports_the_lab() -> None:
    code = (
        "import sys, json, sigmoid; a = [m for m in sys.modules if m.startswith('sigmoid.lab')]; "
        "import sigmoid.lab; "
        "b = [m for m in ('matplotlib', 'sklearn', 'tqdm', 'scipy') if m in sys.modules]; "
        "print(json.dumps([a, b]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert json.loads(result.stdout) == [[], []]
