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
    assert len(NOTEBOOKS) == 12, [p.name for p in NOTEBOOKS]


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
    for path in NOTEBOOKS:
        setup = _code_cells(path)[1].source  # the cell after the parameters cell
        dpi = re.search(r'"figure\.dpi":\s*(\d+)', setup)
        assert dpi and int(dpi.group(1)) >= 110, path.name


# ---- the form every walkthrough shares (issue 18) -------------------------------------------
PARAMETERS_HEADER = "# Parameters: edit, then run all cells"
ASSIGNED = re.compile(r"^([A-Z][A-Z0-9_]*)\s*=", re.M)
# where each popular misconception is settled, and a word its note must use
MISCONCEPTIONS = {"01": "path", "02": "bias", "06": "Maxout", "07": "gain", "08": "epoch",
                  "09": "test set", "10": "covariate shift", "11": "pool"}
SLIDERS = {"05": ("gain", "depth"), "07": ("gain", "max_norm"), "08": ("lr", "momentum"),
           "09": ("p", "weight_decay")}


def _code_cells(path):
    return [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


def _markdown_sections(path, heading):
    """(index, source) of the markdown cells that contain the line `heading`."""
    nb = nbformat.read(path, as_version=4)
    return [(i, c.source) for i, c in enumerate(nb.cells) if c.cell_type == "markdown"
            and heading in c.source.splitlines()]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_a_notebook_opens_with_a_parameters_cell_whose_every_name_is_used(path):
    params, *rest = _code_cells(path)
    assert params.source.splitlines()[0] == PARAMETERS_HEADER, path.name
    assert "parameters" in params.metadata.get("tags", []), path.name
    names = ASSIGNED.findall(params.source)
    assert len(names) >= 3, (path.name, names)
    later = "\n".join(c.source for c in rest)
    unused = [n for n in names if not re.search(rf"\b{n}\b", later)]
    assert not unused, f"{path.name}: parameters no later cell reads: {unused}"
    if "INTERACTIVE" in names:
        assert re.search(r"^INTERACTIVE = False\b", params.source, re.M), path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_a_notebook_ends_with_two_or_three_exercises_each_with_its_expected_outcome(path):
    (_, text), = _markdown_sections(path, "## Exercises")
    starts = []  # the items "1. ", "2. ", ... at line starts, in order
    for m in re.finditer(r"^(\d+)\.\s", text, re.M):
        if int(m.group(1)) == len(starts) + 1:
            starts.append(m.start())
    items = [text[a:b] for a, b in zip(starts, starts[1:] + [len(text)])]
    assert 2 <= len(items) <= 3, (path.name, len(items))
    for item in items:
        assert re.search(r"^\s*\*Expected:\*\s+\S", item, re.M), (path.name, item[:80])


def test_each_popular_misconception_is_settled_by_an_experiment_where_it_belongs():
    for path in NOTEBOOKS:
        prefix = path.name[:2]
        notes = _markdown_sections(path, "## What popular explanations get wrong")
        assert bool(notes) == (prefix in MISCONCEPTIONS), path.name
        if notes:
            nb = nbformat.read(path, as_version=4)
            for i, text in notes:
                assert MISCONCEPTIONS[prefix].lower() in text.lower(), path.name
                settled = next(c for c in nb.cells[i + 1:] if c.cell_type == "code")
                assert "assert" in settled.source, f"{path.name}: note in cell {i} settles nothing"


def test_the_sliders_cover_the_four_topics_the_issue_names():
    for prefix, knobs in SLIDERS.items():
        (path,) = [p for p in NOTEBOOKS if p.name.startswith(prefix)]
        (cell,) = [c.source for c in _code_cells(path) if "interact(" in c.source]
        assert "if INTERACTIVE:" in cell, path.name
        for knob in knobs:
            assert re.search(rf"\b{knob}\s*=", cell), (path.name, knob)


PROBE = """
import ipywidgets
import matplotlib.pyplot as plt
shown = [w for w in list(ipywidgets.Widget.widgets.values())
         if isinstance(w, ipywidgets.interactive)]
assert shown, "INTERACTIVE = True drew no interact() widget"
for w in shown:
    for control in w.kwargs_widgets:
        if isinstance(control, ipywidgets.FloatLogSlider):
            ends = [control.base ** control.min, control.base ** control.max]
        elif isinstance(control, ipywidgets.Checkbox):
            ends = [False, True]
        elif hasattr(control, "options"):
            ends = [v[1] if isinstance(v, tuple) else v for v in control.options]
        else:
            ends = [control.min, control.max]
        for end in ends:  # each slider at each end, the others where they are
            w.f(**{**w.kwargs, control._kwarg: end})
            plt.close("all")
print("probed", len(shown))
"""


@pytest.mark.parametrize("prefix", sorted(SLIDERS))
def test_with_interactive_on_the_sliders_draw_at_both_ends_of_every_range(prefix):
    """The tests leave INTERACTIVE off; here it is on, up to the sliders' cell, and each
    slider is moved to both ends of its range (an error there would only show in the widget)."""
    (path,) = [p for p in NOTEBOOKS if p.name.startswith(prefix)]
    nb = nbformat.read(path, as_version=4)
    last = max(i for i, c in enumerate(nb.cells) if c.cell_type == "code"
               and "interact(" in c.source)
    nb.cells = nb.cells[:last + 1] + [nbformat.v4.new_code_cell(PROBE)]
    params = next(c for c in nb.cells if c.cell_type == "code")
    params.source = params.source.replace("INTERACTIVE = False", "INTERACTIVE = True", 1)
    execute(nb, path.parent)
    printed = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    assert "probed" in printed, printed
