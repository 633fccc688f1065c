"""`torch.utils`: its only submodule, `torch.utils.data`, is chainrule's `nn.data`."""

from nn import data

__all__ = ["data"]
