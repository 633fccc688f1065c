"""sliding_window_view: numpy and PyTorch parity, conv2d by im2col, gradcheck, errors."""

import itertools
import zlib

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import autograd as ag

from helpers import TOL, check_gradcheck, check_parity, numpy_with


def _data(tag, shape):
    return np.random.default_rng(zlib.crc32(repr(tag).encode())).standard_normal(shape)


def _per_dim(value, n):
    return (value,) * n if isinstance(value, int) else tuple(value)


def _numpy_windows(x, window, dim, stride, dilation):
    """numpy's sliding_window_view keeping every stride-th window; a dilated window is a
    wider one keeping every dilation-th element."""
    window = _per_dim(window, 1) if isinstance(window, int) else window
    dims = tuple(range(x.ndim)) if dim is None else tuple(d % x.ndim for d in _per_dim(dim, 1))
    stride, dilation = _per_dim(stride, len(dims)), _per_dim(dilation, len(dims))
    extent = tuple(dil * (k - 1) + 1 for k, dil in zip(window, dilation))
    view = np.lib.stride_tricks.sliding_window_view(x, extent, axis=dims)
    pick = [slice(None)] * x.ndim + [slice(None, None, dil) for dil in dilation]
    for d, s in zip(dims, stride):
        pick[d] = slice(None, None, s)
    return view[tuple(pick)]


# (name, input shape, window_shape, dim, stride, dilation)
ROWS = [
    ("1d", (7,), 3, None, 1, 1),
    ("1d_stride", (9,), 2, 0, 3, 1),
    ("1d_whole", (4,), 4, None, 1, 1),
    ("1d_size1", (5,), 1, 0, 2, 1),
    ("stride_gt_window", (11,), 2, 0, 4, 1),
    ("stride_not_dividing", (8,), 3, 0, 2, 1),
    ("2d_all_dims", (5, 6), (2, 3), None, 1, 1),
    ("2d_stride", (7, 8), (3, 2), None, (2, 3), 1),
    ("last_dim", (2, 3, 7), 3, -1, 2, 1),
    ("middle_dim", (2, 6, 3), 4, 1, 1, 1),
    ("dims_unordered", (2, 6, 7), (2, 3), (2, 1), (1, 2), 1),
    ("nchw", (2, 2, 5, 6), (3, 3), (2, 3), 1, 1),
    ("nchw_stride", (1, 2, 7, 8), (3, 2), (-2, -1), 2, 1),
    ("dilation", (9,), 3, 0, 1, 2),
    ("dilation_stride_2d", (2, 9, 10), (2, 3), (1, 2), (2, 1), (3, 2)),
    ("dilation_exact_fit", (7, 3), 4, 0, 1, 2),
]


def _rows(rows):
    return [pytest.param(*row[1:], id=row[0]) for row in rows]


def _window(window, dim, stride, dilation):
    return lambda t: ag.sliding_window_view(t, window, dim=dim, stride=stride, dilation=dilation)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape,window,dim,stride,dilation", _rows(ROWS))
def test_matches_numpy(shape, window, dim, stride, dilation, dtype):
    data = _data(shape, shape).astype(dtype)
    x = ag.tensor(data, requires_grad=True)
    out = _window(window, dim, stride, dilation)(x)
    expected = _numpy_windows(data, window, dim, stride, dilation)
    assert out.shape == expected.shape and out.dtype == expected.dtype
    np.testing.assert_array_equal(out.numpy(), expected)
    # The gradient: every window element adds its upstream gradient into the element it read.
    seed = np.random.default_rng(1).standard_normal(out.shape)
    out.backward(ag.tensor(seed.astype(dtype)))
    read = _numpy_windows(np.arange(data.size).reshape(shape), window, dim, stride, dilation)
    by_hand = np.bincount(read.ravel(), weights=seed.ravel(), minlength=data.size)
    assert x.grad.shape == x.shape and x.grad.dtype == x.dtype
    np.testing.assert_allclose(x.grad.numpy(), by_hand.reshape(shape), **TOL[dtype])


@pytest.mark.parametrize("shape,window,dim,stride,dilation", _rows(ROWS))
def test_gradcheck(shape, window, dim, stride, dilation):
    win = _window(window, dim, stride, dilation)
    check_gradcheck(lambda t: (win(t), (win(t) * win(t)).sum()), [_data(shape, shape)])


@pytest.mark.parametrize("shape,window,dim,stride,dilation", _rows(ROWS[::3]))
def test_second_order_gradcheck(shape, window, dim, stride, dilation):
    win = _window(window, dim, stride, dilation)

    def first_grad(t):
        with ag.enable_grad():  # gradcheck's finite differences run under no_grad
            return ag.grad((win(t) ** 3).sum(), t, create_graph=True)[0]

    check_gradcheck(first_grad, [_data(shape, shape)])


# Tensor.unfold(dim, size, step): one windowed dim, the window appended last as ours.
UNFOLD = [
    ((7,), 0, 3, 1),
    ((9,), 0, 2, 3),
    ((2, 3, 8), -1, 3, 2),
    ((2, 6, 3), 1, 4, 1),
    ((4, 5), 0, 4, 1),
    ((3, 10), 1, 3, 4),
    ((3, 4), 1, 1, 1),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape,dim,size,step", UNFOLD)
def test_single_dim_matches_torch_unfold(shape, dim, size, step, dtype):
    check_parity(
        lambda t: ag.sliding_window_view(t, size, dim=dim, stride=step),
        lambda t: t.unfold(dim, size, step),
        [_data(shape, shape)],
        dtype,
    )


# F.unfold on (N, C, H, W): (N, C*kh*kw, L) with channel, then kernel position, major.
IM2COL = [
    ((2, 3, 5, 6), (3, 3), 1, 1),
    ((1, 2, 7, 8), (2, 3), (2, 1), 1),
    ((2, 2, 9, 7), (3, 2), 2, (2, 3)),
    ((1, 3, 5, 5), (1, 1), 2, 1),
    ((2, 1, 6, 9), (2, 5), (1, 2), (2, 1)),
]


def _im2col(t, kernel, stride, dilation):
    cols = ag.sliding_window_view(t, kernel, dim=(2, 3), stride=stride, dilation=dilation)
    n, c, oh, ow, kh, kw = cols.shape
    return cols.permute(0, 1, 4, 5, 2, 3).reshape(n, c * kh * kw, oh * ow)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape,kernel,stride,dilation", IM2COL)
def test_2d_matches_torch_nn_unfold(shape, kernel, stride, dilation, dtype):
    check_parity(
        lambda t: _im2col(t, kernel, stride, dilation),
        lambda t: F.unfold(t, kernel, dilation=dilation, stride=stride),
        [_data(shape, shape)],
        dtype,
    )


@pytest.mark.parametrize("shape,kernel,stride,dilation", IM2COL[:3])
def test_second_order_matches_torch(shape, kernel, stride, dilation):
    data = _data(shape, shape)
    x, tx = ag.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    (g,) = ag.grad((_im2col(x, kernel, stride, dilation) ** 3).sum(), x, create_graph=True)
    tcols = F.unfold(tx, kernel, dilation=dilation, stride=stride)
    (tg,) = torch.autograd.grad((tcols**3).sum(), tx, create_graph=True)
    assert g.grad_fn is not None
    np.testing.assert_allclose(g.numpy(), tg.detach().numpy(), **TOL[np.float64])
    (h,) = ag.grad((g * g).sum(), x)
    (th,) = torch.autograd.grad((tg * tg).sum(), tx)
    np.testing.assert_allclose(h.numpy(), th.numpy(), **TOL[np.float64])


def conv2d(x, w, b, stride, padding, dilation):
    """conv2d as im2col: windows over H and W, then one matmul with the flattened kernels."""
    n, c = x.shape[:2]
    o, _, kh, kw = w.shape
    x = ag.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    cols = ag.sliding_window_view(x, (kh, kw), dim=(2, 3), stride=stride, dilation=dilation)
    oh, ow = cols.shape[2:4]
    cols = cols.permute(0, 2, 3, 1, 4, 5).reshape(n, oh, ow, c * kh * kw)
    return (cols @ w.reshape(o, -1).T + b).permute(0, 3, 1, 2)


CONV_GRID = list(itertools.product([1, 2, 3], [0, 1, 2], [1, 2], [(1, 1), (3, 3), (2, 5)]))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("stride,padding,dilation,kernel", CONV_GRID)
def test_conv2d_by_im2col_matches_torch(stride, padding, dilation, kernel, dtype):
    x = _data("x", (2, 3, 7, 11))
    w = _data(kernel, (4, 3) + kernel)
    b = _data("b", (4,))
    check_parity(
        lambda x, w, b: conv2d(x, w, b, stride, padding, dilation),
        lambda x, w, b: F.conv2d(x, w, b, stride, padding, dilation),
        [x, w, b],
        dtype,
    )


@pytest.mark.parametrize("stride,padding,dilation,kernel", CONV_GRID[1::7])
def test_conv2d_by_im2col_gradcheck(stride, padding, dilation, kernel):
    arrays = [_data("x", (1, 2, 7, 9)), _data(kernel, (2, 2) + kernel), _data("b", (2,))]
    check_gradcheck(lambda x, w, b: conv2d(x, w, b, stride, padding, dilation), arrays)


@pytest.mark.parametrize("block_bytes", [1, 200, 10**9])
@pytest.mark.parametrize("stride,dilation", [(1, 1), (2, 1), (1, 2)])
def test_fold_in_blocks_of_rows_matches_torch(monkeypatch, block_bytes, stride, dilation):
    """The fold adds from window-major copies of a few images at a time: one image per
    block, several, or all at once must give the same gradient."""
    from autograd.ops import window

    monkeypatch.setattr(window, "_BLOCK_BYTES", block_bytes)
    x = _data("blocks", (5, 3, 8, 9))
    w = _data("w", (4, 3, 3, 3))
    check_parity(lambda x, w: conv2d(x, w, ag.zeros(4), stride, 1, dilation),
                 lambda x, w: F.conv2d(x, w, None, stride, 1, dilation), [x, w], np.float64)


@pytest.mark.parametrize("shape,stride,dilation", [
    ((2, 3, 6, 8), 2, 1),  # 2x2 windows tile the input: the fold skips zero-filling
    ((2, 3, 7, 8), 2, 1),  # the last row is in no window
    ((2, 3, 6, 8), 3, 1),  # gaps between windows
    ((2, 3, 6, 8), 4, 2),  # gaps inside dilated windows
])
def test_non_overlapping_fold_writes_every_position(monkeypatch, shape, stride, dilation):
    from autograd.ops import window

    nan_empty = numpy_with(empty=lambda shape, dtype=float: np.full(shape, np.nan, dtype))
    monkeypatch.setattr(window, "np", nan_empty)  # memory the fold forgets to write shows
    x = ag.tensor(_data("fold", shape), requires_grad=True)
    win = ag.sliding_window_view(x, (2, 2), dim=(2, 3), stride=stride, dilation=dilation)
    (win * 2).sum().backward()
    covered = np.zeros(shape)
    positions = np.arange(covered.size).reshape(shape)
    np.add.at(covered.reshape(-1), _numpy_windows(positions, (2, 2), (2, 3), stride, dilation), 2)
    np.testing.assert_array_equal(x.grad.numpy(), covered)


NO_FIT = [
    ((2, 3, 4, 5), (5, 3), (2, 3), 1, 5, 4),
    ((2, 3, 4, 5), (2, 6), (2, 3), 1, 6, 5),
    ((6,), 4, 0, 2, 7, 6),
    ((3, 9), (2, 3), None, (1, 5), 11, 9),
]


@pytest.mark.parametrize("shape,window,dim,dilation,extent,size", NO_FIT)
def test_window_that_does_not_fit_raises(shape, window, dim, dilation, extent, size):
    x = ag.zeros(*shape, requires_grad=True)
    with pytest.raises(ag.ShapeError) as info:
        ag.sliding_window_view(x, window, dim=dim, dilation=dilation)
    assert isinstance(info.value, RuntimeError) and isinstance(info.value, ValueError)
    msg = str(info.value)
    assert msg.startswith("sliding_window_view") and str(shape) in msg, msg
    assert f"extent {extent}" in msg and f"size {size}" in msg, msg


@pytest.mark.parametrize(
    "kwargs,named",
    [
        (dict(stride=0), "stride"),
        (dict(stride=-1), "stride"),
        (dict(stride=(1, 0)), "stride"),
        (dict(dilation=0), "dilation"),
        (dict(window_shape=(0, 2)), "window_shape"),
    ],
)
def test_bad_stride_dilation_or_window_raise_value_error(kwargs, named):
    args = dict(window_shape=(2, 2), dim=(0, 1)) | kwargs
    with pytest.raises(ValueError, match=rf"^sliding_window_view: {named}"):
        ag.sliding_window_view(ag.zeros(4, 5), **args)
