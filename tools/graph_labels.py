"""The part of an `autograd.viz` SVG that is the same on every machine: `graph_labels(svg)`.

A graph drawing's op names, value and parameter names, shapes and dtypes, module clusters and
edges follow from the code alone. Its numbers do not: the `data`/`grad` rows of 0-d values and
the legend's gradient-norm bins depend on the last digits of floating-point results, which
differ between BLAS kernels and CPUs, and the layout (coordinates) depends on graphviz's
version. `graph_labels` keeps the former and drops the latter, so that a committed drawing can
be compared with a fresh one on any host (tests/test_notebooks.py, tests/test_viz.py).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter

SVG = "{http://www.w3.org/2000/svg}"
# rows whose text is a floating-point result: "data -0.5431", "grad 1.2e-05", a legend bin
# "1.2e-05 – 3.4e-03", the legend's "0" row
_NUMERIC = re.compile(r"(data|grad) \S+|\S+ – \S+|0")


def is_graph_svg(svg: str) -> bool:
    """True for an SVG that graphviz drew (as `viz.to_svg` and a Digraph's display do)."""
    return 'class="graph"' in svg and 'class="node"' in svg


def _text(element: ET.Element, tag: str) -> list[str]:
    return ["".join(t.itertext()).strip() for t in element.iter(SVG + tag)]


def graph_labels(svg: str) -> Counter:
    """A multiset of ("node", id, labels), ("cluster", id, labels) and ("edge", "a->b") items.

    Labels are the node's or cluster's texts in drawing order, with every number that comes
    from a floating-point result left out (the row's kind, "data" or "grad", stays).
    """
    root = ET.fromstring(svg.encode("utf-8") if svg.lstrip().startswith("<?xml") else svg)
    items: Counter = Counter()
    for g in root.iter(SVG + "g"):
        kind = g.get("class")
        if kind not in ("node", "cluster", "edge"):
            continue
        title = (_text(g, "title") or [""])[0]
        if kind == "edge":
            items["edge", title] += 1
            continue
        labels = tuple(t.split(" ")[0] if _NUMERIC.fullmatch(t) and t[:4] in ("data", "grad")
                       else t for t in _text(g, "text") if not _is_bin(t))
        items[kind, title, labels] += 1
    return items


def _is_bin(text: str) -> bool:
    return bool(_NUMERIC.fullmatch(text)) and text[:4] not in ("data", "grad")


def describe_difference(committed: Counter, fresh: Counter) -> str:
    """The items only in one of the two, one per line, for an assertion message."""
    lines = [f"  only committed: {item}" for item in sorted((committed - fresh).elements())]
    lines += [f"  only fresh:     {item}" for item in sorted((fresh - committed).elements())]
    return "\n".join(lines[:40] + ([f"  ... {len(lines) - 40} more"] if len(lines) > 40 else []))
