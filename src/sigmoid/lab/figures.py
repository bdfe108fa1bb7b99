"""Figures of the lab's results; matplotlib is imported inside the functions only.

Like `sigmoid.plotting`, each function draws on the Axes it is given or on a
new ``matplotlib.figure.Figure`` (no pyplot), and returns what it drew.

Examples
--------
>>> from sigmoid.lab.vanishing import measure_vanishing
>>> lines = plot_vanishing(measure_vanishing(["sigmoid", "relu"], depth=3, width=8, samples=8))
>>> list(lines), lines["sigmoid"].axes.get_yscale()
(['sigmoid', 'relu'], 'log')
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from sigmoid.plotting import _FAMILY_COLORS  # a unit keeps its colour from figure to figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.lines import Line2D

    from sigmoid.lab.classifier import ClassifierComparison
    from sigmoid.lab.training import TrainingComparison
    from sigmoid.lab.vanishing import VanishingExperiment

__all__ = ["plot_classifier", "plot_training", "plot_vanishing"]


def _new_axes(ncols: int, figsize: tuple[float, float]) -> list[Axes]:
    from matplotlib.figure import Figure

    figure = Figure(figsize=figsize, layout="constrained")
    return list(figure.subplots(1, ncols, squeeze=False)[0])


def _axes(axes: Sequence[Axes] | None, ncols: int, width: float) -> list[Axes]:
    if axes is None:
        return _new_axes(ncols, (width * ncols, 4.5))
    if len(axes) != ncols:
        raise ValueError(f"expected {ncols} Axes, got {len(axes)}")
    return list(axes)


def plot_vanishing(experiment: VanishingExperiment, ax: Axes | None = None) -> dict[str, Line2D]:
    """Gradient norm per hidden layer, log scale, one line per activation.

    A dotted guide falls by 4 per layer from σ's last layer: the bound σ' ≤ 1/4.
    """
    (ax,) = _axes(None if ax is None else [ax], 1, 7.0)
    layers = np.arange(1, experiment.depth + 1)
    lines = {}
    for run in experiment.runs:
        (lines[run.activation],) = ax.semilogy(
            layers, run.norms, marker="o", lw=2, color=_FAMILY_COLORS.get(run.activation),
            label=f"{run.activation} ({run.init}): x{run.factor:.2f} per layer",
        )  # fmt: skip
        if run.activation == "sigmoid":
            guide = run.last * 0.25 ** (experiment.depth - layers)
            ax.semilogy(
                layers, guide, ls=":", color="black", lw=1, label="x1/4 per layer (σ' ≤ 1/4)"
            )
    ax.set_xlabel("hidden layer (1 = next to the input)")
    ax.set_ylabel("‖∂loss/∂W‖ at initialisation")
    ax.set_xticks(layers)
    ax.set_title(f"Gradient norm per layer: depth {experiment.depth}, width {experiment.width}")
    ax.legend(frameon=False, fontsize="small")
    return lines


def plot_training(
    comparison: TrainingComparison, axes: Sequence[Axes] | None = None
) -> dict[str, list[Line2D]]:
    """Three panels: training loss, test accuracy (with the target) and saturation per layer.

    Returns the lines drawn for each activation, in panel order.
    """
    loss_ax, acc_ax, sat_ax = _axes(axes, 3, 5.0)
    epochs = np.arange(comparison.epochs + 1)
    layers = np.arange(1, comparison.depth + 1)
    lines: dict[str, list[Line2D]] = {}
    for run in comparison.runs:
        style: dict[str, Any] = {
            "color": _FAMILY_COLORS.get(run.activation),
            "label": run.activation,
            "lw": 2,
        }
        lines[run.activation] = [
            loss_ax.semilogy(epochs, run.train_loss, **style)[0],
            acc_ax.plot(epochs, run.test_accuracy, **style)[0],
            sat_ax.plot(layers, run.saturation[-1], marker="o", **style)[0],
        ]
    acc_ax.axhline(comparison.target, color="black", ls="--", lw=1, label="target")
    loss_ax.set(title="Training loss", xlabel="epoch", ylabel="cross-entropy")
    acc_ax.set(title="Test accuracy", xlabel="epoch", ylim=(0.5, 1.01))
    sat_ax.set(title="Units with f' < 0.01 after training (ReLU: off)", xlabel="hidden layer",
               ylabel="fraction", ylim=(-0.02, 1.02), xticks=layers)  # fmt: skip
    for ax in (loss_ax, acc_ax, sat_ax):
        ax.legend(frameon=False, fontsize="small")
    return lines


def plot_classifier(
    comparison: ClassifierComparison, axes: Sequence[Axes] | None = None
) -> dict[str, Line2D]:
    """The objective per gradient step, and the test examples on the fitted σ curve."""
    from sigmoid import activations

    loss_ax, curve_ax = _axes(axes, 2, 6.0)
    fit, data = comparison.fit, comparison.data
    steps = np.arange(len(fit.losses))
    drawn = {"loss": loss_ax.loglog(steps[1:], fit.losses[1:], lw=2, label="gradient descent")[0]}
    if comparison.sklearn_model is not None:
        best = comparison.objective(comparison.sklearn_model)
        drawn["sklearn"] = loss_ax.axhline(best, color="black", ls="--", lw=1,
                                           label="scikit-learn's minimum")  # fmt: skip
    loss_ax.set(title="Training objective", xlabel="gradient step", ylabel="loss + L2 penalty")
    logits = fit.model.logits(data.x_test)
    bound = max(6.0, float(np.abs(logits).max()))
    z = np.linspace(-bound, bound, 400)
    drawn["sigmoid"] = curve_ax.plot(z, activations.sigmoid(z), color=_FAMILY_COLORS["sigmoid"],
                                     lw=2, label="σ(z)")[0]  # fmt: skip
    jitter = np.random.default_rng(0).uniform(-0.03, 0.03, len(logits))
    for label, color in ((0.0, "#d62728"), (1.0, "#2ca02c")):
        chosen = data.y_test == label
        drawn[f"label {label:g}"] = curve_ax.plot(
            logits[chosen], data.y_test[chosen] + jitter[chosen], "o", ms=3, alpha=0.6,
            color=color, label=f"test examples, label {label:g}",
        )[0]  # fmt: skip
    curve_ax.axvline(0.0, color="black", lw=1, ls="--")
    accuracy = fit.model.accuracy(data.x_test, data.y_test)
    curve_ax.set(title=f"{data.name}: test accuracy {accuracy:.1%}",
                 xlabel="logit z = x·w + b", ylabel="p(label 1) = σ(z)")  # fmt: skip
    curve_ax.legend(frameon=False, fontsize="small", loc="center right")
    loss_ax.legend(frameon=False, fontsize="small")
    return drawn
