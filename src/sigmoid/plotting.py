"""Figures: the classic σ and σ' plot, and the activation family side by side.

matplotlib is imported inside the functions only, so ``import sigmoid`` never
pulls it in. Every function draws on the ``Axes`` it is given, or on a new
``matplotlib.figure.Figure`` (no pyplot, no global state, no window), and
returns the artists it drew; ``artists.<line>.figure.savefig(...)`` writes it.

The axis lines cross at the origin, as in the classic figure, but the tick
labels sit on the frame's left and bottom edges, outside the area the curves
are drawn in: next to the centred lines every curve through the origin would
cross them. The σ figure leaves room above 1 for its legend.

Examples
--------
>>> from sigmoid.plotting import plot_sigmoid
>>> lines = plot_sigmoid()
>>> lines.sigmoid.get_label(), lines.sigmoid.get_color(), lines.derivative.get_color()
('Sigmoid', '#307EC7', '#9621E2')
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from sigmoid import activations

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.lines import Line2D

__all__ = ["FamilyArtists", "SigmoidLines", "plot_family", "plot_sigmoid"]

SIGMOID_COLOR = "#307EC7"
DERIVATIVE_COLOR = "#9621E2"
STEP = 0.01  # the classic grid: np.arange(-6, 6, 0.01)
# σ and σ' lie in [0, 1]; the room up to 1.2 holds the legend clear of σ's plateau.
SIGMOID_YLIM = (-0.05, 1.2)
SIGMOID_YTICKS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
DEFAULT_FAMILY = ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "silu", "gelu")
# The classic blue for σ; the rest from matplotlib's "tab10", in registry order.
_FAMILY_COLORS = {
    "sigmoid": SIGMOID_COLOR,
    "tanh": "#ff7f0e",
    "relu": "#2ca02c",
    "leaky_relu": "#d62728",
    "elu": "#9467bd",
    "softplus": "#8c564b",
    "silu": "#e377c2",
    "gelu": "#7f7f7f",
    "softsign": "#bcbd22",
    "hard_sigmoid": "#17becf",
}
# Dashed where a line would hide another: leaky ReLU lies on ReLU for x > 0.
_FAMILY_DASHED = {"leaky_relu", "hard_sigmoid"}


class SigmoidLines(NamedTuple):
    """The lines `plot_sigmoid` drew; `derivative` is None without σ'."""

    sigmoid: Line2D
    derivative: Line2D | None


class FamilyArtists(NamedTuple):
    """What `plot_family` drew: lines by activation name, and the σ' = 1/4 guide."""

    functions: dict[str, Line2D]
    derivatives: dict[str, Line2D]
    quarter: Line2D | None


def _new_axes(ncols: int, figsize: tuple[float, float]) -> list[Axes]:
    from matplotlib.figure import Figure

    axes = Figure(figsize=figsize).subplots(1, ncols, squeeze=False)
    return list(axes[0])


def _centre_spines(ax: Axes) -> None:
    """The classic look: axis lines crossing at the origin, no box, labels clear of the curves.

    The lines through the origin are the right and top spines, moved there with
    the tick marks (pointing left and down, as the classic figure's do); the tick
    labels stay with the left and bottom spines, unseen on the frame's edge,
    outside the clipped area where the curves are drawn, so that no curve can
    cross a label. An axis whose limits leave out 0 keeps its line on the edge.
    Call it once the limits are final.
    """
    for axis, edge, line, (low, high) in (
        (ax.yaxis, "left", "right", ax.get_xlim()),  # the y axis stands at x = 0
        (ax.xaxis, "bottom", "top", ax.get_ylim()),
    ):
        centred = min(low, high) < 0.0 < max(low, high)
        ax.spines[line].set_position(("data", 0.0))  # resets the ticks: before the tick params
        ax.spines[line].set_visible(centred)
        ax.spines[edge].set_visible(not centred)
        axis.set_tick_params(
            which="both",
            direction="in" if centred else "out",  # "in" from the right and top is left and down
            **{edge: not centred, line: centred, f"label{edge}": True, f"label{line}": False},
        )


def _grid(x_range: tuple[float, float]) -> np.ndarray:
    low, high = float(x_range[0]), float(x_range[1])
    if not low < high:
        raise ValueError(f"x_range must be increasing, got {x_range!r}")
    return np.arange(low, high, STEP)


def plot_sigmoid(
    ax: Axes | None = None,
    *,
    x_range: tuple[float, float] = (-6.0, 6.0),
    derivative: bool = True,
) -> SigmoidLines:
    """Draw the classic figure: σ and σ' on x = -6, -5.99, ..., 5.99 with centred axes.

    Parameters
    ----------
    ax : matplotlib.axes.Axes, optional
        Where to draw; by default a new 9 x 5 inch figure.
    x_range : (float, float)
        Start and (excluded) end of the grid, step 0.01, as ``np.arange``.
    derivative : bool
        Also draw σ'(x) = σ(x)(1 - σ(x)).

    Returns
    -------
    SigmoidLines
        The σ line (``'#307EC7'``, width 3, "Sigmoid") and the σ' line
        (``'#9621E2'``, width 3, "Derivative") or None.

    Notes
    -----
    y runs from -0.05 to 1.2, ticks 0 to 1: the frameless legend in the upper
    right corner sits in the room above σ's plateau at 1.

    Examples
    --------
    >>> lines = plot_sigmoid(derivative=False)
    >>> lines.derivative is None, lines.sigmoid.figure.get_size_inches().tolist()
    (True, [9.0, 5.0])
    >>> [float(y) for y in lines.sigmoid.axes.get_ylim()]  # room above 1 for the legend
    [-0.05, 1.2]
    """
    x = _grid(x_range)
    if ax is None:
        ax = _new_axes(1, (9.0, 5.0))[0]
    (s_line,) = ax.plot(
        x, activations.sigmoid(x), color=SIGMOID_COLOR, linewidth=3, label="Sigmoid"
    )
    d_line = None
    if derivative:
        (d_line,) = ax.plot(
            x,
            activations.sigmoid_derivative(x),
            color=DERIVATIVE_COLOR,
            linewidth=3,
            label="Derivative",
        )
    ax.set_ylim(*SIGMOID_YLIM)
    ax.set_yticks(SIGMOID_YTICKS)
    _centre_spines(ax)
    ax.legend(loc="upper right", frameon=False)
    return SigmoidLines(s_line, d_line)


def plot_family(
    names: Sequence[str] = DEFAULT_FAMILY,
    *,
    derivatives: bool = True,
    x_range: tuple[float, float] = (-6.0, 6.0),
    axes: Sequence[Axes] | None = None,
) -> FamilyArtists:
    """Draw activations side by side and, in a second panel, their derivatives.

    The derivative panel marks σ' <= 1/4 with a dashed line: a gradient through
    a chain of n sigmoids shrinks by at least 4^n.

    Parameters
    ----------
    names : sequence of str
        Activation names, see `sigmoid.activations.ACTIVATIONS`.
    derivatives : bool
        Draw the second panel.
    x_range : (float, float)
        Start and (excluded) end of the grid, step 0.01.
    axes : sequence of Axes, optional
        One Axes (two with `derivatives`); by default a new 12 x 5 inch figure
        (6 x 5 without derivatives).

    Returns
    -------
    FamilyArtists
        The function and derivative lines by name, and the 1/4 line.

    Examples
    --------
    >>> art = plot_family(["sigmoid", "relu"])
    >>> sorted(art.derivatives), art.quarter.get_linestyle()
    (['relu', 'sigmoid'], '--')
    """
    chosen = [activations.get(name) for name in names]
    if not chosen:
        raise ValueError("plot_family needs at least one activation name")
    ncols = 2 if derivatives else 1
    if axes is None:
        axes = _new_axes(ncols, (6.0 * ncols, 5.0))
    if len(axes) != ncols:
        raise ValueError(f"expected {ncols} Axes, got {len(axes)}")
    x = _grid(x_range)
    functions: dict[str, Line2D] = {}
    slopes: dict[str, Line2D] = {}
    for act in chosen:
        color = _FAMILY_COLORS[act.name]
        dashes = "--" if act.name in _FAMILY_DASHED else "-"
        (functions[act.name],) = axes[0].plot(
            x, act.function(x), color=color, ls=dashes, lw=2, label=act.label
        )
        if derivatives:
            (slopes[act.name],) = axes[1].plot(
                x, act.derivative(x), color=color, ls=dashes, lw=2, label=act.label
            )
    axes[0].set_title("Activation functions")
    if any(act.output_range[1] > 3.0 for act in chosen):
        axes[0].set_ylim(-1.5, 3.0)  # the bounded units would look flat beside x
    quarter = None
    if derivatives:
        quarter = axes[1].axhline(0.25, color="black", linestyle="--", linewidth=1)
        quarter.set_label("σ' ≤ 1/4")
        axes[1].set_title("Derivatives")
        axes[1].set_ylim(-0.25, 1.25)
    for ax in axes:
        _centre_spines(ax)
        ax.legend(loc="upper left", frameon=False, fontsize="small")
    return FamilyArtists(functions, slopes, quarter)
