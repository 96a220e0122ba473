"""``tilesparse.conv2d`` and ``conv1d``: convolutions whose weight is block-sparse over channels.

The sparsity is over (output channel block, input channel block) pairs; the spatial window of a present
block is dense. A ``Layout`` over channels, mask ``(out_channels // bs, in_channels // bs)``, says which
blocks are present; the packed weight is ``(nnz, bs, bs, kh, kw)`` (``(nnz, bs, bs, k)`` for conv1d):
block ``k`` is the ``k``-th True of the mask in row-major order, at ``(r, c)``, and holds
``W[r*bs:(r+1)*bs, c*bs:(c+1)*bs, :, :]`` of the dense ``(out_channels, in_channels, kh, kw)`` weight.
Compute and storage grow with the number of present blocks.

As for ``linear``: three custom ops (forward, dX, dW) dispatching to the Triton kernels (or, where measured
faster, cuDNN on the densified weight, ``kernels/conv_dense.py``, or for block-diagonal layouts cuDNN's grouped
conv, ``kernels/conv_grouped.py``) or the PyTorch reference, tied together with
``register_autograd``, plus an eager autograd.Function without the dispatcher's overhead. conv1d is conv2d on a
unit-height image. Inside the ops ``padding`` is
``(top, bottom, left, right)``: padding='same' with an even dilated kernel pads one more at the bottom
and right, as torch does.
"""

from __future__ import annotations

import operator

import torch

from ..backend import use_triton
from ..layout import CONV_DW_GROUP_SIZE, Layout, LayoutTables
from ..reference import conv as reference
from .operands import autocast_operands, check_operands

# -- packed weight <-> dense weight --------------------------------------------------------------------------


def _check_weight_layout(layout: Layout) -> None:
    if not isinstance(layout, Layout):
        raise TypeError(f"expected layout to be a tilesparse.Layout, got {type(layout).__name__}")


def conv_to_dense(blocks: torch.Tensor, layout: Layout) -> torch.Tensor:
    """The dense ``(out_channels, in_channels, *kernel)`` weight that packed ``blocks``
    ``(nnz, bs, bs, *kernel)`` stand for, zeros off the layout (differentiable)."""
    _check_weight_layout(layout)
    if not isinstance(blocks, torch.Tensor):
        raise TypeError(f"expected blocks to be a torch.Tensor, got {type(blocks).__name__}")
    if blocks.dim() < 3 or tuple(blocks.shape[:3]) != layout.packed_shape:
        raise ValueError(
            f"expected blocks of shape (nnz, block_size, block_size, *kernel) = {layout.packed_shape} + kernel, "
            f"got {tuple(blocks.shape)}"
        )
    n_rows, n_cols = layout.blocks_shape
    bs = layout.block_size
    kernel = tuple(blocks.shape[3:])
    t = layout.tables(blocks.device)
    grid = blocks.new_zeros((n_rows, n_cols, bs, bs, *kernel))
    grid = grid.index_put((t.block_rows.long(), t.block_cols.long()), blocks)
    return grid.transpose(1, 2).reshape(n_rows * bs, n_cols * bs, *kernel)


def conv_from_dense(weight: torch.Tensor, layout: Layout) -> torch.Tensor:
    """Gather the present blocks of a dense ``(out_channels, in_channels, *kernel)`` conv weight, packed
    ``(nnz, bs, bs, *kernel)`` in the layout's row-major block order."""
    _check_weight_layout(layout)
    if not isinstance(weight, torch.Tensor):
        raise TypeError(f"expected weight to be a torch.Tensor, got {type(weight).__name__}")
    if weight.dim() < 2 or tuple(weight.shape[:2]) != layout.shape:
        raise ValueError(f"expected weight of shape {layout.shape} + kernel (out, in, ...), got {tuple(weight.shape)}")
    n_rows, n_cols = layout.blocks_shape
    bs = layout.block_size
    t = layout.tables(weight.device)
    grid = weight.reshape(n_rows, bs, n_cols, bs, *weight.shape[2:]).transpose(1, 2)
    return grid[t.block_rows.long(), t.block_cols.long()].contiguous()


# -- the three products: implementations ---------------------------------------------------------------------


def cudnn_path(product, pixels, block_size, t, out_blocks, in_blocks, dtype, kernel) -> str | None:
    """Which cuDNN path runs ``product`` instead of the sparse kernels: "grouped" (a block-diagonal layout as
    cuDNN's grouped conv, read from ``t.diagonal_groups``' shape: no sync), "dense" (cuDNN on the densified weight)
    or None (the kernels). ``t``: the layout's tables; ``kernel``: (kh, kw)."""
    from ..kernels.conv_dense import use_conv_dense_path
    from ..kernels.conv_grouped import use_conv_grouped_path

    if use_conv_grouped_path(product, pixels, block_size, tuple(t.diagonal_groups.shape), dtype):
        return "grouped"
    nnz = t.block_rows.numel()
    if use_conv_dense_path(product, pixels, block_size, nnz, out_blocks, in_blocks, dtype, kernel[0] * kernel[1]):
        return "dense"
    return None


def forward_impl(x, blocks, bias, tables, out_blocks, stride, padding, dilation):
    t = LayoutTables(*tables)
    if use_triton(x):
        from ..kernels import conv_dense, conv_grouped
        from ..kernels.conv_dsd import conv2d_forward

        out_size = reference.conv2d_output_size(x.shape[2:], blocks.shape[3:], stride, padding, dilation)
        bs = blocks.shape[1]
        pixels = x.shape[0] * out_size[0] * out_size[1]
        path = cudnn_path("forward", pixels, bs, t, out_blocks, x.shape[1] // bs, x.dtype, blocks.shape[3:])
        if path == "grouped":
            groups = tuple(t.diagonal_groups.shape)
            return conv_grouped.conv2d_forward_grouped(x, blocks, groups, stride, padding, dilation, bias)
        if path == "dense":
            return conv_dense.conv2d_forward_dense(x, blocks, t.block_rows, t.block_cols, out_blocks, stride, padding,
                                                   dilation, bias)
        top, _, left, _ = padding
        return conv2d_forward(
            x, blocks, t.row_ptr, t.row_cols, t.row_blocks, out_blocks, out_size, stride, (top, left), dilation, bias
        )
    y = reference.conv2d_forward(x, blocks, t, out_blocks, stride, padding, dilation)
    if bias is not None:
        y = (y + bias[:, None, None]).contiguous(memory_format=reference.memory_format(x))
    return y


def backward_input_impl(dy, blocks, tables, in_blocks, in_size, stride, padding, dilation):
    t = LayoutTables(*tables)
    if use_triton(dy):
        from ..kernels import conv_dense, conv_grouped
        from ..kernels.conv_dsd import conv2d_backward_input

        bs = blocks.shape[1]
        pixels = dy.shape[0] * dy.shape[2] * dy.shape[3]
        path = cudnn_path("dx", pixels, bs, t, dy.shape[1] // bs, in_blocks, dy.dtype, blocks.shape[3:])
        if path == "grouped":
            groups = tuple(t.diagonal_groups.shape)
            return conv_grouped.conv2d_backward_input_grouped(dy, blocks, groups, in_size, stride, padding, dilation)
        if path == "dense":
            return conv_dense.conv2d_backward_input_dense(dy, blocks, t.block_rows, t.block_cols, in_blocks, in_size,
                                                          stride, padding, dilation)
        top, _, left, _ = padding
        return conv2d_backward_input(
            dy, blocks, t.col_ptr, t.col_rows, t.col_blocks, in_blocks, in_size, stride, (top, left), dilation
        )
    return reference.conv2d_backward_input(dy, blocks, t, in_blocks, in_size, stride, padding, dilation)


def backward_weight_impl(dy, x, tables, block_size, kernel_size, stride, padding, dilation):
    t = LayoutTables(*tables)
    if use_triton(x):
        from ..kernels import conv_dense, conv_grouped
        from ..kernels.conv_sdd import conv2d_backward_weight

        bs = block_size
        pixels = dy.shape[0] * dy.shape[2] * dy.shape[3]
        path = cudnn_path("dw", pixels, bs, t, dy.shape[1] // bs, x.shape[1] // bs, x.dtype, kernel_size)
        if path == "grouped":
            groups = tuple(t.diagonal_groups.shape)
            return conv_grouped.conv2d_backward_weight_grouped(dy, x, groups, bs, kernel_size, stride, padding,
                                                               dilation)
        if path == "dense":
            return conv_dense.conv2d_backward_weight_dense(dy, x, t.block_rows, t.block_cols, bs, kernel_size, stride,
                                                           padding, dilation)
        top, _, left, _ = padding
        group_size = CONV_DW_GROUP_SIZE[block_size]
        return conv2d_backward_weight(
            dy, x, t.row_ptr, t.block_cols, t.conv_group_first, t.conv_group_rows, block_size, group_size,
            kernel_size, stride, (top, left), dilation,
        )
    return reference.conv2d_backward_weight(dy, x, t, block_size, kernel_size, stride, padding, dilation)


# -- the three products as torch.library custom ops (what torch.compile sees) --------------------------------


def _empty_like_format(like: torch.Tensor, shape) -> torch.Tensor:
    return torch.empty(shape, dtype=like.dtype, device=like.device, memory_format=reference.memory_format(like))


@torch.library.custom_op("tilesparse::conv2d_forward", mutates_args=())
def conv2d_forward(
    x: torch.Tensor,
    blocks: torch.Tensor,
    bias: torch.Tensor | None,
    tables: list[torch.Tensor],
    out_blocks: int,
    stride: list[int],
    padding: list[int],
    dilation: list[int],
) -> torch.Tensor:
    return forward_impl(x, blocks, bias, tables, out_blocks, stride, padding, dilation)


@conv2d_forward.register_fake
def _(x, blocks, bias, tables, out_blocks, stride, padding, dilation):
    out_size = reference.conv2d_output_size(x.shape[2:], blocks.shape[3:], stride, padding, dilation)
    return _empty_like_format(x, (x.shape[0], out_blocks * blocks.shape[1], *out_size))


@torch.library.custom_op("tilesparse::conv2d_backward_input", mutates_args=())
def conv2d_backward_input(
    dy: torch.Tensor,
    blocks: torch.Tensor,
    tables: list[torch.Tensor],
    in_blocks: int,
    in_size: list[int],
    stride: list[int],
    padding: list[int],
    dilation: list[int],
) -> torch.Tensor:
    return backward_input_impl(dy, blocks, tables, in_blocks, in_size, stride, padding, dilation)


@conv2d_backward_input.register_fake
def _(dy, blocks, tables, in_blocks, in_size, stride, padding, dilation):
    return _empty_like_format(dy, (dy.shape[0], in_blocks * blocks.shape[1], *in_size))


@torch.library.custom_op("tilesparse::conv2d_backward_weight", mutates_args=())
def conv2d_backward_weight(
    dy: torch.Tensor,
    x: torch.Tensor,
    tables: list[torch.Tensor],
    block_size: int,
    kernel_size: list[int],
    stride: list[int],
    padding: list[int],
    dilation: list[int],
) -> torch.Tensor:
    return backward_weight_impl(dy, x, tables, block_size, kernel_size, stride, padding, dilation)


@conv2d_backward_weight.register_fake
def _(dy, x, tables, block_size, kernel_size, stride, padding, dilation):
    nnz = tables[LayoutTables._fields.index("block_rows")].shape[0]
    return x.new_empty((nnz, block_size, block_size, *kernel_size))


# -- autograd ------------------------------------------------------------------------------------------------


def _setup_context(ctx, inputs, output):
    x, blocks, bias, tables, out_blocks, stride, padding, dilation = inputs
    ctx.save_for_backward(x, blocks, *tables)
    ctx.has_bias = bias is not None
    ctx.in_blocks = x.shape[1] // blocks.shape[1]
    ctx.in_size = list(x.shape[2:])
    ctx.geometry = (list(stride), list(padding), list(dilation))


def _grads(ctx, dy, backward_input, backward_weight):
    x, blocks, *tables = ctx.saved_tensors
    need_x, need_w, need_b = ctx.needs_input_grad[:3]
    dx = backward_input(dy, blocks, tables, ctx.in_blocks, ctx.in_size, *ctx.geometry) if need_x else None
    dw = backward_weight(dy, x, tables, blocks.shape[1], list(blocks.shape[3:]), *ctx.geometry) if need_w else None
    db = None
    if ctx.has_bias and need_b:
        db = dy.sum((0, 2, 3), dtype=reference.compute_dtype(dy.dtype)).to(dy.dtype)
    return dx, dw, db


def _backward(ctx, dy):
    dx, dw, db = _grads(ctx, dy, conv2d_backward_input, conv2d_backward_weight)
    return dx, dw, db, [None] * (len(ctx.saved_tensors) - 2), None, None, None, None


conv2d_forward.register_autograd(_backward, setup_context=_setup_context)


class _EagerConv2d(torch.autograd.Function):
    """The same products and gradients without the custom-op dispatcher (see ops.linear._EagerLinear)."""

    @staticmethod
    def forward(ctx, x, blocks, bias, tables, out_blocks, stride, padding, dilation):
        _setup_context(ctx, (x, blocks, bias, tables, out_blocks, stride, padding, dilation), None)
        return forward_impl(x, blocks, bias, tables, out_blocks, stride, padding, dilation)

    @staticmethod
    def backward(ctx, dy):
        return *_grads(ctx, dy, backward_input_impl, backward_weight_impl), None, None, None, None, None


# -- arguments: stride, padding, dilation --------------------------------------------------------------------


def as_tuple(name: str, value, dims: int, minimum: int) -> tuple[int, ...]:
    """An int or a sequence of ``dims`` ints, each >= ``minimum``, as a ``dims``-tuple."""
    what = "an int" if dims == 1 else f"an int or a tuple of {dims} ints"
    items = value if isinstance(value, (tuple, list)) else (value,) * dims
    if len(items) != dims or any(isinstance(v, bool) for v in items):
        raise TypeError(f"expected {name} to be {what}, got {value!r}")
    try:
        items = tuple(operator.index(v) for v in items)
    except TypeError:
        raise TypeError(f"expected {name} to be {what}, got {value!r}") from None
    if any(v < minimum for v in items):
        raise ValueError(f"expected {name} >= {minimum}, got {value!r}")
    return items


def resolve_padding(padding, kernel_size, stride, dilation) -> tuple[int, ...]:
    """``padding`` (an int, a tuple of one per spatial dim, 'same' or 'valid') as (before, after) per dim."""
    dims = len(kernel_size)
    if isinstance(padding, str):
        if padding == "valid":
            return (0,) * (2 * dims)
        if padding != "same":
            raise ValueError(f"expected padding 'same', 'valid', an int or a tuple of ints, got {padding!r}")
        if any(s != 1 for s in stride):
            raise ValueError(f"expected stride 1 with padding='same', got stride {stride}")
        pads = []
        for k, dil in zip(kernel_size, dilation, strict=True):
            total = dil * (k - 1)
            pads += [total // 2, total - total // 2]  # the odd one goes after, as torch pads
        return tuple(pads)
    return tuple(p for p in as_tuple("padding", padding, dims, 0) for _ in range(2))


# -- the public functions ------------------------------------------------------------------------------------


def _check(x, blocks, layout, bias, dims):
    x_shape = "(N, C, L)" if dims == 1 else "(N, C, H, W)"
    kernel = "k" if dims == 1 else "kh, kw"
    if not isinstance(layout, Layout):
        raise TypeError(f"expected layout to be a tilesparse.Layout, got {type(layout).__name__}")
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"expected x to be a torch.Tensor, got {type(x).__name__}")
    if not isinstance(blocks, torch.Tensor):
        raise TypeError(f"expected blocks to be a torch.Tensor, got {type(blocks).__name__}")
    if x.dim() != dims + 2:
        raise ValueError(f"expected x of shape {x_shape}, got {tuple(x.shape)}")
    out_channels, in_channels = layout.shape
    if x.shape[1] != in_channels:
        raise ValueError(f"expected x with the layout's {in_channels} input channels, got shape {tuple(x.shape)}")
    if blocks.dim() != dims + 3 or tuple(blocks.shape[:3]) != layout.packed_shape or min(blocks.shape[3:]) < 1:
        raise ValueError(
            f"expected blocks of shape (nnz, block_size, block_size, {kernel}) = {layout.packed_shape[:3]} + "
            f"({kernel}), got {tuple(blocks.shape)}"
        )
    check_operands(x, blocks, bias, out_channels)


def _conv(x, blocks, layout, bias, stride, padding, dilation, dims):
    """Check, resolve the geometry and run the 2-D op; conv1d passes ``dims=1`` and unit-height tensors."""
    x, blocks, bias = autocast_operands(x, blocks, bias)
    _check(x, blocks, layout, bias, dims)
    kernel_size = tuple(blocks.shape[3:])
    stride = as_tuple("stride", stride, dims, 1)
    dilation = as_tuple("dilation", dilation, dims, 1)
    padding = resolve_padding(padding, kernel_size, stride, dilation)
    if dims == 1:
        x, blocks = x.unsqueeze(2), blocks.unsqueeze(3)
        stride, padding, dilation = (1, *stride), (0, 0, *padding), (1, *dilation)
    out_size = reference.conv2d_output_size(x.shape[2:], blocks.shape[3:], stride, padding, dilation)
    if min(out_size) <= 0:
        in_size = tuple(x.shape[4 - dims :])
        raise ValueError(
            f"expected an input no smaller than the dilated kernel, got output size {out_size[2 - dims :]} for "
            f"input size {in_size}, kernel {kernel_size}, stride {stride[2 - dims :]}, padding "
            f"{padding[4 - 2 * dims :]} (before, after per dim), dilation {dilation[2 - dims :]}"
        )
    tables = list(layout.tables(x.device))
    forward = conv2d_forward if torch.compiler.is_compiling() else _EagerConv2d.apply
    y = forward(x, blocks, bias, tables, layout.blocks_shape[0], list(stride), list(padding), list(dilation))
    return y.squeeze(2) if dims == 1 else y


def conv2d(
    x: torch.Tensor,
    blocks: torch.Tensor,
    layout: Layout,
    bias: torch.Tensor | None = None,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] | str = 0,
    dilation: int | tuple[int, int] = 1,
) -> torch.Tensor:
    """``torch.nn.functional.conv2d(x, W, bias, stride, padding, dilation)`` where W is the block-sparse
    ``(out_channels, in_channels, kh, kw)`` weight of ``layout`` packed as ``blocks``.

    x: ``(N, in_channels, H, W)``, NCHW or channels-last (the faster one on GPU) or any strides; the
    output has x's memory format. blocks: ``(layout.nnz, bs, bs, kh, kw)``, block k the k-th present block
    of ``layout.mask`` in row-major order. padding: an int, ``(ph, pw)``, ``'valid'`` or ``'same'``
    (stride 1 only, as torch). Gradients flow to x, blocks (present blocks only) and bias.
    """
    return _conv(x, blocks, layout, bias, stride, padding, dilation, dims=2)


def conv1d(
    x: torch.Tensor,
    blocks: torch.Tensor,
    layout: Layout,
    bias: torch.Tensor | None = None,
    stride: int | tuple[int] = 1,
    padding: int | tuple[int] | str = 0,
    dilation: int | tuple[int] = 1,
) -> torch.Tensor:
    """``torch.nn.functional.conv1d`` with a block-sparse weight: x ``(N, in_channels, L)``, blocks
    ``(layout.nnz, bs, bs, k)``; otherwise as :func:`conv2d` (it runs conv2d on a unit-height image)."""
    return _conv(x, blocks, layout, bias, stride, padding, dilation, dims=1)
