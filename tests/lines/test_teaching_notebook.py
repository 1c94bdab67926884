"""The teaching notebook runs headless, top to bottom, through the public API only."""

from __future__ import annotations

import json
from typing import Any

import pytest
from lines_helpers import TEACHING

NOTEBOOK = TEACHING / "teaching.ipynb"


def code_cells() -> list[str]:
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


def test_notebook_uses_only_the_public_api() -> None:
    text = "\n".join(code_cells())
    assert "twin.load_line" in text and "twin.simulate" in text
    for private in ("twin.line", "twin.loader", "twin.sim ", "Factory"):
        assert private not in text, f"the notebook reaches into {private}"


def _check_3d_cell(text: str) -> None:
    """The last cell draws the 3D view; a skip, an error or no picture fails the test."""
    assert "skipped" not in text.lower(), f"the 3D cell did not draw: {text.strip()}"
    assert "3D view drawn offscreen: 960 x 540 px" in text, text


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_notebook_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(TEACHING)
    try:
        import nbclient
        import nbformat
    except ImportError:  # without Jupyter: run the code cells in one namespace, in order
        import contextlib
        import io

        namespace: dict[str, Any] = {"__name__": "__notebook__"}
        cells = code_cells()
        for number, source in enumerate(cells):
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                exec(compile(source, f"{NOTEBOOK.name}[{number}]", "exec"), namespace)
        _check_3d_cell(out.getvalue())
        return
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(nb, timeout=240, kernel_name="python3").execute()
    last = [c for c in nb.cells if c.cell_type == "code"][-1]
    text = "".join(o.get("text", "") for o in last.outputs if o.output_type == "stream")
    pngs = [o for o in last.outputs
            if o.output_type == "display_data" and "image/png" in o.get("data", {})]
    _check_3d_cell(text)
    assert pngs, "the 3D cell showed no picture in Jupyter"


def test_3d_cell_fails_loudly() -> None:
    """The check itself: a cell that printed a skip does not pass."""
    with pytest.raises(AssertionError, match="did not draw"):
        _check_3d_cell("3D view skipped: no display")
