"""Full backward hooks of a `Module`, built from tensor hooks (no backward of their own).

PyTorch routes a module's inputs and outputs through an identity Function and calls
`hook(module, grad_input, grad_output)` from its backward. Here the same happens with
graph ops and `register_hook`:

- the positional Tensor inputs that require grad pass through one identity op (an index
  `x[...]`, or for several inputs one `cat` of their flattened values that the module
  then sees in slices), so one tensor hook receives every input gradient at once;
- the output (a Tensor, or the Tensors of a tuple/list, joined the same way) passes
  through an identity op whose hook records grad_output.

The input hook fires after the output hook (the engine walks from the output), calls the
module's hooks, and a returned grad_input replaces the gradients that flow on. As PyTorch:
grad_input has one entry per positional argument, None for non-Tensors; a Tensor input
that does not require grad gets zeros when another input does; when none does, the hooks
run from the output hook with grad_input all None.

Limits: several inputs must share one dtype (they are joined by `cat`); with several
outputs, an output that the loss does not use has a zero grad_output (PyTorch: None).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

import autograd as ag
from autograd import Tensor


def _join(tensors: list[Tensor], op: str) -> tuple[Tensor, list[Tensor]]:
    """One graph node that all of `tensors` pass through: (the node's output, the tensors
    as views of it)."""
    if len(tensors) == 1:
        joined = tensors[0][...]
        return joined, [joined]
    dtypes = {t.dtype for t in tensors}
    if len(dtypes) != 1:
        raise TypeError(f"register_full_backward_hook: the module's {op} must share one dtype "
                        f"to be hooked, got {sorted(str(d) for d in dtypes)}")
    joined = ag.cat([t.reshape(-1) for t in tensors])
    views, start = [], 0
    for t in tensors:
        views.append(joined[start:start + t.numel()].reshape(t.shape))
        start += t.numel()
    return joined, views


def _split(flat: Tensor, like: list[Tensor]) -> list[Tensor]:
    if len(like) == 1:
        return [flat]
    out, start = [], 0
    for t in like:
        out.append(Tensor(flat._data[start:start + t.numel()].reshape(t.shape)))
        start += t.numel()
    return out


class BackwardHookState:
    """The hooks of one module call: set up the inputs before forward, the output after."""

    def __init__(self, module: Any, hooks: list[Callable[..., Any]]) -> None:
        self.module, self.hooks = module, list(hooks)
        self.grad_output: tuple | None = None
        self.n_args = 0
        self.needs: list[int] = []

    def setup_inputs(self, args: tuple) -> tuple:
        """`args` with the Tensors that require grad routed through one hooked node."""
        self.n_args = len(args)
        self.tensors = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        self.needs = [i for i in self.tensors if args[i].requires_grad]
        if not self.needs:
            return args
        self.inputs = [args[i] for i in self.needs]
        joined, views = _join(self.inputs, "inputs")
        joined.register_hook(self._on_input_grad)
        args = list(args)
        for i, v in zip(self.needs, views):
            args[i] = v
        self.shapes = {i: (args[i].shape, args[i].dtype) for i in self.tensors}
        return tuple(args)

    def setup_output(self, out: Any) -> Any:
        """`out` with its Tensors that require grad routed through one hooked node."""
        seq = out if isinstance(out, tuple | list) else (out,)
        self.n_out = len(seq)
        idx = [k for k, o in enumerate(seq) if isinstance(o, Tensor) and o.requires_grad]
        if not idx:
            return out
        self.out_idx, self.outs = idx, [seq[k] for k in idx]
        joined, views = _join(self.outs, "outputs")
        joined.register_hook(self._on_output_grad)
        seq = list(seq)
        for k, v in zip(idx, views):
            seq[k] = v
        if isinstance(out, Tensor):
            return seq[0]
        return type(out)(seq) if isinstance(out, list) or type(out) is tuple else type(out)(*seq)

    def _on_output_grad(self, grad: Tensor) -> None:
        grads: list[Any] = [None] * self.n_out
        for k, g in zip(self.out_idx, _split(grad, self.outs)):
            grads[k] = g
        self.grad_output = tuple(grads)
        if not self.needs:  # no input requires grad: the hooks run now, grad_input all None
            self._call((None,) * self.n_args)

    def _on_input_grad(self, grad: Tensor) -> Tensor | None:
        grad_input: list[Any] = [None] * self.n_args
        for i in self.tensors:
            shape, dtype = self.shapes[i]
            grad_input[i] = Tensor(np.zeros(shape, dtype))
        for i, g in zip(self.needs, _split(grad, self.inputs)):
            grad_input[i] = g
        new = self._call(tuple(grad_input))
        if new is None:
            return None
        parts = [g if n is None else n for g, n in zip(_split(grad, self.inputs),
                                                       (new[i] for i in self.needs))]
        return parts[0] if len(parts) == 1 else ag.cat([p.reshape(-1) for p in parts])

    def _call(self, grad_input: tuple) -> tuple | None:
        """Each hook in order; a returned tuple replaces grad_input for the later hooks."""
        replaced = None
        for hook in self.hooks:
            result = hook(self.module, grad_input, self.grad_output)
            if result is None:
                continue
            result = tuple(result) if isinstance(result, tuple | list) else (result,)
            if len(result) != len(grad_input):
                raise RuntimeError(
                    f"full backward hook of {type(self.module).__name__}: returned "
                    f"{len(result)} grad_input values, expected {len(grad_input)}"
                )
            grad_input = replaced = result
        return replaced
