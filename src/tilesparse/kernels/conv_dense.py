"""The dense path of ``conv2d``: where the block-sparse conv kernels lose to cuDNN, densify and run cuDNN.

The conv kernels are only partly tuned (README: 0.19-0.37 of cuDNN per nonzero block forward, 0.07-0.26 dW), so
from moderate densities a dense convolution on the block-masked weight is faster. The weight ``(K, C, kh, kw)``
is small next to the activations (512 channels, 3x3: 4.7 MB in fp16), so the extra pass is cheap: the packed
blocks ``(nnz, bs, bs, kh, kw)`` are rectangles ``bs x (bs kh kw)`` of the ``(K, C kh kw)`` matrix, written dense
by ``dense_blocks.densify``; dW is cuDNN's full weight gradient with the layout's blocks gathered out.

``CONV_DENSE_PATH_MIN_DENSITY`` holds, per (product, block size), the density from which the dense path was
measured faster on an H100 (``scripts/probe_conv_dense_path.py``), 16-bit only (fp32 not measured), from
``CONV_DENSE_PATH_MIN_PIXELS`` output pixels (N x OH x OW, the implicit GEMM's rows) on. fp32 on the dense path
(``TILESPARSE_DENSE_PATH=always``) computes at the precision the kernels would: TF32 only where PyTorch's matmul
precision allows it, whatever ``torch.backends.cudnn.allow_tf32`` says (its default, True, gave 1.4e-4 relative
error against float64 where the fp32 tolerance is 1e-5).
"""

from __future__ import annotations

import contextlib

import torch
import torch.nn.functional as F

from ..backend import dense_path_mode, dot_precision
from ..reference.conv import _symmetric, memory_format
from .dense_blocks import densify, gather_blocks
from .linear_dense import DENSE_PATH_MAX_BYTES

PRODUCTS = ("forward", "dx", "dw")
CONV_DENSE_PATH_MIN_PIXELS = 16384
NEVER = 2.0

# (product, block size) -> lowest density at which the dense path runs (16-bit). Measured on an H100 (fp16,
# channels-last, 3x3, batch 64: 512 channels at 32x32 and 256 at 16x16; cuDNN's algorithm search off and, at 512,
# on, which moved no crossover; sparse/dense time ratios quoted). Forward and dW:
# tuning/h100-2026-11-27o-probe-conv-dense-path.log. dX: tuning/h100-2026-11-27p-probe-conv-dense-dx.log, with
# convolution_backward on a placeholder input (0.42 ms at 512 channels, as cuDNN's own dX; the first probe's
# torch.nn.grad.conv2d_input had taken 0.88 ms). Absent: blocks 8 and 128 (not probed).
CONV_DENSE_PATH_MIN_DENSITY = {
    ("forward", 16): 0.1,  # 0.74 at d = 0.05, 1.12-1.32 at 0.1
    ("dx", 16): 0.1,  # 1.18-1.23 at 0.1 (lower densities not probed), 2.2-2.8 at 0.25
    ("dw", 16): 0.05,  # 3.6-4.8 at 0.05 (lower densities not probed)
    ("forward", 32): 0.35,  # 0.98-1.03 at 0.25, 1.64-1.91 at 0.5
    ("dx", 32): 0.25,  # 0.51-0.81 at 0.1, 1.08-1.11 at 0.25, 1.48-1.53 at 0.35
    ("dw", 32): 0.2,  # 0.91 at 0.1 (512 channels; 1.45 at 256), 1.34-1.99 at 0.25
    ("forward", 64): 0.5,  # 0.78 at 0.25; at 0.5 1.36-1.37 at 512 channels, 0.95 at 256
    ("dx", 64): 0.5,  # 0.62-0.70 at 0.25; at 0.35 0.95 (512 channels), 1.04 (256); 1.08-1.29 at 0.5
    ("dw", 64): 0.35,  # 0.99-1.01 at 0.25 (512 channels; 2.45 at 256), 1.51-1.56 at 0.5
}


def conv_dense_path_wins(product: str, pixels: int, block_size: int, density: float, dtype: torch.dtype,
                         dense_bytes: int = 0) -> bool:
    """Whether ``product`` ("forward", "dx" or "dw") runs the dense path under ``TILESPARSE_DENSE_PATH=auto``;
    ``dense_bytes``: the dense weight's size (capped as linear's)."""
    if product not in PRODUCTS:
        raise ValueError(f"expected product in {PRODUCTS}, got {product!r}")
    if dtype not in (torch.float16, torch.bfloat16) or pixels < CONV_DENSE_PATH_MIN_PIXELS:
        return False
    if dense_bytes > DENSE_PATH_MAX_BYTES:
        return False
    return density >= CONV_DENSE_PATH_MIN_DENSITY.get((product, block_size), NEVER)


def use_conv_dense_path(product: str, pixels: int, block_size: int, nnz: int, out_blocks: int, in_blocks: int,
                        dtype: torch.dtype, kernel_numel: int = 1) -> bool:
    """The decision the conv op makes, from sizes only: ``TILESPARSE_DENSE_PATH`` = ``auto``
    (``conv_dense_path_wins``), ``never`` or ``always``."""
    mode = dense_path_mode()
    if mode != "auto":
        return mode == "always"
    total = out_blocks * in_blocks
    dense_bytes = total * block_size * block_size * kernel_numel * dtype.itemsize
    return total > 0 and conv_dense_path_wins(product, pixels, block_size, nnz / total, dtype, dense_bytes)


@contextlib.contextmanager
def kernel_precision(dtype: torch.dtype):
    """cuDNN's TF32 switched to what ``backend.dot_precision`` gives the kernels, for the call."""
    before = torch.backends.cudnn.allow_tf32
    torch.backends.cudnn.allow_tf32 = dot_precision(dtype) == "tf32"
    try:
        yield
    finally:
        torch.backends.cudnn.allow_tf32 = before


def dense_weight(blocks, block_rows, block_cols, out_blocks, in_blocks):
    """The dense ``(K, C, kh, kw)`` weight of packed ``blocks`` ``(nnz, bs, bs, kh, kw)``."""
    nnz, bs, _, *kernel = blocks.shape
    width = bs * kernel[0] * kernel[1]
    dense = densify(blocks.reshape(nnz, bs, width), block_rows, block_cols, out_blocks, in_blocks)
    return dense.view(out_blocks * bs, in_blocks * bs, *kernel)


def cudnn_forward(x, w, bias, stride, padding, dilation, groups=1):
    """y = conv2d(x, w) (+ bias) through cuDNN, ``groups`` groups; ``padding`` is (top, bottom, left, right)."""
    conv_padding, explicit = _symmetric(padding)
    if explicit is not None:
        x = F.pad(x, explicit)
    with kernel_precision(x.dtype):
        y = F.conv2d(x, w.contiguous(memory_format=memory_format(x)), bias, stride, conv_padding, dilation, groups)
    return y.contiguous(memory_format=memory_format(x))


def cudnn_backward_input(dy, w, in_size, stride, padding, dilation, groups=1):
    """dX (N, C, H, W) through cuDNN; asymmetric padding: the gradient of the padded input, cropped."""
    conv_padding, explicit = _symmetric(padding)
    top, bottom, left, right = padding if explicit is not None else (0, 0, 0, 0)
    h, wd = in_size
    fmt = memory_format(dy)
    # convolution_backward reads only the input's shape and layout; an unfilled one in dY's memory format (the
    # expanded placeholder of torch.nn.grad.conv2d_input made cuDNN take 0.88 ms where 0.41 ms do).
    x_like = torch.empty((dy.shape[0], w.shape[1] * groups, h + top + bottom, wd + left + right), dtype=dy.dtype,
                         device=dy.device, memory_format=fmt)
    with kernel_precision(dy.dtype):
        dx = torch.ops.aten.convolution_backward(dy, x_like, w.contiguous(memory_format=fmt), None, stride,
                                                 conv_padding, dilation, False, [0, 0], groups,
                                                 [True, False, False])[0]
    return dx[:, :, top:top + h, left:left + wd].contiguous(memory_format=fmt)


def cudnn_backward_weight(dy, x, weight_shape, stride, padding, dilation, groups=1):
    """The full weight gradient ``weight_shape`` (K, C / groups, kh, kw) through cuDNN, contiguous."""
    conv_padding, explicit = _symmetric(padding)
    if explicit is not None:
        x = F.pad(x, explicit)
    with kernel_precision(x.dtype):
        return torch.nn.grad.conv2d_weight(x, weight_shape, dy, stride, conv_padding, dilation, groups).contiguous()


def conv2d_forward_dense(x, blocks, block_rows, block_cols, out_blocks, stride, padding, dilation, bias=None):
    """y = conv2d(x, W) (+ bias) through cuDNN on the densified weight."""
    w = dense_weight(blocks, block_rows, block_cols, out_blocks, x.shape[1] // blocks.shape[1])
    return cudnn_forward(x, w, bias, stride, padding, dilation)


def conv2d_backward_input_dense(dy, blocks, block_rows, block_cols, in_blocks, in_size, stride, padding, dilation):
    """dX (N, C, H, W) through cuDNN on the densified weight."""
    w = dense_weight(blocks, block_rows, block_cols, dy.shape[1] // blocks.shape[1], in_blocks)
    return cudnn_backward_input(dy, w, in_size, stride, padding, dilation)


def conv2d_backward_weight_dense(dy, x, block_rows, block_cols, block_size, kernel_size, stride, padding, dilation):
    """dW through cuDNN's full weight gradient, the layout's blocks gathered out, packed (nnz, bs, bs, kh, kw)."""
    shape = (dy.shape[1], x.shape[1], *kernel_size)
    dw = cudnn_backward_weight(dy, x, shape, stride, padding, dilation)
    width = block_size * kernel_size[0] * kernel_size[1]
    packed = gather_blocks(dw.view(shape[0], -1), block_rows, block_cols, block_size, width)
    return packed.view(-1, block_size, block_size, *kernel_size)
