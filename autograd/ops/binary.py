"""Binary elementwise ops with numpy broadcasting: arithmetic, maximum/minimum, where, and
comparisons.

One factory, `binary_forward`, makes the forward of every binary primitive: it takes Python
scalars on either side and gives PyTorch's result dtype. The Tensor operators record these
primitives through `Function.operator`, the recorder's fast path.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from ..dtypes import fix_result_dtype, float32, float64
from ..errors import broadcast_error, int_overflow_error
from ..function import Function, _new, _NullCtx, _SavedOutput
from ..tensor import Tensor, _make, _operand
from .layout import allocate
from .unary import _const, log


def _data(x: Any) -> Any:
    return x._data if isinstance(x, Tensor) else x


def _shape(x: Any) -> tuple[int, ...]:
    return x.shape if isinstance(x, Tensor) else ()


def _dtype(a: Any, b: Any) -> np.dtype:
    """The dtype of the Tensor among a binary op's operands."""
    return a.dtype if isinstance(a, Tensor) else b.dtype


def binary_forward(ufunc: np.ufunc, op: str,
                   save: Callable[[Any, Any, Any, Tensor], None] | None = None) -> Callable:
    """The forward of a binary primitive: `ufunc(a, b)` with broadcasting, then `save(ctx,
    a, b, out)` keeps what its backward reads (nothing when `save` is None)."""

    def forward(ctx: Any, a: Any, b: Any) -> Tensor:
        x = a._data if isinstance(a, Tensor) else a
        y = b._data if isinstance(b, Tensor) else b
        if y.__class__ is float:
            y = _float_as_array(y, x)
        elif x.__class__ is float:
            x = _float_as_array(x, y)
        elif x.__class__ is np.ndarray and y.__class__ is np.ndarray and (
            x.size >= _WIDEN_FROM or y.size >= _WIDEN_FROM
        ):
            x, y = _widen_small_operand(x, y)
        try:
            r = ufunc(x, y, out=...)  # out=...: an array even for 0-d inputs, not a scalar
        except ValueError:
            raise _binary_error(op, a, b) from None
        except OverflowError:  # a Python int beyond the int tensor's dtype: never wrap it
            raise int_overflow_error(op, x if x.__class__ is int else y, _dtype(a, b)) from None
        if r.dtype is float64:  # numpy may have widened where PyTorch keeps float32
            r = fix_result_dtype(r, a, b)
        out = _new(Tensor)  # _make, inlined: this is every arithmetic op's result
        out._data = r
        out.grad = out._node = out._hooks = None
        out._rg = False
        if save is not None and ctx.__class__ is not _NullCtx:  # a node is being recorded
            save(ctx, a, b, out)
        return out

    return forward


def _binary_error(op: str, a: Any, b: Any) -> Exception:
    if op == "pow" and _dtype(a, b).kind in "iub" and np.any(np.asarray(_data(b)) < 0):
        exponent = repr(b) if isinstance(b, int) else "a tensor with negative entries"
        return RuntimeError(f"pow: Integers to negative integer powers are not allowed (base "
                            f"dtype {_dtype(a, b)}, exponent {exponent}); use a float base, "
                            "as in x.float() ** -1")
    return broadcast_error(op, _shape(a), _shape(b))


def _float_as_array(value: float, other: Any) -> Any:
    """A Python float beside a float32 or float64 array, as the 0-d array of that dtype numpy
    would convert it to (NEP 50: the float takes the array's dtype), made once and reused:
    numpy's conversion of a Python float costs about as much as the op on a small array,
    and scalar chains repeat the same few values (`make bench`'s overhead workload)."""
    dtype = other.dtype  # the other operand is a Tensor's array
    if dtype is float32:
        cache = _FLOAT32_OPERANDS
    elif dtype is float64:
        cache = _FLOAT64_OPERANDS
    else:
        return value
    arr = cache.get(value)
    if arr is None:
        arr = np.array(value, dtype)  # warns on overflow, as numpy's own conversion does
        if value and math.isfinite(arr):  # not ±0.0 (one key), NaN (no key) or an overflow
            if len(cache) >= _OPERANDS_KEPT:
                cache.clear()
            arr.flags.writeable = False
            cache[value] = arr
    return arr


_FLOAT32_OPERANDS: dict[float, np.ndarray] = {}
_FLOAT64_OPERANDS: dict[float, np.ndarray] = {}
_OPERANDS_KEPT = 256  # distinct floats kept per dtype; past that the cache starts again
_WIDEN_RUNS_FROM = 2048  # innermost runs to widen from: `python -m benchmarks.thresholds` measures
_WIDEN_FROM = 2 * _WIDEN_RUNS_FROM  # the least size with that many runs (of 2 or more): a pre-check


def _widen_small_operand(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Materialise a small broadcast operand (a per-channel scale, an expanded mean) over all
    but the outermost dim of the large one, laid out like it. numpy runs a broadcast op one
    innermost run at a time, and a channels-last activation's runs are only C long; with
    both operands in one layout it runs over whole rows. Results are unchanged: only the
    operand's memory is. `python -m benchmarks.thresholds` measures each cut below."""
    if x.shape == y.shape and 0 not in x.strides and 0 not in y.strides:
        return x, y
    cx, cy = _compact(x), _compact(y)
    small, big = (cx, y) if cx.size < cy.size else (cy, x)
    if big.size < _WIDEN_FROM or small.size * 32 > big.size or small.ndim > big.ndim or (
        0 in big.strides
    ):
        return x, y
    order = sorted(range(big.ndim), key=lambda d: (big.shape[d] > 1, -big.strides[d]))
    if big.size // big.shape[order[-1]] < _WIDEN_RUNS_FROM:  # few long runs: numpy is fast
        return x, y
    shape = (1,) * (big.ndim - small.ndim) + small.shape
    target = list(big.shape)
    outer = next(d for d in order if big.shape[d] > 1)
    target[outer] = shape[outer]
    if math.prod(target) * 4 > big.size:
        return x, y
    widened = allocate(np.empty, target, small.dtype, order)
    try:
        np.copyto(widened, small.reshape(shape))
    except ValueError:  # not broadcastable: let the ufunc raise the error
        return x, y
    return (widened, y) if big is y else (x, widened)


def _compact(a: np.ndarray) -> np.ndarray:
    """`a` without the repeats of a broadcast view: its stride-0 dims cut to size 1."""
    if 0 not in a.strides:
        return a
    return a[tuple(slice(0, 1) if st == 0 else slice(None) for st in a.strides)]


# ---- what each backward reads --------------------------------------------------------------
def _save_mul(ctx: Any, a: Any, b: Any, out: Tensor) -> None:
    needs = ctx.needs_input_grad  # keep only what backward reads: x * 2 frees x
    ctx.saved = (a if needs[1] else None, b if needs[0] else None)


def _save_div(ctx: Any, a: Any, b: Any, out: Tensor) -> None:
    ctx.saved = (a if ctx.needs_input_grad[1] else None, b)


def _save_pow(ctx: Any, a: Any, b: Any, out: Tensor) -> None:
    ctx.saved = (a, b, _SavedOutput(out._data))  # the array, so the node never holds out


def _save_operands(ctx: Any, a: Any, b: Any, out: Tensor) -> None:
    ctx.saved = (a, b)


# ---- arithmetic ----------------------------------------------------------------------------
class Add(Function):
    forward = staticmethod(binary_forward(np.add, "add"))

    @staticmethod
    def backward(ctx, grad):
        return grad, grad  # the engine sums each back to its input's shape


class Sub(Function):
    forward = staticmethod(binary_forward(np.subtract, "sub"))

    @staticmethod
    def backward(ctx, grad):
        if not ctx.needs_input_grad[1]:
            return grad, None
        shape = ctx.parents[1].shape  # x - mean: negate the summed gradient, not the full one
        return grad, -(grad if grad.shape == shape else grad.sum_to_size(shape))


class Mul(Function):
    forward = staticmethod(binary_forward(np.multiply, "mul", _save_mul))

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved  # inputs only (never the output): nothing to rebuild
        if a is b and a is not None:  # x * x: one product, which the engine adds to itself
            ga = grad * a
            return ga, ga
        needs = ctx.needs_input_grad
        return (grad * b if needs[0] else None), (grad * a if needs[1] else None)


class Div(Function):
    forward = staticmethod(binary_forward(np.true_divide, "div", _save_div))

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved  # inputs only (never the output): nothing to rebuild
        needs = ctx.needs_input_grad
        ga = grad / b if needs[0] else None
        gb = -grad * a / (b * b) if needs[1] else None
        return ga, gb


class Pow(Function):
    """`a ** b` for tensor or scalar base and exponent, with PyTorch's zeros at the kinks."""

    forward = staticmethod(binary_forward(np.power, "pow", _save_pow))

    @staticmethod
    def backward(ctx, grad):
        a, b, out = ctx.saved_tensors
        needs = ctx.needs_input_grad
        ga = gb = None
        if needs[0]:  # d/da a**0 is 0, also at a == 0: mask b = 0 before it makes 0**-1
            b_minus_1 = (where(b._data == 0, 1.0, b) if isinstance(b, Tensor) else b or 1) - 1
            ga = grad * b * a**b_minus_1
        if needs[1]:
            if isinstance(a, Tensor):  # 0 ** b has derivative 0 in b for b >= 0
                zero = (a._data == 0) & (_data(b) >= 0)
                gb = where(zero, 0.0, grad * out * log(where(zero, 1.0, a)))
            elif a == 0:  # as above: 0 for b >= 0, and out * log(0) = inf * -inf for b < 0
                gb = grad * out * _const(np.where(b._data >= 0, 0.0, -math.inf).astype(b.dtype))
            else:
                gb = grad * out * (math.log(a) if a > 0 else math.nan)
        return ga, gb


# ---- selections ----------------------------------------------------------------------------
class Maximum(Function):
    forward = staticmethod(binary_forward(np.maximum, "maximum", _save_operands))

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return _split_by_weight(grad, _data(a), _data(b), ctx.needs_input_grad)


class Minimum(Function):
    forward = staticmethod(binary_forward(np.minimum, "minimum", _save_operands))

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return _split_by_weight(grad, _data(b), _data(a), ctx.needs_input_grad)


def _split_by_weight(grad: Tensor, winner: Any, loser: Any, needs: tuple) -> tuple:
    """Send the gradient to the winning side; ties give each side half, as PyTorch."""
    w = (winner > loser) + 0.5 * (winner == loser)
    w = np.asarray(w, dtype=grad.dtype)
    return (grad * _const(w) if needs[0] else None), (grad * _const(1 - w) if needs[1] else None)


class Where(Function):
    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.save_for_backward(cond)  # a bool array, freed with the saved tensors
        try:
            r = np.where(cond, _data(a), _data(b))
        except ValueError:
            raise broadcast_error("where", np.shape(cond), _shape(a), _shape(b)) from None
        except OverflowError:  # a Python int beyond the other side's int dtype
            big = a if a.__class__ is int else b
            raise int_overflow_error("where", big, _dtype(a, b)) from None
        return _make(fix_result_dtype(r, a, b))

    @staticmethod
    def backward(ctx, grad):
        (cond,) = ctx.saved_tensors
        needs = ctx.needs_input_grad
        ga = where(cond, grad, 0.0) if needs[1] else None
        gb = where(cond, 0.0, grad) if needs[2] else None
        return None, ga, gb


# ---- the public functions ------------------------------------------------------------------
def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise max with broadcasting; ties give each side half the gradient."""
    return Maximum.apply(*_pair(a, b, "maximum"))


def minimum(a: Any, b: Any) -> Tensor:
    """Elementwise min with broadcasting; ties give each side half the gradient."""
    return Minimum.apply(*_pair(a, b, "minimum"))


def where(cond: Any, a: Any, b: Any) -> Tensor:
    """`a` where `cond` is true, else `b` (either may be a Python scalar)."""
    cond = np.asarray(_data(cond))
    if cond.dtype != bool:
        raise TypeError(f"where: cond must be a bool tensor, got dtype {cond.dtype}")
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        a = Tensor(a)
    return Where.apply(cond, _operand(a), _operand(b))


def _pair(a: Any, b: Any, op: str) -> tuple[Any, Any]:
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        raise TypeError(f"{op}: expected at least one Tensor, got {type(a).__name__} "
                        f"and {type(b).__name__}")
    return _operand(a), _operand(b)


def compare(ufunc: np.ufunc, a: Tensor, b: Any) -> Tensor:
    """A comparison: a bool tensor, outside the graph."""
    try:
        return _make(ufunc(a._data, _data(_operand(b)), out=...))
    except ValueError:
        raise broadcast_error(ufunc.__name__, a.shape, _shape(_operand(b))) from None
