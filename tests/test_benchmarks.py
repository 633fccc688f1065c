"""The benchmark suite as a smoke test: every workload runs a step in both engines and their
first losses agree. No timings here: `make bench` measures."""

import pytest

from benchmarks.run import check_losses
from benchmarks.workloads import WORKLOADS, build


@pytest.mark.parametrize("name", [w for w in WORKLOADS if w != "deep"])
def test_workload_runs_and_agrees_with_torch(name):
    losses = check_losses(name, ("chainrule", "torch"))
    assert losses["chainrule"] == pytest.approx(losses["torch"], rel=1e-4)
    for engine in ("chainrule", "torch"):
        workload = build(name, engine)
        expected = workload.check_loss()
        loss = workload.step()  # the timed step computes the same loss (dropout aside)
        assert loss == pytest.approx(expected, rel=1e-4) or name == "bn_cnn"


def test_hand_written_numpy_mlp_trains_like_chainrule():
    """The numpy floor `make bench` compares mlp against computes the same steps."""
    assert check_losses("mlp", ("chainrule", "numpy"))["numpy"] > 0
    ours, theirs = build("mlp", "chainrule"), build("mlp", "numpy")
    for _ in range(3):
        assert theirs.step() == pytest.approx(ours.step(), rel=1e-5)
    with pytest.raises(ValueError, match="only mlp"):
        build("cnn", "numpy")


def test_check_losses_rejects_a_wrong_engine(monkeypatch):
    import benchmarks.run as run

    real = run.build

    def skewed(name, engine):
        w = real(name, engine)
        if engine == "chainrule":
            base = w.check_loss
            w.check_loss = lambda: base() * 1.01
        return w

    monkeypatch.setattr(run, "build", skewed)
    with pytest.raises(AssertionError, match="first losses disagree"):
        run.check_losses("overhead", ("chainrule", "torch"))


def test_timing_pairs_the_engines_blocks():
    """A tiny budget: both engines time three blocks; the ratio is a paired one."""
    from benchmarks.run import time_workload

    medians, ratio, peak = time_workload("overhead", ("chainrule", "torch"), budget=0.01,
                                         min_rounds=3)
    assert set(medians) == set(peak) == {"chainrule", "torch"}
    assert all(m > 0 for m in medians.values()) and 0 < ratio < float("inf")


def test_compare_pairs_two_trees_and_reports_the_ratio(capsys):
    """`benchmarks.compare` runs each tree in its own process and pairs their blocks; here
    the tree against itself, two quick rounds (the numbers are not checked: no timings)."""
    from benchmarks import compare

    result = compare.compare("overhead", compare.REPO, compare.REPO, rounds=2, block=0.01)
    assert set(result) == {"before", "after", "ratio", "low", "high"}
    assert result["low"] <= result["ratio"] <= result["high"] and result["before"] > 0
    compare.main([str(compare.REPO), "--only", "overhead", "--rounds", "2", "--block", "0.01"])
    out = capsys.readouterr().out
    assert "after/before" in out and out.splitlines()[-1].startswith("overhead")


def test_compare_exports_a_revision_and_refuses_what_is_neither(tmp_path):
    from benchmarks import compare

    tree = compare.source_tree("HEAD", tmp_path)
    assert (tree / "autograd" / "engine.py").is_file()
    assert compare.source_tree("HEAD", tmp_path) != tree  # the same revision twice: two trees
    with pytest.raises(SystemExit, match="neither a source tree nor a git revision"):
        compare.source_tree("no-such-revision", tmp_path)
    with pytest.raises(SystemExit):
        compare.main(["HEAD", "--only", "nope"])
