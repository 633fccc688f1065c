"""Every tuned size cut-off in the library, timed both ways on this host.

`python -m benchmarks.thresholds` (`--quick` for a smoke run, `--only NAME` for one table).
One module per family of cuts: `widen` (binary ops' operand widening), `sums` (BLAS sums),
`fold` (the window fold's block size), `relu` (relu's formulation), `knockout` (the
arg-extreme knockout); `core` holds the timing race and the tables, `__main__` the command.

For each threshold both paths run on float32 arrays shaped like the activations of
`benchmarks/workloads.py` (cnn, cnn_big, bn_cnn: conv and batch-norm activations, in the
channels-last layout conv2d returns), over a sweep that spans the cut: the library's fast path
forced on against it forced off, by a copy of the library's function with its module
constants bound to other values (and, for a cut written as a literal, that literal made a
name), so the benchmark runs the library's own code. The two paths alternate within each round, so
drift hits both, and each keeps its best time; a row whose medians spread by more than 15% is
measured again. Every row first checks that the two paths agree (bit for bit where they do
the same adds, to float32 rounding where BLAS reorders a sum), so a broken fast path fails.

Each table prints `fast / plain` (below 1: the fast path wins), what the library chooses
there (`lib`: fast or plain, found by calling the unpatched library), and `!` where that
choice is more than 5% slower than the other path. The lines under it give the measured
crossover, whether the library's rule sits within it, and how the rule it replaced would
have scored on the same rows. The process opts into
`autograd.tune_process()`, as `make bench` runs chainrule (`--untuned` leaves it out). Timings
stay in this output; nothing is asserted about them. Only the matmul in the
`ones @ matrix` sum goes through BLAS; the other paths are numpy's own loops, so compare
BLAS kernels (`OPENBLAS_CORETYPE`) for the sums and numpy's SIMD targets (printed in the
header; `NPY_DISABLE_CPU_FEATURES` changes them) for the rest.
"""
