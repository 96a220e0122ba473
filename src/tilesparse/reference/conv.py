"""Pure-PyTorch block-sparse 2-D convolution: gather, one grouped convolution, segment sum.

The weight is never densified. Every nonzero block ``k`` (output block row ``r``, input block column
``c``) becomes one group of a grouped convolution with ``groups = nnz``: its input is the ``c``-th
channel block of x, gathered once per block, and its output is summed into output channel block ``r``
(index_add). dX and dW are the same grouped convolution's input and weight gradients. Memory and time
grow with the number of nonzero blocks. Low-precision inputs are computed in fp32 and cast back.

``padding`` is ``(top, bottom, left, right)``: 'same' with an even dilated kernel pads one more at the
bottom and right, as torch does; those (rare) asymmetric cases pad the gathered input explicitly.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..layout import LayoutTables
from .linear import autocast_off, compute_dtype


def memory_format(x: torch.Tensor) -> torch.memory_format:
    """The memory format of a conv output for input x: channels-last when x is (and not also NCHW)."""
    if x.dim() == 4 and x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous():
        return torch.channels_last
    return torch.contiguous_format


def conv2d_output_size(in_size, kernel_size, stride, padding, dilation) -> tuple[int, int]:
    """(OH, OW) of a convolution with padding (top, bottom, left, right); may be <= 0 (the op checks)."""
    top, bottom, left, right = padding
    pads = (top + bottom, left + right)
    return tuple(
        (size + pad - dil * (k - 1) - 1) // s + 1
        for size, pad, k, s, dil in zip(in_size, pads, kernel_size, stride, dilation, strict=True)
    )


def _gather(t: torch.Tensor, index: torch.Tensor, block_size: int) -> torch.Tensor:
    """(N, n_blocks*bs, H, W) -> (N, len(index)*bs, H, W): channel block index[k] becomes group k."""
    n, channels, h, w = t.shape
    return t.reshape(n, channels // block_size, block_size, h, w).index_select(1, index.long()).flatten(1, 2)


def _scatter(t: torch.Tensor, index: torch.Tensor, n_blocks: int, block_size: int) -> torch.Tensor:
    """(N, nnz*bs, H, W) -> (N, n_blocks*bs, H, W): group k summed into channel block index[k]."""
    n, _, h, w = t.shape
    out = t.new_zeros((n, n_blocks, block_size, h, w))
    out.index_add_(1, index.long(), t.reshape(n, index.shape[0], block_size, h, w))
    return out.flatten(1, 2)


def _symmetric(padding) -> tuple[tuple[int, int], tuple[int, int, int, int] | None]:
    """Split (top, bottom, left, right) into conv padding and an explicit F.pad for asymmetric cases."""
    top, bottom, left, right = padding
    if top == bottom and left == right:
        return (top, left), None
    return (0, 0), (left, right, top, bottom)


@autocast_off
def conv2d_forward(
    x: torch.Tensor, blocks: torch.Tensor, tables: LayoutTables, out_blocks: int, stride, padding, dilation
) -> torch.Tensor:
    """y = conv2d(x, W) for blocks (nnz, bs, bs, kh, kw); y is (N, out_blocks*bs, OH, OW)."""
    n, bs = x.shape[0], blocks.shape[1]
    ct = compute_dtype(x.dtype)
    conv_padding, explicit = _symmetric(padding)
    h_out, w_out = conv2d_output_size(x.shape[2:], blocks.shape[3:], stride, padding, dilation)
    if blocks.shape[0] == 0:
        y = x.new_zeros((n, out_blocks * bs, h_out, w_out))
        return y.contiguous(memory_format=memory_format(x))
    xg = _gather(x.to(ct), tables.block_cols, bs)
    if explicit is not None:
        xg = F.pad(xg, explicit)
    w = blocks.to(ct).flatten(0, 1)  # (nnz*bs, bs, kh, kw): group k is block k
    partial = F.conv2d(xg, w, None, stride, conv_padding, dilation, groups=blocks.shape[0])
    y = _scatter(partial, tables.block_rows, out_blocks, bs)
    return y.to(x.dtype).contiguous(memory_format=memory_format(x))


@autocast_off
def conv2d_backward_input(
    dy: torch.Tensor, blocks: torch.Tensor, tables: LayoutTables, in_blocks: int, in_size, stride, padding, dilation
) -> torch.Tensor:
    """dX (N, in_blocks*bs, H, W) for dY (N, out_blocks*bs, OH, OW)."""
    n, bs = dy.shape[0], blocks.shape[1]
    h, w = in_size
    ct = compute_dtype(dy.dtype)
    if blocks.shape[0] == 0:
        return dy.new_zeros((n, in_blocks * bs, h, w)).contiguous(memory_format=memory_format(dy))
    conv_padding, explicit = _symmetric(padding)
    # Asymmetric padding: the gradient of the explicitly padded input, cropped to x.
    top, bottom, left, right = padding if explicit is not None else (0, 0, 0, 0)
    dyg = _gather(dy.to(ct), tables.block_rows, bs)
    group_size = (n, blocks.shape[0] * bs, h + top + bottom, w + left + right)
    dxg = torch.nn.grad.conv2d_input(
        group_size, blocks.to(ct).flatten(0, 1), dyg, stride, conv_padding, dilation, groups=blocks.shape[0]
    )
    dxg = dxg[:, :, top : top + h, left : left + w]
    dx = _scatter(dxg, tables.block_cols, in_blocks, bs)
    return dx.to(dy.dtype).contiguous(memory_format=memory_format(dy))


@autocast_off
def conv2d_backward_weight(
    dy: torch.Tensor, x: torch.Tensor, tables: LayoutTables, block_size: int, kernel_size, stride, padding, dilation
) -> torch.Tensor:
    """dW on the nonzero blocks only, packed (nnz, bs, bs, kh, kw): the grouped conv's weight gradient."""
    nnz = tables.block_rows.shape[0]
    bs = block_size
    ct = compute_dtype(x.dtype)
    if nnz == 0:
        return x.new_zeros((0, bs, bs, *kernel_size))
    conv_padding, explicit = _symmetric(padding)
    xg = _gather(x.to(ct), tables.block_cols, bs)
    if explicit is not None:
        xg = F.pad(xg, explicit)
    dyg = _gather(dy.to(ct), tables.block_rows, bs)
    dw = torch.nn.grad.conv2d_weight(xg, (nnz * bs, bs, *kernel_size), dyg, stride, conv_padding, dilation, groups=nnz)
    return dw.reshape(nnz, bs, bs, *kernel_size).to(x.dtype).contiguous()
