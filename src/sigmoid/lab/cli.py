"""The ``lab`` sub-command: ``sigmoid lab vanishing | train | classify``.

Each experiment prints its tables, then writes its figure (unless
``--no-figure``) atomically. Every user error, a bad CSV cell included, is a
`CliError`: one line on standard error, an `ExitCode`, no output file.

Examples
--------
>>> from sigmoid.cli import main
>>> main(["lab", "vanishing", "--depth", "3", "--width", "8", "--no-figure"])  # doctest: +ELLIPSIS
Weight-gradient norms at initialisation: 3 hidden layers of 8 units, 256 examples, seed 0
activation  init    layer 1  layer 3  factor/layer
sigmoid     glorot  ...
0
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sigmoid import activations
from sigmoid.cli._common import CliError, ExitCode, check_input_file
from sigmoid.cli._figures import _save as save_figure  # atomic, no date in the file
from sigmoid.cli._figures import figure_format
from sigmoid.lab import _arguments, classifier, data, training, vanishing

if TYPE_CHECKING:
    from matplotlib.artist import Artist

__all__ = ["EXPERIMENTS", "add_lab_arguments", "run_lab"]

Update = Callable[[], None]


@contextmanager
def _progress(total: int, label: str, unit: str) -> Iterator[Update | None]:
    """A tqdm bar's update on a terminal if tqdm is installed, else None."""
    try:
        tqdm = importlib.import_module("tqdm") if sys.stderr.isatty() else None
    except ImportError:
        tqdm = None
    if tqdm is None:
        yield None
        return
    bar = tqdm.tqdm(total=total, desc=label, unit=unit, file=sys.stderr, leave=False)
    try:
        yield lambda: bar.update(1)
    finally:
        bar.close()


def _check(condition: bool, problem: str) -> None:
    if not condition:
        raise CliError(problem, ExitCode.USAGE)


def _activation_names(text: str) -> list[str]:
    try:
        names = [activations.get(name).name for name in text.split(",") if name.strip()]
    except ValueError as exc:
        raise CliError(str(exc), ExitCode.USAGE) from None
    _check(bool(names), "--activations needs at least one name")
    return names


def _figure_path(args: argparse.Namespace) -> tuple[Path, str] | None:
    """The figure file and format, checked before the experiment runs; None with --no-figure."""
    if args.no_figure:
        return None
    path = Path(args.output)
    fmt = figure_format(path)
    if not path.parent.is_dir():
        message = f"cannot write {path}: directory {path.parent} does not exist"
        raise CliError(message, ExitCode.CANT_CREATE)
    try:
        importlib.import_module("matplotlib")
    except ImportError as exc:
        message = f"figures need matplotlib ({exc}); install 'sigmoid[lab]' or use --no-figure"
        raise CliError(message, ExitCode.UNAVAILABLE) from None
    return path, fmt


def _save(artist: Artist, target: tuple[Path, str]) -> None:
    """Write the figure `artist` is drawn on."""
    figure = artist.get_figure(root=True)
    if figure is None:
        raise RuntimeError("the lab's figure functions draw on a Figure")
    save_figure(figure, *target)


def _dataset(args: argparse.Namespace) -> data.Dataset:
    _check(0.0 < args.test_fraction < 1.0, "--test-fraction must be between 0 and 1")
    _check(args.csv is not None or args.label is None, "--label needs --csv FILE")
    try:
        if args.csv is None:
            return data.load_breast_cancer(test_fraction=args.test_fraction, seed=args.seed)
        path = Path(args.csv)
        check_input_file(path)
        x, y, names = data.read_csv(path, args.label)
        return data.split(
            x, y, test_fraction=args.test_fraction, seed=args.seed, name=str(path),
            feature_names=names,
        )  # fmt: skip
    except ImportError as exc:
        message = f"the breast-cancer data needs scikit-learn ({exc}); or give --csv FILE"
        raise CliError(message, ExitCode.UNAVAILABLE) from None
    except data.DataError as exc:  # a bad cell, or a byte that is not UTF-8
        raise CliError(str(exc), ExitCode.DATA_ERROR) from None


def _describe(dataset: data.Dataset, seed: int) -> str:
    sizes = f"{len(dataset.y_train)} training and {len(dataset.y_test)} test examples"
    features = len(dataset.feature_names)
    return f"{dataset.name}: {features} features, {sizes} (standardised), seed {seed}"


def run_vanishing(args: argparse.Namespace) -> int:
    names = _activation_names(args.activations)
    _check(
        args.depth >= 2 and args.width >= 1 and args.samples >= 1,
        "need --depth of at least 2, --width and --samples of at least 1",
    )
    figure = _figure_path(args)
    with _progress(len(names), "networks", "net") as update:
        result = vanishing.measure_vanishing(
            names, depth=args.depth, width=args.width, samples=args.samples,
            init=args.init, seed=args.seed, on_run=update,
        )  # fmt: skip
    print(
        f"Weight-gradient norms at initialisation: {args.depth} hidden layers of "
        f"{args.width} units, {args.samples} examples, seed {args.seed}"
    )
    print(result.table())
    if figure is not None:
        from sigmoid.lab.figures import plot_vanishing

        _save(next(iter(plot_vanishing(result).values())), figure)
    return ExitCode.OK


def run_train(args: argparse.Namespace) -> int:
    names = _activation_names(args.activations)
    _check(
        min(args.depth, args.width, args.epochs, args.batch_size) >= 1,
        "--depth, --width, --epochs and --batch-size must be at least 1",
    )
    _check(args.learning_rate > 0.0, "--learning-rate must be positive")
    _check(0.0 < args.target <= 1.0, "--target must be an accuracy in (0, 1]")
    figure = _figure_path(args)
    dataset = _dataset(args)
    with _progress(len(names) * args.epochs, "training", "epoch") as update:
        result = training.compare_training(
            dataset, names, depth=args.depth, width=args.width, epochs=args.epochs,
            batch_size=args.batch_size, learning_rate=args.learning_rate,
            target=args.target, init=args.init, seed=args.seed, on_epoch=update,
        )  # fmt: skip
    print(_describe(dataset, args.seed))
    print(
        f"{args.depth} hidden layers of {args.width} units; {args.epochs} epochs, batch "
        f"{args.batch_size}, learning rate {args.learning_rate:g} with cosine decay"
    )
    print(result.table())
    print(f"\nFraction of hidden units with f' < {training.SATURATED_SLOPE} on the training set:")
    print(result.saturation_table())
    if figure is not None:
        from sigmoid.lab.figures import plot_training

        _save(next(iter(plot_training(result).values()))[0], figure)
    return ExitCode.OK


def run_classify(args: argparse.Namespace) -> int:
    _check(args.iterations >= 1, "--iterations must be at least 1")
    _check(args.c > 0.0, "-C must be positive")
    figure = _figure_path(args)
    dataset = _dataset(args)
    with _progress(args.iterations, "gradient descent", "step") as update:
        result = classifier.compare_with_sklearn(
            dataset, c=args.c, iterations=args.iterations, on_iteration=update
        )
    print(_describe(dataset, args.seed))
    print(result.table())
    if figure is not None:
        from sigmoid.lab.figures import plot_classifier

        _save(plot_classifier(result)["loss"], figure)
    return ExitCode.OK


Experiment = tuple[str, str, Callable[[argparse.ArgumentParser], None], Callable[..., int]]
EXPERIMENTS: tuple[Experiment, ...] = (
    ("vanishing", "gradient norm per layer at initialisation, per activation",
     _arguments.add_vanishing, run_vanishing),
    ("train", "train one network per activation: curves, epochs to a target, saturation",
     _arguments.add_train, run_train),
    ("classify", "logistic regression by gradient descent, beside scikit-learn's",
     _arguments.add_classify, run_classify),
)  # fmt: skip


def add_lab_arguments(parser: argparse.ArgumentParser) -> None:
    """One sub-parser per experiment; each sets ``lab_run`` to its function."""
    experiments = parser.add_subparsers(title="experiments", metavar="EXPERIMENT")
    for name, help_text, add_arguments, run in EXPERIMENTS:
        description = help_text[0].upper() + help_text[1:] + "."
        sub = experiments.add_parser(name, help=help_text, description=description)
        add_arguments(sub)
        sub.set_defaults(lab_run=run)


def run_lab(args: argparse.Namespace) -> int:
    """Run the experiment chosen on the command line."""
    if not hasattr(args, "lab_run"):
        names = ", ".join(experiment[0] for experiment in EXPERIMENTS)
        raise CliError(f"choose an experiment: {names}", ExitCode.USAGE)
    return int(args.lab_run(args))
