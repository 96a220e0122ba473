"""Which implementation runs an op: the Triton kernels or the pure-PyTorch reference.

All dispatch lives here. ``TILESPARSE_BACKEND`` = ``auto`` (default: Triton for CUDA tensors, PyTorch
otherwise), ``triton`` (always Triton, e.g. on CPU tensors under ``TRITON_INTERPRET=1``) or ``torch``.
Where Triton runs, ``TILESPARSE_DENSE_PATH`` = ``auto`` (default: where it was measured faster), ``never`` or
``always`` picks the vendor paths: cuBLAS or cuDNN on the densified weight (``kernels/linear_dense.py``,
``conv_dense.py``) and, for block-diagonal conv layouts, cuDNN's grouped conv (``kernels/conv_grouped.py``).
"""

from __future__ import annotations

import os

import torch

BACKENDS = ("auto", "triton", "torch")
DENSE_PATH_MODES = ("auto", "never", "always")
TRITON_DTYPES = (torch.float16, torch.bfloat16, torch.float32)


def backend_name() -> str:
    name = os.environ.get("TILESPARSE_BACKEND", "auto").strip().lower() or "auto"
    if name not in BACKENDS:
        raise ValueError(f"expected TILESPARSE_BACKEND in {BACKENDS}, got {name!r}")
    return name


def dense_path_mode() -> str:
    name = os.environ.get("TILESPARSE_DENSE_PATH", "auto").strip().lower() or "auto"
    if name not in DENSE_PATH_MODES:
        raise ValueError(f"expected TILESPARSE_DENSE_PATH in {DENSE_PATH_MODES}, got {name!r}")
    return name


def use_triton(x: torch.Tensor) -> bool:
    """True when ``x``'s op should run the Triton kernels.

    float64 has no Triton path (tensor cores do not take it): it always runs the reference.
    """
    name = backend_name()
    if name == "torch" or x.dtype not in TRITON_DTYPES:
        return False
    if name == "triton":
        return True
    return x.is_cuda


def new_output(shape, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """An output buffer for a kernel to fill. ``TILESPARSE_POISON=1`` (the tests) fills it with NaN first,
    so any element a kernel fails to write shows up as NaN instead of passing by luck."""
    if os.environ.get("TILESPARSE_POISON", "0") == "1":
        return torch.full(shape, float("nan"), dtype=dtype, device=device)
    return torch.empty(shape, dtype=dtype, device=device)


def dot_precision(dtype: torch.dtype) -> str:
    """Triton ``tl.dot`` input precision: fp32 honours PyTorch's matmul TF32 setting."""
    if dtype == torch.float32 and torch.get_float32_matmul_precision() != "highest":
        return "tf32"
    return "ieee"


def interpreting() -> bool:
    return os.environ.get("TRITON_INTERPRET", "0") == "1"


def dot_upcast(dtype: torch.dtype) -> bool:
    """Whether kernels must feed tl.dot fp32 tiles: triton 3.6's CPU interpreter multiplies bf16 as
    raw integers, so under TRITON_INTERPRET bf16 tiles are upcast first (same values, exact products)."""
    return dtype == torch.bfloat16 and interpreting()
