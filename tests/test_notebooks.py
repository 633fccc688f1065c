"""Every walkthrough runs top to bottom in a fresh kernel; each ends by asserting its claims."""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def test_the_walkthroughs_are_all_there():
    assert len(NOTEBOOKS) == 11, [p.name for p in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_and_its_claims_hold(path):
    nb = nbformat.read(path, as_version=4)
    assert path.stat().st_size < 1_000_000, f"{path.name} is over 1 MB"
    client = NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()  # raises CellExecutionError, with the cell and traceback, on any failure
