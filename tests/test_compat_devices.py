"""Devices, CPU only, as PyTorch spells them: `device`, the availability queries, `device=`
on every constructor, `.to(...)`'s forms on tensors and modules, `.type()`, dtype aliases and
`@no_grad` without parentheses. Any other device raises an error saying how to fix the script."""

import numpy as np
import pytest
import torch

import autograd as ag
import nn

CPU_ONLY = "chainrule runs on the CPU only; use device='cpu'"


def test_device_behaves_as_torchs():
    for spec in ["cpu", "cpu:0", ("cpu", 0), ("cpu", 1)]:
        args = spec if isinstance(spec, tuple) else (spec,)
        ours, theirs = ag.device(*args), torch.device(*args)
        assert (repr(ours), str(ours), ours.type, ours.index) == (
            repr(theirs), str(theirs), theirs.type, theirs.index)
    assert ag.device("cpu") == ag.device(ag.device("cpu"))
    same_torch = torch.device("cpu") == torch.device("cpu:0")
    assert (ag.device("cpu") == ag.device("cpu:0")) == same_torch
    assert len({ag.device("cpu"), ag.device("cpu")}) == 1


@pytest.mark.parametrize("name", ["cuda", "cuda:0", "mps", "xpu", "meta"])
def test_any_other_device_raises_saying_how_to_fix_the_script(name):
    with pytest.raises(RuntimeError, match=f"device: device '{name}' is not available: {CPU_ONLY}"):
        ag.device(name)
    with pytest.raises(RuntimeError, match=f"^to: device '{name}'.*cuda.is_available"):
        ag.ones(2).to(name)
    with pytest.raises(RuntimeError, match=f"^zeros: device '{name}'"):
        ag.zeros(2, device=name)
    with pytest.raises(RuntimeError, match=f"^set_default_device: device '{name}'"):
        ag.set_default_device(name)


def test_the_usual_device_pick_picks_the_cpu_and_the_queries_match_a_cpu_torch():
    device = ag.device("cuda" if ag.cuda.is_available() else "cpu")
    assert device == ag.device("cpu")
    assert ag.cuda.is_available() is torch.cuda.is_available() is False
    assert ag.cuda.device_count() == torch.cuda.device_count() == 0
    assert ag.backends.mps.is_available() is torch.backends.mps.is_available() is False
    assert ag.accelerator.is_available() is torch.accelerator.is_available() is False
    assert ag.accelerator.current_accelerator() is torch.accelerator.current_accelerator() is None
    for m in (ag, torch):  # the usual seeding and determinism lines run
        m.cuda.manual_seed(1), m.cuda.manual_seed_all(1), m.cuda.empty_cache()
        before = m.backends.cudnn.deterministic, m.backends.cudnn.benchmark
        m.backends.cudnn.deterministic, m.backends.cudnn.benchmark = True, False
        m.backends.cudnn.deterministic, m.backends.cudnn.benchmark = before
    assert ag.cuda.is_initialized() is torch.cuda.is_initialized() is False
    assert ag.backends.cudnn.is_available() is torch.backends.cudnn.is_available()
    for call in ["current_device", "synchronize"]:
        with pytest.raises(AssertionError):
            getattr(torch.cuda, call)()
        with pytest.raises(RuntimeError, match=f"^cuda.{call}: .*{CPU_ONLY}"):
            getattr(ag.cuda, call)()
    ag.set_default_device("cpu")
    ag.set_default_device(ag.device("cpu"))
    assert ag.get_default_device() == ag.device("cpu")
    assert str(torch.get_default_device()) == str(ag.get_default_device())


CREATORS = [
    ("tensor", lambda m, d: m.tensor([1.0, 2.0], device=d)),
    ("zeros", lambda m, d: m.zeros(2, 3, device=d)),
    ("ones", lambda m, d: m.ones((2,), device=d)),
    ("empty", lambda m, d: m.empty(2, 3, device=d).zero_()),
    ("full", lambda m, d: m.full((2,), 7, device=d)),
    ("zeros_like", lambda m, d: m.zeros_like(m.ones(2, dtype=m.float64), device=d)),
    ("ones_like", lambda m, d: m.ones_like(m.ones(2, dtype=m.int64), device=d)),
    ("full_like", lambda m, d: m.full_like(m.ones(2), 3.5, device=d)),
    ("arange", lambda m, d: m.arange(5, device=d)),
    ("linspace", lambda m, d: m.linspace(0, 1, 5, device=d)),
    ("eye", lambda m, d: m.eye(3, device=d)),
    ("rand", lambda m, d: m.rand(2, 3, device=d).shape),
    ("randn", lambda m, d: m.randn(2, device=d).dtype),
    ("randint", lambda m, d: m.randint(0, 5, (3,), device=d).dtype),
    ("randperm", lambda m, d: m.randperm(4, device=d).sort()[0] if m is torch
     else m.tensor(np.sort(m.randperm(4, device=d).numpy()))),
    ("rand_like", lambda m, d: m.rand_like(m.ones(2, dtype=m.float64), device=d).dtype),
    ("randn_like", lambda m, d: m.randn_like(m.ones(3), device=d).shape),
]


def _same(ours, theirs):
    if isinstance(theirs, torch.Tensor):
        assert ours.dtype == np.dtype(str(theirs.dtype).removeprefix("torch."))
        np.testing.assert_array_equal(ours.numpy(), theirs.detach().numpy())
    elif isinstance(theirs, torch.dtype):
        assert ours == np.dtype(str(theirs).removeprefix("torch."))
    else:
        assert tuple(ours) == tuple(theirs)


@pytest.mark.parametrize("name,make", CREATORS, ids=[c[0] for c in CREATORS])
@pytest.mark.parametrize("dev", [None, "cpu", "cpu:0", "device"])
def test_device_on_every_creation_function_matches_torch(name, make, dev):
    ours = make(ag, ag.device("cpu") if dev == "device" else dev)
    theirs = make(torch, torch.device("cpu") if dev == "device" else dev)
    _same(ours, theirs)
    if isinstance(ours, ag.Tensor):
        assert ours.device == ag.device("cpu") and str(ours.device) == str(theirs.device)
        assert ours.is_cuda is theirs.is_cuda is False


TO_FORMS = [
    ("dtype", lambda m, x: x.to(m.float64)),
    ("device", lambda m, x: x.to("cpu")),
    ("device object", lambda m, x: x.to(m.device("cpu"))),
    ("device, dtype", lambda m, x: x.to("cpu", m.int64)),
    ("other", lambda m, x: x.to(m.zeros(1, dtype=m.float64))),
    ("keywords", lambda m, x: x.to(device="cpu", dtype=m.float64, non_blocking=True)),
    ("dtype keyword only", lambda m, x: x.to(dtype=m.int32)),
    ("copy", lambda m, x: x.to("cpu", copy=True)),
    ("positional flags", lambda m, x: x.to("cpu", m.float64, False, True)),
    ("cpu", lambda m, x: x.cpu()),
    ("type()", lambda m, x: x.type(m.float64)),
    ("type(name)", lambda m, x: x.type("torch.LongTensor")),
]


@pytest.mark.parametrize("name,form", TO_FORMS, ids=[c[0] for c in TO_FORMS])
def test_to_forms_match_torch_in_value_dtype_identity_and_gradient(name, form):
    data = np.array([1.5, -2.0, 3.25], dtype=np.float32)
    x, tx = ag.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    out, tout = form(ag, x), form(torch, tx)
    _same(out, tout)
    assert (out is x) == (tout is tx)
    assert out.requires_grad == tout.requires_grad
    if tout.requires_grad and tout is not tx:
        (out * ag.tensor([1.0, 2.0, 3.0], dtype=out.dtype)).sum().backward()
        (tout * torch.tensor([1.0, 2.0, 3.0], dtype=tout.dtype)).sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "int32", "int16",
                                   "int8", "uint8", "bool"])
def test_type_names_and_dtype_aliases_match_torch(dtype):
    x, tx = ag.ones(2).to(getattr(ag, dtype)), torch.ones(2).to(getattr(torch, dtype))
    assert x.type() == tx.type()
    assert x.type(x.type()).dtype == x.dtype
    aliases = ["float", "double", "half", "long", "int", "short"]
    for alias in aliases:
        assert getattr(ag, alias) == np.dtype(str(getattr(torch, alias)).removeprefix("torch."))


def test_cuda_and_other_devices_raise_on_tensors_and_modules():
    x, model = ag.ones(2), nn.Linear(2, 2)
    for call in [x.cuda, lambda: x.to("cuda", ag.float64), lambda: x.to(0),
                 lambda: x.to(device="mps"), model.cuda, lambda: model.to("cuda"),
                 lambda: model.to(ag.device("cpu")).to("mps")]:
        with pytest.raises(RuntimeError, match=CPU_ONLY):
            call()


def test_to_errors_name_the_op_and_what_was_expected():
    with pytest.raises(TypeError, match=r"^to: unexpected keyword argument\(s\) \['dtyp'\]"):
        ag.ones(2).to(dtyp=ag.float64)
    with pytest.raises(TypeError, match="^to: expected a device such as 'cpu'"):
        ag.ones(2).to([1])
    with pytest.raises(TypeError, match="^Linear.to: only floating point dtypes"):
        nn.Linear(2, 2).to(ag.int64)


def test_module_to_forms_match_torch():
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
    ours = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    for form in [lambda m, mod: mod.to("cpu"), lambda m, mod: mod.to(m.device("cpu"), m.float64),
                 lambda m, mod: mod.cpu(), lambda m, mod: mod.to(dtype=m.float64),
                 lambda m, mod: mod.to(m.zeros(1, dtype=m.float32))]:
        assert form(ag, ours) is ours and form(torch, theirs) is theirs
        for (k, v), (tk, tv) in zip(ours.state_dict().items(), theirs.state_dict().items()):
            assert k == tk and v.dtype == np.dtype(str(tv.dtype).removeprefix("torch."))
            np.testing.assert_array_equal(v.numpy(), tv.numpy())


@pytest.mark.parametrize("guard", ["no_grad", "enable_grad"])
@pytest.mark.parametrize("parens", [True, False])
def test_grad_mode_decorators_with_and_without_parentheses_match_torch(guard, parens):
    def run(m):
        deco = getattr(m, guard)() if parens else getattr(m, guard)

        @deco
        def double(x):
            """Doubles."""
            return x * 2

        x = m.ones(2, requires_grad=True)
        with m.set_grad_enabled(guard == "no_grad"):
            inside = double(x).requires_grad
        return inside, (x * 2).requires_grad, double.__name__, double.__doc__

    assert run(ag) == run(torch)
