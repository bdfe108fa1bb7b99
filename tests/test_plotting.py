"""The σ and σ' figure and the family figure, rendered with Agg."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.image
import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.colors import same_color
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

import sigmoid as sg
from sigmoid import activations
from sigmoid.plotting import plot_family, plot_sigmoid


def axes_of(line: Line2D | None) -> Axes:
    assert line is not None
    ax = line.axes
    assert isinstance(ax, Axes)
    return ax


def figure_of(line: Line2D | None) -> Figure:
    figure = axes_of(line).figure
    assert isinstance(figure, Figure)
    return figure


def xdata(line: Line2D | None) -> np.ndarray:
    assert line is not None
    return np.asarray(line.get_xdata())


def ydata(line: Line2D | None) -> np.ndarray:
    assert line is not None
    return np.asarray(line.get_ydata())


def test_plot_sigmoid_reproduces_the_seeds_figure() -> None:
    lines = plot_sigmoid()
    assert lines.derivative is not None
    assert tuple(figure_of(lines.sigmoid).get_size_inches()) == (9.0, 5.0)
    assert same_color(lines.sigmoid.get_color(), "#307EC7")
    assert same_color(lines.derivative.get_color(), "#9621E2")
    assert lines.sigmoid.get_linewidth() == lines.derivative.get_linewidth() == 3
    assert lines.sigmoid.get_label() == "Sigmoid"
    assert lines.derivative.get_label() == "Derivative"
    x = xdata(lines.sigmoid)
    np.testing.assert_array_equal(x, np.arange(-6, 6, 0.01))
    assert len(x) == 1200
    assert x[0] == -6
    assert x[-1] == pytest.approx(5.99)
    np.testing.assert_array_equal(ydata(lines.sigmoid), sg.sigmoid(x))
    np.testing.assert_array_equal(ydata(lines.derivative), sg.sigmoid_derivative(x))


def test_spines_cross_at_the_origin() -> None:
    ax = axes_of(plot_sigmoid().sigmoid)
    assert ax.spines["left"].get_position() == ("data", 0.0)
    assert ax.spines["bottom"].get_position() == ("data", 0.0)
    for side in ("top", "right"):
        assert ax.spines[side].get_edgecolor() == (0.0, 0.0, 0.0, 0.0)  # 'none'
    assert ax.xaxis.get_ticks_position() == "bottom"
    assert ax.yaxis.get_ticks_position() == "left"


def test_legend_upper_right_without_frame() -> None:
    lines = plot_sigmoid()
    ax = axes_of(lines.sigmoid)
    legend = ax.get_legend()
    assert legend is not None
    assert legend.get_frame_on() is False
    assert [t.get_text() for t in legend.get_texts()] == ["Sigmoid", "Derivative"]
    figure_of(lines.sigmoid).canvas.draw()
    box = legend.get_window_extent()
    frame = ax.get_window_extent()
    # Placed in the upper-right corner of the axes.
    assert box.x1 == pytest.approx(frame.x1, abs=0.1 * frame.width)
    assert box.y1 == pytest.approx(frame.y1, abs=0.1 * frame.height)
    assert box.x0 > frame.x0 + frame.width / 2


def test_without_derivative_and_on_a_given_axes() -> None:
    figure = Figure(figsize=(4, 3))
    ax = figure.subplots()
    lines = plot_sigmoid(ax, x_range=(-2, 2), derivative=False)
    assert lines.derivative is None
    assert lines.sigmoid.axes is ax
    assert len(ax.get_lines()) == 1
    assert tuple(figure.get_size_inches()) == (4.0, 3.0)
    assert xdata(lines.sigmoid)[0] == -2
    assert xdata(lines.sigmoid)[-1] == pytest.approx(1.99)


def test_left_spine_stays_put_when_zero_is_not_in_range() -> None:
    ax = axes_of(plot_sigmoid(x_range=(1, 5)).sigmoid)
    assert ax.spines["left"].get_position() != ("data", 0.0)


def test_bad_range_is_refused() -> None:
    with pytest.raises(ValueError, match="increasing"):
        plot_sigmoid(x_range=(3, -3))


def test_plot_family_draws_functions_and_derivatives() -> None:
    names = ["sigmoid", "tanh", "relu"]
    art = plot_family(names)
    assert list(art.functions) == names
    assert list(art.derivatives) == names
    left, right = axes_of(art.functions["tanh"]), axes_of(art.derivatives["tanh"])
    assert left is not right
    assert left.figure is right.figure
    x = xdata(art.derivatives["sigmoid"])
    np.testing.assert_array_equal(ydata(art.derivatives["tanh"]), activations.tanh_derivative(x))
    np.testing.assert_array_equal(ydata(art.functions["relu"]), np.maximum(x, 0))
    assert same_color(art.functions["sigmoid"].get_color(), "#307EC7")
    # σ' never rises above the dashed 1/4 line.
    assert art.quarter is not None
    assert art.quarter.get_linestyle() == "--"
    assert list(ydata(art.quarter)) == [0.25, 0.25]
    assert ydata(art.derivatives["sigmoid"]).max() == 0.25
    lower, upper = right.get_ylim()
    assert lower < 0.25 < upper


def test_plot_family_without_derivatives_on_given_axes() -> None:
    ax = Figure().subplots()
    art = plot_family(["gelu", "silu"], derivatives=False, axes=[ax])
    assert art.derivatives == {}
    assert art.quarter is None
    assert {line.get_label() for line in ax.get_lines()} == {"GELU", "SiLU (swish)"}


def test_plot_family_refuses_bad_arguments() -> None:
    with pytest.raises(ValueError, match="unknown activation 'step'"):
        plot_family(["step"])
    with pytest.raises(ValueError, match="at least one"):
        plot_family([])
    with pytest.raises(ValueError, match="expected 2 Axes"):
        plot_family(["relu"], axes=[Figure().subplots()])


def test_saved_png_has_the_expected_pixel_size(tmp_path: Path) -> None:
    path = tmp_path / "sigmoid.png"
    figure_of(plot_sigmoid().sigmoid).savefig(path, dpi=100)
    image = matplotlib.image.imread(path)
    assert image.shape[:2] == (500, 900)
    # The σ curve's blue is in the picture.
    blue = np.array([0x30, 0x7E, 0xC7]) / 255
    assert (np.abs(image[..., :3] - blue).max(axis=-1) < 0.02).sum() > 1000


def test_importing_plotting_does_not_import_matplotlib() -> None:
    code = (
        "import sys, json, sigmoid.plotting, sigmoid.cli; "
        "print(json.dumps('matplotlib' in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out) is False
