"""chainrule's autograd: a Tensor that records its graph, and backprop by the chain rule.

`autograd` is also the import name of HIPS autograd on PyPI; install chainrule into its
own virtual environment (the Makefile does) so the two never meet.
"""

from . import viz, viz_steps
from .creation import (
    arange,
    empty,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    multinomial,
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from .device import (
    accelerator,
    backends,
    cuda,
    device,
    get_default_device,
    set_default_device,
)
from .dtypes import bool_ as bool
from .dtypes import float16, float32, float64, int8, int16, int32, int64, uint8
from .dtypes import float16 as half
from .dtypes import float32 as float
from .dtypes import float64 as double
from .dtypes import int16 as short
from .dtypes import int32 as int
from .dtypes import int64 as long
from .engine import grad
from .errors import ShapeError
from .function import Function
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck
from .ops import inplace as _inplace  # noqa: F401 (the in-place methods' mechanism)
from .ops.binary import maximum, minimum, where
from .ops.cumulative import cumsum
from .ops.einsum import einsum
from .ops.extremes import amax, amin, argmax, argmin, max, min
from .ops.functional import (
    Size,
    bmm,
    histc,
    is_tensor,
    log2,
    log10,
    masked_fill,
    mm,
    numel,
    pow,
    softmax,
    tril,
    triu,
)
from .ops.linalg import matmul
from .ops.norms import norm
from .ops.reduce import log_softmax, logsumexp, mean, std, sum, var
from .ops.shape import (
    broadcast_to,
    cat,
    expand,
    flatten,
    pad,
    permute,
    reshape,
    squeeze,
    stack,
    transpose,
    unsqueeze,
)
from .ops.smooth import softplus
from .ops.sorting import argsort, sort, topk
from .ops.tiling import chunk, split
from .ops.unary import abs, clamp, clip, cos, exp, log, log1p, relu, sigmoid, sin, sqrt, tanh
from .ops.window import sliding_window_view
from .process_tuning import tune_process
from .random import Generator, manual_seed
from .serialization import load, save
from .tensor import Tensor

__all__ = [
    "Function", "GradcheckError", "ShapeError", "Tensor", "abs", "amax", "amin",
    "arange", "argmax", "argmin", "bool", "broadcast_to", "cat", "clamp", "clip", "cos",
    "enable_grad", "exp", "expand", "eye", "flatten", "float16", "float32", "float64", "from_numpy",
    "full", "grad", "gradcheck", "int32", "int64", "is_grad_enabled", "linspace", "load", "log",
    "log1p", "log_softmax", "logsumexp", "manual_seed", "matmul", "max", "maximum", "mean", "min",
    "minimum", "no_grad", "ones", "ones_like", "pad", "permute", "rand", "randint", "randn", "relu",
    "reshape", "save", "set_grad_enabled", "sigmoid", "sin", "sliding_window_view", "softplus",
    "sqrt", "squeeze", "stack", "std", "sum", "tanh", "tensor", "transpose", "tune_process",
    "unsqueeze", "var", "viz", "viz_steps", "where", "zeros", "zeros_like",
]
__all__ += [
    "Generator", "accelerator", "backends", "cuda", "device", "double", "empty", "float",
    "full_like", "get_default_device", "half", "int", "int8", "int16", "long", "multinomial",
    "normal", "rand_like", "randint_like", "randn_like", "randperm", "set_default_device",
    "short", "uint8",
]
__all__ += [
    "Size", "argsort", "bmm", "chunk", "cumsum", "einsum", "histc", "is_tensor", "log10",
    "log2", "masked_fill", "mm", "norm", "numel", "pow", "softmax", "sort", "split", "topk",
    "tril", "triu",
]
