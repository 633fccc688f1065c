"""Backprop, step by step: the backward pass as a sequence of graph frames.

`backprop_steps(loss)` walks a graph that still holds its saved tensors as the engine does:
nodes off a max-heap by sequence number, each node's backward run once on the sum of what its
consumers sent, broadcasting undone by the engine's `_sum_to`. One frame per visit shows the
node, its local derivatives and the contributions (upstream × local) on the edges to its
parents; a value used twice shows the sum over its uses. The last frame's leaf gradients are
what `backward()` stores in `.grad`. In Jupyter the steps play with prev / next / play:

    steps = viz_steps.backprop_steps(L, params=dict(a=a, b=b, f=f, L=L))
"""

from __future__ import annotations

import html
import uuid
from dataclasses import dataclass
from heapq import heappop, heappush
from os import PathLike
from pathlib import Path
from typing import Any, Mapping, Sequence

import graphviz
import numpy as np

from .engine import _sum_to
from .function import Function
from .grad_mode import backward_mode, restore_mode
from .tensor import Tensor
from .viz import _SYMBOLS, MAX_NODES, _Drawing, _fmt, _walk

__all__ = ["BackpropSteps", "Contribution", "Frame", "backprop_steps", "to_svgs"]

# One colour per role, the same in every frame.
CURRENT, CURRENT_LINE = "#ffe08a", "#b7791f"  # the node whose backward runs
FLOW, FLOW_FILL = "#d6336c", "#fde2ea"  # the gradient flowing this frame, and who receives it
KNOWN, DONE_LINE = "#e3f4e8", "#3d8b57"  # a gradient already known
PENDING_TEXT, EDGE = "#9aa0a6", "#9aa0a6"


@dataclass(frozen=True)
class Contribution:
    """What one edge adds to a parent's gradient in one frame."""

    parent: Any  # the parent node, or the leaf Tensor
    arg: int  # the parent's position among the node's inputs
    local: np.ndarray | None  # d out / d parent, for a node with a 0-d output
    value: np.ndarray  # upstream × local: the contribution
    before: np.ndarray | None  # the parent's gradient before; None on the first use
    after: np.ndarray  # the parent's gradient after


@dataclass(frozen=True)
class Frame:
    """One step of the backward pass; `to_svg()` draws it."""

    index: int
    node: Function | None  # the node whose backward runs; None for the seed and last frames
    upstream: np.ndarray | None  # that node's gradient (the sum over its consumers)
    contributions: tuple[Contribution, ...]
    grads: Mapping[int, np.ndarray]  # id(node or leaf) -> its gradient so far
    visited: frozenset[int]
    caption: tuple[str, ...]
    steps: BackpropSteps

    def to_dot(self) -> graphviz.Digraph:
        """This frame as a graphviz Digraph (shown inline in Jupyter)."""
        return _FrameDrawing(self).frame_digraph()

    def to_svg(self) -> str:
        return self.to_dot().pipe(format="svg").decode("utf-8")

    _repr_svg_ = to_svg  # a single frame shows itself in Jupyter


def _to_parent(g: Any, parent: Any, node: Function) -> np.ndarray:
    """A gradient summed to its parent's shape (the engine's `_sum_to`), in its dtype."""
    g = g if isinstance(g, Tensor) else Tensor(g)
    return np.array((_sum_to(g, parent.shape, node) if g.shape != parent.shape else g)._data,
                    dtype=parent.dtype)


def _number(a: np.ndarray) -> str:
    """The number of a 0-d array, else its norm."""
    return _fmt(float(a)) if a.ndim == 0 else f"{float(np.linalg.norm(a)):.3g}"


def _show(a: np.ndarray) -> str:
    """A value for a caption: the number of a 0-d array, else its shape and norm."""
    return _number(a) if a.ndim == 0 else f"[{a.shape} ‖·‖ {_number(a)}]"


class BackpropSteps(Sequence[Frame]):
    """The frames of one backward pass; a Jupyter stepper when displayed."""

    def __init__(self, output: Tensor, params: Mapping[str, Tensor] | None = None,
                 max_nodes: int = MAX_NODES) -> None:
        if not isinstance(output, Tensor) or output._node is None or output._data.size != 1:
            raise TypeError("backprop_steps: expected a one-element Tensor with a grad_fn (made "
                            "by ops on tensors that require grad), such as a loss")
        self.output, self.params = output, dict(params or {})
        self.items = items = _walk([output])[0]
        if len(items) > max_nodes:
            raise ValueError(f"backprop_steps: the graph has {len(items):,} nodes, over "
                             f"max_nodes={max_nodes}; step through a smaller graph")
        for item in items:
            if isinstance(item, Function) and item.saved is None:
                raise RuntimeError(
                    f"backprop_steps: the graph through {item.name()} was freed by an earlier "
                    "backward(); build the graph again, or pass retain_graph=True to backward()")
        self.names = self._names(items)
        self.frames: list[Frame] = []
        self._run(np.ones(output.shape, output.dtype))

    def _names(self, items: list[Any]) -> dict[int, str]:
        """Names for captions: from `params`, then the modules' parameter names, then made
        up by kind (x1, x2, ... for leaves, mul1, tanh1, ... for ops)."""
        names = {id(t._node if t._node is not None else t): n for n, t in self.params.items()}
        roots = {id(s[0]): s[0] for item in items if (s := getattr(item, "scope", None))}
        for root in roots.values():  # parameters of the modules that ran the ops
            for n, p in root.named_parameters():
                names.setdefault(id(p), n)
        counts: dict[str, int] = {}
        for op in sorted((i for i in items if isinstance(i, Function)), key=lambda n: n.seq):
            for item in [p for p in op.parents if p is not None] + [op]:  # in forward order
                if id(item) not in names:
                    kind = "x" if isinstance(item, Tensor) else item.name().lower()
                    counts[kind] = counts.get(kind, 0) + 1
                    names[id(item)] = f"{kind}{counts[kind]}"
        return names

    def name(self, item: Any) -> str:
        return self.names[id(item)]

    # ---- the walk: the engine's order and math -----------------------------------------
    def _run(self, seed: np.ndarray) -> None:
        root = self.output._node
        grads: dict[int, np.ndarray] = {id(root): seed}
        visited: set[int] = set()
        out = self.name(root)
        self._frame(None, None, (), grads, visited,
                    (f"Start: grad_{out} = d{out}/d{out} = {_show(seed)}",
                     "backward() visits each op once, latest first, when every use of its "
                     "output has sent its gradient"))
        heap: list = [(-root.seq, id(root), root)]
        mode = backward_mode(False, True)  # as an ordinary backward: record nothing, free nothing
        try:
            while heap:
                node = heappop(heap)[2]
                upstream = grads[id(node)]
                contributions = self._visit(node, upstream, grads)
                visited.add(id(node))
                for c in contributions:  # queued when its first gradient arrives, as the engine
                    if isinstance(c.parent, Function) and c.before is None:
                        heappush(heap, (-c.parent.seq, id(c.parent), c.parent))
                self._frame(node, upstream, contributions, grads, visited,
                            self._caption(node, upstream, contributions))
        finally:
            restore_mode(mode)
        leaves = [it for it in self.items if isinstance(it, Tensor) and id(it) in grads]
        done = ", ".join(f"{self.name(t)}.grad = {_show(grads[id(t)])}" for t in leaves)
        self._frame(None, None, (), grads, visited, (
            "Done: every leaf has its gradient, as backward() stores it in .grad", done))

    def _visit(self, node: Function, upstream: np.ndarray,
               grads: dict[int, np.ndarray]) -> tuple[Contribution, ...]:
        """Run the node's backward on its gradient (and, for a 0-d output, on 1 for the
        local derivatives), reduce each result to its parent's shape and dtype, add it in."""
        runs = [upstream] if node.shape else [upstream, np.ones((), upstream.dtype)]
        results = []
        for grad in runs:
            result = type(node).backward(node, Tensor(grad.copy()))
            results.append(result if isinstance(result, tuple) else (result,))
        out = []
        for i, p in enumerate(node.parents):
            if p is None or results[0][i] is None:
                continue
            value = _to_parent(results[0][i], p, node)
            local = _to_parent(results[1][i], p, node) if len(results) == 2 else None
            before = grads.get(id(p))
            after = value if before is None else np.asarray(before + value)
            grads[id(p)] = after
            out.append(Contribution(p, i, local, value, before, after))
        return tuple(out)

    def _caption(self, node: Function, upstream: np.ndarray,
                 contributions: tuple[Contribution, ...]) -> tuple[str, ...]:
        n = self.name(node)
        op = _SYMBOLS.get(node.name(), node.name().lower())
        if node.name() in _SYMBOLS and len(node.parents) == 2:  # a × b, x ** const
            formula = f" {op} ".join(self.name(p) if p is not None else "const"
                                     for p in node.parents)
        else:  # tanh(x), sum(x): the arguments that carry a gradient
            formula = f"{op}({', '.join(self.name(p) for p in node.parents if p is not None)})"
        lines = [f"Visit {n} = {formula}: its gradient grad_{n} = {_show(upstream)}"]
        for c in contributions:
            p = self.name(c.parent)
            if c.local is not None:
                lines.append(f"grad_{p} += grad_{n} × d{n}/d{p} = {_show(upstream)} × "
                             f"{_show(c.local)} = {_show(c.value)}")
            else:
                lines.append(f"grad_{p} += grad_{n} · d{n}/d{p} = {_show(c.value)}")
            if c.before is not None:
                lines.append(f"grad_{p} = {_show(c.before)} + {_show(c.value)} = "
                             f"{_show(c.after)}   (the sum over the uses of {p})")
        return tuple(lines)

    def _frame(self, node: Function | None, upstream: np.ndarray | None,
               contributions: tuple[Contribution, ...], grads: dict[int, np.ndarray],
               visited: set[int], caption: tuple[str, ...]) -> None:
        self.frames.append(Frame(len(self.frames), node, upstream, contributions, dict(grads),
                                 frozenset(visited), caption, self))

    # ---- reading -----------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.frames)

    def __getitem__(self, i: Any) -> Any:
        return self.frames[i]

    def order(self) -> list[str]:
        """The names of the nodes in the order their backward runs."""
        return [self.name(f.node) for f in self.frames if f.node is not None]

    def leaf_grads(self) -> dict[str, np.ndarray]:
        """{leaf name: gradient} from the last frame: what backward() puts in `.grad`."""
        last = self.frames[-1].grads
        return {self.name(t): last[id(t)] for t in self.items
                if isinstance(t, Tensor) and id(t) in last}

    def to_svgs(self, directory: str | PathLike | None = None,
                prefix: str = "step") -> list[str]:
        """The SVG text of every frame; also written to `directory/prefix_00.svg`, ... ."""
        svgs = [f.to_svg() for f in self.frames]
        if directory is not None:
            Path(directory).mkdir(parents=True, exist_ok=True)
            for i, svg in enumerate(svgs):
                Path(directory, f"{prefix}_{i:02d}.svg").write_text(svg, encoding="utf-8")
        return svgs

    def _repr_html_(self) -> str:
        """The frames in one HTML block: the first shown, prev / next / play and a slider
        (plain HTML and JavaScript: no widgets needed)."""
        svgs, hide = self.to_svgs(), ' style="display:none"'
        frames = "".join(f'<div data-frame="{i}"{hide if i else ""}>{s[s.index("<svg"):]}</div>'
                         for i, s in enumerate(svgs))
        return _PLAYER.format(uid=f"backprop-steps-{uuid.uuid4().hex[:12]}",
                              last=len(svgs) - 1, frames=frames)

    def widget(self) -> Any:
        """An ipywidgets stepper (play button and slider); needs `pip install ipywidgets`.
        Displaying the object itself needs no widgets."""
        try:
            import ipywidgets as widgets
        except ImportError as e:
            raise ImportError("BackpropSteps.widget: needs ipywidgets (pip install ipywidgets); "
                              "or display the object itself: a stepper in plain HTML") from e
        svgs, last = self.to_svgs(), len(self) - 1
        view = widgets.HTML(svgs[0])
        slider = widgets.IntSlider(value=0, min=0, max=last, description="step")
        play = widgets.Play(value=0, min=0, max=last, interval=1500)
        widgets.jslink((play, "value"), (slider, "value"))
        slider.observe(lambda change: setattr(view, "value", svgs[change["new"]]), names="value")
        return widgets.VBox([widgets.HBox([play, slider]), view])


class _FrameDrawing(_Drawing):
    """viz's drawing of the graph, with each node's gradient as known in one frame."""

    def __init__(self, frame: Frame) -> None:
        steps = frame.steps
        super().__init__([steps.output], steps.params, "value", False, len(steps.items) + 1)
        self.frame, self.steps = frame, steps
        self.names = dict(steps.names)
        self.final = steps.frames[-1].grads if steps.frames else {}
        self.current = id(frame.node) if frame.node is not None else None
        self.receiving = {id(c.parent) for c in frame.contributions}
        if frame.index == 0:  # the seed: the output's gradient appears
            self.receiving = {id(steps.output._node)}
        self.last = frame.index == len(steps.frames) - 1

    def _value_rows(self, item: Any) -> list[Any]:
        """The data (or shape) row, then the gradient known in this frame; a pending one is
        '?' and, invisible, the rest of its final text, so that no box changes size."""
        word = "‖grad‖" if item.shape else "grad"
        first = f"{item.shape} {item.dtype}" if item.shape else \
            f"data {_fmt(float(item._data) if isinstance(item, Tensor) else item.value)}"
        grad, final = self.frame.grads.get(id(item)), self.final.get(id(item), np.zeros(()))
        if grad is None:
            return [first, (f"{word} ?", PENDING_TEXT, _number(final)[1:])]
        return [first, (f"{word} {_number(grad)}", FLOW if id(item) in self.receiving else None,
                        "")]

    def _label(self, title: str, rows: list[Any], bold: bool = False) -> str:
        """viz's label; a row may also be (text, colour, padding drawn in white)."""
        cells = [f"<b>{html.escape(title)}</b>" if bold else html.escape(title)] if title else []
        for row in rows:
            text, colour, pad = (row, None, "") if isinstance(row, str) else row
            cell = f'<font color="{colour}">{html.escape(text)}</font>' if colour else \
                html.escape(text)
            cells.append(cell + (f'<font color="white">{html.escape(pad)}</font>' if pad else ""))
        inner = "".join(f"<tr><td>{c}</td></tr>" for c in cells)
        return f'<<table border="0" cellborder="0" cellspacing="0">{inner}</table>>'

    def _state(self, item: Any) -> dict[str, str]:
        key = id(item)
        if key == self.current:
            return {"fillcolor": CURRENT, "color": CURRENT_LINE, "penwidth": "2.5"}
        if key in self.receiving:
            return {"fillcolor": FLOW_FILL, "color": FLOW, "penwidth": "2"}
        if key in self.frame.grads:  # known; in the last frame the leaves stand out
            width = "2.5" if self.last and isinstance(item, Tensor) else "1"
            return {"fillcolor": KNOWN, "color": DONE_LINE, "penwidth": width}
        return {"fillcolor": "white", "color": "#5f6368", "penwidth": "1"}

    def _style(self, item: Any) -> dict[str, str]:
        return {**super()._style(item), **self._state(item)}

    def frame_digraph(self) -> graphviz.Digraph:
        dot = self.digraph()
        dot.edge_attr.update(color=EDGE, arrowsize="0.7")
        for item in self.items:  # scalar ops: colour the op circle as its value box
            if isinstance(item, Function) and not item.shape and (
                    id(item) == self.current or id(item) in self.frame.visited):
                dot.node(self.ids[id(item)] + "op", style="filled", **self._state(item))
        self._highlight_edges(dot)
        dot.attr(label=self._caption_label(), labelloc="t", labeljust="l")
        return dot

    def _highlight_edges(self, dot: graphviz.Digraph) -> None:
        """The edges from the current node to its parents: drawn in the flow colour,
        pointing back to the parent, labelled with the contribution (layout unchanged)."""
        node = self.frame.node
        if node is None:
            return
        head = self.ids[id(node)] + ("" if node.shape else "op")
        for c in self.frame.contributions:
            tail = self.ids[id(c.parent)]
            plain = f"\t{tail} -> {head}\n"  # as viz drew it
            text = ("+= " if c.value.ndim == 0 else "+= ‖·‖ ") + _number(c.value)
            one = graphviz.Digraph()
            one.edge(tail, head, color=FLOW, penwidth="2.6", dir="back", arrowsize="1",
                     xlabel=f"<<font color='{FLOW}'><b>{html.escape(text)}</b></font>>",
                     fontname="Helvetica", fontsize="11")
            dot.body[dot.body.index(plain)] = one.body[0]

    def _caption_label(self) -> str:
        """The caption above the graph, as tall and as wide in every frame (padded, with an
        invisible copy of the longest line of all), so the graph stays put between frames."""
        steps, frame = self.steps, self.frame
        height = max(len(f.caption) for f in steps.frames)
        widest = max((line for f in steps.frames for line in f.caption), key=len)
        cells = [f'<font color="#5f6368">step {frame.index} of {len(steps) - 1}</font>']
        for i, line in enumerate(frame.caption + ("",) * (height - len(frame.caption))):
            text = html.escape(line) or " "
            cells.append(f"<b>{text}</b>" if i == 0 else f'<font color="{FLOW}">{text}</font>'
                         if line.startswith("grad_") else text)
        cells.append(f'<font color="white"><b>{html.escape(widest)}</b></font>')
        rows = "".join(f'<tr><td align="left">{c}</td></tr>' for c in cells)
        return f'<<table border="0" cellspacing="1">{rows}</table>>'


def backprop_steps(output: Tensor, params: Mapping[str, Tensor] | None = None,
                   max_nodes: int = MAX_NODES) -> BackpropSteps:
    """The backward pass from `output` as frames, in the engine's order (see the module
    docstring). The graph must still hold its saved tensors: call this before `backward()`,
    or after `backward(retain_graph=True)`. Tensor hooks are not run."""
    return BackpropSteps(output, params, max_nodes)


def to_svgs(output: Tensor, directory: str | PathLike | None = None,
            **kwargs: Any) -> list[str]:
    """The SVG text of every frame of `backprop_steps(output, **kwargs)`; written to
    `directory` when given."""
    return backprop_steps(output, **kwargs).to_svgs(directory)


_PLAYER = """<div id="{uid}" style="font-family:Helvetica,Arial,sans-serif">
<div style="display:flex;gap:6px;align-items:center;margin:4px 0 8px 0">
<button data-go="-1">&#9664; prev</button><button data-go="1">next &#9654;</button>
<button data-play="1">&#9654; play</button><input type="range" min="0" max="{last}" value="0">
<span data-label="1">step 0 of {last}</span></div>{frames}</div>
<script>(function () {{
var root = document.getElementById("{uid}"); if (!root) return;
var frames = root.querySelectorAll("[data-frame]"), range = root.querySelector("input");
var label = root.querySelector("[data-label]"), play = root.querySelector("[data-play]");
var at = 0, last = frames.length - 1, timer = null;
function show(i) {{ at = Math.max(0, Math.min(last, i)); range.value = at;
  label.textContent = "step " + at + " of " + last;
  frames.forEach(function (f, k) {{ f.style.display = k === at ? "" : "none"; }}); }}
root.querySelectorAll("[data-go]").forEach(function (b) {{
  b.onclick = function () {{ show(at + Number(b.getAttribute("data-go"))); }}; }});
range.oninput = function () {{ show(Number(range.value)); }};
play.onclick = function () {{
  if (timer) {{ clearInterval(timer); timer = null; play.innerHTML = "&#9654; play"; return; }}
  if (at === last) show(0);
  play.innerHTML = "&#10074;&#10074; pause";
  timer = setInterval(function () {{ if (at === last) play.onclick(); else show(at + 1); }}, 1500);
}}; }})();</script>"""
