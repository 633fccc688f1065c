"""chainrule's nn: modules, layers, losses and init, composed purely from autograd ops."""

from . import data, diagnostics, functional, init, utils
from .activation import LeakyReLU, LogSoftmax, Maxout, PReLU, ReLU, Sigmoid, Softmax, Softplus, Tanh
from .container import ModuleList, Sequential
from .conv import AvgPool2d, Conv2d, MaxPool2d
from .dropout import Dropout
from .linear import Flatten, Identity, Linear
from .loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss
from .module import Module, Parameter
from .norm import BatchNorm1d, BatchNorm2d

__all__ = [
    "AvgPool2d", "BCELoss", "BCEWithLogitsLoss", "BatchNorm1d", "BatchNorm2d", "Conv2d",
    "CrossEntropyLoss", "Dropout", "Flatten", "Identity", "L1Loss", "LeakyReLU", "Linear",
    "LogSoftmax", "MSELoss", "MaxPool2d", "Maxout", "Module", "ModuleList", "NLLLoss",
    "PReLU", "Parameter", "ReLU", "Sequential", "Sigmoid", "Softmax", "Softplus", "Tanh", "data",
    "diagnostics", "functional", "init", "utils",
]
