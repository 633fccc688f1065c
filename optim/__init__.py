"""chainrule's optim: optimisers, learning-rate schedules, early stopping, regularisation."""

from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .early_stopping import EarlyStopping
from .optimizer import Optimizer
from .perceptron import Perceptron
from .regularization import l1_penalty, prox_l1_
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = [
    "SGD", "Adadelta", "Adagrad", "Adam", "AdamW", "EarlyStopping", "Optimizer", "Perceptron",
    "RMSprop", "l1_penalty", "lr_scheduler", "prox_l1_",
]
