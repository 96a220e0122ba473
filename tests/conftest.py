"""Test setup. Without CUDA, Triton kernels run through the CPU interpreter, which must be switched on
before triton is first imported; every kernel output is poisoned with NaN so unwritten elements fail."""

import os

import torch

if not torch.cuda.is_available():
    os.environ.setdefault("TRITON_INTERPRET", "1")

import pytest  # noqa: E402

from backends import BACKENDS, CUDA, TORCH_CPU  # noqa: E402

HAS_CUDA = torch.cuda.is_available()


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
