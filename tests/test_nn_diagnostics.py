"""nn.diagnostics.LayerStats: per-layer statistics of activations and gradients."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

import autograd as ag
import nn
from nn.diagnostics import LayerStats


def _mlp():
    return nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 6), nn.Tanh(),
                         nn.Linear(6, 3), nn.Sigmoid())


def _outputs(model):
    """A forward hook on every leaf module that keeps its output (retain_grad'ed)."""
    seen = {}

    def keep(name):
        def hook(module, inputs, out):
            out.retain_grad()
            seen[name] = out
        return hook

    handles = [m.register_forward_hook(keep(n)) for n, m in model.named_modules() if n]
    return seen, handles


def test_watches_every_leaf_module_by_name():
    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU(), nn.Linear(2, 1)))
    assert list(LayerStats(model).modules) == ["0", "1.0", "1.1"]
    assert list(LayerStats(model, modules=(nn.Linear,)).modules) == ["0", "1.1"]
    assert list(LayerStats(model, modules=[model[1][0]]).modules) == ["1.0"]
    with pytest.raises(ValueError, match="not part of the model"):
        LayerStats(model, modules=[nn.ReLU()])


def test_statistics_equal_numpy_on_the_recorded_arrays():
    model = _mlp()
    seen, _ = _outputs(model)
    with LayerStats(model, bins=10) as stats:
        out = model(ag.randn(64, 5))
        (out * ag.randn(64, 3)).sum().backward()
    summary = stats.summary()
    for name, t in seen.items():
        a, g = t.numpy().astype(np.float64), t.grad.numpy().astype(np.float64)
        s = summary[name]
        np.testing.assert_allclose(s["act_mean"], a.mean(), rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(s["act_std"], a.std(), rtol=1e-6)
        assert s["act_zeros"] == np.mean(a == 0)
        np.testing.assert_allclose(s["grad_mean"], g.mean(), rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(s["grad_std"], g.std(), rtol=1e-6)
        np.testing.assert_allclose(s["grad_norm"], np.linalg.norm(g), rtol=1e-6)
        counts, edges = stats.histogram(name)
        ref_counts, ref_edges = np.histogram(a, 10)
        np.testing.assert_array_equal(counts, ref_counts)
        np.testing.assert_allclose(edges, ref_edges)
        assert stats.histogram(name, "grad")[0].sum() == g.size
    assert summary["0"]["act_saturated"] is None


def test_relu_zeros_and_tanh_and_sigmoid_saturation():
    model = nn.Sequential(nn.Linear(4, 50), nn.ReLU(), nn.Linear(50, 50), nn.Tanh(),
                          nn.Linear(50, 50), nn.Sigmoid())
    stats = LayerStats(model)
    x = ag.randn(32, 4)
    relu = model[1](model[0](x)).numpy()
    model[2].weight.data *= 100  # large pre-activations: tanh and sigmoid saturate
    model(x)
    s = stats.summary()
    assert s["1"]["act_zeros"] == np.mean(relu == 0) and 0.2 < s["1"]["act_zeros"] < 0.8
    tanh = np.tanh(model[2](ag.tensor(relu)).numpy())
    assert s["3"]["act_saturated"] == np.mean(np.abs(tanh) > 0.97) > 0.9
    assert s["5"]["act_saturated"] is not None and s["1"]["act_saturated"] is None
    model[2].weight.data /= 1e4  # now small: tanh stays linear
    model(x)
    assert stats.summary()["3"]["act_saturated"] == 0.0


def test_gradient_norm_equals_the_output_gradient_norm():
    model = _mlp()
    seen, _ = _outputs(model)
    stats = LayerStats(model)
    loss = (model(ag.randn(16, 5)) ** 2).mean()
    loss.backward()
    for name, t in seen.items():
        expect = np.linalg.norm(t.grad.numpy().astype(np.float64))
        np.testing.assert_allclose(stats.summary()[name]["grad_norm"], expect, rtol=1e-6)
    assert stats.summary()["0"]["grad_norm"] > 0


def test_hooks_read_only():
    model = _mlp()
    x = ag.randn(8, 5)
    plain = model(x)
    plain.sum().backward()
    grads = [p.grad.numpy().copy() for p in model.parameters()]
    model.zero_grad()
    with LayerStats(model):
        watched = model(x)
        watched.sum().backward()
    np.testing.assert_array_equal(watched.numpy(), plain.numpy())
    for p, g in zip(model.parameters(), grads):
        np.testing.assert_array_equal(p.grad.numpy(), g)


def test_without_accumulate_each_step_replaces_the_last():
    model = _mlp()
    stats = LayerStats(model)
    model(ag.randn(10, 5) * 100).sum().backward()
    x = ag.randn(10, 5)
    out = model(x)
    out.sum().backward()
    a = model[0](x).numpy().astype(np.float64)
    np.testing.assert_allclose(stats.summary()["0"]["act_std"], a.std(), rtol=1e-6)
    assert stats.histogram("0")[0].sum() == a.size


def test_accumulate_pools_two_steps():
    model = _mlp()
    seen, _ = _outputs(model)
    stats = LayerStats(model, accumulate=True)
    acts, grads = [], []
    for scale in (1.0, 10.0):
        model.zero_grad()
        (model(ag.randn(20, 5) * scale) ** 2).sum().backward()
        acts.append(seen["2"].numpy().astype(np.float64).ravel())
        grads.append(seen["2"].grad.numpy().astype(np.float64).ravel())
    a, g = np.concatenate(acts), np.concatenate(grads)
    s = stats.summary()["2"]
    np.testing.assert_allclose([s["act_mean"], s["act_std"]], [a.mean(), a.std()], rtol=1e-6)
    np.testing.assert_allclose(s["grad_std"], g.std(), rtol=1e-6)
    per_step = [np.linalg.norm(v) for v in grads]
    np.testing.assert_allclose(s["grad_norm"], np.sqrt(np.mean(np.square(per_step))), rtol=1e-6)
    counts, edges = stats.histogram("2")
    assert counts.sum() == a.size
    assert edges[0] <= a.min() and edges[-1] >= a.max()
    stats.reset()
    assert stats.summary()["2"]["act_mean"] is None


def test_hooks_are_removed():
    model = _mlp()
    with LayerStats(model) as stats:
        out = model(ag.randn(4, 5))
    assert all(not m._forward_hooks for m in model.modules())
    before = stats.summary()
    out.sum().backward()  # the tensor hook left on the graph is inert after removal
    model(ag.randn(4, 5) * 7)
    assert stats.summary() == before and before["0"]["grad_norm"] is None


def test_leaf_output_does_not_pile_up_hooks():
    model = nn.Sequential(nn.Identity())
    x = ag.randn(3, requires_grad=True)
    stats = LayerStats(model)
    for _ in range(3):
        model(x).sum().backward()
    assert len(x._hooks) == 1
    np.testing.assert_allclose(stats.summary()["0"]["grad_norm"], np.sqrt(3), rtol=1e-6)
    stats.remove()
    assert not x._hooks


def test_table_lists_every_layer():
    model = _mlp()
    stats = LayerStats(model)
    model(ag.randn(4, 5)).sum().backward()
    text = stats.table()
    lines = text.splitlines()
    assert len(lines) == 2 + len(stats.modules)
    for name, m in stats.modules.items():
        assert any(line.split()[:2] == [name, type(m).__name__] for line in lines)
    assert len({len(line) for line in lines}) == 1  # aligned


def test_plot_has_two_labelled_axes_per_layer():
    from matplotlib.figure import Figure

    model = _mlp()
    stats = LayerStats(model)
    model(ag.randn(4, 5))  # forward only: gradient panels say so
    fig = stats.plot()
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 2 * len(stats.modules)
    assert all(ax.get_xlabel() and ax.get_title() for ax in fig.axes)
    assert "no gradient" in fig.axes[1].get_title()


def test_plot_titles_name_layers_and_leave_relu_zeros_out():
    from collections import OrderedDict

    model = nn.Sequential(OrderedDict(fc=nn.Linear(5, 40), act=nn.ReLU(), out=nn.Linear(40, 3)))
    stats = LayerStats(model)
    x = ag.randn(64, 5)
    model(x).sum().backward()
    relu = model.act(model.fc(x)).numpy()
    zeros = np.mean(relu == 0)
    assert 0.2 < zeros < 0.8
    fig = stats.plot()
    assert fig.dpi >= 110
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0].startswith("fc: Linear: activations") and "not drawn" not in titles[0]
    assert titles[2].startswith("act: ReLU: activations")
    assert f"exact zeros ({zeros:.0%}) not drawn" in titles[2]
    counts, edges = stats.histogram("act", zeros=False)
    assert counts.sum() == np.count_nonzero(relu)
    full, same_edges = stats.histogram("act")
    assert full.sum() == relu.size and np.array_equal(edges, same_edges)
    ref = np.histogram(relu, len(counts))[0]
    np.testing.assert_array_equal(full, ref)
    drawn = fig.axes[2].patches[0].get_path().vertices[:, 1].max()
    assert drawn == counts.max() < full.max()  # the tallest bar is no longer the zero bin
