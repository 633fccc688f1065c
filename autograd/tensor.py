"""`Tensor`: an ndarray that records the graph of the differentiable ops that made it.

Its op methods (`x.exp()`, `x.sum(dim)`, ...) come from `TensorMethods`, so `help(Tensor)`
and editors list them. The op modules build their results with this module's `_make`; the
methods reach them through the `autograd.ops` package when they run. The arithmetic
operators, the one exception, are declared in the class body and bound at the end of this
module to `Function.operator`s, the recorder's fast path."""

from __future__ import annotations

import operator as _op
from typing import Any, Callable

import numpy as np

from . import dtypes, ops
from .hooks import RemovableHandle, RetainGrad
from .tensor_conversions import ConversionMethods, to_args
from .tensor_inplace import InplaceMethods
from .tensor_methods import TensorMethods
from .versions import _share_version, version_of

_new = object.__new__


def _make(data: np.ndarray, node: Any = None) -> Tensor:
    """Wrap an ndarray without copying or checks: the ops' fast constructor."""
    t = _new(Tensor)
    t._data = data
    t.grad = None
    t._rg = node is not None
    t._node = node
    t._hooks = None
    return t


def _make_view(data: np.ndarray, base: Tensor, rebuild: Callable | None,
               arg: Any = None) -> Tensor:
    """`_make` for a view of `base`'s memory: they share one version counter, and an
    in-place op on the view rewrites `base`'s graph as `rebuild(new_view, base, arg)`, base's
    value with the view's part replaced (None where a write through the view is refused)."""
    t = _new(Tensor)
    t._data = data
    t.grad = t._node = t._hooks = None
    t._rg = False
    t._view = (base, rebuild, arg)
    return t


def _operand(x: Any) -> Any:
    """The other side of an arithmetic op: Python scalars stay weak, the rest become Tensors."""
    if x.__class__ in _PASSED or isinstance(x, Tensor):
        return x
    if isinstance(x, np.generic):
        return _make(np.asarray(x))
    return Tensor(x)


class Tensor(TensorMethods, InplaceMethods, ConversionMethods):
    """An n-dimensional array with reverse-mode automatic differentiation.

    `Tensor(data, requires_grad=False, dtype=None)` copies `data`; Python floats become
    float32, ints int64, bools bool, and numpy arrays keep their dtype.
    """

    # `_vc` (a version counter) and `_view` (what a view views) are set only when they apply:
    # read them through `versions.version_of` and `versions.viewed`.
    __slots__ = ("_data", "grad", "_rg", "_node", "_hooks", "_vc", "_view", "__weakref__")

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        """`ndarray <op> Tensor` defers to the Tensor's operator (a Tensor, in the graph);
        any other numpy function of a Tensor computes on its array and returns an array,
        as numpy does with PyTorch's tensors (`np.isnan(t)`, `np.exp(t)`)."""
        operator = _OPERATOR_UFUNCS.get(ufunc)
        if operator is not None and method == "__call__" and not kwargs:
            a, b = (x if isinstance(x, Tensor) else _operand(x) for x in inputs)
            return operator(a, b)
        arrays = [x._data if isinstance(x, Tensor) else x for x in inputs]
        if "out" in kwargs:
            kwargs["out"] = tuple(x._data if isinstance(x, Tensor) else x
                                  for x in kwargs["out"])
        return getattr(ufunc, method)(*arrays, **kwargs)
    __hash__ = object.__hash__  # == builds a Tensor, so hashing stays by identity

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None) -> None:
        if isinstance(data, Tensor):
            data = data._data
        self._data = dtypes.to_array(data, dtype)
        self.grad = None
        self._node = self._hooks = None
        self._rg = False
        if requires_grad:
            self.requires_grad = True

    # ---- attributes -------------------------------------------------------------------
    @property
    def data(self) -> Tensor:
        """A Tensor sharing this one's memory, outside the graph and not requiring grad, as
        in PyTorch (`.numpy()` gives the array). Its changes are not version-counted."""
        return _make(self._data)

    @data.setter
    def data(self, value: Any) -> None:
        """Replace the values (and shape) outright, as `p.data = t` does in PyTorch."""
        self._data = value._data if isinstance(value, Tensor) else dtypes.to_array(value, None)

    @property
    def _version(self) -> int:
        """How many in-place ops changed this tensor's memory, as PyTorch's `_version`."""
        box = version_of(self)
        return 0 if box is None else box.count

    @property
    def requires_grad(self) -> bool:
        return self._rg

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if self._node is not None:
            raise RuntimeError(
                "requires_grad: only leaf tensors can change it; use .detach() on this "
                f"non-leaf (grad_fn={self._node!r})"
            )
        if value and self._data.dtype.kind != "f":
            raise RuntimeError(
                f"requires_grad: only floating point tensors can require gradients, "
                f"got dtype {self._data.dtype}; convert with .float() first"
            )
        self._rg = bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        self.requires_grad = requires_grad
        return self

    @property
    def grad_fn(self) -> Any:
        return self._node

    @property
    def is_leaf(self) -> bool:
        return self._node is None

    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    def size(self, dim: int | None = None) -> Any:
        return self._data.shape if dim is None else self._data.shape[dim]

    def dim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return self._data.size

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    # ---- conversions ------------------------------------------------------------------
    def numpy(self) -> np.ndarray:
        """The data as an ndarray (shared memory, also when requires_grad)."""
        return self._data

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if dtype is not None and dtype != self._data.dtype:
            return self._data.astype(dtype)
        return self._data.copy() if copy else self._data

    def item(self) -> float | int | bool:
        if self._data.size != 1:
            raise RuntimeError(
                f"item: a Tensor with {self._data.size} elements cannot be converted to a scalar"
            )
        return self._data.item()

    def tolist(self) -> Any:
        return self._data.tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(
                f"bool: the truth value of a Tensor with {self._data.size} elements is "
                "ambiguous; use .any() or .all()"
            )
        return bool(self._data.item())

    def detach(self) -> Tensor:
        """A tensor sharing this one's data and version counter, cut from the graph."""
        return _share_version(_make(self._data), self)

    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """Cast (differentiable), in PyTorch's forms: `to(dtype)`, `to(device)`, `to(device,
        dtype)`, `to(other)`, keywords `dtype device non_blocking copy` (the CPU only);
        returns self when nothing changes and `copy` is False."""
        if len(args) == 1 and not kwargs and isinstance(args[0], np.dtype):
            dtype, copy = args[0], False
        else:
            dtype, copy = to_args(args, kwargs, "to")
        if dtype is None or dtype == self._data.dtype:
            return ops.unary.Clone.apply(self) if copy else self
        return ops.unary.Cast.apply(self, dtype)

    astype = to

    def float(self) -> Tensor:
        return self.to(dtypes.float32)

    def double(self) -> Tensor:
        return self.to(dtypes.float64)

    def long(self) -> Tensor:
        return self.to(dtypes.int64)

    def bool(self) -> Tensor:
        return self.to(dtypes.bool_)

    def clone(self) -> Tensor:
        return ops.unary.Clone.apply(self)

    def any(self) -> Tensor:
        return _make(np.asarray(self._data.any()))

    def all(self) -> Tensor:
        return _make(np.asarray(self._data.all()))

    def __repr__(self) -> str:
        d = self._data  # PyTorch's format: 4 fixed decimals unless every value is integral
        fixed = d.dtype.kind == "f" and bool(np.any(d[np.isfinite(d)] % 1))
        body = np.array2string(d, separator=", ", prefix="tensor(", precision=4,
                               floatmode="fixed" if fixed else "maxprec")
        extras = []
        if self._data.dtype not in (dtypes.float32, dtypes.int64, dtypes.bool_):
            extras.append(f"dtype={self._data.dtype}")
        if self._node is not None:
            extras.append(f"grad_fn={self._node!r}")
        elif self._rg:
            extras.append("requires_grad=True")
        return "tensor(" + ", ".join([body, *extras]) + ")"

    # ---- graph control ----------------------------------------------------------------
    def backward(
        self,
        gradient: Any = None,
        retain_graph: bool | None = None,
        create_graph: bool = False,
        inputs: Any = None,
    ) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's `.grad` (see `autograd.backward`)."""
        from .engine import backward  # (the engine imports this module)

        backward(self, gradient, retain_graph, create_graph, inputs)

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> RemovableHandle:
        """Call `hook(grad)` when this tensor's gradient is computed; a returned Tensor
        replaces the gradient."""
        if not self._rg:
            raise RuntimeError(
                "register_hook: cannot register a hook on a tensor that does not require grad"
            )
        if self._node is None:
            if self._hooks is None:
                self._hooks = []
            hooks = self._hooks
        else:
            if self._node.hooks is None:
                self._node.hooks = []
            hooks = self._node.hooks
        hooks.append(hook)
        return RemovableHandle(hooks, hook)

    def retain_grad(self) -> None:
        """Keep `.grad` on this non-leaf tensor after backward (a no-op on leaves)."""
        if not self._rg:
            raise RuntimeError("retain_grad: cannot retain the grad of a tensor without grad")
        if self._node is None or self.retains_grad:
            return
        if self._node.hooks is None:
            self._node.hooks = []
        self._node.hooks.append(RetainGrad(self))

    @property
    def retains_grad(self) -> bool:
        hooks = self._node.hooks if self._node is not None else None
        return any(isinstance(h, RetainGrad) and h.tensor() is self for h in hooks or ())

    # ---- arithmetic (numpy broadcasting; Python scalars on either side) ---------------
    # `Function.operator`s of Add, Sub, Mul, Div and Pow, bound at the end of this module.
    __add__: Callable[[Tensor, Any], Tensor]
    __radd__: Callable[[Tensor, Any], Tensor]
    __sub__: Callable[[Tensor, Any], Tensor]
    __rsub__: Callable[[Tensor, Any], Tensor]
    __mul__: Callable[[Tensor, Any], Tensor]
    __rmul__: Callable[[Tensor, Any], Tensor]
    __truediv__: Callable[[Tensor, Any], Tensor]
    __rtruediv__: Callable[[Tensor, Any], Tensor]
    __pow__: Callable[[Tensor, Any], Tensor]
    __rpow__: Callable[[Tensor, Any], Tensor]

    def __matmul__(self, other: Any) -> Tensor:
        return ops.linalg.matmul(self, _operand(other))

    def __rmatmul__(self, other: Any) -> Tensor:
        return ops.linalg.matmul(_operand(other), self)

    def __neg__(self) -> Tensor:
        return ops.unary.Neg.apply(self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return ops.unary.Abs.apply(self)

    # Comparisons carry no gradient and return bool tensors.
    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return ops.binary.compare(np.equal, self, other)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return ops.binary.compare(np.not_equal, self, other)

    def __lt__(self, other: Any) -> Tensor:
        return ops.binary.compare(np.less, self, other)

    def __le__(self, other: Any) -> Tensor:
        return ops.binary.compare(np.less_equal, self, other)

    def __gt__(self, other: Any) -> Tensor:
        return ops.binary.compare(np.greater, self, other)

    def __ge__(self, other: Any) -> Tensor:
        return ops.binary.compare(np.greater_equal, self, other)

    # ---- indexing ---------------------------------------------------------------------
    def __getitem__(self, key: Any) -> Tensor:
        return ops.shape.index(self, key)

    @property
    def T(self) -> Tensor:
        """All dims reversed, as numpy's `.T`."""
        return ops.shape.permuted(self, tuple(range(self._data.ndim - 1, -1, -1)))

    @property
    def mT(self) -> Tensor:
        """The last two dims swapped (batched matrix transpose)."""
        n = self._data.ndim
        if n < 2:
            return self.transpose(-2, -1)  # raises, naming the dims
        return ops.shape.permuted(self, (*range(n - 2), n - 1, n - 2))


_OPERATOR_UFUNCS = {np.add: _op.add, np.subtract: _op.sub, np.multiply: _op.mul,
                    np.true_divide: _op.truediv, np.power: _op.pow, np.matmul: _op.matmul,
                    np.equal: _op.eq, np.not_equal: _op.ne, np.less: _op.lt,
                    np.less_equal: _op.le, np.greater: _op.gt, np.greater_equal: _op.ge}
_PASSED = frozenset((float, int, bool, Tensor))  # _operand's fast check (subclasses: isinstance)

# The arithmetic operators: the ops' module imports this one, so it comes last.
from .function import operator  # noqa: E402
from .ops.binary import Add, Div, Mul, Pow, Sub  # noqa: E402

Tensor.__add__, Tensor.__radd__ = operator(Add), operator(Add, reflected=True)
Tensor.__sub__, Tensor.__rsub__ = operator(Sub), operator(Sub, reflected=True)
Tensor.__mul__, Tensor.__rmul__ = operator(Mul), operator(Mul, reflected=True)
Tensor.__truediv__, Tensor.__rtruediv__ = operator(Div), operator(Div, reflected=True)
Tensor.__pow__, Tensor.__rpow__ = operator(Pow), operator(Pow, reflected=True)
