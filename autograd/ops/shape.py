"""Shape ops: reshape, permute, expand, indexing and its scatter, cat, pad (primitives)
and flatten, squeeze, unsqueeze, transpose, stack (composed)."""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from ..errors import ShapeError, broadcast_error
from ..function import Function
from ..tensor import Tensor, _make, _make_view
from .layout import allocate, memory_order


def _sizes(args: tuple, op: str) -> tuple[int, ...]:
    """Accept both `f(2, 3)` and `f((2, 3))`; every size must be an int (2.5 is refused, as
    PyTorch, where int() would make it 2)."""
    if len(args) == 1 and isinstance(args[0], tuple | list):
        args = tuple(args[0])
    for a in args:  # (a loop: all() over a generator costs more than the reshape it checks)
        if a.__class__ is not int:
            break
    else:
        return args
    for a in args:
        if not isinstance(a, int | np.integer) or isinstance(a, bool):
            raise TypeError(f"{op}: sizes must be ints, got {type(a).__name__} {a!r} in {args}")
    return tuple(int(a) for a in args)


class Reshape(Function):
    passes_gradient = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x._data.shape
        try:
            r = x._data.reshape(shape)
            return _make_view(r, x, _unreshape) if r.base is not None else _make(r)
        except ValueError:
            raise ShapeError(
                f"reshape: cannot reshape a tensor of shape {x.shape} ({x._data.size} elements) "
                f"into {shape}"
            ) from None

    @staticmethod
    def backward(ctx, grad):
        return Reshape.apply(grad, ctx.in_shape), None


class Permute(Function):
    passes_gradient = True

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return _make_view(x._data.transpose(dims), x, _unpermute, dims)

    @staticmethod
    def backward(ctx, grad):
        dims = ctx.dims
        return permuted(grad, tuple(sorted(range(len(dims)), key=dims.__getitem__))), None


class Expand(Function):
    passes_gradient = True

    @staticmethod
    def forward(ctx, x, shape):
        try:
            return _make_view(np.broadcast_to(x._data, shape), x, None)
        except ValueError:
            raise broadcast_error("expand", x.shape, shape) from None

    @staticmethod
    def backward(ctx, grad):
        return grad, None  # the engine sums the broadcast gradient back to the input's shape


def _is_advanced(key: Any) -> bool:
    """Whether an index holds integer arrays, whose repeated entries must accumulate."""
    parts = key if isinstance(key, tuple) else (key,)
    return any(isinstance(k, np.ndarray) and k.dtype.kind in "iu" for k in parts)


class Index(Function):
    @staticmethod
    def forward(ctx, x, key):
        ctx.key = key
        ctx.in_shape = x.shape
        try:
            r = x._data[key]
            if r.__class__ is not np.ndarray:  # one element: numpy gives a scalar, PyTorch a
                parts = key if isinstance(key, tuple) else (key,)  # 0-d view of x's memory
                r = x._data[(*parts, ...)] if all(p is not ... for p in parts) else np.asarray(r)
        except IndexError as e:
            raise IndexError(f"index: {e} (indexing a tensor of shape {x.shape})") from None
        if r.base is None or _is_advanced(key):  # a copy: a new tensor, not a view
            return _make(r)
        return _make_view(r, x, _unindex, key)

    @staticmethod
    def backward(ctx, grad):
        return IndexBackward.apply(grad, ctx.key, ctx.in_shape), None


class SetItem(Function):
    """`x` with `x[key] = value`, as a new tensor: the gradient reaches `value` through the
    part it filled, and `x` everywhere else (PyTorch's copy-slices)."""

    @staticmethod
    def forward(ctx, x, key, value):
        ctx.key = key
        out = x._data.copy()
        try:
            out[key] = value._data if isinstance(value, Tensor) else value
        except (ValueError, IndexError) as e:
            shape = value.shape if isinstance(value, Tensor) else np.shape(value)
            raise ShapeError(f"setitem: cannot put a value of shape {shape} into "
                             f"{np.shape(out[key])} positions of a tensor of shape "
                             f"{x.shape}: {e}") from None
        return _make(out)

    @staticmethod
    def backward(ctx, grad):
        needs = ctx.needs_input_grad
        gx = SetItem.apply(grad, ctx.key, 0.0) if needs[0] else None
        return gx, None, (grad[ctx.key] if needs[2] else None)


class IndexBackward(Function):
    """Scatter-add a gradient into zeros of the indexed tensor's shape (indexing's VJP)."""

    @staticmethod
    def forward(ctx, grad, key, shape):
        ctx.key = key
        out = np.zeros(shape, grad.dtype)
        if _is_advanced(key):
            np.add.at(out, key, grad._data)  # repeated indices accumulate
        else:
            out[key] = grad._data
        return _make(out)

    @staticmethod
    def backward(ctx, grad):
        return grad[ctx.key], None, None


class Cat(Function):
    @staticmethod
    def forward(ctx, *tensors, dim):
        ctx.dim = dim
        ctx.sizes = [t.shape[dim] for t in tensors]
        return _make(np.concatenate([t._data for t in tensors], axis=dim))

    @staticmethod
    def backward(ctx, grad):
        grads, start = [], 0
        lead = (slice(None),) * ctx.dim
        for size, need in zip(ctx.sizes, ctx.needs_input_grad):
            grads.append(grad[lead + (slice(start, start + size),)] if need else None)
            start += size
        return tuple(grads)


class Pad(Function):
    @staticmethod
    def forward(ctx, x, widths, value):
        data = x._data  # one fill and one copy in the input's layout: np.pad costs 3-5x more
        ctx.crop = crop = tuple(slice(lo, lo + n) for (lo, _), n in zip(widths, data.shape))
        shape = [lo + n + hi for (lo, hi), n in zip(widths, data.shape)]
        out = allocate(np.zeros if value == 0 else np.empty, shape, data.dtype, memory_order(data))
        if value != 0:
            out.fill(value)
        out[crop] = data
        return _make(out)

    @staticmethod
    def backward(ctx, grad):
        return grad[ctx.crop], None, None


# ---- the public functions (also bound as Tensor methods) -----------------------------------
def reshape(x: Tensor, *shape: Any) -> Tensor:
    """Same data in a new shape; one dim may be -1."""
    shape = _sizes(shape, "reshape")
    return x if shape == x.shape else Reshape.apply(x, shape)


view = reshape


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims start_dim..end_dim into one."""
    if x.ndim == 0:
        return reshape(x, 1)
    s, e = (_dim(d, x.ndim, "flatten") for d in (start_dim, end_dim))
    if s > e:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    merged = math.prod(x.shape[s : e + 1])  # not -1, which an empty tensor leaves ambiguous
    return reshape(x, x.shape[:s] + (merged,) + x.shape[e + 1 :])


def squeeze(x: Tensor, dim: Any = None) -> Tensor:
    """Drop size-1 dims (only `dim`'s when given; a dim that is not 1 stays, as PyTorch)."""
    if dim is None:
        drop = {i for i, n in enumerate(x.shape) if n == 1}
    else:
        dims = dim if isinstance(dim, tuple | list) else (dim,)
        drop = {_dim(d, x.ndim, "squeeze") for d in dims if x.ndim} - {
            i for i, n in enumerate(x.shape) if n != 1
        }
    return reshape(x, tuple(n for i, n in enumerate(x.shape) if i not in drop))


def unsqueeze(x: Tensor, dim: int) -> Tensor:
    """Insert a size-1 dim at `dim` (-ndim-1 <= dim <= ndim)."""
    d = _dim(dim, x.ndim + 1, "unsqueeze")
    return reshape(x, x.shape[:d] + (1,) + x.shape[d:])


def permute(x: Tensor, *dims: Any) -> Tensor:
    """Reorder the dims."""
    dims = tuple(_dim(d, x.ndim, "permute") for d in _sizes(dims, "permute"))
    if sorted(dims) != list(range(x.ndim)):
        raise ShapeError(f"permute: {dims} is not a permutation of the {x.ndim} dims of {x.shape}")
    return x if dims == tuple(range(x.ndim)) else Permute.apply(x, dims)


def permuted(x: Tensor, dims: tuple[int, ...]) -> Tensor:
    """`x.permute(*dims)` for `dims` already known to be a permutation: no checks."""
    return x if dims == tuple(range(len(dims))) else Permute.apply(x, dims)


def transpose(x: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap two dims."""
    dims = list(range(x.ndim))
    a, b = _dim(dim0, x.ndim, "transpose"), _dim(dim1, x.ndim, "transpose")
    dims[a], dims[b] = dims[b], dims[a]
    return permute(x, *dims)


def expand(x: Tensor, *sizes: Any) -> Tensor:
    """Broadcast to a larger shape without copying; -1 keeps a dim's size."""
    sizes = _sizes(sizes, "expand")
    lead = len(sizes) - x.ndim
    if lead < 0:
        raise ShapeError(f"expand: cannot expand shape {x.shape} to fewer dims {sizes}")
    shape = tuple(x.shape[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(sizes))
    return x if shape == x.shape else Expand.apply(x, shape)


def broadcast_to(x: Tensor, shape: Sequence[int]) -> Tensor:
    """numpy's broadcast_to: the view of `x` broadcast to `shape`."""
    return expand(x, tuple(shape))


def _key_part(k: Any) -> Any:
    if isinstance(k, Tensor):
        return k._data
    if isinstance(k, list):
        arr = np.asarray([_key_part(v) for v in k])
        return arr.astype(np.int64) if arr.size == 0 else arr  # numpy makes [] float64
    return k


def index(x: Tensor, key: Any) -> Tensor:
    """`x[key]`: ints, slices (any step), None, Ellipsis, integer arrays, boolean masks."""
    key = tuple(_key_part(k) for k in key) if isinstance(key, tuple) else _key_part(key)
    return Index.apply(x, key)


def set_item(x: Tensor, key: Any, value: Any) -> Tensor:
    """`x` with `x[key] = value`, out of place (the in-place `x[key] = value` builds on it)."""
    key = tuple(_key_part(k) for k in key) if isinstance(key, tuple) else _key_part(key)
    if isinstance(value, Tensor) and value.dtype != x.dtype:
        value = value.to(x.dtype)
    return SetItem.apply(x, key, value)


def _unreshape(new: Tensor, base: Tensor, _: Any) -> Tensor:
    return new.reshape(base.shape)


def _unpermute(new: Tensor, base: Tensor, dims: tuple[int, ...]) -> Tensor:
    return permuted(new, tuple(sorted(range(len(dims)), key=dims.__getitem__)))


def _unindex(new: Tensor, base: Tensor, key: Any) -> Tensor:
    return set_item(base, key, new)


def cat(tensors: Sequence[Any], dim: int = 0) -> Tensor:
    """Join tensors along an existing dim."""
    ts = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    if not ts:
        raise ValueError("cat: expected a non-empty sequence of tensors")
    d = _dim(dim, ts[0].ndim, "cat")
    for t in ts[1:]:
        if t.ndim != ts[0].ndim or any(
            a != b for i, (a, b) in enumerate(zip(t.shape, ts[0].shape)) if i != d
        ):
            raise ShapeError(
                f"cat: shapes {[u.shape for u in ts]} must match except in dim {dim}"
            )
    return Cat.apply(*ts, dim=d)


def stack(tensors: Sequence[Any], dim: int = 0) -> Tensor:
    """Join tensors along a new dim."""
    ts = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    if not ts:
        raise ValueError("stack: expected a non-empty sequence of tensors")
    if any(t.shape != ts[0].shape for t in ts):
        raise ShapeError(f"stack: all tensors must have one shape, got {[t.shape for t in ts]}")
    d = _dim(dim, ts[0].ndim + 1, "stack")
    return cat([unsqueeze(t, d) for t in ts], d)


def pad(x: Tensor, pad_width: Any, value: float = 0.0) -> Tensor:
    """Constant padding with numpy's per-axis `(before, after)` widths."""
    try:
        widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (x.ndim, 2))
    except ValueError:
        raise ShapeError(
            f"pad: pad_width {pad_width!r} does not give (before, after) for the {x.ndim} "
            f"dims of {x.shape}"
        ) from None
    if (widths < 0).any():
        raise ValueError(f"pad: widths must be >= 0, got {pad_width!r}")
    return Pad.apply(x, tuple(map(tuple, widths.tolist())), value)


def _dim(d: int, ndim: int, op: str) -> int:
    n = ndim if ndim else 1
    if not -n <= d < n:
        raise IndexError(
            f"{op}: dim {d} is out of range for {ndim} dims (expected {-n} to {n - 1})"
        )
    return d % n
