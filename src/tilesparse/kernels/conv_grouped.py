"""The grouped path of ``conv2d``: a block-diagonal layout is a grouped convolution, so cuDNN's grouped conv runs it.

A layout of ``g`` dense ``r x c`` tiles on the diagonal (``Layout.tables().diagonal_groups``, shape ``(g, r, c)``)
is ``F.conv2d(..., groups=g)`` with ``r x bs`` output and ``c x bs`` input channels a group. Its packed blocks
``(g r c, bs, bs, kh, kw)``, row-major, are the grouped weight ``(g r bs, c bs, kh, kw)`` after one permute (a view
when ``c == 1``, one weight-sized copy otherwise); dW is cuDNN's grouped weight gradient permuted back. Nothing is
computed on absent blocks, so time and memory stay proportional to the nonzero blocks, as on the kernels.

``CONV_GROUPED_PATH`` says, per product, the group widths (``c x bs`` input channels) at which cuDNN's grouped conv
was measured faster than the sparse conv kernels on an H100 (16-bit, from ``CONV_GROUPED_MIN_PIXELS`` output
pixels). ``TILESPARSE_DENSE_PATH=never`` keeps the kernels, ``always`` takes this path for every block-diagonal
layout.
"""

from __future__ import annotations

import torch

from ..backend import dense_path_mode
from .conv_dense import cudnn_backward_input, cudnn_backward_weight, cudnn_forward

CONV_GROUPED_MIN_PIXELS = 16384
# product -> the widest group (input channels) at which the grouped path runs. Measured on an H100 (fp16,
# channels-last, 3x3, batch 64: 512 channels at 32x32 and 256 at 16x16; block-diagonal layouts of one block a group
# at blocks 16-128 and of 2 x 2 blocks at blocks 16 and 32; scripts/probe_conv_grouped_path.py,
# tuning/h100-2026-11-27p-probe-conv-grouped.log), kernels' time over the grouped path's: forward 1.09-3.19 at every
# width (16-128 channels); dW 3.3-18; dX 1.17-3.19 up to 32 channels a group, 0.54-0.76 at 64 and 0.86-0.97 at 128
# (cuDNN's grouped dX took 0.31 ms at 8 groups of 64, its forward 0.10 ms).
CONV_GROUPED_PATH = {"forward": 4096, "dx": 32, "dw": 4096}  # 4096: any width (measured to 128)


def use_conv_grouped_path(product: str, pixels: int, block_size: int, groups: tuple[int, int, int],
                          dtype: torch.dtype) -> bool:
    """Whether ``product`` runs cuDNN's grouped conv for a layout of ``groups`` = (g, r, c) diagonal tiles
    (``g == 0``: not block-diagonal), from sizes only."""
    if product not in CONV_GROUPED_PATH:
        raise ValueError(f"expected product in {tuple(CONV_GROUPED_PATH)}, got {product!r}")
    if groups[0] == 0:
        return False
    mode = dense_path_mode()
    if mode != "auto":
        return mode == "always"
    if dtype not in (torch.float16, torch.bfloat16) or pixels < CONV_GROUPED_MIN_PIXELS:
        return False
    return groups[2] * block_size <= CONV_GROUPED_PATH[product]


def grouped_weight(blocks: torch.Tensor, groups: tuple[int, int, int]) -> torch.Tensor:
    """Packed ``blocks`` (g r c, bs, bs, kh, kw) of a block-diagonal layout as the grouped weight (g r bs, c bs,
    kh, kw)."""
    g, r, c = groups
    _, bs, _, *kernel = blocks.shape
    tiles = blocks.view(g, r, c, bs, bs, *kernel).transpose(2, 3)  # (g, r, bs, c, bs, kh, kw)
    return tiles.reshape(g * r * bs, c * bs, *kernel)


def packed_from_grouped(w: torch.Tensor, groups: tuple[int, int, int], block_size: int) -> torch.Tensor:
    """The inverse of ``grouped_weight``: (g r bs, c bs, kh, kw) as packed (g r c, bs, bs, kh, kw), contiguous."""
    g, r, c = groups
    bs = block_size
    tiles = w.reshape(g, r, bs, c, bs, *w.shape[2:]).transpose(2, 3)
    return tiles.reshape(g * r * c, bs, bs, *w.shape[2:]).contiguous()


def conv2d_forward_grouped(x, blocks, groups, stride, padding, dilation, bias=None):
    """y = conv2d(x, W) (+ bias) as cuDNN's grouped conv; ``padding`` is (top, bottom, left, right)."""
    return cudnn_forward(x, grouped_weight(blocks, groups), bias, stride, padding, dilation, groups[0])


def conv2d_backward_input_grouped(dy, blocks, groups, in_size, stride, padding, dilation):
    """dX (N, C, H, W) as cuDNN's grouped input gradient."""
    return cudnn_backward_input(dy, grouped_weight(blocks, groups), in_size, stride, padding, dilation, groups[0])


def conv2d_backward_weight_grouped(dy, x, groups, block_size, kernel_size, stride, padding, dilation):
    """dW, packed (nnz, bs, bs, kh, kw), from cuDNN's grouped weight gradient."""
    g, r, c = groups
    shape = (g * r * block_size, c * block_size, *kernel_size)
    dw = cudnn_backward_weight(dy, x, shape, stride, padding, dilation, g)
    return packed_from_grouped(dw, groups, block_size)
