"""Draw the graph that produced tensors, with graphviz.

- Scalars read like a worked chain-rule example: each value shows its label, data and grad,
  and each op is its own small node (`+`, `×`, `tanh`, ...).
- Tensors: one node per op with its output shape and dtype; leaves show their shape and,
  given `params`, their name; the outputs are drawn with a double border.
- Ops run by `nn` modules are grouped into one labelled cluster per module; `collapse=True`
  draws one node per top-level module, and a graph over `max_nodes` collapses by itself.
- `show="grad"` colours nodes by their gradient norm on a log scale, with a legend.
- `focus="conv2"` draws one module's ops and parameters alone, with dashed stubs for the
  values that flow in and the modules its output flows to.

Everything is read from what the graph keeps after `backward()` (op names, shapes, dtypes,
links, scalars' values and grads), so drawing works after the saved arrays were freed.
"""

from __future__ import annotations

import html
import math
import shutil
from collections import deque
from os import PathLike
from typing import Any, Mapping

import graphviz
import numpy as np

from .function import Function
from .tensor import Tensor
from .viz_recording import record_grad_norms

__all__ = ["record_grad_norms", "to_dot", "to_svg"]

MAX_NODES = 150  # collapsed, ~1 kB of SVG per node
_SYMBOLS = {"Add": "+", "Sub": "−", "Mul": "×", "Div": "÷", "Pow": "**", "Neg": "−x",
            "MatMul": "@"}
# Light (small gradient) to dark (large gradient), readable with black or white text.
_PALETTE = ["#f7fcf0", "#e0f3db", "#ccebc5", "#a8ddb5", "#7bccc4", "#4eb3d3", "#2b8cbe",
            "#08589e"]


def _walk(outputs: list[Tensor]) -> tuple[list[Any], list[tuple[Any, Any]]]:
    """Ops and leaves reachable from the outputs, breadth first (output side first), and the
    edges (input, consuming op). Iterative: any depth works."""
    items: list[Any] = []
    seen: set[int] = set()
    edges: list[tuple[Any, Any]] = []
    queue: deque[Any] = deque()
    for t in outputs:
        key = t._node if t._node is not None else t
        if id(key) not in seen:
            seen.add(id(key))
            items.append(key)
            queue.append(key)
    while queue:
        item = queue.popleft()
        if not isinstance(item, Function):
            continue
        for p in item.parents:
            if p is None:
                continue
            if id(p) not in seen:
                seen.add(id(p))
                items.append(p)
                queue.append(p)
            edges.append((p, item))
    return items, edges


def _fmt(x: float) -> str:
    return f"{x:.4g}"


class _Drawing:
    """Builds the Digraph for one call of `to_dot`."""

    def __init__(self, outputs: list[Tensor], params: Mapping[str, Tensor] | None, show: str,
                 collapse: bool, max_nodes: int, focus: str | None = None) -> None:
        if show not in ("value", "grad"):
            raise ValueError(f"to_dot: show must be 'value' or 'grad', got {show!r}")
        if focus is not None and collapse:
            raise ValueError("to_dot: focus draws every op of one module; "
                             "it cannot be combined with collapse=True")
        self.show = show
        self.items, self.edges = _walk(outputs)
        self.ids = {id(item): f"n{i}" for i, item in enumerate(self.items)}
        self.outputs = {id(t._node if t._node is not None else t) for t in outputs}
        self.names: dict[int, str] = {}
        for name, t in (params or {}).items():
            self.names[id(t._node if t._node is not None else t)] = name
        self.module_names, self.param_names, self.module_classes = self._module_names()
        self.note = ""
        self.stubs: dict[str, tuple[str, dict[str, str]]] = {}  # id -> (label, style)
        self.stub_ends: dict[tuple[str, int], str] = {}  # ("tail"|"head", id(item)) -> stub id
        if focus is not None:
            self._focus_on(focus)
        elif not collapse and len(self.items) > max_nodes:
            collapse = True
            self.note = (f"{len(self.items):,} nodes exceed max_nodes={max_nodes}: "
                         "collapsed to one node per module")
        self.collapse, self.max_nodes = collapse, max_nodes
        self.norms = self._norms() if show == "grad" else {}
        self.scale = self._scale()

    # ---- what each item is -------------------------------------------------------------
    def _module_names(self) -> tuple[dict[int, str], dict[int, str], dict[str, str]]:
        """Dotted names of the modules and parameters under the modules that ran the ops,
        and each module name's class name."""
        roots = {id(s[0]): s[0] for item in self.items if (s := getattr(item, "scope", None))}
        names, param_names, classes = {}, {}, {}
        for root in roots.values():
            for name, module in root.named_modules():
                names.setdefault(id(module), name)
                classes.setdefault(name, type(module).__name__)
            for name, param in root.named_parameters():  # places leaves without `params`
                param_names.setdefault(id(param), name)
        return names, param_names, classes

    def _focus_on(self, focus: str) -> None:
        """Keep the ops and parameters of module `focus` and the edges touching them; the
        outside end of each such edge becomes a stub: one per value flowing in, one per
        module (or op outside any module) that the module's output flows to."""
        if not focus or focus not in self.module_classes:
            known = ", ".join(sorted(n for n in self.module_classes if n)) or "none"
            raise ValueError(f"to_dot: focus={focus!r} names no module that ran these ops "
                             f"(modules: {known})")
        inside = {id(it) for it in self.items if focus in self._path(it)}
        consumers: dict[str, tuple[str, dict[str, None]]] = {}
        for src, dst in self.edges:
            if (id(src) in inside) == (id(dst) in inside):
                continue
            outer, end = (src, "tail") if id(dst) in inside else (dst, "head")
            if (end, id(outer)) in self.stub_ends:  # one outside item, two edges
                continue
            path = self._path(outer)
            where = f"{path[-1]}: {self.module_classes.get(path[-1], '')}" if path else ""
            op = outer.name().lower() if isinstance(outer, Function) else "leaf"
            if end == "tail":
                sid, title = f"in{len(self.stub_ends)}", "input"
                rows = [f"from {where or self.names.get(id(outer), op)}"]
                rows += self._value_rows(outer)
            else:
                key = path[-1] if path else self.ids[id(outer)]
                sid, ops = consumers.setdefault(key, (f"out{len(consumers)}", {}))
                ops[op], title = None, "output"  # the ops it feeds there, in order
                rows = [f"to {where}", ", ".join(ops)] if where else [f"to {op}"]
            self.stub_ends[end, id(outer)] = sid
            style = {"shape": "box", "style": "rounded,dashed", "color": "#888888",
                     "fontcolor": "#555555", "fontname": "Helvetica", "fontsize": "10"}
            self.stubs[sid] = (self._label(title, rows), style)
        self.items = [it for it in self.items if id(it) in inside]
        self.edges = [(a, b) for a, b in self.edges if id(a) in inside or id(b) in inside]
        self.note = f"focus={focus!r}: its ops and parameters; dashed: what flows in and out"

    def _path(self, item: Any) -> tuple[str, ...]:
        """Dotted module names from the outermost child module in, e.g. ('block', 'block.0')."""
        scope = getattr(item, "scope", None)
        if scope is not None:
            names = [self.module_names.get(id(m), "") for m in scope[1:]]
            return tuple(n for n in names if n)
        name = self.names.get(id(item)) or self.param_names.get(id(item), "")
        parts = name.split(".")[:-1]
        return tuple(".".join(parts[: i + 1]) for i in range(len(parts)))

    def _grad_of(self, item: Any) -> float | None:
        if isinstance(item, Tensor):
            return float(np.linalg.norm(item.grad._data)) if item.grad is not None else None
        if hasattr(item, "grad_norm"):
            return item.grad_norm
        return abs(item.grad_value) if hasattr(item, "grad_value") else None

    def _norms(self) -> dict[int, float]:
        return {id(it): g for it in self.items if (g := self._grad_of(it)) is not None}

    # ---- labels ------------------------------------------------------------------------
    def _value_rows(self, item: Any) -> list[str]:
        if isinstance(item, Tensor):
            shape, dtype = item.shape, item.dtype
            value = float(item._data) if not shape else None
            grad = float(item.grad._data) if not shape and item.grad is not None else None
        else:
            shape, dtype = item.shape, item.dtype
            value = getattr(item, "value", None)
            grad = getattr(item, "grad_value", None)
        if shape:
            return [f"{shape} {dtype}"]
        rows = [f"data {_fmt(value)}" if value is not None else f"() {dtype}"]
        if grad is not None:
            rows.append(f"grad {_fmt(grad)}")
        return rows

    def _label(self, title: str, rows: list[str], bold: bool = False) -> str:
        cells = [f"<b>{html.escape(title)}</b>" if bold else html.escape(title)] if title else []
        cells += [html.escape(r) for r in rows]
        inner = "".join(f"<tr><td>{c}</td></tr>" for c in cells)
        return f'<<table border="0" cellborder="0" cellspacing="0">{inner}</table>>'

    def _style(self, item: Any) -> dict[str, str]:
        style = {"shape": "box", "style": "rounded,filled", "fillcolor": "white",
                 "fontname": "Helvetica", "fontsize": "11"}
        if id(item) in self.outputs:
            style["peripheries"] = "2"
        if self.show == "grad":
            style["fillcolor"] = self._colour(self.norms.get(id(item)))
        return style

    # ---- colours -----------------------------------------------------------------------
    def _scale(self) -> tuple[float, float] | None:
        logs = [math.log10(v) for v in self.norms.values() if v > 0]
        return (min(logs), max(logs)) if logs else None

    def _colour(self, norm: float | None) -> str:
        if norm is None:
            return "white"
        scale = self.scale
        if norm <= 0 or scale is None:
            return "#d9d9d9"
        lo, hi = scale
        frac = 0.0 if hi == lo else (math.log10(norm) - lo) / (hi - lo)
        return _PALETTE[min(int(frac * len(_PALETTE)), len(_PALETTE) - 1)]

    def _legend(self, dot: graphviz.Digraph) -> None:
        scale = self.scale
        if scale is None:
            text = "no gradients recorded: run backward() (inside viz.record_grad_norms() " \
                   "for every op's gradient)"
            dot.node("legend", text, shape="note", fontname="Helvetica", fontsize="10")
            return
        lo, hi = scale
        step = (hi - lo) / len(_PALETTE) if hi > lo else 0.0
        rows = ['<tr><td colspan="2"><b>gradient norm</b></td></tr>']
        for i, colour in enumerate(_PALETTE):
            a, b = lo + i * step, lo + (i + 1) * step
            rows.append(f'<tr><td bgcolor="{colour}" width="18"></td>'
                        f"<td>{10**a:.1e} – {10**b:.1e}</td></tr>")
        rows.append('<tr><td bgcolor="#d9d9d9"></td><td>0</td></tr>')
        label = f'<<table border="0" cellspacing="2">{"".join(rows)}</table>>'
        dot.node("legend", label, shape="plaintext", fontname="Helvetica", fontsize="10")

    # ---- the drawing -------------------------------------------------------------------
    def digraph(self) -> graphviz.Digraph:
        scalar_graph = all(not getattr(it, "shape", ()) for it in self.items)
        dot = graphviz.Digraph(graph_attr={"rankdir": "LR" if scalar_graph else "TB",
                                           "fontname": "Helvetica"})
        if self.note:
            dot.attr(label=self.note, labelloc="t", fontsize="12")
        if self.collapse:
            self._draw_collapsed(dot)
        else:
            self._draw_full(dot)
        if self.show == "grad":
            self._legend(dot)
        return dot

    def _draw_full(self, dot: graphviz.Digraph) -> None:
        clusters: dict[tuple[str, ...], list[tuple[str, str, dict[str, str]]]] = {}
        heads: dict[int, str] = {}  # where an edge into an op arrives
        tails: dict[int, str] = {}  # where an edge out of an item leaves
        for (end, key), sid in self.stub_ends.items():
            (tails if end == "tail" else heads)[key] = sid
        clusters[()] = [(sid, label, style) for sid, (label, style) in self.stubs.items()]
        for item in self.items:
            nid, name = self.ids[id(item)], self.names.get(id(item), "")
            path = self._path(item)
            nodes = clusters.setdefault(path, [])
            style = self._style(item)
            if isinstance(item, Tensor):
                nodes.append((nid, self._label(name or "leaf", self._value_rows(item)), style))
                tails[id(item)] = nid
                continue
            op = _SYMBOLS.get(item.name(), item.name().lower())
            if item.shape:  # a tensor op: one node for the op and its output
                rows = self._value_rows(item)
                nodes.append((nid, self._label(op, rows + ([name] if name else []), True), style))
                heads[id(item)] = tails[id(item)] = nid
            else:  # a scalar op: a small op node feeding its value node
                op_style = {"shape": "circle", "fontname": "Helvetica", "fontsize": "11",
                            "width": "0.3", "margin": "0"}
                nodes.append((nid + "op", html.escape(op), op_style))
                nodes.append((nid, self._label(name, self._value_rows(item)), style))
                dot.edge(nid + "op", nid)
                heads[id(item)], tails[id(item)] = nid + "op", nid
        self._emit_clusters(dot, clusters)
        for src, dst in self.edges:
            dot.edge(tails[id(src)], heads[id(dst)])

    def _emit_clusters(self, dot: graphviz.Digraph,
                       clusters: dict[tuple[str, ...], list[tuple[str, str, dict]]]) -> None:
        """Nested subgraphs, one per module path; inner ones attached before outer ones."""
        every = set()
        for path in clusters:
            every.update(path[: i + 1] for i in range(len(path)))
        graphs = {p: graphviz.Digraph(name=f"cluster_{len(p)}_{i}") for i, p in
                  enumerate(sorted(every))}
        for p, g in graphs.items():
            cls = self.module_classes.get(p[-1], "")
            text = f"{p[-1]}: {cls}" if cls else p[-1]  # an HTML label, so names are escaped
            g.attr(label=f"<{html.escape(text)}>", style="rounded,dashed",
                   color="#888888", fontname="Helvetica", fontsize="11")
        for path, nodes in clusters.items():
            target = graphs[path] if path else dot
            for nid, label, style in nodes:
                target.node(nid, label, **style)
        for p in sorted(graphs, key=len, reverse=True):
            (graphs[p[:-1]] if len(p) > 1 else dot).subgraph(graphs[p])

    def _draw_collapsed(self, dot: graphviz.Digraph) -> None:
        rep: dict[int, str] = {}
        groups: dict[str, list[Any]] = {}
        order: list[str] = []
        for item in self.items:
            path = self._path(item)
            key = f"m:{path[0]}" if path else self.ids[id(item)]
            rep[id(item)] = key
            if key not in groups:
                groups[key] = []
                order.append(key)
            groups[key].append(item)
        kept = order[: self.max_nodes]
        if len(order) > len(kept):
            hidden = len(order) - len(kept)
            for key in order[len(kept):]:
                for item in groups[key]:
                    rep[id(item)] = "more"
            dot.node("more", f"… {hidden:,} more nodes (limit max_nodes={self.max_nodes})",
                     shape="note", fontname="Helvetica", fontsize="11")
            if not self.note:
                self.note = f"showing the {len(kept)} nodes nearest the output"
                dot.attr(label=self.note, labelloc="t", fontsize="12")
        ids = {key: (f"g{i}" if key.startswith("m:") else key) for i, key in enumerate(kept)}
        ids["more"] = "more"
        for key in kept:
            members = groups[key]
            if key.startswith("m:"):
                self._module_node(dot, ids[key], key[2:], members)
            else:
                item = members[0]
                title = self.names.get(id(item), "")
                if not isinstance(item, Tensor):
                    title = _SYMBOLS.get(item.name(), item.name().lower())
                dot.node(ids[key], self._label(title, self._value_rows(item), True),
                         **self._style(item))
        drawn = set()
        for src, dst in self.edges:
            a, b = ids[rep[id(src)]], ids[rep[id(dst)]]
            if a != b and (a, b) not in drawn:
                drawn.add((a, b))
                dot.edge(a, b)

    def _module_node(self, dot: graphviz.Digraph, nid: str, name: str, members: list) -> None:
        ops = [m for m in members if isinstance(m, Function)]
        leaves = [m for m in members if isinstance(m, Tensor)]
        rows = [f"{len(ops)} ops"]
        if leaves:
            rows.append(f"{sum(t._data.size for t in leaves):,} parameters")
        if ops:
            rows.append(f"out {ops[0].shape} {ops[0].dtype}")
        cls = self.module_classes.get(name, "")
        style = self._style(ops[0] if ops else leaves[0])
        style["style"] = "filled"
        grads = [t.grad._data for t in leaves if t.grad is not None]
        if self.show == "grad" and grads:  # else keep the colour of the module's output op
            style["fillcolor"] = self._colour(math.sqrt(sum(float((g * g).sum()) for g in grads)))
        dot.node(nid, self._label(f"{name}: {cls}" if cls else name, rows, True), **style)


def to_dot(*tensors: Tensor, params: Mapping[str, Tensor] | None = None, show: str = "value",
           collapse: bool = False, max_nodes: int = MAX_NODES,
           focus: str | None = None) -> graphviz.Digraph:
    """The graph that produced `tensors` as a `graphviz.Digraph` (shown inline in Jupyter).

    `params` maps names to tensors (leaves or intermediates), e.g.
    `dict(model.named_parameters())`; `show="grad"` colours nodes by gradient norm.
    `focus` names one module as `named_modules()` does ("conv2", "block.0.fc") and draws
    only the ops it ran and its parameters, with dashed stubs for each value flowing in
    ("input from pool1: MaxPool2d") and each module its output flows to ("output to bn2:
    BatchNorm2d"); it draws every op (max_nodes does not apply) and excludes `collapse`.
    PyTorch has no graph drawing; this option is chainrule's own.
    """
    if not tensors or not all(isinstance(t, Tensor) for t in tensors):
        raise TypeError("to_dot: expected one or more Tensors")
    if max_nodes < 1:
        raise ValueError(f"to_dot: max_nodes must be >= 1, got {max_nodes}")
    return _Drawing(list(tensors), params, show, collapse, max_nodes, focus).digraph()


def to_svg(*tensors: Tensor, path: str | PathLike | None = None, **kwargs: Any) -> str:
    """The SVG text of `to_dot(*tensors, **kwargs)`; also written to `path` when given."""
    if shutil.which("dot") is None:
        raise RuntimeError(
            "to_svg: the graphviz `dot` binary is not installed; install it with "
            "`apt-get install graphviz` (Debian/Ubuntu) or `brew install graphviz` (macOS); "
            "`make test` and `make demo` install it for you"
        )
    svg = to_dot(*tensors, **kwargs).pipe(format="svg").decode("utf-8")
    if path is not None:
        with open(path, "w", encoding="utf-8") as f:
            f.write(svg)
    return svg
