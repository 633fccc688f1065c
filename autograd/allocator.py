"""How the C heap and Python's collector treat a training step's memory.

**The C heap.** A training step allocates and frees the same large arrays every step.
glibc's default hands blocks over its mmap threshold back to the OS when they are freed,
so every step page-faults them in again and the kernel zeroes each 4 kB page: in the
`cnn` benchmark that was 40% of the step. Raising the mmap and trim thresholds keeps
freed blocks in the heap, where the next step reuses them. The process keeps its peak
heap instead of returning it between steps. `CHAINRULE_MALLOC_TUNING=0` in the
environment keeps glibc's defaults; other C libraries (macOS, musl) are left alone.

**The cyclic garbage collector.** A recorded graph is tens of thousands of small objects
that die by reference counting, never in cycles, yet CPython's full collection walks all
of them (and the rest of the heap) each time the survivors grow by a quarter: 10-17% of
the `scalar` and `deep` benchmarks. Running the full collection a tenth as often removes
most of that. Young collections start after 2,000 new containers instead of 700, the
default CPython adopted in 3.13: a graph of a few hundred ops (about four containers
each) is then mostly freed before a collection walks it, not walked three times on its
way to the middle generation (the `overhead` chain -5%, `deep` -10% per op).
`CHAINRULE_GC_TUNING=0` keeps CPython's thresholds.

Both are applied on import.
"""

from __future__ import annotations

import ctypes
import gc
import os
import sys

M_TRIM_THRESHOLD = -1  # glibc's mallopt parameter numbers
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 2**20  # the largest glibc accepts on 64-bit: bigger blocks still mmap
TRIM_THRESHOLD = 256 * 2**20  # free memory kept at the top of the heap before trimming


def tune_malloc() -> bool:
    """Set glibc's thresholds as above; returns whether they were set."""
    if os.environ.get("CHAINRULE_MALLOC_TUNING", "1") == "0" or not sys.platform.startswith(
        "linux"
    ):
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


MALLOC_TUNED = tune_malloc()


YOUNG_COLLECTION_AFTER = 2000  # new containers per young collection (CPython < 3.13: 700)
FULL_COLLECTION_EVERY = 100  # middle-generation collections per full one (CPython's: 10)


def tune_gc() -> bool:
    """Make young and full collections rarer as above; returns whether thresholds were set."""
    if os.environ.get("CHAINRULE_GC_TUNING", "1") == "0":
        return False
    young, middle, old = gc.get_threshold()
    gc.set_threshold(max(young, YOUNG_COLLECTION_AFTER), middle, max(old, FULL_COLLECTION_EVERY))
    return True


GC_TUNED = tune_gc()
