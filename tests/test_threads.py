"""Grad mode is per thread, as in PyTorch: what one thread switches, another never sees."""

import threading

import numpy as np
import torch

import autograd as ag
import nn
import optim

TIMEOUT = 30  # seconds a thread may wait on the other before the test fails


def _run(*targets):
    """Run each target in its own thread; re-raise the first exception any of them raised."""
    errors = []

    def guarded(fn):
        try:
            fn()
        except BaseException as e:  # noqa: BLE001  (reported below, in the test's thread)
            errors.append(e)

    threads = [threading.Thread(target=guarded, args=(t,)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT)
        assert not t.is_alive(), "a thread did not finish"
    if errors:
        raise errors[0]


def test_no_grad_in_one_thread_leaves_recording_on_in_the_other():
    entered, checked = threading.Event(), threading.Event()
    seen = {}

    def quiet():
        with ag.no_grad():
            entered.set()
            assert checked.wait(TIMEOUT)
            seen["quiet"] = (ag.tensor([1.0], requires_grad=True) * 2).requires_grad

    def training():
        assert entered.wait(TIMEOUT)
        x = ag.tensor([1.0, 2.0], requires_grad=True)
        (x * x).sum().backward()
        seen["training"] = (ag.is_grad_enabled(), x.grad.tolist())
        checked.set()

    _run(quiet, training)
    assert seen == {"quiet": False, "training": (True, [2.0, 4.0])}
    assert ag.is_grad_enabled()


def test_overlapping_no_grad_blocks_restore_each_threads_mode():
    """A enters, B enters, A leaves, B leaves: with one process-wide switch B would restore
    the False that A had set, and recording would stay off everywhere."""
    step = [threading.Event() for _ in range(3)]
    after = {}

    def first():
        with ag.no_grad():
            step[0].set()
            assert step[1].wait(TIMEOUT)
        after["first"] = ag.is_grad_enabled()
        step[2].set()

    def second():
        assert step[0].wait(TIMEOUT)
        with ag.no_grad():
            step[1].set()
            assert step[2].wait(TIMEOUT)
        after["second"] = ag.is_grad_enabled()

    _run(first, second)
    assert after == {"first": True, "second": True}
    assert ag.is_grad_enabled()


def test_overlapping_backward_calls_leave_recording_on():
    """backward() turns recording off while it runs, in its own thread only."""
    inside, release = threading.Event(), threading.Event()
    seen = {}

    def slow_backward():
        x = ag.tensor([1.0, 2.0], requires_grad=True)

        def hook(g):
            inside.set()
            assert release.wait(TIMEOUT)
            return g

        x.register_hook(hook)
        (x * 3).sum().backward()
        seen["slow"] = (x.grad.tolist(), ag.is_grad_enabled())

    def other():
        assert inside.wait(TIMEOUT)
        y = ag.tensor([4.0], requires_grad=True)
        z = y * y
        seen["records"] = z.requires_grad
        z.sum().backward()
        seen["other"] = (y.grad.tolist(), ag.is_grad_enabled())
        release.set()

    _run(slow_backward, other)
    assert seen == {"slow": ([3.0, 3.0], True), "records": True, "other": ([8.0], True)}
    assert ag.is_grad_enabled()


def test_a_new_thread_starts_with_recording_on_even_under_no_grad():
    seen = []
    with ag.no_grad():
        _run(lambda: seen.append(ag.is_grad_enabled()))
        assert not ag.is_grad_enabled()
    assert seen == [True]
    with torch.no_grad():  # the oracle agrees
        t = threading.Thread(target=lambda: seen.append(torch.is_grad_enabled()))
        t.start()
        t.join()
    assert seen == [True, True]


def _train(seed, steps, barrier=None):
    """A small model trained for `steps` SGD steps; returns its loss curve and parameters."""
    rng = np.random.default_rng(seed)
    x = ag.tensor(rng.standard_normal((32, 5)).astype(np.float32))
    y = ag.tensor(rng.integers(0, 3, 32))
    model = nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 3))
    with ag.no_grad():
        for i, p in enumerate(model.parameters()):
            p.numpy()[...] = rng.standard_normal(p.shape).astype(np.float32) * 0.3 + i * 0.01
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    losses = []
    for _ in range(steps):
        if barrier is not None:
            barrier.wait(TIMEOUT)  # both threads step together, so their ops interleave
        opt.zero_grad()
        with ag.no_grad():
            model(x)  # a no-grad evaluation in the middle of training
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses, [p.numpy().copy() for p in model.parameters()]


def test_two_threads_training_their_own_models_match_single_threaded_runs():
    steps = 40
    expected = {seed: _train(seed, steps) for seed in (1, 2)}
    barrier = threading.Barrier(2)
    got = {}

    def worker(seed):
        return lambda: got.__setitem__(seed, _train(seed, steps, barrier))

    _run(worker(1), worker(2))
    for seed in (1, 2):  # the same ops on the same data; a BLAS may split a product
        # differently when two threads call it at once, so allow float32 round-off
        np.testing.assert_allclose(got[seed][0], expected[seed][0], rtol=1e-5)
        for a, b in zip(got[seed][1], expected[seed][1]):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
