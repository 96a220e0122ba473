"""``tilesparse.linear``: y = x W^T + b for a block-sparse W given as packed blocks and a Layout.

Three custom ops (forward, dX, dW), each dispatching to the Triton kernels (or, where measured faster, cuBLAS
on the densified weight: ``kernels/linear_dense.py``) or the PyTorch reference (``tilesparse.backend``), tied
together with ``torch.library.register_autograd`` so that autograd and ``torch.compile`` see one opaque op with
fake (meta) implementations. The layout's index tables travel
as a list of tensors in ``LayoutTables`` field order.
"""

from __future__ import annotations

import torch

from ..backend import use_triton
from ..layout import Layout, LayoutTables, linear_dw_group_size
from ..reference import linear as reference
from .operands import autocast_operands, check_operands

# -- the three products: implementations --------------------------------------------------------------


def _dense_path(product, rows, block_size, t, out_blocks, in_blocks, dtype):
    """Whether cuBLAS on the densified weight runs ``product`` instead of the sparse kernels."""
    from ..kernels.linear_dense import use_dense_path

    return use_dense_path(product, rows, block_size, t.block_rows.numel(), out_blocks, in_blocks, dtype)


def forward_impl(x, blocks, bias, tables, out_blocks):
    t = LayoutTables(*tables)
    if use_triton(x):
        from ..kernels import linear_dense
        from ..kernels.linear_dsd import linear_dsd

        bs = blocks.shape[-1]
        if _dense_path("forward", x.shape[0], bs, t, out_blocks, x.shape[1] // bs, x.dtype):
            return linear_dense.linear_forward_dense(x, blocks, t.block_rows, t.block_cols, out_blocks, bias)
        return linear_dsd(x, blocks, t.row_ptr, t.row_cols, t.row_blocks, t.row_order, out_blocks, True, bias,
                          launch=t.row_launch, hubs=t.row_hubs.numel(), wide_hubs=t.row_hubs_wide.numel(),
                          groups=(t.row_group_launch, t.row_group_idx, t.row_group_blk))
    y = reference.linear_forward(x, blocks, t, out_blocks)
    return y if bias is None else y + bias


def backward_input_impl(dy, blocks, tables, in_blocks):
    t = LayoutTables(*tables)
    if use_triton(dy):
        from ..kernels import linear_dense
        from ..kernels.linear_dsd import linear_dsd

        bs = blocks.shape[-1]
        if _dense_path("dx", dy.shape[0], bs, t, dy.shape[1] // bs, in_blocks, dy.dtype):
            return linear_dense.linear_backward_input_dense(dy, blocks, t.block_rows, t.block_cols, in_blocks)
        return linear_dsd(dy, blocks, t.col_ptr, t.col_rows, t.col_blocks, t.col_order, in_blocks, False,
                          launch=t.col_launch, hubs=t.col_hubs.numel(), wide_hubs=t.col_hubs_wide.numel(),
                          groups=(t.col_group_launch, t.col_group_idx, t.col_group_blk))
    return reference.linear_backward_input(dy, blocks, t, in_blocks)


def backward_weight_impl(dy, x, tables, block_size):
    t = LayoutTables(*tables)
    if use_triton(x):
        from ..kernels import linear_dense
        from ..kernels.linear_sdd import linear_sdd

        bs = block_size
        if _dense_path("dw", x.shape[0], bs, t, dy.shape[1] // bs, x.shape[1] // bs, x.dtype):
            return linear_dense.linear_backward_weight_dense(dy, x, t.block_rows, t.block_cols, bs)
        group_size = linear_dw_group_size(block_size, t.block_cols.numel(), t.row_ptr.numel() - 1)
        return linear_sdd(dy, x, t.row_ptr, t.block_cols, t.group_first, t.group_rows, block_size, group_size,
                          group_table=t.group_table)
    return reference.linear_backward_weight(dy, x, t, block_size)


# -- the three products as torch.library custom ops (what torch.compile sees) ---------------------------


@torch.library.custom_op("tilesparse::linear_forward", mutates_args=())
def linear_forward(
    x: torch.Tensor, blocks: torch.Tensor, bias: torch.Tensor | None, tables: list[torch.Tensor], out_blocks: int
) -> torch.Tensor:
    return forward_impl(x, blocks, bias, tables, out_blocks)


@linear_forward.register_fake
def _(x, blocks, bias, tables, out_blocks):
    return x.new_empty((x.shape[0], out_blocks * blocks.shape[-1]))


@torch.library.custom_op("tilesparse::linear_backward_input", mutates_args=())
def linear_backward_input(
    dy: torch.Tensor, blocks: torch.Tensor, tables: list[torch.Tensor], in_blocks: int
) -> torch.Tensor:
    return backward_input_impl(dy, blocks, tables, in_blocks)


@linear_backward_input.register_fake
def _(dy, blocks, tables, in_blocks):
    return dy.new_empty((dy.shape[0], in_blocks * blocks.shape[-1]))


@torch.library.custom_op("tilesparse::linear_backward_weight", mutates_args=())
def linear_backward_weight(
    dy: torch.Tensor, x: torch.Tensor, tables: list[torch.Tensor], block_size: int
) -> torch.Tensor:
    return backward_weight_impl(dy, x, tables, block_size)


@linear_backward_weight.register_fake
def _(dy, x, tables, block_size):
    nnz = tables[LayoutTables._fields.index("block_rows")].shape[0]
    return x.new_empty((nnz, block_size, block_size))


# -- autograd ---------------------------------------------------------------------------------------------


def _setup_context(ctx, inputs, output):
    x, blocks, bias, tables, out_blocks = inputs
    ctx.save_for_backward(x, blocks, *tables)
    ctx.has_bias = bias is not None
    ctx.in_blocks = x.shape[1] // blocks.shape[-1]


def _grads(ctx, dy, backward_input, backward_weight):
    x, blocks, *tables = ctx.saved_tensors
    need_x, need_w, need_b = ctx.needs_input_grad[:3]
    dx = backward_input(dy, blocks, tables, ctx.in_blocks) if need_x else None
    dw = backward_weight(dy, x, tables, blocks.shape[-1]) if need_w else None
    db = dy.sum(0, dtype=reference.compute_dtype(dy.dtype)).to(dy.dtype) if (ctx.has_bias and need_b) else None
    return dx, dw, db


def _backward(ctx, dy):
    dx, dw, db = _grads(ctx, dy, linear_backward_input, linear_backward_weight)
    return dx, dw, db, [None] * (len(ctx.saved_tensors) - 2), None


linear_forward.register_autograd(_backward, setup_context=_setup_context)


class _EagerLinear(torch.autograd.Function):
    """The same products and gradients without the custom-op dispatcher, whose Python overhead (tens of
    microseconds a call) would dominate small products in eager mode. torch.compile uses the custom ops.
    Old-style forward(ctx, ...): a separate setup_context makes apply() bind a signature on every call."""

    @staticmethod
    def forward(ctx, x, blocks, bias, tables, out_blocks):
        _setup_context(ctx, (x, blocks, bias, tables, out_blocks), None)
        return forward_impl(x, blocks, bias, tables, out_blocks)

    @staticmethod
    def backward(ctx, dy):
        return *_grads(ctx, dy, backward_input_impl, backward_weight_impl), None, None


# -- the public function ----------------------------------------------------------------------------------


def _check(x, blocks, layout, bias, feature_axis):
    if not isinstance(layout, Layout):
        raise TypeError(f"expected layout to be a tilesparse.Layout, got {type(layout).__name__}")
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"expected x to be a torch.Tensor, got {type(x).__name__}")
    layout.check_blocks(blocks)
    if feature_axis not in (-1, 0):
        raise ValueError(f"expected feature_axis -1 (x is (..., in)) or 0 (x is (in, N)), got {feature_axis}")
    out_features, in_features = layout.shape
    if x.dim() == 0 or (feature_axis == 0 and x.dim() != 2):
        want = "(in_features, N)" if feature_axis == 0 else "(..., in_features)"
        raise ValueError(f"expected x of shape {want}, got {tuple(x.shape)}")
    if x.shape[feature_axis] != in_features:
        raise ValueError(
            f"expected x with {in_features} features on axis {feature_axis}, got shape {tuple(x.shape)}"
        )
    check_operands(x, blocks, bias, out_features)


def linear(
    x: torch.Tensor,
    blocks: torch.Tensor,
    layout: Layout,
    bias: torch.Tensor | None = None,
    feature_axis: int = -1,
) -> torch.Tensor:
    """``x @ W.T + bias`` where W is the block-sparse weight of ``layout`` packed as ``blocks``.

    x: ``(..., in_features)`` with any leading dims and strides; or, with ``feature_axis=0``,
    feature-major ``(in_features, N)`` (the original blocksparse's layout), giving ``(out_features, N)``.
    blocks: ``(layout.nnz, block_size, block_size)``; block k is the k-th nonzero of ``layout.mask`` in
    row-major order. Gradients flow to x, blocks (nonzero blocks only) and bias.
    """
    x, blocks, bias = autocast_operands(x, blocks, bias)
    _check(x, blocks, layout, bias, feature_axis)
    out_features, in_features = layout.shape
    tables = list(layout.tables(x.device))
    out_blocks = layout.blocks_shape[0]
    forward = linear_forward if torch.compiler.is_compiling() else _EagerLinear.apply
    if feature_axis == 0:
        return forward(x.t(), blocks.contiguous(), bias, tables, out_blocks).t()
    lead = x.shape[:-1]
    y = forward(x.reshape(-1, in_features), blocks.contiguous(), bias, tables, out_blocks)
    return y.reshape(*lead, out_features)
