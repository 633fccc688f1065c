"""autograd.viz: the DOT source of known graphs, SVG output, clusters, colours, limits."""

from __future__ import annotations

import gc
import html
import re
import subprocess
import sys
import weakref
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import autograd as ag
import nn
from autograd import viz

ROOT = Path(__file__).resolve().parent.parent
SVG = "{http://www.w3.org/2000/svg}"
sys.path.insert(0, str(ROOT / "tools"))
from graph_labels import describe_difference, graph_labels  # noqa: E402


def parse(dot) -> tuple[dict[str, dict], list[tuple[str, str]], str]:
    """(nodes id -> {texts, attrs, clusters}, edges in order, graph label) from `dot.source`."""
    nodes, edges, clusters, graph_label = {}, [], [], ""
    for line in dot.source.splitlines():
        s = line.strip()
        if s.startswith("subgraph cluster_"):
            clusters.append(None)
        elif s == "}" and clusters:
            clusters.pop()
        elif m := re.fullmatch(r"(\w+) -> (\w+)", s):
            edges.append((m[1], m[2]))
        elif m := re.fullmatch(r"(\w+) \[(.*)\]", s):
            if m[1] not in ("graph", "node", "edge"):
                nodes[m[1]] = dict(texts=_texts(m[2]), attrs=m[2], clusters=tuple(clusters))
        elif "label=" in s:  # a subgraph's or the graph's own attributes
            text = " ".join(_texts(s))
            if clusters and clusters[-1] is None:
                clusters[-1] = text
            elif not clusters:
                graph_label = text
    return nodes, edges, graph_label


def _texts(attrs: str) -> list[str]:
    if m := re.search(r"label=<(.*)>(?: \w+=|$)", attrs):
        html_label = m[1]
        found = re.findall(r">([^<>]+)<", f">{html_label}<")
        return [html.unescape(t) for t in found]
    m = re.search(r'label=("(?:[^"\\]|\\.)*"|\S+)', attrs)
    return [html.unescape(m[1].strip('"').replace('\\"', '"'))] if m else []


def svg_texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    assert root.tag == SVG + "svg"
    return ["".join(t.itertext()) for t in root.iter(SVG + "text")]


def fill(node: dict) -> str:
    return re.search(r'fillcolor="?([#\w]+)', node["attrs"])[1]


def luminance(colour: str) -> float:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.299 * r + 0.587 * g + 0.114 * b


def micrograd_example():
    """L = (a*b + c) * f after backward, and its params naming every value."""
    a, b = ag.tensor(2.0, requires_grad=True), ag.tensor(-3.0, requires_grad=True)
    c, f = ag.tensor(10.0, requires_grad=True), ag.tensor(-2.0, requires_grad=True)
    e = a * b
    d = e + c
    L = d * f
    L.backward()
    return L, dict(a=a, b=b, c=c, e=e, d=d, f=f, L=L)


class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(3, 3)
        self.act = nn.Tanh()

    def forward(self, x):
        return self.act(self.fc(x))


def chain(n: int) -> ag.Tensor:
    y = ag.tensor(0.5, requires_grad=True)
    for _ in range(n):
        y = y + 1.0
    return y


# ---- (1) DOT source of known graphs ---------------------------------------------------------
def test_scalar_graph_reads_as_the_chain_rule_example():
    L, params = micrograd_example()
    nodes, edges, _ = parse(viz.to_dot(L, params=params))
    values = {n["texts"][0]: i for i, n in nodes.items() if "shape=box" in n["attrs"]}
    ops = {i for i, n in nodes.items() if "shape=circle" in n["attrs"]}
    assert len(values) == 7 and len(ops) == 3 and len(nodes) == 10
    expected = dict(a=(2, 6), b=(-3, -4), c=(10, -2), e=(-6, -2), d=(4, -2), f=(-2, 4), L=(-8, 1))
    for name, (data, grad) in expected.items():
        assert nodes[values[name]]["texts"] == [name, f"data {data}", f"grad {grad}"]
    op_of = {dst: src for src, dst in edges if src in ops}  # each op feeds one value
    op = {name: op_of[values[name]] for name in "edL"}
    assert [nodes[op[n]]["texts"] for n in "edL"] == [["×"], ["+"], ["×"]]
    v = values
    assert Counter(edges) == Counter([
        (v["a"], op["e"]), (v["b"], op["e"]), (op["e"], v["e"]),
        (v["e"], op["d"]), (v["c"], op["d"]), (op["d"], v["d"]),
        (v["d"], op["L"]), (v["f"], op["L"]), (op["L"], v["L"]),
    ])
    assert "peripheries=2" in nodes[v["L"]]["attrs"]
    assert all("peripheries" not in nodes[i]["attrs"] for i in nodes if i != v["L"])
    nodes, _, _ = parse(viz.to_dot(L, params=params, show="grad"))  # colours by |grad|
    lum = {n["texts"][0]: luminance(fill(n)) for n in nodes.values() if "fillcolor" in n["attrs"]}
    assert lum["L"] > lum["e"] > lum["f"] > lum["a"]  # |grad| 1 < 2 < 4 < 6


def test_tensor_graph_names_ops_shapes_dtypes_and_params():
    W = ag.randn(4, 3, requires_grad=True)
    b = ag.zeros(3, dtype=ag.float64, requires_grad=True)
    y = (ag.randn(2, 4) @ W + b).tanh().sum()
    nodes, edges, _ = parse(viz.to_dot(y, params={"W": W, "b": b}))
    by_text = {tuple(n["texts"]): i for i, n in nodes.items()}
    assert set(by_text) == {("sum",), (f"data {y.item():.4g}",), ("tanh", "(2, 3) float64"),
                            ("+", "(2, 3) float64"), ("@", "(2, 3) float32"),
                            ("W", "(4, 3) float32"), ("b", "(3,) float64")}
    i = {k[0]: v for k, v in by_text.items()}
    out = by_text[(f"data {y.item():.4g}",)]
    assert Counter(edges) == Counter([(i["sum"], out), (i["tanh"], i["sum"]),
                                      (i["+"], i["tanh"]), (i["@"], i["+"]), (i["b"], i["+"]),
                                      (i["W"], i["@"])])
    assert [k for k, n in nodes.items() if "peripheries=2" in n["attrs"]] == [out]


def test_dot_source_is_identical_across_runs():
    def source() -> str:
        ag.manual_seed(0)
        model = nn.Sequential(nn.Linear(2, 3), Block())
        garbage = [ag.randn(3) for _ in range(50)]  # shifts every id() between the runs
        y = model(ag.randn(4, 2)).sum()
        y.backward()
        del garbage
        return viz.to_dot(y, params=dict(model.named_parameters()), show="grad").source

    first, second = source(), source()
    assert first == second
    assert "n0" in first and not re.search(r"\d{8,}", first)  # counter ids, not id()


# ---- (2) SVG ---------------------------------------------------------------------------------
def test_svg_is_xml_with_the_labels(tmp_path):
    L, params = micrograd_example()
    svg = viz.to_svg(L, params=params, path=tmp_path / "g.svg")
    assert (tmp_path / "g.svg").read_text(encoding="utf-8") == svg
    texts = svg_texts(svg)
    for label in ["a", "data -3", "grad 6", "data -8", "grad 1", "×", "+"]:
        assert label in texts


# ---- (3) clusters, colours, automatic collapse -----------------------------------------------
def test_module_clusters_and_collapse():
    model = nn.Sequential(nn.Linear(2, 3), Block())
    y = model(ag.randn(4, 2)).sum()
    params = dict(model.named_parameters())
    nodes, edges, _ = parse(viz.to_dot(y, params=params))
    where = {n["texts"][0]: n["clusters"] for n in nodes.values()}
    assert where["0.weight"] == where["0.bias"] == ("0: Linear",)
    assert where["1.fc.weight"] == ("1: Block", "1.fc: Linear")
    assert where["tanh"] == ("1: Block", "1.act: Tanh")
    assert where["sum"] == ()
    nodes, _, _ = parse(viz.to_dot(y))  # without params, leaves still sit in their module
    leaves = Counter((n["texts"][1], n["clusters"][-1]) for n in nodes.values()
                     if n["texts"][0] == "leaf")
    assert leaves == Counter([("(3, 2) float32", "0: Linear"), ("(3,) float32", "0: Linear"),
                              ("(3, 3) float32", "1.fc: Linear"), ("(3,) float32", "1.fc: Linear")])

    nodes, edges, _ = parse(viz.to_dot(y, params=params, collapse=True))
    titles = sorted(n["texts"][0] for n in nodes.values())
    assert titles == ["0: Linear", "1: Block", "sum"]
    by_title = {n["texts"][0]: i for i, n in nodes.items()}
    assert "12 parameters" in nodes[by_title["1: Block"]]["texts"]
    assert set(edges) == {(by_title["0: Linear"], by_title["1: Block"]),
                          (by_title["1: Block"], by_title["sum"])}


class Square(nn.Module):
    def forward(self, x):
        return x * x + x  # x feeds three edges


def test_focus_draws_one_module_with_stubs_for_what_flows_in_and_out():
    model = nn.Sequential(nn.Linear(2, 3), Block(), Square())
    y = model(ag.randn(4, 2)).sum()
    y.backward()
    params = dict(model.named_parameters())
    nodes, edges, note = parse(viz.to_dot(y, params=params, focus="1.fc", max_nodes=1))
    stubs = {i: n["texts"] for i, n in nodes.items() if "dashed" in n["attrs"]}
    assert sorted(stubs.values()) == [["input", "from 0: Linear", "(4, 3) float32"],
                                      ["output", "to 1.act: Tanh", "tanh"]]
    inside = {i: n for i, n in nodes.items() if i not in stubs}
    assert all(n["clusters"] == ("1: Block", "1.fc: Linear") for n in inside.values())
    assert {"1.fc.weight", "1.fc.bias"} <= {n["texts"][0] for n in inside.values()}
    assert all(nodes[i]["clusters"] == () for i in stubs)  # outside the module's box
    (s_in,) = [i for i, t in stubs.items() if t[0] == "input"]
    (s_out,) = [i for i, t in stubs.items() if t[0] == "output"]
    assert {a for a, b in edges if b == s_out} <= set(inside) and (s_out, s_in) not in edges
    assert all(a in nodes and b in nodes for a, b in edges) and len(edges) == len(set(edges))
    assert "focus='1.fc'" in note and "max_nodes" not in note  # every op, max_nodes aside
    # a parameter-free module fed one value three times: one input stub, three edges
    nodes, edges, _ = parse(viz.to_dot(y, params=params, focus="2"))
    titles = {i: n["texts"] for i, n in nodes.items()}
    (s_in,) = [i for i, t in titles.items() if t[0] == "input"]
    assert titles[s_in][1:] == ["from 1.act: Tanh", "(4, 3) float32"]
    assert sorted(titles[b][0] for a, b in edges if a == s_in) == ["+", "×", "×"]
    assert ["output", "to sum"] in titles.values() and len(nodes) == 2 + 2


def test_focus_renders_a_small_svg_and_refuses_unknown_names_and_collapse():
    model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.Conv2d(2, 2, 3))
    y = model(ag.randn(2, 1, 6, 6)).sum()
    with viz.record_grad_norms():
        y.backward()
    params = dict(model.named_parameters())
    svg = viz.to_svg(y, params=params, focus="2", show="grad")
    texts = set(svg_texts(svg))
    assert {"2: Conv2d", "2.weight", "slidingwindow", "@", "from 1: ReLU", "to sum",
            "gradient norm"} <= texts and "0.weight" not in texts
    full = viz.to_svg(y, params=params, show="grad", max_nodes=10**6)
    assert svg.count('class="node"') < full.count('class="node"') - 10
    with pytest.raises(ValueError, match=r"focus='conv9' names no module .*\(modules: 0, 1, 2\)"):
        viz.to_dot(y, focus="conv9")
    with pytest.raises(ValueError, match="focus .* cannot be combined with collapse=True"):
        viz.to_dot(y, focus="2", collapse=True)


def test_grad_colours_follow_the_norm_and_fade_in_a_deep_sigmoid_net():
    layers = [m for _ in range(6) for m in (nn.Linear(8, 8), nn.Sigmoid())]
    model = nn.Sequential(*layers)
    y = model(ag.randn(16, 8)).sum()
    with viz.record_grad_norms():
        y.backward()
    params = dict(model.named_parameters())
    nodes, _, _ = parse(viz.to_dot(y, params=params, show="grad"))
    colour = {n["texts"][0]: fill(n) for n in nodes.values() if "fillcolor" in n["attrs"]}
    norms = {k: float(np.linalg.norm(p.grad.numpy())) for k, p in params.items()}
    for p in params:  # a larger gradient norm never gets a lighter colour
        for q in params:
            if norms[p] < norms[q]:
                assert luminance(colour[p]) >= luminance(colour[q]), (p, q)
    assert luminance(colour["0.weight"]) > luminance(colour["10.weight"])
    assert all(colour[k] in viz._PALETTE for k in params)
    assert "gradient norm" in nodes["legend"]["texts"]
    ops = [n for n in nodes.values() if n["texts"][0] in ("@", "sigmoid")]
    assert ops and all(fill(n) in viz._PALETTE for n in ops)  # every op's norm was recorded


def test_grad_norms_are_recorded_only_when_asked():
    x = ag.randn(3, requires_grad=True)
    h = x * 2.0
    h.sum().backward()
    assert not hasattr(h.grad_fn, "grad_norm")
    h = x * 2.0
    with viz.record_grad_norms():
        h.sum().backward()
    assert h.grad_fn.grad_norm == pytest.approx(np.linalg.norm(np.ones(3)))


def test_collapsed_module_without_parameters_is_coloured_by_its_ops():
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh())
    y = model(ag.randn(4, 2)).sum()
    with viz.record_grad_norms():
        y.backward()
    nodes, _, _ = parse(viz.to_dot(y, collapse=True, show="grad"))
    tanh = next(n for n in nodes.values() if n["texts"][0] == "1: Tanh")
    assert fill(tanh) in viz._PALETTE


def test_graph_over_max_nodes_collapses_with_a_note():
    model = nn.Sequential(*[m for _ in range(40) for m in (nn.Linear(2, 2), nn.Tanh())])
    y = model(ag.randn(1, 2)).sum()
    full, _, note = parse(viz.to_dot(y, max_nodes=10**6))
    assert note == "" and len(full) > viz.MAX_NODES
    nodes, _, note = parse(viz.to_dot(y))
    assert "collapsed" in note and f"max_nodes={viz.MAX_NODES}" in note
    assert len(nodes) == 80 + 1  # one node per module, and the sum
    nodes, _, _ = parse(viz.to_dot(y, max_nodes=10))
    assert len(nodes) == 10 + 1  # the 10 nearest the output and a "more" note
    assert any("more" in n["texts"][0] for n in nodes.values())


def test_ten_thousand_nodes_render_to_a_small_svg():
    y = chain(10_000)
    y.backward()
    svg = viz.to_svg(y, show="grad")
    assert len(svg) < 200_000
    assert any("max_nodes" in t for t in svg_texts(svg))


def test_deep_chain_draws_without_recursion():
    assert sys.getrecursionlimit() <= 10_000
    dot = viz.to_dot(chain(200_000))
    nodes, edges, note = parse(dot)
    assert "200,001 nodes" in note
    assert len(nodes) <= viz.MAX_NODES + 1 and len(dot.source) < 100_000


# ---- (4) memory ------------------------------------------------------------------------------
def test_drawing_after_backward_freed_the_arrays_keeps_none_alive():
    x = ag.randn(1000, requires_grad=True)
    h = x * 3.0
    y = (h * h).sum()
    ref = weakref.ref(h.numpy())
    del h
    gc.collect()
    assert ref() is not None  # the graph keeps it for backward
    before = viz.to_dot(y)
    with viz.record_grad_norms():
        y.backward()
    assert y.grad_fn.saved is None and y.grad_fn.parents[0].saved is None
    after = viz.to_dot(y, show="grad")
    svg = viz.to_svg(y, show="grad")
    gc.collect()
    assert ref() is None and before.source and after.source
    assert "(1000,) float32" in svg_texts(svg) and f"data {y.item():.4g}" in svg_texts(svg)


# ---- (5) escaping ----------------------------------------------------------------------------
def test_user_names_are_escaped():
    w = ag.randn(3, requires_grad=True)
    x = ag.randn(3, requires_grad=True)
    h = w * x
    y = h.sum()
    params = {"<enc>.weight": w, 'a&b "q"': x, "h<1>": h}
    source = viz.to_dot(y, params=params).source
    assert "&lt;enc&gt;.weight" in source and "a&amp;b &quot;q&quot;" in source
    assert "h&lt;1&gt;" in source and "<enc>" not in source and "<1>" not in source
    texts = svg_texts(viz.to_svg(y, params=params))
    assert {"<enc>.weight", 'a&b "q"', "h<1>", "<enc>"} <= set(texts)  # "<enc>": a cluster


# ---- (6), (7) errors -------------------------------------------------------------------------
def test_to_svg_without_dot_says_how_to_install(monkeypatch):
    monkeypatch.setattr(viz.shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="install.*graphviz"):
        viz.to_svg(chain(1))


def test_show_must_be_value_or_grad():
    with pytest.raises(ValueError, match="show must be 'value' or 'grad'"):
        viz.to_dot(chain(1), show="norm")


# ---- docs/ figures ---------------------------------------------------------------------------
def test_docs_figures_are_current(tmp_path):
    script = ROOT / "docs" / "make_figures.py"
    subprocess.run([sys.executable, str(script), str(tmp_path)], check=True,
                   capture_output=True, cwd=tmp_path)
    for name in ("scalar_graph.svg", "cnn_graph.svg"):
        fresh = (tmp_path / name).read_text(encoding="utf-8")
        committed = (ROOT / "docs" / name).read_text(encoding="utf-8")
        # ops, names, shapes, modules and edges; not data/grad digits or legend bins, which
        # follow the last bits of the gradients and so the BLAS kernel and CPU
        fresh_labels, committed_labels = graph_labels(fresh), graph_labels(committed)
        assert fresh_labels == committed_labels, (
            f"docs/{name} is stale: run python tools/execute_notebooks.py (or "
            f"docs/make_figures.py)\n{describe_difference(committed_labels, fresh_labels)}")
        assert len(fresh) < 100_000 and len(committed) < 100_000
    scalar = svg_texts((tmp_path / "scalar_graph.svg").read_text(encoding="utf-8"))
    cnn = svg_texts((tmp_path / "cnn_graph.svg").read_text(encoding="utf-8"))
    assert {"L", "data -8", "grad 6"} <= set(scalar)
    assert {"0: Conv2d", "160 parameters", "10: Linear", "gradient norm"} <= set(cnn)
