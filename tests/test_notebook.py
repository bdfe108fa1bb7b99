"""notebooks/tour.ipynb runs top to bottom in the test interpreter's kernel and is stored clean."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from optional import require

nbformat = require("nbformat")
nbclient = require("nbclient")
require("ipykernel")
require("sklearn")

NOTEBOOK = Path(__file__).parents[1] / "notebooks" / "tour.ipynb"


def test_notebook_is_committed_without_outputs() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code
    assert all(cell.outputs == [] and cell.execution_count is None for cell in code)


@pytest.mark.slow
def test_notebook_runs_top_to_bottom(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MPLBACKEND", "Agg")  # the kernel inherits the environment
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    # jupyter_client launches "python3" as sys.executable: check that is what ran.
    notebook.cells.append(nbformat.v4.new_code_cell("import sys; print(sys.executable)"))
    client = nbclient.NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": tmp_path}}
    )
    client.execute()  # raises CellExecutionError, naming the cell, if any cell fails
    outputs = [output for cell in notebook.cells for output in cell.get("outputs", [])]
    assert not [output for output in outputs if output.output_type == "error"]
    images = [output for output in outputs if "image/png" in output.get("data", {})]
    assert len(images) >= 5  # the σ figure, the family, vanishing, training, classifier
    assert outputs[-1]["text"].strip() == sys.executable
