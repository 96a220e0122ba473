"""Test setup. Without CUDA, Triton kernels run through the CPU interpreter, which must be switched on
before triton is first imported; every kernel output is poisoned with NaN so unwritten elements fail."""

import os

import torch

if not torch.cuda.is_available():
    os.environ.setdefault("TRITON_INTERPRET", "1")

import pytest  # noqa: E402

from backends import BACKENDS, CUDA, INTERPRETER, TORCH_CPU  # noqa: E402

HAS_CUDA = torch.cuda.is_available()


def _language_state() -> dict:
    """Every attribute of Triton's language modules and of the classes they define, by (owner, name)."""
    import inspect
    import sys

    import triton.language  # noqa: F401

    state = {}
    for name, module in list(sys.modules.items()):
        if module is None or not name.startswith("triton.language"):
            continue
        for attr, value in list(vars(module).items()):
            state[(module, attr)] = value
            if inspect.isclass(value) and value.__module__ == name:
                for cls_attr, cls_value in list(vars(value).items()):
                    state[(value, cls_attr)] = cls_value
    return state


# Triton 3.6's interpreter swaps the language's builtins for interpreted ones while a kernel runs and swaps them
# back after, but each device function it calls swaps them again in the modules its own globals hold (for
# tl.cdiv or tl.sum, triton.language.core) and never swaps them back. Compiling a Gluon kernel later in the same
# process then fails in its frontend (the sm_90a compile tests after any interpreted kernel, once the Triton cache
# is cold). So every test ends with the language as it was imported (values only: the interpreter also adds
# globals its cached rewrites read).
_LANGUAGE = _language_state() if os.environ.get("TRITON_INTERPRET") == "1" else {}


@pytest.fixture(autouse=True)
def _restore_triton_language():
    yield
    for (owner, attr), value in _LANGUAGE.items():
        if getattr(owner, "__dict__", {}).get(attr, value) is not value:
            setattr(owner, attr, value)


@pytest.fixture(autouse=True)
def _poison_outputs(monkeypatch):
    monkeypatch.setenv("TILESPARSE_POISON", "1")


# Fresh random inputs every run; TILESPARSE_TEST_SEED=N reproduces a failing run (the seed is printed).
SEED = int(os.environ.get("TILESPARSE_TEST_SEED", torch.seed() % 2**31))


def pytest_report_header(config):
    return f"tilesparse test seed: {SEED} (set TILESPARSE_TEST_SEED to reproduce)"


@pytest.fixture(autouse=True)
def _seed():
    print(f"TILESPARSE_TEST_SEED={SEED}")  # shown with a failure's captured output
    torch.manual_seed(SEED)


def pytest_collection_modifyitems(config, items):
    skip_gpu = pytest.mark.skip(reason="needs a CUDA GPU")
    for item in items:
        if "gpu" in item.keywords and not HAS_CUDA:
            item.add_marker(skip_gpu)


def _use_backend(request, monkeypatch):
    backend, device = request.param
    monkeypatch.setenv("TILESPARSE_BACKEND", backend)
    return device


@pytest.fixture(params=BACKENDS)
def device(request, monkeypatch):
    """Run the test on every backend (see backends.py); the value is the device of its tensors."""
    return _use_backend(request, monkeypatch)


@pytest.fixture(params=[TORCH_CPU, CUDA])
def compiled_device(request, monkeypatch):
    """torch.compile takes tens of seconds through the interpreter: the reference and CUDA only."""
    return _use_backend(request, monkeypatch)


@pytest.fixture(params=[INTERPRETER, CUDA])
def dense_path_device(request, monkeypatch):
    """The dense paths (kernels/linear_dense.py, conv_dense.py) forced on, wherever the Triton backend would run
    (the torch backend runs the reference)."""
    monkeypatch.setenv("TILESPARSE_DENSE_PATH", "always")
    return _use_backend(request, monkeypatch)
