"""`nn.functional`: layers and activations as functions, composed from autograd ops only.

No function here writes a backward: convolution and pooling are sliding windows plus
`matmul`/reductions, batch norm is `mean`/`var`, and softmax and the losses (in
`nn.losses`) go through a max-shifted log-softmax.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

import autograd as ag
from autograd import Tensor
from autograd.errors import ShapeError
from autograd.ops.special import erf
from autograd.random import generator

from .embedding import embedding, one_hot
from .loss_functions import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    l1_loss,
    log_softmax,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
    softmax,
)

__all__ = [
    "adaptive_avg_pool2d", "avg_pool2d", "batch_norm", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "conv2d", "cross_entropy", "dropout", "dropout2d", "elu",
    "embedding", "gelu", "huber_loss", "l1_loss", "layer_norm", "leaky_relu", "linear",
    "log_softmax", "max_pool2d", "mse_loss", "nll_loss", "one_hot", "pad", "prelu", "relu",
    "sigmoid", "smooth_l1_loss", "softmax", "softplus", "tanh",
]


def _pair(value: Any, name: str, op: str, least: int | None = None) -> tuple[int, int]:
    """An int or a pair of ints, as a pair; with `least`, each must be at least that."""
    is_int = isinstance(value, int | np.integer) and not isinstance(value, bool)
    pair = (value, value) if is_int else tuple(value) if isinstance(value, tuple | list) else ()
    if len(pair) != 2 or not (isinstance(pair[0], int | np.integer)
                              and isinstance(pair[1], int | np.integer)):
        raise ValueError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    if least is not None and min(pair) < least:
        what = "positive" if least == 1 else f">= {least}"
        raise ValueError(f"{op}: {name} must be {what}, got {value!r}")
    return int(pair[0]), int(pair[1])


def _check_fits(x: Tensor, extent: tuple[int, int], padding: tuple[int, int], kernel: str,
                op: str) -> None:
    """Refuse a kernel larger than the padded input, naming the user's (N, C, H, W) shape."""
    size = (x.shape[-2] + 2 * padding[0], x.shape[-1] + 2 * padding[1])
    if extent[0] > size[0] or extent[1] > size[1]:
        raise ShapeError(
            f"{op}: the padded input is {size[0]} x {size[1]} per channel (input shape "
            f"{x.shape}, padding {padding}), smaller than the kernel's {extent[0]} x {extent[1]} "
            f"({kernel}); the kernel cannot be larger than the padded input"
        )


# ---- activations -------------------------------------------------------------------------
def relu(x: Tensor) -> Tensor:
    return x.relu()


def sigmoid(x: Tensor) -> Tensor:
    return x.sigmoid()


def tanh(x: Tensor) -> Tensor:
    return x.tanh()


def softplus(x: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta * x)) / beta, linear where beta * x > threshold (autograd's primitive:
    the derivative is sigmoid(beta * x), exactly 1/2 at 0)."""
    return ag.softplus(x, beta, threshold)


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x): 0.5 x (1 + erf(x / sqrt(2))), or with approximate='tanh'
    0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))), as PyTorch."""
    if approximate == "none":
        return x * 0.5 * (erf(x * _SQRT1_2) + 1.0)
    if approximate == "tanh":
        inner = (x + x * x * x * 0.044715) * _SQRT_2_OVER_PI
        return x * 0.5 * (inner.tanh() + 1.0)
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


_SQRT1_2, _SQRT_2_OVER_PI = float(np.sqrt(0.5)), float(np.sqrt(2 / np.pi))


def elu(x: Tensor, alpha: float = 1.0) -> Tensor:
    """x where x > 0, else alpha (exp(x) - 1); at 0 the slope is alpha's side, as PyTorch.

    exp(x) - 1 is computed as tanh(x / 2) (exp(x) + 1), exact for tiny x where the
    subtraction would cancel; the input of exp is clipped at 0, so large x cannot overflow."""
    neg = x.clip(max=0.0)
    expm1 = (neg * 0.5).tanh() * (neg.exp() + 1.0)
    return ag.where(x._data > 0, x, expm1 * alpha)


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    """x where x > 0, else negative_slope * x (the slope's side at 0, as PyTorch)."""
    return ag.where(x._data > 0, x, x * negative_slope)


def prelu(x: Tensor, weight: Tensor) -> Tensor:
    """Leaky ReLU with a learned slope, one per channel (dim 1) or one shared."""
    if weight.numel() != 1:
        if x.ndim < 2 or x.shape[1] != weight.numel():
            raise ValueError(
                f"prelu: {weight.numel()} slopes need input channels (dim 1) of that size, "
                f"got input shape {x.shape}"
            )
        weight = weight.reshape((-1,) + (1,) * (x.ndim - 2))
    return ag.where(x._data > 0, x, x * weight)


# ---- linear and convolution ----------------------------------------------------------------
def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x @ weight.T + bias, weight of shape (out_features, in_features)."""
    if x.ndim == 0 or x.shape[-1] != weight.shape[-1]:
        raise ValueError(
            f"linear: input's last dim must be in_features={weight.shape[-1]}, "
            f"got input shape {x.shape}"
        )
    out = x @ weight.T
    return out if bias is None else out + bias


def conv2d(
    x: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """2-D cross-correlation of (N, C, H, W) with weight (O, C/groups, kH, kW).

    The input is viewed channels-last, so that each window's channels are contiguous: the
    windows of the padded input (a strided view) are gathered into rows (one copy, read in
    order) and multiplied by the flattened kernels, one matmul per group. A one-channel
    input (an image's first layer) is gathered window-major instead, copying whole image
    rows: 8-10x faster than copying windows three values wide. The backward's fold then
    adds the gradient back, one strided slice per kernel offset.
    """
    stride, padding, dilation = (_pair(v, n, "conv2d", least) for v, n, least in
                                 ((stride, "stride", 1), (padding, "padding", 0),
                                  (dilation, "dilation", 1)))
    if x.ndim != 4:
        raise ValueError(f"conv2d: expected input of shape (N, C, H, W), got {x.shape}")
    if isinstance(groups, bool) or not isinstance(groups, int | np.integer) or groups < 1:
        raise ValueError(f"conv2d: groups must be a positive integer, got {groups!r}")
    n, c, _, _ = x.shape
    o, c_per_group, kh, kw = weight.shape
    extent = (dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1)
    _check_fits(x, extent, padding, f"kernel_size {(kh, kw)}, dilation {dilation}", "conv2d")
    if c != c_per_group * groups:
        raise ValueError(
            f"conv2d: weight {weight.shape} with groups={groups} expects {c_per_group * groups} "
            f"input channels, got input shape {x.shape}"
        )
    x = x.permute(0, 2, 3, 1)  # (N, H, W, C), a view
    if padding != (0, 0):
        x = ag.pad(x, ((0, 0), (padding[0],) * 2, (padding[1],) * 2, (0, 0)))
    win = ag.sliding_window_view(x, (kh, kw), dim=(1, 2), stride=stride, dilation=dilation)
    oh, ow = win.shape[1], win.shape[2]
    # (N, OH, OW, C, kH, kW) -> (G, N*OH*OW, kH*kW*C/G) @ (G, kH*kW*C/G, O/G)
    cols = win.reshape(n, oh, ow, groups, c_per_group, kh, kw)
    if c == 1 and stride[1] == 1:  # one channel: gather window-major, copying image rows
        cols = cols.permute(3, 5, 6, 4, 0, 1, 2).reshape(groups, kh * kw, n * oh * ow).mT
    else:  # copying each window's contiguous (kW, C) runs
        cols = cols.permute(3, 0, 1, 2, 5, 6, 4).reshape(groups, n * oh * ow, kh * kw * c_per_group)
    kernels = weight.reshape(groups, o // groups, c_per_group, kh, kw).permute(0, 3, 4, 2, 1)
    kernels = kernels.reshape(groups, kh * kw * c_per_group, o // groups)
    out = cols @ kernels
    if bias is not None:  # added per image, the bias tiled over its pixels: long rows for numpy
        per_image = out.reshape(groups, n, oh * ow * (o // groups))
        tiled = bias.reshape(groups, 1, o // groups).expand(groups, oh * ow, o // groups)
        out = per_image + tiled.reshape(groups, 1, oh * ow * (o // groups))
    out = out.reshape(groups, n, oh, ow, o // groups).permute(1, 0, 4, 2, 3)
    return out.reshape(n, o, oh, ow)


# ---- pooling -------------------------------------------------------------------------------
def _pool_windows(x: Tensor, kernel_size: Any, stride: Any, padding: Any, fill: float,
                  op: str) -> Tensor:
    k = _pair(kernel_size, "kernel_size", op, 1)
    s = k if stride is None else _pair(stride, "stride", op, 1)
    p = _pair(padding, "padding", op, 0)
    if x.ndim not in (3, 4):
        raise ValueError(f"{op}: expected input of shape (N, C, H, W) or (C, H, W), got {x.shape}")
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise ValueError(f"{op}: padding {p} must be at most half the kernel size {k}")
    _check_fits(x, k, p, f"kernel_size {k}", op)
    if p != (0, 0):
        widths = ((0, 0),) * (x.ndim - 2) + ((p[0], p[0]), (p[1], p[1]))
        x = ag.pad(x, widths, value=fill)
    return ag.sliding_window_view(x, k, dim=(-2, -1), stride=s)


def max_pool2d(x: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Tensor:
    """Max over each window; the gradient goes to the first maximum, as PyTorch."""
    win = _pool_windows(x, kernel_size, stride, padding, -np.inf, "max_pool2d")
    if not win.numel():  # an empty batch: nothing to compare, the empty result of the shape
        return win.sum(dim=(-2, -1))
    # Gather window-major, (kH*kW, ...): the max then compares whole contiguous arrays, one
    # per window position, instead of kH*kW values at a time.
    if _channels_innermost(win):  # (kH*kW, N, Ho, Wo, C), copying whole channel runs
        n, c, ho, wo, kh, kw = win.shape
        cols = win.permute(4, 5, 0, 2, 3, 1).reshape(kh * kw, n, ho, wo, c)
        return cols.max(dim=0).values.permute(0, 3, 1, 2)
    batch = tuple(range(win.ndim - 2))
    window = win.shape[-2] * win.shape[-1]  # not -1: ambiguous for an empty batch
    cols = win.permute(win.ndim - 2, win.ndim - 1, *batch).reshape((window,) + win.shape[:-2])
    return cols.max(dim=0).values


def _channels_innermost(win: Tensor) -> bool:
    """Whether pooling windows (N, C, Ho, Wo, kH, kW) view channels-last memory (what conv2d
    returns): then each pixel's channels are adjacent and are best moved together."""
    strides = win._data.strides
    return win.ndim == 6 and win.shape[1] > 1 and 0 < strides[1] < min(strides[4], strides[5])


def avg_pool2d(
    x: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
    count_include_pad: bool = True,
) -> Tensor:
    """Mean over each window; padding counts as zeros unless count_include_pad=False."""
    win = _pool_windows(x, kernel_size, stride, padding, 0.0, "avg_pool2d")
    total = win.sum(dim=(-2, -1))
    if count_include_pad or _pair(padding, "padding", "avg_pool2d") == (0, 0):
        return total / (win.shape[-1] * win.shape[-2])
    ones = ag.ones((1,) + x.shape[-2:], dtype=x.dtype)  # (1, H, W): a valid pooling input
    counts = _pool_windows(ones, kernel_size, stride, padding, 0.0, "avg_pool2d")
    return total / counts.sum(dim=(-2, -1)).detach()


def adaptive_avg_pool2d(x: Tensor, output_size: Any) -> Tensor:
    """Mean over PyTorch's adaptive windows: output cell i of n covers input rows
    floor(i H / n) to ceil((i + 1) H / n), so windows may overlap when n does not divide H.

    Each axis is pooled by a matmul with a fixed averaging matrix, (..., H, W) -> (..., oh, ow).
    `output_size` is an int or a pair whose entries may be None (keep that size)."""
    if x.ndim not in (3, 4):
        raise ValueError(f"adaptive_avg_pool2d: expected input of shape (N, C, H, W) or "
                         f"(C, H, W), got {x.shape}")
    sizes = output_size if isinstance(output_size, tuple | list) else (output_size,) * 2
    if len(sizes) != 2:
        raise ValueError(f"adaptive_avg_pool2d: output_size must be an int or a pair, "
                         f"got {output_size!r}")
    oh, ow = (x.shape[-2 + i] if s is None else s for i, s in enumerate(sizes))
    for name, n in (("height", oh), ("width", ow)):
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
            raise ValueError(f"adaptive_avg_pool2d: output {name} must be a positive int, "
                             f"got output_size {output_size!r}")
    if 0 in x.shape[-2:]:
        raise ShapeError(f"adaptive_avg_pool2d: input {x.shape} has an empty spatial dim; "
                         "expected H and W of at least 1")
    rows = Tensor(_averaging_matrix(x.shape[-2], int(oh), x.dtype))
    cols = Tensor(_averaging_matrix(x.shape[-1], int(ow), x.dtype))
    return rows @ (x @ cols.mT)


def _averaging_matrix(size: int, out: int, dtype: Any) -> np.ndarray:
    """(out, size): row i averages input cells floor(i size / out) to ceil((i+1) size / out)."""
    i = np.arange(out)
    start, end = (i * size) // out, -((-(i + 1) * size) // out)
    j = np.arange(size)
    inside = (j >= start[:, None]) & (j < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


# ---- normalisation and regularisation -------------------------------------------------------
def batch_norm(
    x: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise over every dim but the channels (dim 1).

    Training uses the batch's mean and biased variance and updates the running mean and
    the unbiased running variance in place (an empty batch leaves them); eval uses the
    running statistics.
    """
    if x.ndim < 2:
        raise ValueError(f"batch_norm: expected input of shape (N, C, ...), got {x.shape}")
    dims = (0,) + tuple(range(2, x.ndim))
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    if training and not x.numel():  # an empty batch, as PyTorch: empty output, stats kept
        centered, var = x, ag.zeros(shape, dtype=x.dtype)
    elif training:
        count = x.numel() // x.shape[1]
        if count <= 1:
            raise ValueError(
                f"batch_norm: training needs more than one value per channel, got input {x.shape}"
            )
        mean = x.mean(dim=dims, keepdim=True)
        centered = x - mean
        var = (centered * centered).mean(dim=dims, keepdim=True)  # biased, as normalisation uses
        if running_mean is not None:
            with ag.no_grad():
                running_mean._data *= 1 - momentum
                running_mean._data += momentum * mean._data.reshape(-1)
        if running_var is not None:
            with ag.no_grad():
                running_var._data *= 1 - momentum
                running_var._data += momentum * var._data.reshape(-1) * count / (count - 1)
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: eval mode needs running_mean and running_var")
        centered, var = x - running_mean.reshape(shape), running_var.reshape(shape)
    scale = (var + eps) ** -0.5  # per channel: the weight folds in here, not into x's size
    if weight is not None:
        scale = scale * weight.reshape(shape)
    out = centered * scale
    return out if bias is None else out + bias.reshape(shape)


def dropout(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Inverted dropout: zero each value with probability p and scale the rest by 1/(1-p)."""
    if not 0 <= p < 1:
        raise ValueError(f"dropout: p must be in [0, 1), got {p}")
    if not training or p == 0:
        return x
    keep = generator().random(x.shape, dtype=np.float32) >= p
    return x * Tensor(keep.astype(x.dtype) / (1 - p))


def dropout2d(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Zero whole channels: each (n, c) plane of (N, C, H, W) with probability p, scaling the
    rest by 1/(1-p). As PyTorch, a 3-D input is taken as (N, C, L)."""
    if not 0 <= p < 1:
        raise ValueError(f"dropout2d: p must be in [0, 1), got {p}")
    if x.ndim not in (3, 4):
        raise ValueError(f"dropout2d: expected input of shape (N, C, H, W) or (N, C, L), "
                         f"got {x.shape}")
    if not training or p == 0:
        return x
    keep = generator().random(x.shape[:2], dtype=np.float32) >= p
    scale = (keep.astype(x.dtype) / x.dtype.type(1 - p)).reshape(x.shape[:2] + (1,) * (x.ndim - 2))
    return x * Tensor(scale)


def layer_norm(x: Tensor, normalized_shape: Any, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise over the last len(normalized_shape) dims (biased variance), then scale by
    `weight` and shift by `bias`, both of shape normalized_shape."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int | np.integer) else tuple(
        normalized_shape)
    k = len(shape)
    if k == 0 or x.shape[x.ndim - k:] != shape or x.ndim < k:
        raise ShapeError(f"layer_norm: input of shape {x.shape} must end in normalized_shape "
                         f"{shape}")
    dims = tuple(range(x.ndim - k, x.ndim))
    centered = x - x.mean(dim=dims, keepdim=True)
    var = (centered * centered).mean(dim=dims, keepdim=True)
    out = centered * (var + eps) ** -0.5
    if weight is not None:
        out = out * weight
    return out if bias is None else out + bias


def pad(x: Tensor, pad: Sequence[int], value: float = 0.0) -> Tensor:
    """Constant padding with PyTorch's list: (left, right) of the last dim first, then the
    dim before it, and so on."""
    if len(pad) % 2 or len(pad) // 2 > x.ndim:
        raise ValueError(
            f"pad: expected an even number of widths for at most {x.ndim} dims, got {pad}"
        )
    pairs = [(pad[i], pad[i + 1]) for i in range(0, len(pad), 2)]
    widths = [(0, 0)] * (x.ndim - len(pairs)) + pairs[::-1]
    return ag.pad(x, widths, value=value)
