"""Devices, CPU only: `device('cpu')`, the `cuda`/`backends.mps`/`accelerator` queries that
answer "not available", and the check behind every `device=` and `.to(device)`.

chainrule computes with numpy on the CPU. PyTorch scripts that pick a device
(`'cuda' if torch.cuda.is_available() else 'cpu'`) therefore pick the CPU and run unchanged;
asking for any other device by name raises an error that says how to fix the script.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

_FIX = ("chainrule runs on the CPU only; use device='cpu', or pick the device as "
        "torch.device('cuda' if torch.cuda.is_available() else 'cpu')")


def _cpu_only(op: str, what: Any) -> RuntimeError:
    return RuntimeError(f"{op}: device {str(what)!r} is not available: {_FIX}")


class device:
    """A device: only `device('cpu')` or `device('cpu', 0)` / `device('cpu:0')` exists."""

    __slots__ = ("type", "index")

    def __init__(self, type: Any, index: int | None = None) -> None:
        if isinstance(type, device):
            type, index = type.type, type.index if index is None else index
        if not isinstance(type, str):
            raise TypeError(f"device: expected a str such as 'cpu' or a device, got "
                            f"{type.__class__.__name__}")
        name, _, idx = type.partition(":")
        if name != "cpu":
            raise _cpu_only("device", type)
        if idx:
            if index is not None or not idx.isdigit():
                raise RuntimeError(f"device: invalid device string {type!r}; expected 'cpu' "
                                   "or 'cpu:<index>'")
            index = int(idx)
        if index is not None and (not isinstance(index, int) or index < 0):
            raise RuntimeError(f"device: index must be an int >= 0, got {index!r}")
        object.__setattr__(self, "type", "cpu")
        object.__setattr__(self, "index", index)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"device: attribute {name!r} is read-only")

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, device) and other.type == self.type
                and other.index == self.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"


CPU = device("cpu")


def check(dev: Any, op: str) -> None:
    """Refuse any device other than the CPU: None, 'cpu', 'cpu:0', 0-free device('cpu') pass."""
    if dev is None or isinstance(dev, device):
        return
    if isinstance(dev, str):
        if dev == "cpu" or dev.startswith("cpu:"):
            device(dev)  # validates the index
            return
        raise _cpu_only(op, dev)
    if isinstance(dev, int) and not isinstance(dev, bool):  # an int names a CUDA device
        raise _cpu_only(op, f"cuda:{dev}")
    raise TypeError(f"{op}: expected a device such as 'cpu' or device('cpu'), got "
                    f"{dev.__class__.__name__}")


def set_default_device(dev: Any) -> None:
    """Accepts the CPU (the only device), refuses any other."""
    check(dev, "set_default_device")


def get_default_device() -> device:
    """Always `device('cpu')`."""
    return CPU


def _false() -> bool:
    """Not available: chainrule runs on the CPU only."""
    return False


def _zero() -> int:
    """No such device: chainrule runs on the CPU only."""
    return 0


def _none() -> None:
    """No accelerator: chainrule runs on the CPU only."""
    return None


def _cuda_current_device() -> int:
    """Raises: there is no CUDA device."""
    raise _cpu_only("cuda.current_device", "cuda")


def _cuda_synchronize(device: Any = None) -> None:
    """Raises: there is no CUDA device."""
    raise _cpu_only("cuda.synchronize", "cuda")


def _manual_seed_all(seed: int) -> None:
    """Seeds nothing: there is no CUDA device (as torch without CUDA)."""


def _empty_cache() -> None:
    """Frees nothing: there is no CUDA memory (as torch without CUDA)."""


cuda = SimpleNamespace(is_available=_false, device_count=_zero, is_initialized=_false,
                       current_device=_cuda_current_device, synchronize=_cuda_synchronize,
                       manual_seed=_manual_seed_all, manual_seed_all=_manual_seed_all,
                       empty_cache=_empty_cache)
# Scripts set backends.cudnn.deterministic / .benchmark: plain attributes, as in torch.
backends = SimpleNamespace(mps=SimpleNamespace(is_available=_false, is_built=_false),
                           cuda=SimpleNamespace(is_built=_false),
                           cudnn=SimpleNamespace(is_available=_false, deterministic=False,
                                                 benchmark=False, enabled=True))
accelerator = SimpleNamespace(is_available=_false, current_accelerator=_none,
                              device_count=_zero)
