"""Every walkthrough runs top to bottom in a fresh kernel; each ends by asserting its claims.

The committed outputs are checked too: each graph drawing must match the fresh execution's in
what does not depend on the machine (ops, names, shapes, modules, edges; `tools/graph_labels.py`),
and no output may show a path of the machine it ran on. `python tools/execute_notebooks.py`
refreshes them.
"""

import copy
import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from execute_notebooks import execute  # noqa: E402
from graph_labels import describe_difference, graph_labels, is_graph_svg  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
REFRESH = "run python tools/execute_notebooks.py and commit the notebooks"
# text outputs only: base64 PNG data can contain any short string by chance
TEXT_MIMES = ("text/plain", "text/html", "text/markdown", "text/latex", "image/svg+xml",
              "application/json")
MACHINE_PATH = re.compile(r"(?<![\w.])/(?:work|home|root|tmp|Users|opt|usr|var|private)/"
                          r"|[A-Za-z]:\\\\?(?:Users|Windows)\\")


def graphs(nb) -> list[tuple[int, str]]:
    """(cell index, SVG) of every graphviz drawing among the code cells' outputs, in order."""
    found = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            svg = out.get("data", {}).get("image/svg+xml")
            if svg is not None:
                svg = "".join(svg) if isinstance(svg, list) else svg
                if is_graph_svg(svg):
                    found.append((i, svg))
    return found


def output_texts(nb):
    """(cell index, text) of every textual output: streams, tracebacks and text-like data."""
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if "text" in out:
                yield i, "".join(out["text"])
            for line in out.get("traceback", []):
                yield i, line
            for mime, value in out.get("data", {}).items():
                if mime in TEXT_MIMES:
                    yield i, value if isinstance(value, str) else "".join(map(str, value))


def test_the_walkthroughs_are_all_there():
    assert len(NOTEBOOKS) == 11, [p.name for p in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_and_its_claims_hold(path):
    nb = nbformat.read(path, as_version=4)
    assert path.stat().st_size < 1_000_000, f"{path.name} is over 1 MB"
    committed = copy.deepcopy(nb)
    execute(nb, path.parent)  # raises CellExecutionError, with the cell and traceback, on failure

    # the committed graph drawings are the ones this code draws today
    fresh_graphs, committed_graphs = graphs(nb), graphs(committed)
    assert [i for i, _ in fresh_graphs] == [i for i, _ in committed_graphs], (
        f"{path.name}: graph drawings in cells {[i for i, _ in committed_graphs]} committed, "
        f"{[i for i, _ in fresh_graphs]} now: {REFRESH}")
    for (cell, fresh), (_, old) in zip(fresh_graphs, committed_graphs):
        fresh_labels, old_labels = graph_labels(fresh), graph_labels(old)
        assert fresh_labels == old_labels, (
            f"{path.name}, cell {cell}: the committed graph is stale ({REFRESH})\n"
            + describe_difference(old_labels, fresh_labels))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_outputs_show_no_machine_paths(path):
    nb = nbformat.read(path, as_version=4)
    found = [(i, m.group(0), text[max(0, m.start() - 60): m.end() + 60])
             for i, text in output_texts(nb) for m in MACHINE_PATH.finditer(text)]
    assert not found, f"{path.name}: absolute paths in committed outputs (cell, path, context): " \
                      f"{found[:5]}"


def test_the_checks_catch_what_they_guard_against():
    # a label changed in a drawing is a difference; a different number in a data row is not
    svg = ('<svg xmlns="http://www.w3.org/2000/svg"><g class="graph">'
           '<g class="node"><title>n0</title><text>sum</text><text>data 1.25</text></g>'
           '<g class="node"><title>n1</title><text>logsoftmax</text>'
           '<text>(4, 10) float32</text></g>'
           '<g class="edge"><title>n1&#45;&gt;n0</title></g></g></svg>')
    assert is_graph_svg(svg)
    same = graph_labels(svg.replace("data 1.25", "data 1.251"))
    assert graph_labels(svg) == same
    for changed in (svg.replace("logsoftmax", "exp"), svg.replace("(4, 10)", "(4, 11)"),
                    svg.replace("n1&#45;&gt;n0", "n0&#45;&gt;n1")):
        assert graph_labels(changed) != graph_labels(svg)
    # the path check sees a warning's file name and leaves relative paths and URLs alone
    assert MACHINE_PATH.search("/work/main/autograd/ops/linalg.py:19: RuntimeWarning")
    assert MACHINE_PATH.search("saved to /tmp/tmpab12/g.svg")
    assert MACHINE_PATH.search(r"C:\Users\me\chainrule")
    assert not MACHINE_PATH.search("out/digits_cnn.npz  ../docs/cnn_graph.svg")
    assert not MACHINE_PATH.search("http://www.w3.org/2000/svg  numbers 1/tmp/2")


def test_execute_notebooks_rewrites_outputs_in_place_and_leaves_a_failing_one(tmp_path):
    import execute_notebooks

    (tmp_path / "marker.txt").write_text("read from the notebook's own directory")
    good, bad = tmp_path / "good.ipynb", tmp_path / "bad.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell('print(open("marker.txt").read())')]), good)
    nbformat.write(nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("print('before')"),
        nbformat.v4.new_code_cell("raise ValueError('a claim failed')")]), bad)
    before = bad.read_text()

    execute_notebooks.execute_in_place(good)
    (out,) = nbformat.read(good, as_version=4).cells[0].outputs
    assert out["text"] == "read from the notebook's own directory\n"
    with pytest.raises(Exception, match="a claim failed"):
        execute_notebooks.execute_in_place(bad)
    assert bad.read_text() == before


def test_every_notebook_draws_its_figures_at_110_dpi_or_more():
    import re

    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        setup = next(c for c in nb.cells if c.cell_type == "code").source
        dpi = re.search(r'"figure\.dpi":\s*(\d+)', setup)
        assert dpi and int(dpi.group(1)) >= 110, path.name
