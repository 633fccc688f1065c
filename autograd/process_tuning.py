"""`tune_process()`: opt-in settings for the C heap and Python's collector during training.

Importing chainrule changes nothing in the process. A training script may call
`autograd.tune_process()` once, at its start, to change two process-wide policies:

**The C heap.** A training step allocates and frees the same large arrays every step.
glibc's default hands blocks over its mmap threshold back to the OS when they are freed,
so every step page-faults them in again and the kernel zeroes each page. Raising the mmap
and trim thresholds keeps freed blocks in the heap, where the next step reuses them; the
process then keeps its peak heap instead of returning it between steps. Other C libraries
(macOS, musl) are left alone. glibc has no call to undo this.

**The cyclic garbage collector.** A recorded graph is many small objects that die by
reference counting, never in cycles, yet CPython's full collection walks all of them (and
the rest of the heap) each time the survivors grow by a quarter. Young collections start
after 2,000 new containers instead of 700 (CPython 3.13's default), and a full collection
runs a tenth as often. `gc.set_threshold` undoes it.

`make bench` measures the effect both ways (`python -m benchmarks.tuning`).
"""

from __future__ import annotations

import ctypes
import gc
import sys

M_TRIM_THRESHOLD = -1  # glibc's mallopt parameter numbers
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 2**20  # the largest glibc accepts on 64-bit: bigger blocks still mmap
TRIM_THRESHOLD = 256 * 2**20  # free memory kept at the top of the heap before trimming
YOUNG_COLLECTION_AFTER = 2000  # new containers per young collection (CPython < 3.13: 700)
FULL_COLLECTION_EVERY = 100  # middle-generation collections per full one (CPython's: 10)


def tune_process(malloc: bool = True, collector: bool = True) -> dict[str, bool]:
    """Apply the heap and collector policies above to this process; returns which took effect.

    >>> import autograd as ag
    >>> ag.tune_process()  # doctest: +SKIP
    {'malloc': True, 'collector': True}
    """
    return {"malloc": malloc and _tune_malloc(), "collector": collector and _tune_collector()}


def _tune_malloc() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version  # only glibc has it  # noqa: B018
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )


def _tune_collector() -> bool:
    young, middle, old = gc.get_threshold()
    gc.set_threshold(max(young, YOUNG_COLLECTION_AFTER), middle, max(old, FULL_COLLECTION_EVERY))
    return True
