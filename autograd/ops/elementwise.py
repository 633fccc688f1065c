"""Elementwise ops: arithmetic, the unary functions, maximum/minimum/where, casts.

Each primitive's backward is written with Tensor ops, so it is itself differentiable.
Masks such as relu's `x > 0` are piecewise constants and enter backward as plain data.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from ..dtypes import fix_result_dtype, float32, float64
from ..errors import broadcast_error, int_overflow_error
from ..function import _NEEDS, Function, _link, _new, _SavedOutput
from ..grad_mode import grad_enabled
from ..tensor import Tensor, _make, _operand
from .layout import allocate


def _data(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


def _shape(x: Any) -> tuple[int, ...]:
    return x.shape if isinstance(x, Tensor) else ()


def _binary(ufunc: np.ufunc, a: Any, b: Any, op: str) -> Tensor:
    x = a.data if isinstance(a, Tensor) else a
    y = b.data if isinstance(b, Tensor) else b
    if y.__class__ is float:
        y = _float_as_array(y, x)
    elif x.__class__ is float:
        x = _float_as_array(x, y)
    elif x.__class__ is np.ndarray and y.__class__ is np.ndarray and (
        x.size >= _WIDEN_FROM or y.size >= _WIDEN_FROM
    ):
        x, y = _widen_small_operand(x, y)
    try:
        r = ufunc(x, y, out=...)  # out=...: an array even for 0-d inputs, not a numpy scalar
    except ValueError:
        raise _binary_error(op, a, b) from None
    except OverflowError:  # a Python int beyond the int tensor's dtype: never wrap it
        raise int_overflow_error(op, x if x.__class__ is int else y, _dtype(a, b)) from None
    if r.dtype is float64:  # numpy may have widened where PyTorch keeps float32
        r = fix_result_dtype(r, a, b)
    out = _new(Tensor)  # _make, inlined: this is every arithmetic op's result
    out.data = r
    out.grad = out._node = out._hooks = None
    out._rg = False
    return out


def _binary_error(op: str, a: Any, b: Any) -> Exception:
    if op == "pow" and _dtype(a, b).kind in "iub" and np.any(np.asarray(_data(b)) < 0):
        exponent = repr(b) if isinstance(b, int) else "a tensor with negative entries"
        return RuntimeError(f"pow: Integers to negative integer powers are not allowed (base "
                            f"dtype {_dtype(a, b)}, exponent {exponent}); use a float base, "
                            "as in x.float() ** -1")
    return broadcast_error(op, _shape(a), _shape(b))


def _dtype(a: Any, b: Any) -> np.dtype:
    """The dtype of the Tensor among a binary op's operands."""
    return a.dtype if isinstance(a, Tensor) else b.dtype


_WIDEN_FROM = 8192  # smaller arrays take one numpy call whatever their layout


def _float_as_array(value: float, other: Any) -> Any:
    """A Python float beside a float32 or float64 array, as the 0-d array of that dtype numpy
    would convert it to (NEP 50: the float takes the array's dtype), made once and reused.
    numpy's conversion of a Python float costs as much as the op itself on a small array
    (640 vs 350 ns for x * 1.0001 on 16 elements), and scalar chains repeat the same few."""
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


def _widen_small_operand(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Materialise a small broadcast operand (a per-channel scale, an expanded mean) over all
    but the outermost dim of the large one, laid out like it. numpy runs a broadcast op one
    innermost run at a time, and a channels-last activation's runs are only C long; with
    both operands in one layout it runs over whole rows (4x faster for (32, 8, 28, 28) *
    (1, 8, 1, 1)). Results are unchanged: only the operand's memory is."""
    if x.shape == y.shape and 0 not in x.strides and 0 not in y.strides:
        return x, y
    cx, cy = _compact(x), _compact(y)
    small, big = (cx, y) if cx.size < cy.size else (cy, x)
    if big.size < _WIDEN_FROM or small.size * 32 > big.size or small.ndim > big.ndim or (
        0 in big.strides
    ):
        return x, y
    order = sorted(range(big.ndim), key=lambda d: (big.shape[d] > 1, -big.strides[d]))
    if big.shape[order[-1]] >= 256:  # long innermost runs: numpy is already fast
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


def _unary(ufunc: np.ufunc, x: Tensor) -> Tensor:
    d = x.data
    if d.dtype.itemsize == 1:  # bool and (u)int8, which numpy takes to float16: float32 (PyTorch)
        d = d.astype(float32)
    r = ufunc(d, out=...)
    if r.dtype is float64:
        r = fix_result_dtype(r, x)
    return _make(r)


def _const(arr: np.ndarray) -> Tensor:
    """A mask or weight that enters a VJP as data (its own derivative is zero)."""
    return _make(arr)


# ---- arithmetic ----------------------------------------------------------------------------
class _Arithmetic(Function):
    """A binary arithmetic op: one ufunc, and `keep`, which saves what backward reads.

    The Tensor operators record these without calling `forward` (see `arithmetic`)."""

    ufunc: np.ufunc
    op: str

    @staticmethod
    def keep(ctx: Function, a: Any, b: Any, out: Tensor) -> None:
        pass  # add and sub need nothing but the gradient

    @staticmethod
    def forward(ctx, a, b):
        out = _binary(ctx.ufunc, a, b, ctx.op)
        ctx.keep(ctx, a, b, out)
        return out


class Add(_Arithmetic):
    ufunc, op = np.add, "add"

    @staticmethod
    def backward(ctx, grad):
        return grad, grad  # the engine sums each back to its input's shape


class Sub(_Arithmetic):
    ufunc, op = np.subtract, "sub"

    @staticmethod
    def backward(ctx, grad):
        if not ctx.needs_input_grad[1]:
            return grad, None
        shape = ctx.parents[1].shape
        if grad.shape == shape:
            return grad, -grad
        from ..engine import _sum_to  # here: the engine imports the ops

        return grad, -_sum_to(grad, shape, ctx)  # x - mean: negate the summed gradient


class Mul(_Arithmetic):
    ufunc, op = np.multiply, "mul"

    @staticmethod
    def keep(ctx, a, b, out):
        needs = ctx.needs_input_grad  # keep only what backward reads: x * 2 frees x
        ctx.saved = (a if needs[1] else None, b if needs[0] else None)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved  # inputs only (never the output): nothing to rebuild
        if a is b and a is not None:  # x * x: one product, which the engine adds to itself
            ga = grad * a
            return ga, ga
        needs = ctx.needs_input_grad
        return (grad * b if needs[0] else None), (grad * a if needs[1] else None)


class Div(_Arithmetic):
    ufunc, op = np.true_divide, "div"

    @staticmethod
    def keep(ctx, a, b, out):
        ctx.saved = (a if ctx.needs_input_grad[1] else None, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved  # inputs only (never the output): nothing to rebuild
        needs = ctx.needs_input_grad
        ga = grad / b if needs[0] else None
        gb = -grad * a / (b * b) if needs[1] else None
        return ga, gb


class Pow(_Arithmetic):
    """`a ** b` for tensor or scalar base and exponent, with PyTorch's zeros at the kinks."""

    ufunc, op = np.power, "pow"

    @staticmethod
    def keep(ctx, a, b, out):
        ctx.saved = (a, b, _SavedOutput(out.data))  # the array, so the node never holds out

    @staticmethod
    def backward(ctx, grad):
        a, b, out = ctx.saved_tensors
        needs = ctx.needs_input_grad
        ga = gb = None
        if needs[0]:  # d/da a**0 is 0, also at a == 0: mask b = 0 before it makes 0**-1
            b_minus_1 = (where(b.data == 0, 1.0, b) if isinstance(b, Tensor) else b or 1) - 1
            ga = grad * b * a**b_minus_1
        if needs[1]:
            if isinstance(a, Tensor):  # 0 ** b has derivative 0 in b for b >= 0
                zero = (a.data == 0) & (_data(b) >= 0)
                gb = where(zero, 0.0, grad * out * log(where(zero, 1.0, a)))
            elif a == 0:  # as above: 0 for b >= 0, and out * log(0) = inf * -inf for b < 0
                gb = grad * out * _const(np.where(b.data >= 0, 0.0, -math.inf).astype(b.dtype))
            else:
                gb = grad * out * (math.log(a) if a > 0 else math.nan)
        return ga, gb


class Neg(Function):
    @staticmethod
    def forward(ctx, x):
        return _make(np.negative(x.data, out=...))

    @staticmethod
    def backward(ctx, grad):
        return -grad


# ---- unary functions -----------------------------------------------------------------------
class Exp(Function):
    @staticmethod
    def forward(ctx, x):
        out = _unary(np.exp, x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * out


class Log(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _unary(np.log, x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / x


class Log1p(Function):  # primitive for accuracy near 0: log(1 + x) loses digits there
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _unary(np.log1p, x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / (x + 1)


class Sqrt(Function):
    @staticmethod
    def forward(ctx, x):
        out = _unary(np.sqrt, x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad / (out * 2)


class Abs(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _make(np.abs(x.data, out=...))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * _const(np.sign(x.data))  # abs'(0) = 0, as PyTorch


class Sin(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _unary(np.sin, x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * cos(x)


class Cos(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _unary(np.cos, x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return -grad * sin(x)


class Tanh(Function):
    @staticmethod
    def forward(ctx, x):
        out = _unary(np.tanh, x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (1 - out * out)


class Sigmoid(Function):
    """Primitive for stability: exp(-|x|) never overflows, and s * (1 - s) stays finite."""

    @staticmethod
    def forward(ctx, x):
        d = x.data
        if d.dtype.kind != "f":  # bool and ints: float32, as PyTorch (and -|x| of uint8 wraps)
            d = d.astype(float32)
        e = np.exp(-np.abs(d))
        out = _make(fix_result_dtype(np.where(d >= 0, 1 / (1 + e), e / (1 + e)), x))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * out * (1 - out)


class Relu(Function):
    @staticmethod
    def forward(ctx, x):
        if ctx.needs_input_grad[0]:  # keep the 1-byte mask, not the 4- or 8-byte input
            ctx.save_for_backward(_const(np.greater(x.data, 0, out=...)))  # relu'(0) = 0
        zero = 0.0 if x.data.dtype.kind == "f" else _int_zero(x.data.dtype)  # ints stay ints
        return _make(np.maximum(x.data, zero, out=...))  # NaN stays NaN, as PyTorch

    @staticmethod
    def backward(ctx, grad):
        (positive,) = ctx.saved  # a mask, never the output: nothing to rebuild
        return grad * positive


def _int_zero(dtype: np.dtype) -> Any:
    if dtype.kind == "b":
        raise TypeError("relu: bool tensors are not supported (as in PyTorch); convert first, "
                        "as in x.float()")
    return dtype.type(0)


class Clip(Function):
    @staticmethod
    def forward(ctx, x, min, max):
        ctx.save_for_backward(x)
        ctx.bounds = (min, max)
        return _make(np.clip(x.data, min, max, out=...))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        lo, hi = ctx.bounds
        inside = np.ones(x.shape, bool)
        if lo is not None:
            inside &= x.data >= lo
        if hi is not None:
            inside &= x.data <= hi
        return grad * _const(inside), None, None  # the gradient passes at the bounds


# ---- two-argument selections ---------------------------------------------------------------
class Maximum(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _binary(np.maximum, a, b, "maximum")

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return _split_by_weight(grad, _data(a), _data(b), ctx.needs_input_grad)


class Minimum(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _binary(np.minimum, a, b, "minimum")

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


class Cast(Function):
    @staticmethod
    def forward(ctx, x, dtype):
        ctx.in_dtype = x.dtype
        return _make(x.data.astype(dtype))

    @staticmethod
    def backward(ctx, grad):
        return grad.to(ctx.in_dtype), None


class Clone(Function):
    @staticmethod
    def forward(ctx, x):
        return _make(x.data.copy())

    @staticmethod
    def backward(ctx, grad):
        return grad


# ---- the public functions (also bound as Tensor methods) -----------------------------------
def arithmetic(fn: type[_Arithmetic], reflected: bool = False) -> Callable[[Tensor, Any], Tensor]:
    """The Tensor operator (`__mul__`, or `__rmul__` when reflected) for a binary op `fn`.

    Arithmetic is most of what a scalar or small-tensor graph records, so the operator
    records its node directly: the same result, parents and saved values as
    `Function.apply`, without the generic per-argument loops and calls (2.5 -> 1.9 µs).
    """
    ufunc, op, keep = fn.ufunc, fn.op, fn.keep
    keeps = keep is not _Arithmetic.keep

    def operator(self: Tensor, other: Any) -> Tensor:
        if other.__class__ is not float and other.__class__ is not Tensor:
            other = _operand(other)
        a, b = (other, self) if reflected else (self, other)
        out = _binary(ufunc, a, b, op)
        if not grad_enabled():
            return out
        rg_self = self._rg
        rg_other = other.__class__ is not float and isinstance(other, Tensor) and other._rg
        if not (rg_self or rg_other):
            return out
        mine = (self._node or self) if rg_self else None
        theirs = (other._node or other) if rg_other else None
        ctx = _new(fn)
        if reflected:
            parents, ctx.needs_input_grad = (theirs, mine), _NEEDS_OF[rg_other][rg_self]
        else:
            parents, ctx.needs_input_grad = (mine, theirs), _NEEDS_OF[rg_self][rg_other]
        ctx.hooks = None
        if keeps:
            keep(ctx, a, b, out)
        else:
            ctx.saved = ()
        return _link(ctx, parents, out)

    operator.__name__ = f"__{'r' if reflected else ''}{fn.__name__.lower()}__"
    return operator


_NEEDS_OF = tuple(tuple(_NEEDS.setdefault((x, y), (x, y)) for y in (False, True))
                  for x in (False, True))  # [x][y]: the shared needs_input_grad tuples


def exp(x: Tensor) -> Tensor:
    return Exp.apply(x)


def log(x: Tensor) -> Tensor:
    return Log.apply(x)


def log1p(x: Tensor) -> Tensor:
    return Log1p.apply(x)


def sqrt(x: Tensor) -> Tensor:
    return Sqrt.apply(x)


def abs(x: Tensor) -> Tensor:  # noqa: A001 (PyTorch's name)
    return Abs.apply(x)


def sin(x: Tensor) -> Tensor:
    return Sin.apply(x)


def cos(x: Tensor) -> Tensor:
    return Cos.apply(x)


def tanh(x: Tensor) -> Tensor:
    return Tanh.apply(x)


def sigmoid(x: Tensor) -> Tensor:
    return Sigmoid.apply(x)


def relu(x: Tensor) -> Tensor:
    return Relu.apply(x)


def clip(x: Tensor, min: float | None = None, max: float | None = None) -> Tensor:  # noqa: A002
    """Clamp to [min, max]; the gradient passes where min <= x <= max."""
    if min is None and max is None:
        raise RuntimeError("clip: at least one of min and max must be given")
    return Clip.apply(x, min, max)


clamp = clip


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
        return _make(ufunc(a.data, _data(_operand(b)), out=...))
    except ValueError:
        raise broadcast_error(ufunc.__name__, a.shape, _shape(_operand(b))) from None
