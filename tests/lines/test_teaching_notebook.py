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


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_notebook_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(TEACHING)
    try:
        import nbclient
        import nbformat
    except ImportError:  # without Jupyter: run the code cells in one namespace, in order
        namespace: dict[str, Any] = {"__name__": "__notebook__"}
        for number, source in enumerate(code_cells()):
            exec(compile(source, f"{NOTEBOOK.name}[{number}]", "exec"), namespace)
        return
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(nb, timeout=240, kernel_name="python3").execute()
