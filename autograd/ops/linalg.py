"""Matrix multiplication: one primitive for ndim >= 2, the 1-D cases composed by reshapes."""

from __future__ import annotations

import numpy as np

from ..dtypes import fix_result_dtype
from ..errors import ShapeError
from ..function import Function
from ..tensor import Tensor, _make


class MatMul(Function):
    """Batched `a @ b` for ndim >= 2; broadcast batch dims are summed back by the engine."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _make(fix_result_dtype(np.matmul(a._data, b._data), a, b))

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        ctx.release_saved()  # then `a` (a conv's im2col matrix) goes before ga is allocated
        needs = ctx.needs_input_grad
        gb = None
        if needs[1]:  # for a transposed b (x @ W.T) make the grad in W's own, contiguous layout
            f_order = b.ndim == 2 and b._data.flags.f_contiguous and not b._data.flags.c_contiguous
            gb = (grad.mT @ a).mT if f_order else a.mT @ grad
        del a
        ga = grad @ b.mT if needs[0] else None
        return ga, gb

def matmul(a: Tensor, b: Tensor) -> Tensor:
    """numpy's matmul: 1-D operands are promoted to matrices and the added dim removed."""
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        raise TypeError(f"matmul: expected Tensors, got {type(a).__name__} and {type(b).__name__}")
    if a.ndim == 0 or b.ndim == 0:
        raise ShapeError(f"matmul: both operands must be at least 1-D, got {a.shape} and {b.shape}")
    k_a, k_b = a.shape[-1], b.shape[0] if b.ndim == 1 else b.shape[-2]
    if k_a != k_b:
        raise ShapeError(
            f"matmul: shapes {a.shape} and {b.shape} do not align ({k_a} != {k_b})"
        )
    if a.ndim == 2 and b.ndim == 2:  # the common case, with nothing to broadcast or fold
        return MatMul.apply(a, b)
    a2 = a.unsqueeze(0) if a.ndim == 1 else a
    b2 = b.unsqueeze(-1) if b.ndim == 1 else b
    try:
        np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
    except ValueError:
        raise ShapeError(
            f"matmul: batch dims of {a.shape} and {b.shape} do not broadcast"
        ) from None
    if b2.ndim > 2 and all(n == 1 for n in b2.shape[:-2]) and a2.ndim >= b2.ndim:
        b2 = b2.reshape(b2.shape[-2:])  # a batch of one matrix is that matrix, broadcast
    if b2.ndim == 2 and a2.ndim > 2:  # fold the batch into rows: one large BLAS call
        out = MatMul.apply(a2.reshape(-1, k_a), b2).reshape(a2.shape[:-1] + b2.shape[-1:])
    else:
        out = MatMul.apply(a2, b2)
    if b.ndim == 1:
        out = out.squeeze(-1)
    if a.ndim == 1:
        out = out.squeeze(-2 if b.ndim > 1 else -1)
    return out
