"""Layers at their edges (issue 14): constructor arguments refused with the layer's name,
kernels larger than the input reported in the user's (N, C, H, W) terms, empty batches
that work as in torch, DataLoader's batch_size checked at construction."""

import numpy as np
import pytest
import torch

import autograd as ag
import nn
import nn.functional as F


# ---- 10. constructor arguments ---------------------------------------------------------------
@pytest.mark.parametrize("kwargs,match", [
    (dict(groups=0), "Conv2d: groups must be a positive integer, got 0"),
    (dict(groups=-1), "Conv2d: groups must be a positive integer, got -1"),
    (dict(kernel_size=0), "Conv2d: kernel_size must be positive, got 0"),
    (dict(kernel_size=(0, 3)), r"Conv2d: kernel_size must be positive, got \(0, 3\)"),
    (dict(stride=0), "Conv2d: stride must be positive, got 0"),
    (dict(padding=-1), "Conv2d: padding must be >= 0, got -1"),
    (dict(dilation=0), "Conv2d: dilation must be positive, got 0"),
    (dict(kernel_size=2.5), "Conv2d: kernel_size must be an int or a pair of ints, got 2.5"),
    (dict(in_channels=3, groups=2), "in_channels=3 and out_channels=4 must both be divisible"),
    (dict(out_channels=3, groups=2), "in_channels=4 and out_channels=3 must both be divisible"),
    (dict(in_channels=-1), "Conv2d: in_channels must be an int >= 0, got -1"),
])
def test_conv2d_refuses_bad_arguments_naming_itself(kwargs, match):
    args = dict(in_channels=4, out_channels=4, kernel_size=3)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        nn.Conv2d(**args)


def test_torch_refuses_the_same_conv2d_groups():
    for groups in (0, -1):
        with pytest.raises(ValueError, match="groups must be a positive integer"):
            torch.nn.Conv2d(4, 4, 3, groups=groups)


@pytest.mark.parametrize("call,match", [
    (lambda x, w: F.conv2d(x, w, stride=0), "conv2d: stride must be positive"),
    (lambda x, w: F.conv2d(x, w, padding=-1), "conv2d: padding must be >= 0"),
    (lambda x, w: F.conv2d(x, w, groups=0), "conv2d: groups must be a positive integer"),
])
def test_functional_conv2d_refuses_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call(ag.zeros((1, 4, 5, 5)), ag.zeros((4, 4, 3, 3)))


@pytest.mark.parametrize("make,match", [
    (lambda: nn.MaxPool2d(0), "MaxPool2d: kernel_size must be positive, got 0"),
    (lambda: nn.MaxPool2d(2, stride=0), "MaxPool2d: stride must be positive, got 0"),
    (lambda: nn.AvgPool2d(2, padding=-1), "AvgPool2d: padding must be >= 0, got -1"),
    (lambda: nn.AvgPool2d(2, padding=2), "AvgPool2d: padding .* at most half the kernel size"),
    (lambda: nn.Linear(-1, 3), "Linear: in_features must be an int >= 0, got -1"),
    (lambda: nn.Linear(3, 2.5), "Linear: out_features must be an int >= 0, got 2.5"),
])
def test_pools_and_linear_refuse_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.filterwarnings("ignore:Initializing zero-element tensors:UserWarning")
def test_linear_with_no_inputs_works_as_torch():
    """torch's Linear(0, n) skips the init's division by fan_in = 0: the bias is 0 and the
    output is the bias, with a gradient for it."""
    layer = nn.Linear(0, 3)
    tlayer = torch.nn.Linear(0, 3)
    assert layer.weight.shape == tuple(tlayer.weight.shape) == (3, 0)
    np.testing.assert_array_equal(layer.bias.numpy(), tlayer.bias.detach().numpy())
    out = layer(ag.zeros((2, 0)))
    out.sum().backward()
    tout = tlayer(torch.zeros(2, 0))
    tout.sum().backward()
    np.testing.assert_array_equal(out.numpy(), tout.detach().numpy())
    np.testing.assert_array_equal(layer.bias.grad.numpy(), tlayer.bias.grad.numpy())
    assert nn.Conv2d(0, 4, 3).weight.shape == (4, 0, 3, 3)
    t = ag.zeros((3, 0))
    for init in (nn.init.kaiming_uniform_, nn.init.kaiming_normal_, nn.init.xavier_uniform_,
                 nn.init.xavier_normal_):
        assert init(t) is t


# ---- 12. a kernel larger than its (padded) input ---------------------------------------------
@pytest.mark.parametrize("make,shape,match", [
    (lambda: nn.Conv2d(2, 4, 5), (1, 2, 3, 4),
     r"conv2d: the padded input is 3 x 4 per channel \(input shape \(1, 2, 3, 4\), padding "
     r"\(0, 0\)\), smaller than the kernel's 5 x 5 \(kernel_size \(5, 5\)"),
    (lambda: nn.Conv2d(2, 4, 3, dilation=2), (1, 2, 4, 4),
     r"padded input is 4 x 4 .* kernel's 5 x 5 \(kernel_size \(3, 3\), dilation \(2, 2\)\)"),
    (lambda: nn.Conv2d(2, 4, 6, padding=1), (1, 2, 3, 9),
     r"padded input is 5 x 11 per channel \(input shape \(1, 2, 3, 9\), padding \(1, 1\)\)"),
    (lambda: nn.MaxPool2d(5), (1, 2, 3, 4),
     r"max_pool2d: the padded input is 3 x 4 per channel \(input shape \(1, 2, 3, 4\)"),
    (lambda: nn.AvgPool2d(5), (2, 3, 4),
     r"avg_pool2d: the padded input is 3 x 4 per channel \(input shape \(2, 3, 4\)"),
])
def test_kernel_larger_than_input_names_the_users_shape(make, shape, match):
    with pytest.raises(ValueError, match=match):
        make()(ag.zeros(shape))


def test_kernel_that_fits_only_with_padding_matches_torch():
    torch.manual_seed(0)
    tconv = torch.nn.Conv2d(2, 4, 5, padding=1).double()
    conv = nn.Conv2d(2, 4, 5, padding=1, dtype=np.float64)
    conv.load_state_dict({k: v.detach().numpy() for k, v in tconv.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((1, 2, 3, 4))
    np.testing.assert_allclose(conv(ag.tensor(x)).numpy(), tconv(torch.tensor(x)).detach().numpy(),
                               rtol=1e-12, atol=1e-12)


# ---- 13. empty batches -----------------------------------------------------------------------
EMPTY = [
    ("MaxPool2d", lambda: nn.MaxPool2d(2), lambda: torch.nn.MaxPool2d(2), (0, 2, 4, 4)),
    ("MaxPool2d-pad", lambda: nn.MaxPool2d(3, 2, 1), lambda: torch.nn.MaxPool2d(3, 2, 1),
     (0, 2, 5, 5)),
    ("MaxPool2d-1ch", lambda: nn.MaxPool2d(2), lambda: torch.nn.MaxPool2d(2), (0, 1, 4, 4)),
    ("AvgPool2d", lambda: nn.AvgPool2d(2), lambda: torch.nn.AvgPool2d(2), (0, 2, 4, 4)),
    ("AvgPool2d-nopad", lambda: nn.AvgPool2d(3, 1, 1, count_include_pad=False),
     lambda: torch.nn.AvgPool2d(3, 1, 1, count_include_pad=False), (0, 2, 4, 4)),
    ("Flatten", lambda: nn.Flatten(), lambda: torch.nn.Flatten(), (0, 2, 4, 4)),
    ("Flatten-mid", lambda: nn.Flatten(1, 2), lambda: torch.nn.Flatten(1, 2), (0, 2, 4, 4)),
]


@pytest.mark.parametrize("name,make,tmake,shape", EMPTY, ids=[e[0] for e in EMPTY])
def test_parameterless_layers_on_an_empty_batch_match_torch(name, make, tmake, shape):
    x = ag.zeros(shape, requires_grad=True)
    tx = torch.zeros(shape, requires_grad=True)
    out, tout = make()(x), tmake()(tx)
    assert out.shape == tuple(tout.shape)
    out.sum().backward()
    tout.sum().backward()
    assert x.grad.shape == tuple(tx.grad.shape)


def test_a_cnn_on_an_empty_batch_gives_empty_outputs_and_zero_gradients_as_torch():
    def build(lib):
        return lib.Sequential(lib.Conv2d(2, 3, 3), lib.BatchNorm2d(3), lib.ReLU(),
                              lib.MaxPool2d(2), lib.Flatten(), lib.Linear(3, 2))

    model, tmodel = build(nn), build(torch.nn)
    model.eval()
    tmodel.eval()
    x = ag.zeros((0, 2, 4, 4), requires_grad=True)
    tx = torch.zeros(0, 2, 4, 4, requires_grad=True)
    out, tout = model(x), tmodel(tx)
    assert out.shape == tuple(tout.shape) == (0, 2)
    out.sum().backward()
    tout.sum().backward()
    assert x.grad.shape == (0, 2, 4, 4)
    for (name, p), tp in zip(model.named_parameters(), tmodel.parameters()):
        assert p.grad is not None, name
        assert p.grad.shape == tuple(tp.grad.shape), name
        np.testing.assert_array_equal(p.grad.numpy(), tp.grad.numpy(), err_msg=name)


def test_linear_and_conv_on_an_empty_batch():
    assert nn.Linear(2, 3)(ag.zeros((0, 2))).shape == (0, 3)
    assert nn.Conv2d(1, 3, 3)(ag.zeros((0, 1, 4, 4))).shape == (0, 3, 2, 2)


# ---- 11. DataLoader's batch_size -------------------------------------------------------------
@pytest.mark.parametrize("bad", [2.5, 0, -1, True, "2", None])
def test_dataloader_checks_batch_size_at_construction(bad):
    data = nn.data.TensorDataset(np.zeros(5))
    with pytest.raises(ValueError, match=f"DataLoader: batch_size must be a positive integer, "
                                         f"got {bad!r}"):
        nn.data.DataLoader(data, batch_size=bad)
    if bad is not None:  # torch: None switches batching off, which we do not offer
        with pytest.raises(ValueError, match="batch_size should be a positive integer"):
            torch.utils.data.DataLoader(list(range(5)), batch_size=bad)


def test_dataloader_accepts_numpy_ints():
    loader = nn.data.DataLoader(nn.data.TensorDataset(np.arange(5.0)), batch_size=np.int64(2))
    assert [b[0].shape for b in loader] == [(2,), (2,), (1,)]


@pytest.mark.parametrize("lib_shape", [(0, 2, 3, 3), (0, 2)])
def test_batch_norm_training_on_an_empty_batch_matches_torch(lib_shape):
    make = (nn.BatchNorm2d, torch.nn.BatchNorm2d) if len(lib_shape) == 4 else (
        nn.BatchNorm1d, torch.nn.BatchNorm1d)
    bn, tbn = make[0](2), make[1](2)
    x = ag.zeros(lib_shape, requires_grad=True)
    tx = torch.zeros(lib_shape, requires_grad=True)
    out, tout = bn(x), tbn(tx)
    assert out.shape == tuple(tout.shape)
    out.sum().backward()
    tout.sum().backward()
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        np.testing.assert_array_equal(getattr(bn, name).numpy(), getattr(tbn, name).numpy())
    np.testing.assert_array_equal(bn.weight.grad.numpy(), tbn.weight.grad.numpy())
    np.testing.assert_array_equal(bn.bias.grad.numpy(), tbn.bias.grad.numpy())
    with pytest.raises(ValueError, match="training needs more than one value per channel"):
        bn(ag.zeros((1, 2) + lib_shape[2:]) if len(lib_shape) == 2 else ag.zeros((1, 2, 1, 1)))
