"""`Function`: one differentiable op, its forward and its VJP side by side.

An instance of a `Function` subclass is both the `ctx` that `forward` fills and the
graph node (`grad_fn`) that `backward` runs from. A node links to its parents (the nodes
that made its inputs, or the leaf tensors themselves) but never to its own output, so
dropping the output frees it.
"""

from __future__ import annotations

import itertools
import weakref
from typing import Any, Callable

from .grad_mode import frees_saved, grad_enabled, no_grad
from .versions import version_of
from .viz_recording import module_scope


class _SavedOutput:
    """Stands in for the op's own output inside `saved`, so a node never holds its output."""

    __slots__ = ("_data", "_vc")

    def __init__(self, data: Any) -> None:
        self._data = data
        self._vc = None  # set when an in-place op overwrites the output (see inplace.py)


class _NullCtx:
    """The ctx handed to `forward` when no graph is recorded: it keeps nothing."""

    __slots__ = ("needs_input_grad",)

    def __init__(self, n_args: int) -> None:
        object.__setattr__(self, "needs_input_grad", (False,) * n_args)

    def save_for_backward(self, *tensors: Any) -> None:
        pass

    def __setattr__(self, name: str, value: Any) -> None:
        pass


_sequence = itertools.count()
_NULL_CTXS = tuple(_NullCtx(n) for n in range(8))  # one per argument count, shared
_NEEDS: dict[tuple, tuple] = {}  # each needs_input_grad pattern, kept once
_NEEDS_OF = tuple(tuple(_NEEDS.setdefault((x, y), (x, y)) for y in (False, True))
                  for x in (False, True))  # [x][y]: the two-operand patterns


_new = object.__new__


class Function:
    """Base class of every op. Subclass it with static `forward(ctx, *args)` and
    `backward(ctx, grad)`, then call `MyFn.apply(*args)`.

    `backward` returns one gradient per `forward` argument (`None` for arguments that
    need none) and is written with Tensor ops, so `create_graph=True` differentiates it.
    A returned gradient may have the broadcast shape: the engine sums it back.

    >>> class Cube(Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x ** 3
    ...     @staticmethod
    ...     def backward(ctx, grad):
    ...         (x,) = ctx.saved_tensors
    ...         return grad * 3 * x * x
    """

    # value/grad_value (0-d outputs), grad_norm and scope are set only when they apply.
    __slots__ = ("parents", "saved", "needs_input_grad", "shape", "dtype", "hooks", "seq",
                 "value", "grad_value", "grad_norm", "scope", "__dict__")

    builtin = False  # a VJP of this package's own ops: its new arrays are the engine's to reuse
    passes_gradient = False  # its VJP returns its gradient or a view of it (the view ops)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.builtin = cls.__module__.startswith(__package__ + ".")

    @staticmethod
    def forward(ctx: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(ctx).__name__} must define forward(ctx, *args)")

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> Any:
        raise NotImplementedError(f"{type(ctx).__name__} must define backward(ctx, grad)")

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        """Run `forward` and, when any Tensor argument requires grad, record the node."""
        if grad_enabled():
            for a in args:
                if isinstance(a, Tensor) and a._rg:
                    return cls._record(args, kwargs)
        n = len(args)
        return cls.forward(_NULL_CTXS[n] if n < 8 else _NullCtx(n), *args, **kwargs)

    @classmethod
    def _record(cls, args: tuple, kwargs: dict) -> Any:
        ctx = _new(cls)
        ctx.saved = ()
        # A parent is the node that made an input, or the input itself when it is a leaf.
        # (Plain loops: on CPython 3.11 two comprehensions here cost twice as much.)
        parents = []
        needs = []
        for a in args:
            if isinstance(a, Tensor) and a._rg:
                parents.append(a._node or a)
                needs.append(True)
            else:
                parents.append(None)
                needs.append(False)
        needs = tuple(needs)
        ctx.needs_input_grad = _NEEDS.setdefault(needs, needs)  # shared: one object fewer per node
        ctx.hooks = None
        if cls.builtin:
            out = cls.forward(ctx, *args, **kwargs) if kwargs else cls.forward(ctx, *args)
        else:  # a user's forward may use Tensor ops: they record nothing, as in PyTorch
            with no_grad():
                out = cls.forward(ctx, *args, **kwargs)
        if out.__class__ is not Tensor:
            _check_output(cls, out)
        for a in args:
            if a is out:  # forward returned an input unchanged: give the output its own identity
                out = _make(out._data)
                break
        data = out._data
        if data.dtype.kind != "f":  # integer and boolean results carry no gradient
            ctx.saved = None
            return out
        saved = ctx.saved
        if saved:
            for s in saved:
                if s is out:  # keep the output's array, never the output itself
                    ctx.saved = tuple([_SavedOutput(data) if s is out else s for s in saved])
                    break
        return _link(ctx, tuple(parents), out)

    def save_for_backward(self, *tensors: Any) -> None:
        """Keep tensors (inputs or the output) for `backward`; freed after backward."""
        self.saved = tensors

    def release_saved(self) -> None:
        """Free the saved tensors now, during backward, when this backward is their last use
        (no retain_graph): a VJP holding a large operand calls it once it has read them, so
        the operand goes before the VJP allocates its results."""
        if frees_saved():
            self.saved = None

    @property
    def saved_tensors(self) -> tuple:
        """What `save_for_backward` kept, the output rebuilt as a graph-connected Tensor."""
        saved = self.saved
        if saved is None:
            raise RuntimeError(_FREED_MESSAGE.format(name=self.name()))
        for s in saved:
            if s.__class__ is _SavedOutput:
                return tuple([_make(s._data, self) if s.__class__ is _SavedOutput else s
                              for s in saved])
        return saved

    @classmethod
    def name(cls) -> str:
        """The op's name, as graphs and error messages show it."""
        return cls.__name__

    def __repr__(self) -> str:
        return f"<{self.name()}Backward0>"

    class AccumulateGrad:
        """What `next_functions` shows for a leaf that requires grad: `.variable` is the leaf
        (one object per leaf while it is referenced, as in PyTorch)."""

        __slots__ = ("variable", "__weakref__")
        next_functions = ()
        _of: weakref.WeakValueDictionary = weakref.WeakValueDictionary()

        def __init__(self, variable: Any) -> None:
            self.variable = variable

        @staticmethod
        def name() -> str:
            return "torch::autograd::AccumulateGrad"

    @property
    def next_functions(self) -> tuple:
        """PyTorch's graph links: one `(node, 0)` per forward input, the node that made it, an
        `AccumulateGrad` for a leaf that requires grad, or None for an input needing none.
        Trailing inputs needing none (`dim`, `keepdim`, ...: no tensors in PyTorch) are left
        out, except for a two-operand op's second operand (`x * 2` lists `(None, 0)`). Kept on
        the node, so a leaf has one `AccumulateGrad` while its graph lives."""
        kept = self.__dict__.get("_next_functions")
        if kept is not None:
            return kept
        parents = self.parents
        if not type(self).__module__.endswith(".ops.binary"):
            n = len(parents)
            while n > 1 and parents[n - 1] is None:
                n -= 1
            parents = parents[:n]
        out = []
        for p in parents:
            if isinstance(p, Tensor):
                acc = Function.AccumulateGrad._of.get(id(p))
                if acc is None or acc.variable is not p:
                    acc = Function.AccumulateGrad._of[id(p)] = Function.AccumulateGrad(p)
                p = acc
            out.append((p, 0))
        self.__dict__["_next_functions"] = out = tuple(out)
        return out


def _link(ctx: Function, parents: tuple, out: Any) -> Any:
    """Make `ctx` the recorded node that produced `out` from `parents` (every op's last step).
    What `ctx` saved must not include `out` itself (`_SavedOutput` stands in for it)."""
    data = out._data
    ctx.parents = parents
    ctx.seq = next(_sequence)  # recording order: every consumer comes later
    ctx.shape = shape = data.shape
    ctx.dtype = data.dtype
    if not shape:  # a scalar's value stays drawable after its array is freed
        ctx.value = float(data)
    scope = module_scope()
    if scope is not None:
        ctx.scope = scope
    out._node = ctx
    out._rg = True
    return out


class _LastWrite:
    """The recording number (`seq`) of the latest in-place write anywhere: a node recorded
    after it saved nothing that has changed since, so backward checks only older nodes."""

    __slots__ = ("seq",)

    def __init__(self) -> None:
        self.seq = -1


LAST_WRITE = _LastWrite()


def check_versions(node: Function) -> None:
    """Raise PyTorch's error when a tensor `node` saved was changed in place after `node`
    was recorded (each write notes its number on the version counter it bumped)."""
    for s in node.saved:
        box = (version_of(s) if isinstance(s, Tensor) else s._vc if s.__class__ is _SavedOutput
               else None)
        if box is not None and box.writes and box.writes[-1] > node.seq:
            later = sum(1 for w in box.writes if w > node.seq)
            what = (f"a tensor of shape {s._data.shape}" if isinstance(s, Tensor)
                    else f"its output (shape {s._data.shape})")
            raise RuntimeError(
                f"backward: one of the variables needed for gradient computation has been "
                f"modified by an inplace operation: {what}, saved by {node!r}, is at version "
                f"{box.count}; expected version {box.count - later} instead. Hint: do the "
                "in-place change after backward(), or on a .clone()"
            )


def next_seq() -> int:
    """A new recording number: nodes and in-place writes share one order."""
    return next(_sequence)


def operator(cls: type[Function], reflected: bool = False) -> Callable[[Any, Any], Any]:
    """`cls.apply(self, other)` as a Tensor operator (`__mul__`, or `__rmul__` when
    reflected): the recorder's fast path for the two-operand primitives, which are most of
    what a scalar or small-tensor graph records. It makes the same ctx, node and result as
    `apply`, with the per-argument loops unrolled, for a forward that returns a new Tensor
    and saves no output Tensor (Pow keeps its output's array itself)."""
    forward = cls.forward

    def op(self: Any, other: Any) -> Any:
        if other.__class__ is not float and other.__class__ is not Tensor:
            other = _operand(other)
        mine = self._rg
        theirs = other.__class__ is not float and isinstance(other, Tensor) and other._rg
        if (mine or theirs) and grad_enabled():
            ctx = _new(cls)
            ctx.saved = ()
            ctx.hooks = None
            p = (self._node or self) if mine else None
            q = (other._node or other) if theirs else None
            if reflected:
                ctx.needs_input_grad = _NEEDS_OF[theirs][mine]
                return _link(ctx, (q, p), forward(ctx, other, self))
            ctx.needs_input_grad = _NEEDS_OF[mine][theirs]
            return _link(ctx, (p, q), forward(ctx, self, other))
        return forward(_NULL_CTXS[2], other, self) if reflected else forward(
            _NULL_CTXS[2], self, other)

    op.__name__ = op.__qualname__ = f"__{'r' if reflected else ''}{cls.__name__.lower()}__"
    return op


def _check_output(cls: type, out: Any) -> None:
    if not isinstance(out, Tensor):
        raise TypeError(
            f"{cls.__name__}.forward returned {type(out).__name__}; it must return one Tensor"
        )


_FREED_MESSAGE = (
    "backward: the graph through {name} was freed by an earlier backward(); "
    "pass retain_graph=True to the first backward() to call it again"
)

# Imported last: tensor.py imports the ops and the engine, which import this module.
from .tensor import Tensor, _make, _operand  # noqa: E402
