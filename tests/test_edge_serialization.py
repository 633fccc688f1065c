"""save/load and from_numpy: any str key, refused dtypes before anything is written, and
clear errors for files that are not save()'s archives. Pickle is never used."""

import os

import numpy as np
import pytest
import torch

import autograd as ag


def test_any_str_key_round_trips(tmp_path):
    path = tmp_path / "keys.npz"
    state = {"allow_pickle": ag.tensor([1.0, 2.0]), "file": ag.tensor([3]),
             "a.b/c": ag.tensor(True), "": ag.zeros(0, 2, dtype=ag.float64)}
    ag.save(state, path)
    loaded = ag.load(path)
    assert list(loaded) == list(state)
    for name, t in state.items():
        assert loaded[name].dtype == t.dtype and loaded[name].shape == t.shape
        np.testing.assert_array_equal(loaded[name].numpy(), t.numpy())
    with np.load(path, allow_pickle=False) as f:  # still an ordinary .npz
        assert f.files == list(state)


def test_saved_weights_load_into_torch(tmp_path):
    path = tmp_path / "w.npz"
    ag.save({"weight": ag.randn(3, 2), "step": ag.tensor(7)}, path)
    loaded = {k: torch.tensor(v.numpy()) for k, v in ag.load(path).items()}
    assert loaded["weight"].dtype == torch.float32 and loaded["step"].item() == 7


@pytest.mark.parametrize("value,dtype", [
    (np.array([{}], dtype=object), "object"), (np.array(["a"]), "<U1"),
    (np.array([1j]), "complex128"),
])
def test_save_refuses_what_load_cannot_read_and_writes_nothing(tmp_path, value, dtype):
    path = tmp_path / "bad.npz"
    with pytest.raises(TypeError, match=rf"^save: 'bad' has dtype {dtype}; expected a float"):
        ag.save({"good": ag.ones(2), "bad": value}, path)
    assert not path.exists()


def test_save_refuses_non_str_keys(tmp_path):
    with pytest.raises(TypeError, match="save: keys must be str"):
        ag.save({1: ag.ones(2)}, tmp_path / "k.npz")
    assert not (tmp_path / "k.npz").exists()


def test_load_of_an_npy_file_names_load_the_path_and_the_format(tmp_path):
    path = tmp_path / "x.npy"
    np.save(path, np.zeros(3))
    with pytest.raises(ValueError, match=r"^load: '.*x\.npy' is a single \.npy array; "
                                         r"expected an \.npz archive"):
        ag.load(path)


def test_load_of_a_text_file_names_load_the_path_and_the_format(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with pytest.raises(ValueError, match=r"^load: '.*notes\.txt' is not an \.npz archive"):
        ag.load(path)


def test_load_refuses_object_arrays_without_unpickling(tmp_path):
    path = tmp_path / "o.npz"
    np.savez(path, o=np.array([{}], dtype=object))
    with pytest.raises(TypeError, match=r"^load: 'o' in '.*o\.npz' is an object array"):
        ag.load(path)


@pytest.mark.parametrize("array", [np.array([1j]), np.array(["a", "b"])])
def test_load_refuses_what_tensor_refuses(tmp_path, array):
    path = tmp_path / "c.npz"
    np.savez(path, c=array)
    with pytest.raises(TypeError, match=rf"^load: 'c' in .* has dtype {array.dtype}"):
        ag.load(path)


def test_load_of_an_empty_archive_is_empty(tmp_path):
    path = tmp_path / "e.npz"
    ag.save({}, path)
    assert ag.load(path) == {}


def test_load_of_a_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        ag.load(os.fspath(tmp_path / "missing.npz"))


@pytest.mark.parametrize("array", [np.array([1j]), np.array(["a"]), np.array([None])])
def test_from_numpy_refuses_what_tensor_refuses(array):
    with pytest.raises(TypeError):
        ag.tensor(array)
    with pytest.raises(TypeError, match=rf"^from_numpy: unsupported dtype {array.dtype}"):
        ag.from_numpy(array)


def test_from_numpy_still_shares_memory():
    arr = np.zeros(3, np.float32)
    t = ag.from_numpy(arr)
    arr[0] = 5
    assert t.numpy()[0] == 5
