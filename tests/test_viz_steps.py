"""autograd.viz_steps: the backward pass as frames, in the engine's order and with its sums."""

from __future__ import annotations

import re
import sys
import types
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import torch

import autograd as ag
import nn
import nn.functional as F
from autograd import viz_steps
from autograd.viz_steps import CURRENT, FLOW

SVG = "{http://www.w3.org/2000/svg}"


def used_twice():
    """L = (a*b + a) * f: a reaches L along two paths."""
    a, b = ag.tensor(2.0, requires_grad=True), ag.tensor(-3.0, requires_grad=True)
    f = ag.tensor(-2.0, requires_grad=True)
    e = a * b
    d = e + a
    L = d * f
    return L, dict(a=a, b=b, f=f, e=e, d=d, L=L)


def svg_texts(svg: str) -> list[str]:
    return ["".join(t.itertext()) for t in ET.fromstring(svg).iter(SVG + "text")]


def test_frames_follow_the_engine_order():
    L, params = used_twice()
    steps = viz_steps.backprop_steps(L, params=params)
    assert steps.order() == ["L", "d", "e"]
    assert len(steps) == 5 and steps[0].node is None and steps[-1].node is None
    seqs = [f.node.seq for f in steps if f.node is not None]
    assert seqs == sorted(seqs, reverse=True)
    ran = []  # the engine runs a non-leaf's hooks when it takes the node off its heap
    for name in "edL":
        params[name].register_hook(lambda g, name=name: ran.append(name))
    L.backward()
    assert ran == steps.order()


def test_each_visit_shows_upstream_times_local():
    L, params = used_twice()
    steps = viz_steps.backprop_steps(L, params=params)
    visit_e = steps[3]
    assert steps.name(visit_e.node) == "e" and float(visit_e.upstream) == -2.0
    by_parent = {steps.name(c.parent): c for c in visit_e.contributions}
    assert set(by_parent) == {"a", "b"}
    assert float(by_parent["a"].local) == -3.0 and float(by_parent["b"].local) == 2.0  # de/da = b
    assert float(by_parent["a"].value) == 6.0 and float(by_parent["b"].value) == -4.0
    assert "grad_b += grad_e × de/db = -2 × 2 = -4" in visit_e.caption


def test_a_value_used_twice_shows_the_sum_over_its_uses():
    L, params = used_twice()
    steps = viz_steps.backprop_steps(L, params=params)
    into_a = [(f.index, c) for f in steps for c in f.contributions if steps.name(c.parent) == "a"]
    (first_frame, first), (second_frame, second) = into_a
    assert first_frame < second_frame and first.before is None
    assert float(second.before) == -2.0 and float(second.value) == 6.0
    assert float(second.after) == 4.0
    assert "grad_a = -2 + 6 = 4   (the sum over the uses of a)" in steps[second_frame].caption
    assert float(steps[first_frame].grads[id(params["a"])]) == -2.0  # the partial sum, then
    torch_a = torch.tensor(2.0, requires_grad=True)
    ((torch_a * -3.0 + torch_a) * -2.0).backward()
    assert float(steps.leaf_grads()["a"]) == torch_a.grad.item()


def test_x_times_x_adds_both_edges_in_one_frame():
    x = ag.tensor(3.0, requires_grad=True)
    y = x * x
    steps = viz_steps.backprop_steps(y, params=dict(x=x, y=y))
    (visit,) = [f for f in steps if f.node is not None]
    first, second = visit.contributions
    assert first.parent is x and second.parent is x and first.before is None
    assert float(second.after) == 6.0 and float(second.before) == 3.0
    assert any("grad_x = 3 + 3 = 6" in line for line in visit.caption)


def _mlp_loss():
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 3))
    x = ag.randn(5, 3)
    h = model(x)
    loss = F.cross_entropy(h * h[:, :1] + h, ag.tensor([0, 2, 1, 1, 0]))  # h used three times
    return model, loss


def test_last_frame_equals_backward_on_a_tensor_graph():
    model, loss = _mlp_loss()
    steps = viz_steps.backprop_steps(loss)
    grads = steps.leaf_grads()
    loss.backward()
    named = dict(model.named_parameters())
    assert set(grads) == set(named)  # leaves named as the model names its parameters
    for name, p in named.items():
        assert grads[name].shape == p.shape and grads[name].dtype == p.grad.dtype
        np.testing.assert_allclose(grads[name], p.grad.numpy(), rtol=1e-6, atol=1e-9)


def test_stepping_changes_nothing():
    model, loss = _mlp_loss()
    viz_steps.backprop_steps(loss)
    assert all(p.grad is None for p in model.parameters())
    assert ag.is_grad_enabled()
    loss.backward()  # the graph still holds its saved tensors
    assert all(p.grad is not None for p in model.parameters())


def test_a_freed_graph_or_a_wrong_output_is_refused():
    L, params = used_twice()
    L.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        viz_steps.backprop_steps(L)
    L2, params2 = used_twice()
    L2.backward(retain_graph=True)
    unnamed = viz_steps.backprop_steps(L2)  # leaves named in forward order: x1 = a, x2 = b
    assert unnamed.order() == ["mul2", "add1", "mul1"]
    assert {k: float(v) for k, v in unnamed.leaf_grads().items()} == dict(x1=4, x2=-4, x3=-4)
    with pytest.raises(TypeError, match="one-element"):
        viz_steps.backprop_steps(ag.randn(3, requires_grad=True) * 2)
    with pytest.raises(TypeError, match="grad_fn"):
        viz_steps.backprop_steps(params2["a"])
    with pytest.raises(ValueError, match="max_nodes=2"):
        viz_steps.backprop_steps(used_twice()[0], max_nodes=2)


def test_frames_draw_the_current_node_and_the_flowing_edges():
    L, params = used_twice()
    steps = viz_steps.backprop_steps(L, params=params)
    frame = steps[3]  # visiting e = a × b
    source = frame.to_dot().source
    current = [line for line in source.splitlines() if CURRENT in line]
    assert current and all("fillcolor" in line for line in current)
    assert any(re.search(r"label=<.*>e<", line) for line in current)  # e's value box
    flowing = [line for line in source.splitlines() if "dir=back" in line]
    assert len(flowing) == 2 and all(FLOW in line for line in flowing)
    texts = svg_texts(frame.to_svg())
    assert "grad_a += grad_e × de/da = -2 × -3 = 6" in texts
    assert "+= 6" in texts and "+= -4" in texts
    start = svg_texts(steps[0].to_svg())
    assert start.count("grad ?") == 5  # a, b, e, d, f: only L's gradient is known
    assert "f.grad = -4, a.grad = 4, b.grad = -4" in svg_texts(steps[-1].to_svg())


def test_every_frame_has_the_same_size():
    _, loss = _mlp_loss()
    sizes = {(ET.fromstring(s).get("width"), ET.fromstring(s).get("height"))
             for s in viz_steps.backprop_steps(loss).to_svgs()}
    assert len(sizes) == 1


def test_tensor_frames_show_shapes_and_norms():
    _, loss = _mlp_loss()
    steps = viz_steps.backprop_steps(loss)
    lines = [line for f in steps for line in f.caption]
    assert any(re.fullmatch(r"grad_0\.weight \+= grad_\w+ · d\w+/d0\.weight = "
                            r"\[\(4, 3\) ‖·‖ [\d.e-]+\]", line) for line in lines)
    texts = svg_texts(steps[1].to_svg())
    assert "‖grad‖ ?" in texts and "(4, 3) float32" in texts


def test_to_svgs_writes_one_file_per_frame(tmp_path):
    L, params = used_twice()
    svgs = viz_steps.to_svgs(L, tmp_path / "frames", params=params)
    files = sorted((tmp_path / "frames").iterdir())
    assert [f.name for f in files] == [f"step_{i:02d}.svg" for i in range(5)]
    assert files[2].read_text(encoding="utf-8") == svgs[2]


def test_html_stepper_shows_the_first_frame_with_controls():
    L, params = used_twice()
    page = viz_steps.backprop_steps(L, params=params)._repr_html_()
    frames = re.findall(r'<div data-frame="(\d+)"( style="display:none")?>', page)
    assert [int(i) for i, _ in frames] == list(range(5))
    assert [bool(hidden) for _, hidden in frames] == [False] + [True] * 4
    assert page.count("<svg") == 5 and "<?xml" not in page
    for control in ('data-go="-1"', 'data-go="1"', "data-play", 'type="range"', "<script>"):
        assert control in page
    uid = re.search(r'<div id="([\w-]+)"', page)[1]
    assert f'getElementById("{uid}")' in page


def test_widget_needs_ipywidgets(monkeypatch):
    L, params = used_twice()
    steps = viz_steps.backprop_steps(L, params=params)
    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    with pytest.raises(ImportError, match="pip install ipywidgets"):
        steps.widget()

    class W:
        def __init__(self, *args, **kw):
            self.args, self.value, self.observers = args, kw.get("value"), []

        def observe(self, fn, names):
            self.observers.append(fn)

    fake = types.SimpleNamespace(HTML=W, IntSlider=W, Play=W, HBox=W, VBox=W,
                                 jslink=lambda *a: None)
    monkeypatch.setitem(sys.modules, "ipywidgets", fake)
    box = steps.widget()
    (controls, view) = box.args[0]
    play, slider = controls.args[0]
    assert view.args[0].startswith("<?xml") or "<svg" in view.args[0]
    slider.observers[0]({"new": 3})
    assert view.value == steps.to_svgs()[3]
