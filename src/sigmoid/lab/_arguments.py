"""The options of ``sigmoid lab vanishing | train | classify``, one function per experiment."""

from __future__ import annotations

import argparse

from sigmoid.lab.network import INITS

__all__ = ["add_classify", "add_train", "add_vanishing"]


def _add_common(parser: argparse.ArgumentParser, output: str) -> None:
    parser.add_argument(
        "--seed", type=int, default=0, metavar="N", help="random seed (default: %(default)s)"
    )
    parser.add_argument(
        "-o", "--output", default=output, metavar="FILE",
        help="the figure: .png, .svg or .pdf (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument("--no-figure", action="store_true", help="print the tables only")


def _add_network(parser: argparse.ArgumentParser, depth: int, width: int) -> None:
    parser.add_argument(
        "--depth", type=int, default=depth, metavar="N",
        help="hidden layers (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--width", type=int, default=width, metavar="N",
        help="units per hidden layer (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--activations", default="sigmoid,tanh,relu", metavar="A,B,C",
        help="hidden-unit activations, one network each (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--init", choices=INITS, default="auto",
        help="weights: Glorot, He, or auto: He for ReLU-like units, else Glorot (default: auto)",
    )  # fmt: skip


def _add_data(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--csv", metavar="FILE",
        help="your data: a header row, feature columns and a 0/1 label column "
        "(default: scikit-learn's bundled breast-cancer data)",
    )  # fmt: skip
    parser.add_argument(
        "--label", metavar="COLUMN", help="the label column of --csv (default: the last one)"
    )
    parser.add_argument(
        "--test-fraction", type=float, default=0.25, metavar="F",
        help="share of each class held out for testing (default: %(default)s)",
    )  # fmt: skip


def add_vanishing(parser: argparse.ArgumentParser) -> None:
    _add_network(parser, depth=10, width=64)
    parser.add_argument(
        "--samples", type=int, default=256, metavar="N",
        help="random examples in the batch (default: %(default)s)",
    )  # fmt: skip
    _add_common(parser, "lab_vanishing.png")


def add_train(parser: argparse.ArgumentParser) -> None:
    _add_network(parser, depth=4, width=32)
    _add_data(parser)
    for flag, kind, default, text in (
        ("--epochs", int, 200, "passes over the training data"),
        ("--batch-size", int, 32, "examples per gradient step"),
        ("--learning-rate", float, 0.1, "the starting rate, decayed to 0 along a half cosine"),
        ("--target", float, 0.95, "the test accuracy to reach"),
    ):
        parser.add_argument(
            flag,
            type=kind,
            default=default,
            metavar="N" if kind is int else "X",
            help=f"{text} (default: %(default)s)",
        )
    _add_common(parser, "lab_training.png")


def add_classify(parser: argparse.ArgumentParser) -> None:
    _add_data(parser)
    parser.add_argument(
        "--iterations", type=int, default=5000, metavar="N",
        help="the most gradient-descent steps (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "-C", dest="c", type=float, default=1.0, metavar="C",
        help="inverse L2 strength, as scikit-learn's C (default: %(default)s)",
    )  # fmt: skip
    _add_common(parser, "lab_classifier.png")
