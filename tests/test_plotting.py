"""The σ and σ' figure and the family figure, rendered with Agg."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.image
import numpy as np
import pytest
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import same_color
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.spines import Spine
from matplotlib.text import Text

import sigmoid as sg
from sigmoid import activations
from sigmoid.plotting import FamilyArtists, SigmoidLines, plot_family, plot_sigmoid


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


def test_axis_lines_cross_at_the_origin() -> None:
    ax = axes_of(plot_sigmoid().sigmoid)
    # The lines through the origin are the right and top spines; the left and
    # bottom ones stay hidden on the frame's edge, where the tick labels are.
    for centred, edge in (("right", "left"), ("top", "bottom")):
        assert ax.spines[centred].get_position() == ("data", 0.0)
        assert ax.spines[centred].get_visible()
        assert same_color(ax.spines[centred].get_edgecolor(), "black")
        assert not ax.spines[edge].get_visible()
    for axis in (ax.xaxis, ax.yaxis):
        tick = axis.get_major_ticks()[0]
        # Marks on the centred line, labels on the edge.
        assert [tick.tick1line.get_visible(), tick.tick2line.get_visible()] == [False, True]
        assert [tick.label1.get_visible(), tick.label2.get_visible()] == [True, False]


def test_headroom_above_sigmoid_and_ticks_up_to_one() -> None:
    ax = axes_of(plot_sigmoid().sigmoid)
    assert ax.get_ylim() == (-0.05, 1.2)
    assert list(ax.get_yticks()) == pytest.approx([0.0, 0.2, 0.4, 0.6, 0.8, 1.0])


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


def test_y_axis_stays_on_the_edge_when_zero_is_not_in_range() -> None:
    ax = axes_of(plot_sigmoid(x_range=(1, 5)).sigmoid)
    assert ax.spines["left"].get_visible()
    assert not ax.spines["right"].get_visible()
    assert ax.yaxis.get_major_ticks()[0].tick1line.get_visible()
    assert ax.spines["top"].get_visible()  # y = 0 is still in view


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


# --- no label crosses a line ---------------------------------------------------
#
# Every line is sampled along its path in display coordinates (its bounding box
# would not do: GELU's derivative spans the whole panel, legend included), keeps
# the points its clip box shows, and a label collides with it when a point comes
# within half the line's width, plus a pixel, of the label's window extent.
# The spines count as lines: the x axis struck through the "0.0" at the origin.

SAMPLE_SPACING_PX = 0.5
CLEARANCE_PX = 1.0


def stroke_points(artist: Line2D | Spine) -> np.ndarray:
    """Points every `SAMPLE_SPACING_PX` along what `artist` draws, in display pixels."""
    vertices = artist.get_transform().transform_path(artist.get_path()).vertices
    vertices = vertices[np.isfinite(vertices).all(axis=1)]
    if len(vertices) < 2:
        return vertices
    steps = np.diff(vertices, axis=0)
    counts = np.maximum(np.ceil(np.hypot(*steps.T) / SAMPLE_SPACING_PX).astype(int), 1)
    fractions = np.concatenate([np.arange(count) / count for count in counts])[:, None]
    points = np.repeat(vertices[:-1], counts, axis=0) + fractions * np.repeat(steps, counts, axis=0)
    points = np.vstack([points, vertices[-1:]])
    clip = artist.get_clip_box()
    if artist.get_clip_on() and clip is not None:
        shown = (clip.x0 <= points[:, 0]) & (points[:, 0] <= clip.x1)
        shown &= (clip.y0 <= points[:, 1]) & (points[:, 1] <= clip.y1)
        points = points[shown]
    return points


def drawn_strokes(figure: Figure) -> list[tuple[str, np.ndarray, float]]:
    """(name, sampled points, half width in pixels) of every visible line and spine."""
    strokes = []
    for ax in figure.axes:
        artists: list[Line2D | Spine] = [line for line in ax.get_lines() if line.get_visible()]
        artists += [
            spine
            for spine in ax.spines.values()
            if spine.get_visible() and spine.get_edgecolor()[3] > 0
        ]
        for artist in artists:
            name = (
                f"the {artist.spine_type} spine"
                if isinstance(artist, Spine)
                else artist.get_label()
            )
            half_width = artist.get_linewidth() * figure.dpi / 72 / 2
            strokes.append((str(name), stroke_points(artist), half_width))
    return strokes


def shown_tick_labels(axis: Axis) -> list[Text]:
    """The tick labels `axis` draws: visible, not empty, at a tick within the view."""
    low, high = sorted(axis.get_view_interval())
    tolerance = 1e-9 * (high - low)
    labels = []
    for tick in axis.get_major_ticks():
        location = tick.get_loc()
        if location is None or not low - tolerance <= location <= high + tolerance:
            continue
        labels += [
            label
            for label in (tick.label1, tick.label2)
            if tick.get_visible() and label.get_visible() and label.get_text()
        ]
    return labels


def labels_to_keep_clear(figure: Figure) -> list[tuple[str, Artist]]:
    """Every shown tick label, legend text and legend handle, with a name for reports."""
    labels: list[tuple[str, Artist]] = []
    for ax in figure.axes:
        panel = f"{ax.get_title()}: " if ax.get_title() else ""
        for axis in (ax.xaxis, ax.yaxis):
            labels += [(f"{panel}tick label {t.get_text()!r}", t) for t in shown_tick_labels(axis)]
        legend = ax.get_legend()
        if legend is not None:
            labels += [(f"{panel}legend text {t.get_text()!r}", t) for t in legend.get_texts()]
            labels += [
                (f"{panel}legend handle {h.get_label()!r}", h)
                for h in legend.legend_handles
                if h is not None
            ]
    return labels


def collisions(figure: Figure) -> list[str]:
    """Render `figure` with Agg and name each (label, line) pair that touches."""
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    renderer = canvas.get_renderer()
    strokes = drawn_strokes(figure)
    found = []
    for label_name, label in labels_to_keep_clear(figure):
        box = label.get_window_extent(renderer)
        for line_name, points, half_width in strokes:
            reach = half_width + CLEARANCE_PX
            touching = (box.x0 - reach <= points[:, 0]) & (points[:, 0] <= box.x1 + reach)
            touching &= (box.y0 - reach <= points[:, 1]) & (points[:, 1] <= box.y1 + reach)
            if touching.any():
                found.append(f"{label_name} touches {line_name}")
    return found


def first_figure(artists: SigmoidLines | FamilyArtists) -> Figure:
    if isinstance(artists, SigmoidLines):
        return figure_of(artists.sigmoid)
    return figure_of(next(iter(artists.functions.values())))


@pytest.mark.parametrize(
    "draw",
    [
        pytest.param(plot_sigmoid, id="sigmoid"),  # docs/sigmoid.png
        pytest.param(lambda: plot_sigmoid(x_range=(-8, 8)), id="sigmoid-8..8"),
        pytest.param(lambda: plot_sigmoid(x_range=(-10, 10), derivative=False), id="sigmoid-only"),
        pytest.param(lambda: plot_sigmoid(x_range=(1, 5)), id="sigmoid-1..5"),
        pytest.param(plot_family, id="family"),  # docs/family.png
        pytest.param(lambda: plot_family(list(activations.ACTIVATIONS)), id="family-all"),
        pytest.param(lambda: plot_family(["sigmoid", "tanh", "relu", "gelu"]), id="family-4"),
        pytest.param(lambda: plot_family(["sigmoid", "tanh"]), id="family-bounded"),
        pytest.param(lambda: plot_family(derivatives=False), id="family-functions"),
        pytest.param(lambda: plot_family(x_range=(-8, 8)), id="family-8..8"),
    ],
)
def test_no_label_touches_a_line(draw: Callable[[], SigmoidLines | FamilyArtists]) -> None:
    found = collisions(first_figure(draw()))
    assert not found, "\n".join(["labels touching lines:", *found])


def test_the_collision_check_sees_the_classic_collisions() -> None:
    # The layout the figure had before: labels beside the centred spines, no headroom.
    ax = Figure(figsize=(9, 5)).subplots()
    x = np.arange(-6, 6, 0.01)
    ax.plot(x, sg.sigmoid(x), linewidth=3, label="Sigmoid")
    ax.plot(x, sg.sigmoid_derivative(x), linewidth=3, label="Derivative")
    ax.spines["left"].set_position(("data", 0.0))
    ax.spines["bottom"].set_position(("data", 0.0))
    ax.legend(loc="upper right", frameon=False)
    found = collisions(figure_of(ax.get_lines()[0]))
    assert "tick label '0.4' touches Sigmoid" in found
    assert "tick label '0.0' touches the bottom spine" in found
    assert "tick label '0' touches the left spine" in found
    assert "legend text 'Sigmoid' touches Sigmoid" in found


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
