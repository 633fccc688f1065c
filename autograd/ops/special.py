"""Special functions: `erf`, the primitive under exact GELU.

numpy has no erf and chainrule does not depend on scipy, so the forward is W. J. Cody's
rational Chebyshev approximation (Math. Comp. 23, 1969; Netlib's CALERF), accurate to
float64 rounding on three intervals of |x|. The backward, 2/sqrt(pi) exp(-x^2) grad, is
written with Tensor ops, so it is twice differentiable.
"""

from __future__ import annotations

import math

import numpy as np

from ..function import Function
from ..tensor import Tensor, _make
from .unary import exp

_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
      3.20937758913846947e03, 1.85777706184603153e-1)
_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
      2.84423683343917062e03)
_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
      2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
      2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)
_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
      1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
      3.43936767414372164e03, 1.23033935480374942e03)
_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
      1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)
_Q = (2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1,
      6.05183413124413191e-2, 2.33520497626869185e-3)
_RSQRTPI = 0.56418958354775628695
_XBIG = 26.543  # erfc(x) underflows beyond: erf is 1


def _erf_small(x: np.ndarray) -> np.ndarray:
    """erf(x) for |x| <= 0.46875."""
    z = x * x
    num, den = _A[4] * z, z
    for a, b in zip(_A[:3], _B[:3]):
        num, den = (num + a) * z, (den + b) * z
    return x * (num + _A[3]) / (den + _B[3])


def _erfc_large(y: np.ndarray) -> np.ndarray:
    """erfc(y) for y > 0.46875 (y = |x|)."""
    mid = y <= 4.0
    ym = np.where(mid, y, 1.0)  # each branch sees only its own inputs: no overflow
    num, den = _C[8] * ym, ym
    for c, d in zip(_C[:7], _D[:7]):
        num, den = (num + c) * ym, (den + d) * ym
    r_mid = (num + _C[7]) / (den + _D[7])
    yt = np.where(mid, 5.0, np.minimum(y, _XBIG))
    z = 1.0 / (yt * yt)
    num, den = _P[5] * z, z
    for p, q in zip(_P[:4], _Q[:4]):
        num, den = (num + p) * z, (den + q) * z
    r_tail = (_RSQRTPI - z * (num + _P[4]) / (den + _Q[4])) / yt
    ys = np.where(y < _XBIG, y, 0.0)
    head = np.trunc(ys * 16.0) / 16.0  # exp(-y^2) in two factors keeps its last bits
    scale = np.exp(-head * head) * np.exp(-(ys - head) * (ys + head))
    return np.where(y < _XBIG, scale * np.where(mid, r_mid, r_tail), 0.0)


def _erf(x: np.ndarray) -> np.ndarray:
    """erf of a float array, computed in float64 and returned in x's dtype."""
    x64 = x.astype(np.float64, copy=False)
    y = np.abs(x64)
    small = y <= 0.46875
    out = np.where(small, _erf_small(np.where(small, x64, 0.0)), x64)  # NaN stays NaN
    big = ~small & ~np.isnan(y)
    if big.any():
        tail = 1.0 - _erfc_large(np.where(big, y, 1.0))
        out = np.where(big, np.copysign(tail, x64), out)
    return out.astype(x.dtype, copy=False)


class Erf(Function):
    """Primitive: numpy has no erf (forward above); d erf(x)/dx = 2/sqrt(pi) exp(-x^2)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _make(_erf(x._data))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * (exp(-(x * x)) * (2.0 / math.sqrt(math.pi)))


def erf(x: Tensor) -> Tensor:
    """The error function 2/sqrt(pi) * integral_0^x exp(-t^2) dt, elementwise.

    >>> erf(tensor([0.0, 1.0]))   # tensor([0.0000, 0.8427])
    """
    if not isinstance(x, Tensor):
        raise TypeError(f"erf: expected a Tensor, got {type(x).__name__}")
    if x.dtype.kind != "f":
        raise TypeError(f"erf: expected a floating point tensor, got dtype {x.dtype} "
                        "(convert with .float() first)")
    return Erf.apply(x)
