"""The backends every op test runs on, and small shared helpers for building test cases.

The ``device`` fixture (conftest.py) runs a test on each: the PyTorch reference on CPU, the Triton kernels
on CPU tensors through the interpreter (tiny shapes), and the Triton kernels on CUDA (marker gpu).
"""

import os

import pytest
import torch

from tilesparse import Layout

INTERPRETING = os.environ.get("TRITON_INTERPRET") == "1"
TORCH_CPU = pytest.param(("torch", "cpu"), id="torch-cpu")
INTERPRETER = pytest.param(
    ("triton", "cpu"),
    id="triton-interpreter",
    marks=[pytest.mark.interpreter, pytest.mark.skipif(not INTERPRETING, reason="needs TRITON_INTERPRET=1")],
)
CUDA = pytest.param(("auto", "cuda"), id="triton-cuda", marks=pytest.mark.gpu)
BACKENDS = [TORCH_CPU, INTERPRETER, CUDA]
LOW_PRECISION = [torch.float32, torch.float16, torch.bfloat16]


def random_layout(out_blocks, in_blocks, block_size, density=0.5, empty_row=True, empty_col=True):
    """A random layout with block (0, 0) present and, by default, an empty last row and last column."""
    mask = torch.rand(out_blocks, in_blocks) < density
    mask[0, 0] = True
    if empty_row and out_blocks > 1:
        mask[-1] = False
    if empty_col and in_blocks > 1:
        mask[:, -1] = False
    return Layout(mask, block_size)


def record_calls(monkeypatch, module, names) -> list[str]:
    """Wrap ``module``'s functions ``names`` so that each call appends the function's name to the returned list."""
    calls = []
    for name in names:
        real = getattr(module, name)

        def wrapper(*args, _real=real, _name=name, **kwargs):
            calls.append(_name)
            return _real(*args, **kwargs)

        monkeypatch.setattr(module, name, wrapper)
    return calls
