"""Checkpoints in PyTorch's recipe layout: `save`/`load` of nested dicts, lists and tuples of
tensors, arrays, numbers, None and strings, without pickle; resuming from one trains on the
identical trajectory."""

import json
import zipfile

import numpy as np
import pytest
import torch

import autograd as ag
import nn
import nn.functional as F
import optim


def _model_and_data():
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))
    x, y = ag.randn(32, 4), ag.randint(0, 3, (32,))
    return model, x, y


def _train(model, opt, sched, x, y, steps):
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        sched.step()
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize("make_opt", [
    lambda p: optim.Adam(p, lr=0.01, betas=(0.8, 0.99), amsgrad=True),
    lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
    lambda p: optim.RMSprop(p, lr=0.01, centered=True),
], ids=["adam", "sgd", "rmsprop"])
def test_resuming_from_a_checkpoint_trains_identically(tmp_path, make_opt):
    model, x, y = _model_and_data()
    opt = make_opt(model.parameters())
    sched = optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
    _train(model, opt, sched, x, y, 5)
    path = tmp_path / "ckpt.pt"
    ag.save({"epoch": 5, "model_state_dict": model.state_dict(),
             "optimizer_state_dict": opt.state_dict(), "scheduler_state_dict": sched.state_dict(),
             "loss": 0.3}, path)
    straight = _train(model, opt, sched, x, y, 5)

    resumed_model, _, _ = _model_and_data()
    resumed_opt = make_opt(resumed_model.parameters())
    ckpt = ag.load(path)
    resumed_model.load_state_dict(ckpt["model_state_dict"])
    resumed_opt.load_state_dict(ckpt["optimizer_state_dict"])
    resumed_sched = optim.lr_scheduler.StepLR(resumed_opt, step_size=3, gamma=0.5)
    resumed_sched.load_state_dict(ckpt["scheduler_state_dict"])
    assert ckpt["epoch"] == 5 and ckpt["loss"] == 0.3
    assert _train(resumed_model, resumed_opt, resumed_sched, x, y, 5) == straight


def test_nested_values_round_trip_with_their_types(tmp_path):
    obj = {"epoch": 3, "lr": 1e-3, "best": float("inf"), "flag": True, "none": None,
           "arch": "lenet", "t": ag.tensor([1.0, 2.0], dtype=ag.float64),
           "w": ag.ones(2, requires_grad=True), "a": np.arange(3, dtype=np.int16),
           "s": np.float32(2.5), "list": [1, [2.5, "x"], (ag.tensor(3), None)],
           "betas": (0.9, 0.999), "ints": {0: {"step": 7}, 1: {}}, "floats": {0.5: "half"},
           "empty": {}, "empty_list": [], "nested": {"a": {"b": {"c": [ag.zeros(0, 2)]}}}}
    ag.save(obj, tmp_path / "c.pt")
    back = ag.load(tmp_path / "c.pt")
    assert list(back) == list(obj)

    def same(a, b):
        assert type(a) is type(b), (a, b)
        if isinstance(a, ag.Tensor):
            assert a.dtype == b.dtype and a.requires_grad == b.requires_grad
            np.testing.assert_array_equal(a.numpy(), b.numpy())
        elif isinstance(a, np.ndarray | np.generic):
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a, b)
        elif isinstance(a, dict):
            assert list(a) == list(b) and all(type(k) is type(j) for k, j in zip(a, b))
            for k in a:
                same(a[k], b[k])
        elif isinstance(a, list | tuple):
            assert len(a) == len(b)
            for u, v in zip(a, b):
                same(u, v)
        else:
            assert a == b

    same(back, obj)


def test_torchs_checkpoint_layout_round_trips_its_values(tmp_path):
    torch.manual_seed(0)
    net = torch.nn.Linear(3, 2)
    topt = torch.optim.Adam(net.parameters(), lr=0.01)
    net(torch.ones(1, 3)).sum().backward()
    topt.step()
    ours = nn.Linear(3, 2)
    ours.load_state_dict({k: v.detach().numpy() for k, v in net.state_dict().items()})
    opt = optim.Adam(ours.parameters(), lr=0.01)
    F.mse_loss(ours(ag.ones(1, 3)), ag.zeros(1, 2)).backward()
    opt.step()
    ag.save({"epoch": 1, "model_state_dict": ours.state_dict(),
             "optimizer_state_dict": opt.state_dict()}, tmp_path / "o.pt")
    ckpt = ag.load(tmp_path / "o.pt")
    tsd = topt.state_dict()
    assert set(ckpt["optimizer_state_dict"]) == set(tsd)
    assert list(ckpt["optimizer_state_dict"]["state"]) == list(tsd["state"]) == [0, 1]
    assert ckpt["optimizer_state_dict"]["param_groups"][0]["params"] == [0, 1]
    assert list(ckpt["model_state_dict"]) == list(net.state_dict())


def test_a_checkpoint_is_an_npz_without_pickle(tmp_path):
    path = tmp_path / "c.pt"
    ag.save({"epoch": 1, "w": ag.ones(2)}, path)
    with np.load(path, allow_pickle=False) as f:
        tree = json.loads(f["__chainrule_tree__"].tobytes())
        assert tree["t"] == "dict" and tree["k"] == ["epoch", "w"]
    flat = tmp_path / "flat.npz"
    ag.save({"w": ag.ones(2)}, flat)  # a state dict keeps the flat format
    with np.load(flat, allow_pickle=False) as f:
        assert f.files == ["w"]


@pytest.mark.parametrize("value,match", [
    ({"x": {1, 2}}, r"^save: 'x' is a set; expected tensors, arrays"),
    ({"x": [object()]}, r"^save: 'x'\[0\] is a object"),
    ({"x": {(1, 2): 3}}, r"^save: key \(1, 2\) in 'x' is a tuple"),
    ({"x": {"y": np.array(["s"])}}, r"^save: 'x'\['y'\] has dtype <U1"),
])
def test_save_refuses_what_it_cannot_write_without_pickle_and_writes_nothing(
        tmp_path, value, match):
    path = tmp_path / "bad.pt"
    with pytest.raises(TypeError, match=match):
        ag.save(value, path)
    assert not path.exists()
    with pytest.raises(TypeError, match="^save: the object is a set"):
        ag.save({1, 2}, path)
    assert not path.exists()


def test_a_single_tensor_or_a_list_round_trips_as_torch_save_does(tmp_path):
    x = ag.arange(6).reshape(2, 3)
    ag.save(x, tmp_path / "x.pt")
    back = ag.load(tmp_path / "x.pt")
    assert isinstance(back, ag.Tensor) and back.tolist() == x.tolist()
    ag.save([x, "label", 3], tmp_path / "l.pt")
    out = ag.load(tmp_path / "l.pt")
    assert out[0].tolist() == x.tolist() and out[1:] == ["label", 3]


def test_load_refuses_a_damaged_structure(tmp_path):
    path = tmp_path / "d.pt"
    with zipfile.ZipFile(path, "w") as archive:
        with archive.open("__chainrule_tree__.npy", "w") as f:
            tree = json.dumps({"t": "tensor", "i": "9"}).encode()
            np.lib.format.write_array(f, np.frombuffer(tree, np.uint8), allow_pickle=False)
    with pytest.raises(ValueError, match="^load: the structure in .* does not match"):
        ag.load(path)


def test_load_takes_torchs_keywords(tmp_path):
    ag.save({"w": ag.ones(2)}, tmp_path / "w.pt")
    assert ag.load(tmp_path / "w.pt", map_location="cpu", weights_only=True)["w"].shape == (2,)
