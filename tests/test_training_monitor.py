"""nn.training_monitor: per-layer statistics over training steps, the first-loss check, the
saturation image."""

from collections import OrderedDict

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F
import optim
from nn.diagnostics import TrainingMonitor, check_first_loss, saturation_image


def _net(act=nn.Tanh, width=20):
    return nn.Sequential(nn.Linear(8, width), act(), nn.Linear(width, width), act(),
                         nn.Linear(width, 4))


def _data(n=32):
    return ag.randn(n, 8), ag.randint(0, 4, (n,))


def _train(model, opt, x, y, steps, monitor=None):
    losses = []
    for _ in range(steps):
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.numpy().copy())
    return np.array(losses)


@pytest.mark.parametrize("make_opt", [lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
                                      lambda p: optim.Adam(p, lr=1e-2)])
def test_recording_does_not_change_training(make_opt):
    x, y = _data()
    plain, watched = _net(), _net()
    watched.load_state_dict(plain.state_dict())
    base = _train(plain, make_opt(plain.parameters()), x, y, 6)
    opt = make_opt(watched.parameters())
    with TrainingMonitor(watched, opt) as monitor:
        seen = _train(watched, opt, x, y, 6)
    np.testing.assert_array_equal(seen, base)  # bit for bit
    for p, q in zip(plain.parameters(), watched.parameters()):
        np.testing.assert_array_equal(p.numpy(), q.numpy())
    assert monitor.steps == list(range(6))


def test_update_ratio_is_the_update_std_over_the_data_std():
    model = _net()
    x, y = _data()
    opt = optim.SGD(model.parameters(), lr=0.05)
    monitor = TrainingMonitor(model, opt)
    for _ in range(3):
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        w = model[2].weight.numpy().astype(np.float64)
        g = model[2].weight.grad.numpy().astype(np.float64)
        opt.step()
    expected = np.std(0.05 * g) / np.std(w)  # plain SGD: the update is lr * grad
    ratios = monitor.update_ratios()
    assert set(ratios) == {n for n, _ in model.named_parameters()}
    np.testing.assert_allclose(ratios["2.weight"][-1], expected, rtol=1e-4)
    assert list(monitor.update_ratios(weights_only=True)) == ["0.weight", "2.weight", "4.weight"]
    assert monitor.series("2", "ratio:2.weight").shape == (3,)


def test_activation_statistics_equal_numpy_on_the_last_training_batch():
    model = _net()
    outs = {}
    for name, m in model.named_modules():
        if name:
            m.register_forward_hook(lambda mod, i, o, name=name: outs.__setitem__(name, o.numpy()))
    monitor = TrainingMonitor(model, saturation=0.9)
    x, _ = _data()
    model(x)
    with monitor.update():
        model(x * 3)  # the last training forward before the update is the one recorded
        train = {k: v.astype(np.float64) for k, v in outs.items()}
        model.eval()
        model(x * 100)  # an eval forward (validation) is not recorded
        model.train()
    row = monitor.summary()
    assert list(row) == ["0", "1", "2", "3", "4"]
    for name, a in train.items():
        np.testing.assert_allclose(row[name]["mean"], a.mean(), rtol=1e-6, atol=1e-12)
        np.testing.assert_allclose(row[name]["std"], a.std(), rtol=1e-6)
    assert row["1"]["saturated"] == np.mean(np.abs(train["1"]) > 0.9) > 0
    assert "saturated" not in row["0"] and "dead" not in row["1"]


def test_sigmoid_saturates_at_both_ends():
    model = nn.Sequential(nn.Linear(8, 30), nn.Sigmoid())
    monitor = TrainingMonitor(model)
    with monitor.update():
        h = model(ag.randn(16, 8) * 5).numpy()
    expected = np.mean((h < 0.03) | (h > 0.97))
    assert monitor.summary()["1"]["saturated"] == expected > 0


class _TwoBranches(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc, self.relu = nn.Linear(8, 10), nn.ReLU()
        self.fc_leaky, self.leaky = nn.Linear(8, 10), nn.LeakyReLU()

    def forward(self, x):
        return self.relu(self.fc(x)) + self.leaky(self.fc_leaky(x))


def test_dead_units_are_zero_on_every_example():
    model = _TwoBranches()
    for lin in (model.fc, model.fc_leaky):
        lin.bias.numpy()[:3] = -100.0  # units 0-2 are negative on every example
    monitor = TrainingMonitor(model, modules=(nn.ReLU, nn.LeakyReLU))
    with monitor.update():
        model(ag.randn(32, 8))
    row = monitor.summary()
    assert row["relu"]["dead"] == 0.3  # exactly the three units
    assert row["leaky"]["dead"] == 0.0  # LeakyReLU's units are never exactly zero


def test_dead_channels_of_a_conv_layer():
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU())
    model[0].bias.numpy()[1] = -100.0
    monitor = TrainingMonitor(model)
    with monitor.update():
        model(ag.randn(5, 1, 6, 6))
    assert monitor.summary()["1"]["dead"] == 0.25  # a unit is a channel (dim 1)


def test_every_and_manual_updates_and_names():
    model = nn.Sequential(OrderedDict(fc1=nn.Linear(8, 6), act1=nn.Tanh(), out=nn.Linear(6, 4)))
    monitor = TrainingMonitor(model, every=2)
    x, y = _data()
    for _ in range(5):
        loss = F.cross_entropy(model(x), y)
        model.zero_grad()
        loss.backward()
        with monitor.update():  # a hand-written SGD step
            for p in model.parameters():
                p.data -= 0.1 * p.grad.numpy()
    assert monitor.steps == [0, 2, 4] and list(monitor.modules) == ["fc1", "act1", "out"]
    assert np.isfinite(monitor.series("act1", "saturated")).all()
    assert np.isnan(monitor.series("fc1", "dead")).all()
    with pytest.raises(KeyError, match="no layer '1'"):
        monitor.series("1", "mean")
    with pytest.raises(ValueError, match="every must be >= 1"):
        TrainingMonitor(model, every=0)


def test_remove_unhooks_and_unwraps_the_optimiser():
    model = _net()
    opt = optim.SGD(model.parameters(), lr=0.1)
    monitor = TrainingMonitor(model, opt)
    assert "step" in vars(opt)
    monitor.remove()
    assert "step" not in vars(opt) and all(not m._forward_hooks for m in model.modules())
    x, y = _data()
    _train(model, opt, x, y, 2)
    assert monitor.records == []


def test_check_first_loss():
    model = _net()
    x, y = _data(256)
    model[4].weight.data *= 0.01  # a small last layer: logits near 0, loss near log 4
    result = check_first_loss(F.cross_entropy(model(x), y), num_classes=4)
    assert result.ok and abs(result.expected - np.log(4)) < 1e-12
    assert "vs log(4) = 1.386" in str(result)
    model[4].weight.data *= 1e4
    big = F.cross_entropy(model(x), y)
    with pytest.raises(ValueError, match=r"log\(4\) = 1.386.*scale the last layer"):
        check_first_loss(big, 4)
    assert not check_first_loss(big, 4, strict=False).ok
    assert check_first_loss(np.log(10) * 1.05, 10).ok
    with pytest.raises(ValueError, match="num_classes must be >= 2"):
        check_first_loss(1.0, 1)


def test_plots_name_layers_and_draw_the_guide_line():
    model = _net(nn.ReLU)
    opt = optim.SGD(model.parameters(), lr=0.1)
    monitor = TrainingMonitor(model, opt)
    x, y = _data()
    _train(model, opt, x, y, 4)
    fig = monitor.plot()
    assert fig.dpi >= 110
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert titles[0].startswith("update / data") and any("dead" in t for t in titles)
    ratio = fig.axes[0]
    assert ratio.get_yscale() == "log"
    labels = [line.get_label() for line in ratio.get_lines()]
    assert labels == ["0.weight", "2.weight", "4.weight", "1e-3 guide"]
    assert ratio.get_lines()[-1].get_ydata()[0] == 1e-3
    dead_ax = fig.axes[titles.index(next(t for t in titles if "dead" in t))]
    assert [line.get_label() for line in dead_ax.get_lines()] == ["1: ReLU", "3: ReLU"]
    mean_ax = fig.axes[titles.index("activation mean")]
    colours = {line.get_label(): line.get_color() for line in mean_ax.get_lines()}
    assert all(colours[line.get_label()] == line.get_color() for line in dead_ax.get_lines())
    only = monitor.plot(["std", "ratio"], layers=(nn.ReLU, nn.Linear), weights_only=False)
    assert [ax.get_title() for ax in only.axes][:2] == ["activation std",
                                                        "update / data: std(Δw) / std(w)"]
    assert len(only.axes[1].get_lines()) == 6 + 1  # 3 weights, 3 biases, the guide
    relu_only = monitor.plot(["mean"], layers=["1"])
    assert [line.get_label() for line in relu_only.axes[0].get_lines()] == ["1: ReLU"]
    with pytest.raises(ValueError, match="unknown panels"):
        monitor.plot(["loss"])


def test_saturation_image_is_units_by_examples():
    h = np.tanh(np.random.default_rng(0).normal(0, 3, (16, 10)))
    h[:, 4] = 0.999  # unit 4 saturated on every example
    fig = saturation_image(h, threshold=0.99)
    (image,) = fig.axes[0].get_images()
    np.testing.assert_array_equal(image.get_array(), (np.abs(h) > 0.99).T)
    assert fig.axes[0].get_xlabel() == "example in the batch"
    assert "units saturated on every example" in fig.axes[0].get_title()
    with pytest.raises(ValueError, match=r"\(batch, units"):
        saturation_image(np.zeros(3))
    model = _net()
    monitor = TrainingMonitor(model)
    with pytest.raises(ValueError, match="no tanh or sigmoid layer"):
        monitor.saturation_image()
    with monitor.update():
        model(_data()[0])
    assert "3: Tanh" in monitor.saturation_image("3").axes[0].get_title()
    assert monitor.saturation_image().axes[0].get_images()[0].get_array().shape == (20, 32)


def test_every_drawn_layer_has_its_own_colour_in_every_panel():
    # 13 modules: colours by place in the model would give layers 0 and 10 the same one
    layers = []
    for _ in range(6):
        layers += [nn.Linear(8, 8), nn.Tanh()]
    model = nn.Sequential(*layers, nn.Linear(8, 4))
    opt = optim.SGD(model.parameters(), lr=0.1)
    monitor = TrainingMonitor(model, opt)
    _train(model, opt, ag.randn(16, 8), ag.randint(0, 4, (16,)), 2)
    ratio = monitor.plot(["ratio"]).axes[0]
    colours = [line.get_color() for line in ratio.get_lines()[:-1]]  # the guide is last
    assert len(colours) == 7 and len(set(colours)) == 7
    assert colours == [f"C{i}" for i in range(7)]  # the 7 Linear layers drawn: C0-C6
    fig = monitor.plot(["mean", "saturated"])  # 13 layers with a mean: viridis
    mean_lines, sat_lines = (ax.get_lines() for ax in fig.axes[:2])
    mean_colours = {line.get_label(): tuple(line.get_color()) for line in mean_lines}
    assert len(set(mean_colours.values())) == 13
    assert all(mean_colours[line.get_label()] == tuple(line.get_color()) for line in sat_lines)
    tanh_only = monitor.plot(["std"], layers=nn.Tanh).axes[0]
    assert [line.get_color() for line in tanh_only.get_lines()] == [f"C{i}" for i in range(6)]


def test_saturation_image_draws_no_grid_over_the_pixels():
    import matplotlib as mpl

    with mpl.rc_context({"axes.grid": True}):
        fig = saturation_image(np.tanh(np.random.default_rng(1).normal(0, 3, (8, 5))))
    ax = fig.axes[0]
    assert not any(line.get_visible() for line in ax.get_xgridlines() + ax.get_ygridlines())
