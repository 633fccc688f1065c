"""`einsum`: one primitive over numpy's einsum; the gradient of each operand is itself an
einsum (of the output gradient with the other operands), so it is differentiable again.

An operand's letters may repeat (`'ii->i'`, a diagonal) and may be missing from the output
and from every other operand (`'ij->i'`, a sum): its gradient then takes an identity
matrix per repeat and a vector of ones per missing letter as extra operands. `...` is
expanded to letters, the operands broadcast first (by `expand`, so the engine sums the
gradient back); without `->` the output is the letters used once, in alphabetical order."""

from __future__ import annotations

import string
from typing import Any

import numpy as np

from ..dtypes import fix_result_dtype
from ..errors import ShapeError
from ..function import Function
from ..tensor import Tensor, _make

_LETTERS = string.ascii_letters


class Einsum(Function):
    @staticmethod
    def forward(ctx, subs, out_sub, *operands):
        ctx.subs, ctx.out_sub = subs, out_sub
        ctx.save_for_backward(*operands)
        arrays = [x._data for x in operands]
        r = np.einsum(f"{','.join(subs)}->{out_sub}", *arrays, optimize=len(arrays) > 2)
        return _make(fix_result_dtype(np.array(r), *operands[:2]))

    @staticmethod
    def backward(ctx, grad):
        operands = ctx.saved_tensors
        subs, out_sub = ctx.subs, ctx.out_sub
        grads = []
        for i in range(len(operands)):
            if not ctx.needs_input_grad[i + 2]:
                grads.append(None)
                continue
            grads.append(_operand_grad(grad, out_sub, subs, operands, i))
        return (None, None, *grads)


def _operand_grad(grad: Tensor, out_sub: str, subs: tuple, operands: tuple, i: int) -> Tensor:
    """d out / d operand i, contracted with `grad`: einsum(grad, the others -> sub_i)."""
    sub, x = subs[i], operands[i]
    sizes = dict(zip(sub, x.shape))
    free = iter(c for c in _LETTERS if c not in "".join(subs) + out_sub)
    target, extra_subs, extra = [], [], []
    seen = set()
    for c in sub:
        if c in seen:  # a repeated letter: a fresh one, tied to c by an identity matrix
            fresh = next(free)
            target.append(fresh)
            extra_subs.append(c + fresh)
            extra.append(_make(np.eye(sizes[c], dtype=grad.dtype)))
            continue
        seen.add(c)
        target.append(c)
    in_subs = [out_sub] + [s for j, s in enumerate(subs) if j != i]
    known = set("".join(in_subs + extra_subs))
    for c in seen - known:  # summed over in operand i alone: it broadcasts back
        extra_subs.append(c)
        extra.append(_make(np.ones(sizes[c], dtype=grad.dtype)))
    others = [y for j, y in enumerate(operands) if j != i]
    return Einsum.apply(tuple(in_subs + extra_subs), "".join(target), grad, *others, *extra)


def _parse(equation: str, shapes: list[tuple[int, ...]]) -> tuple[list[str], str, list]:
    """The operands' subscripts and the output's, `...` replaced by letters; and each
    operand's shape with the `...` dims it lacks inserted as 1s."""
    eq = equation.replace(" ", "")
    lhs, arrow, out = eq.partition("->")
    subs = lhs.split(",")
    if len(subs) != len(shapes):
        raise ValueError(f"einsum: the equation {equation!r} has {len(subs)} operand(s), "
                         f"but {len(shapes)} were given")
    used = set(c for c in eq if c in _LETTERS)
    for c in eq:
        if c not in _LETTERS and c not in ",.->":
            raise ValueError(f"einsum: invalid subscript {c!r} in {equation!r}; use letters")
    spare = [c for c in _LETTERS if c not in used]
    ell_shapes = []
    for s, shape in zip(subs, shapes):
        named = len(s.replace("...", ""))
        if ("..." not in s and named != len(shape)) or named > len(shape):
            raise ShapeError(f"einsum: subscripts {s!r} do not fit an operand of shape {shape}")
        if "..." in s:
            ell_shapes.append(shape[s.index("..."):len(shape) - (len(s) - s.index("...") - 3)])
    try:
        ell = np.broadcast_shapes(*ell_shapes) if ell_shapes else ()
    except ValueError:
        raise ShapeError(f"einsum: the '...' dims {ell_shapes} do not broadcast") from None
    ell_letters = "".join(spare[: len(ell)])
    padded = []  # each shape with its missing leading '...' dims as 1s
    for s, shape in zip(subs, shapes):
        at = s.index("...") if "..." in s else 0
        padded.append(shape[:at] + (1,) * (len(s.replace("...", ell_letters)) - len(shape))
                      + shape[at:])
    subs = [s.replace("...", ell_letters) for s in subs]
    if not arrow:
        once = sorted(c for c in set("".join(subs)) if "".join(subs).count(c) == 1
                      and c not in ell_letters)
        out = ell_letters + "".join(once)
    else:
        out = out.replace("...", ell_letters)
    for c in out:
        if c not in "".join(subs) or out.count(c) > 1:
            raise ValueError(f"einsum: output subscript {c!r} of {equation!r} must appear "
                             "once in the output and in some operand")
    return subs, out, padded


def einsum(equation: str, *operands: Any) -> Tensor:
    """Einstein summation, as `torch.einsum`: `einsum('ij,jk->ik', a, b)` is `a @ b`;
    operands may also come as one list. Differentiable in every operand."""
    if len(operands) == 1 and isinstance(operands[0], list | tuple):
        operands = tuple(operands[0])
    ops = [x if isinstance(x, Tensor) else Tensor(x) for x in operands]
    subs, out, padded = _parse(equation, [x.shape for x in ops])
    sizes: dict[str, int] = {}
    for k, (s, x) in enumerate(zip(subs, ops)):
        if padded[k] != x.shape:  # its '...' dims are fewer: broadcast it to the full ones
            x = ops[k] = x.reshape(padded[k])
        for c, n in zip(s, x.shape):
            if sizes.setdefault(c, n) != n and n != 1 and sizes[c] != 1:
                raise ShapeError(f"einsum: subscript {c!r} has size {sizes[c]} and {n} in "
                                 f"{equation!r} (shapes {[t.shape for t in ops]})")
            sizes[c] = n if sizes[c] == 1 else sizes[c]
    for k, (s, x) in enumerate(zip(subs, ops)):
        full = tuple(sizes[c] for c in s)
        if x.shape != full:
            ops[k] = x.expand(full)
    return Einsum.apply(tuple(subs), out, *ops)
