"""`Module` and `Parameter`: parameters, buffers and submodules registered by assignment."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable, Iterator, Mapping, NamedTuple

import numpy as np

import autograd as ag
from autograd import Tensor
from autograd.tensor import RemovableHandle
from autograd.tensor_conversions import to_args
from autograd.viz_recording import enter_module, exit_module

from .hooks import BackwardHookState


class Parameter(Tensor):
    """A Tensor that a `Module` registers as learnable when assigned as an attribute."""

    __slots__ = ()

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            data = np.empty(0, np.float32)
        super().__init__(data._data if isinstance(data, Tensor) else data, requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class IncompatibleKeys(NamedTuple):
    missing_keys: list[str]
    unexpected_keys: list[str]


class Module:
    """Base class of every layer and model. Subclasses set attributes in `__init__` and
    define `forward`; call the module itself, not `forward`, so that hooks run."""

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_hooks", [])
        object.__setattr__(self, "_forward_pre_hooks", [])
        object.__setattr__(self, "_backward_hooks", [])

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._forward_pre_hooks:
            for hook in list(self._forward_pre_hooks):
                result = hook(self, args)
                if result is not None:  # replaces the positional arguments, as PyTorch
                    args = result if isinstance(result, tuple) else (result,)
        backward = None
        if self._backward_hooks and ag.is_grad_enabled():
            backward = BackwardHookState(self, self._backward_hooks)
            args = backward.setup_inputs(args)
        scope = enter_module(self)  # tag the ops this call records with the module, for viz
        try:
            out = self.forward(*args, **kwargs)
        finally:
            exit_module(scope)
        for hook in list(self._forward_hooks):
            result = hook(self, args, out)
            if result is not None:
                out = result
        return out if backward is None else backward.setup_output(out)

    # ---- registration -----------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        d = self.__dict__
        if "_parameters" not in d:
            raise AttributeError(
                f"cannot assign {name!r} before Module.__init__() has run; "
                "call super().__init__() first in the subclass"
            )
        params, buffers, modules = d["_parameters"], d["_buffers"], d["_modules"]
        if isinstance(value, Parameter | Module):
            target = params if isinstance(value, Parameter) else modules
            for store in (params, buffers, modules):
                if store is not target:  # a re-assigned name keeps its place, as PyTorch
                    store.pop(name, None)
            d.pop(name, None)
            target[name] = value
            return
        for store, kind in ((params, "Parameter"), (modules, "Module"), (buffers, "Tensor")):
            if name in store:
                if value is not None and not (kind == "Tensor" and isinstance(value, Tensor)):
                    raise TypeError(
                        f"cannot assign {type(value).__name__} to {name!r} of "
                        f"{type(self).__name__}: expected a {kind} or None"
                    )
                store[name] = value
                return
        object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            if store in d and name in d[store]:
                return d[store][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for store in (self._parameters, self._buffers, self._modules):
            if name in store:
                del store[name]
                return
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """A tensor saved in the state dict (when persistent) but not trained."""
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        self._modules[name] = module

    # ---- traversal --------------------------------------------------------------------
    def named_modules(
        self, prefix: str = "", remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Module]]:
        """Every module of the tree, self first, with dotted names; each once unless
        `remove_duplicate=False` (then a shared module comes once per path, as in state_dict)."""
        seen: set[int] = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if remove_duplicate and id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [(f"{name}.{k}" if name else k, m) for k, m in module._modules.items()
                        if m is not None]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        for name, m in self._modules.items():
            if m is not None:
                yield name, m

    def children(self) -> Iterator[Module]:
        for _, m in self.named_children():
            yield m

    def _named_members(self, store: str, recurse: bool) -> Iterator[tuple[str, Tensor]]:
        seen: set[int] = set()
        modules = self.named_modules() if recurse else [("", self)]
        for prefix, module in modules:
            for name, t in getattr(module, store).items():
                if t is None or id(t) in seen:
                    continue
                seen.add(id(t))
                yield (f"{prefix}.{name}" if prefix else name), t

    def named_parameters(self, recurse: bool = True) -> Iterator[tuple[str, Parameter]]:
        """`(dotted name, parameter)` pairs as PyTorch names them (`0.weight`, `fc.bias`)."""
        return self._named_members("_parameters", recurse)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse):
            yield p

    def named_buffers(self, recurse: bool = True) -> Iterator[tuple[str, Tensor]]:
        return self._named_members("_buffers", recurse)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse):
            yield b

    # ---- modes and gradients ----------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad._data[...] = 0

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad = requires_grad
        return self

    def to(self, *args: Any, **kwargs: Any) -> Module:
        """Cast floating-point parameters and buffers in place, in PyTorch's forms: `to(dtype)`,
        `to(device)`, `to(device, dtype)`, `to(tensor)` and keywords (the CPU only)."""
        dtype, _ = to_args(args, kwargs, f"{type(self).__name__}.to")
        if dtype is None:
            return self
        if dtype.kind != "f":
            raise TypeError(f"{type(self).__name__}.to: only floating point dtypes are "
                            f"accepted, got {dtype}")
        for t in list(self.parameters()) + list(self.buffers()):
            if t._data.dtype.kind == "f":
                t._data = t._data.astype(dtype)
                if t.grad is not None:
                    t.grad = ag.Tensor(t.grad._data.astype(dtype))
        return self

    def cpu(self) -> Module:
        """The module itself (it is on the CPU already)."""
        return self

    def cuda(self, device: Any = None) -> Module:
        """Raises: chainrule runs on the CPU only."""
        return self.to("cuda" if device is None else device)

    def float(self) -> Module:
        return self.to(np.float32)

    def double(self) -> Module:
        return self.to(np.float64)

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call `fn` on every submodule (children first, depth-first) and then on self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def register_forward_pre_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """`hook(module, args)` runs before forward; a returned value (a tuple, or one value
        that is wrapped in one) replaces the positional arguments."""
        self._forward_pre_hooks.append(hook)
        return RemovableHandle(self._forward_pre_hooks, hook)

    def register_full_backward_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """`hook(module, grad_input, grad_output)` runs when the gradients of the module's
        inputs are computed; a returned tuple replaces grad_input. Built from tensor hooks on
        the inputs and outputs: see `nn.hooks` for the semantics and limits."""
        self._backward_hooks.append(hook)
        return RemovableHandle(self._backward_hooks, hook)

    def register_forward_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """`hook(module, inputs, output)` runs after forward; a returned value replaces output."""
        self._forward_hooks.append(hook)
        return RemovableHandle(self._forward_hooks, hook)

    # ---- state ------------------------------------------------------------------------
    def state_dict(self) -> OrderedDict[str, Tensor]:
        """Parameters and persistent buffers under PyTorch's dotted key names, sharing data."""
        out: OrderedDict[str, Tensor] = OrderedDict()
        for prefix, module in self.named_modules(remove_duplicate=False):
            dot = f"{prefix}." if prefix else ""
            for name, p in module._parameters.items():
                if p is not None:
                    out[dot + name] = p.detach()
            for name, b in module._buffers.items():
                if b is not None and name not in module._non_persistent:
                    out[dot + name] = b.detach()
        return out

    def load_state_dict(
        self, state_dict: Mapping[str, Any], strict: bool = True
    ) -> IncompatibleKeys:
        """Copy values into the existing parameters and buffers, cast to their dtypes.

        Everything is checked first: with `strict`, missing or unexpected keys fail; a shape
        mismatch, or a value that is not numbers (a string, None, an object or complex array),
        always fails, naming the key. On failure nothing has been copied."""
        own = self.state_dict()
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        problems = []
        if strict and missing:
            problems.append(f"missing keys {missing}")
        if strict and unexpected:
            problems.append(f"unexpected keys {unexpected}")
        values = {}
        for k, target in own.items():
            if k in state_dict:
                value = _numbers(state_dict[k])
                if value is None:
                    problems.append(f"{k}: expected numbers castable to {target.dtype}, got "
                                    f"{_describe(state_dict[k])}")
                elif value.shape != target.shape:
                    problems.append(f"{k}: expected shape {target.shape}, got {value.shape}")
                else:
                    values[k] = value
        if problems:
            raise RuntimeError(
                f"load_state_dict: {type(self).__name__} cannot load: " + "; ".join(problems)
            )
        for k, value in values.items():
            np.copyto(own[k]._data, value, casting="unsafe")
        return IncompatibleKeys(missing, unexpected)

    # ---- printing ---------------------------------------------------------------------
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = [f"({name}): " + repr(m).replace("\n", "\n  ") for name, m in self.named_children()]
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"


def _numbers(value: Any) -> np.ndarray | None:
    """`value` as a bool, int or float array, or None when it is anything else."""
    value = value._data if isinstance(value, Tensor) else value
    if value is None or isinstance(value, str | bytes):
        return None
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):  # ragged nested lists, objects numpy cannot hold
        return None
    return arr if arr.dtype.kind in "biuf" else None


def _describe(value: Any) -> str:
    if isinstance(value, Tensor | np.ndarray):
        return f"an array of dtype {value.dtype}"
    return f"{type(value).__name__} {value!r}"[:80]
