"""`import torch` that gives chainrule: every name here is one of chainrule's own objects.

Put the directory above this package first on the path (`PYTHONPATH=examples/torch_alias`) and
a PyTorch script runs on chainrule. This package only renames: it computes nothing, wraps
nothing and changes no behaviour, so a name chainrule lacks is missing here too, and a script
that needs it fails with Python's own AttributeError or ImportError.

    torch.*                 autograd's public names (torch.tensor is autograd.tensor, ...)
    torch.autograd          autograd (Function, grad, ...)
    torch.nn                nn, with nn.functional, nn.init and nn.utils
    torch.optim             optim, with optim.lr_scheduler
    torch.utils.data        nn.data (Dataset, DataLoader, TensorDataset, random_split, ...)
"""

import sys

import autograd
import nn
import optim
from autograd import *  # noqa: F403 (the alias re-exports autograd's public names as they are)

from . import utils

# `import torch.nn.functional as F` and `from torch.utils.data import DataLoader` find these
# entries: each submodule path names chainrule's module itself.
sys.modules[__name__ + ".autograd"] = autograd
sys.modules[__name__ + ".nn"] = nn
sys.modules[__name__ + ".nn.functional"] = nn.functional
sys.modules[__name__ + ".nn.init"] = nn.init
sys.modules[__name__ + ".nn.utils"] = nn.utils
sys.modules[__name__ + ".optim"] = optim
sys.modules[__name__ + ".optim.lr_scheduler"] = optim.lr_scheduler
sys.modules[__name__ + ".utils.data"] = nn.data

__all__ = [*autograd.__all__, "autograd", "nn", "optim", "utils"]
