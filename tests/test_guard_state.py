"""Module.load_state_dict validates every key, shape and value before it copies anything,
and names the key (issue 14)."""

import numpy as np
import pytest

import autograd as ag
import nn


def _model():
    return nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2), nn.Linear(2, 1))


def _snapshot(model):
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}


BAD = [
    ("a string", "abc", r"2\.weight: expected numbers castable to float32, got str 'abc'"),
    ("None", None, r"2\.weight: expected numbers castable to float32, got NoneType None"),
    ("an object array", np.array([[None]], dtype=object),
     r"2\.weight: expected numbers castable to float32, got an array of dtype object"),
    ("an array of None and a float", np.array([[None, 1.0]], dtype=object), "dtype object"),
    ("a string array", np.array([["1", "2"]]), r"got an array of dtype <U1"),
    ("a complex array", np.ones((1, 2), np.complex128), "got an array of dtype complex128"),
    ("a ragged list", [[1.0], [1.0, 2.0]], "2.weight: expected numbers"),
    ("the wrong shape", np.ones((2, 1), np.float32),
     r"2\.weight: expected shape \(1, 2\), got \(2, 1\)"),
]


@pytest.mark.parametrize("what,value,match", BAD, ids=[b[0] for b in BAD])
def test_a_value_that_cannot_be_loaded_is_named_and_nothing_changes(what, value, match):
    model, source = _model(), _model()
    before = _snapshot(model)
    state = {k: v.numpy() + 1 for k, v in source.state_dict().items()}  # differs everywhere
    state["2.weight"] = value  # the last key: every earlier key would have been copied
    with pytest.raises(RuntimeError, match=f"load_state_dict: Sequential cannot load: .*{match}"):
        model.load_state_dict(state)
    after = _snapshot(model)
    for k in before:
        np.testing.assert_array_equal(after[k], before[k], err_msg=k)


def test_every_problem_is_listed_at_once():
    model = _model()
    state = {k: v.numpy() for k, v in model.state_dict().items()}
    state["0.bias"] = "x"
    state["2.bias"] = np.ones(3)
    with pytest.raises(RuntimeError, match=r"0\.bias: expected numbers.*2\.bias: expected shape"):
        model.load_state_dict(state)


def test_numeric_values_still_load_cast_to_the_parameters_dtype():
    model = _model()
    state = {k: np.asarray(v.numpy(), np.float64) + 1 for k, v in model.state_dict().items()}
    state["1.num_batches_tracked"] = np.array(7)
    state["2.bias"] = [True]  # bool and nested lists are numbers too
    model.load_state_dict(state)
    np.testing.assert_array_equal(model[2].bias.numpy(), np.ones(1, np.float32))
    assert model[0].weight.dtype == ag.float32
    assert int(model[1].num_batches_tracked.numpy()) == 7
    np.testing.assert_array_equal(model[0].weight.numpy(), state["0.weight"].astype(np.float32))
