"""The dense paths' copy kernels (kernels/dense_blocks.py): packed blocks written dense and gathered back, exact,
with poisoned outputs (a missed element is NaN), on shapes that leave partial tiles."""

import pytest
import torch

import tilesparse as ts
from backends import random_layout
from tilesparse.kernels.dense_blocks import densify, gather_blocks

DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.gpu)]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("block_size", ts.SUPPORTED_BLOCK_SIZES)
def test_square_blocks(device, block_size):
    """Linear's blocks: columns not a multiple of the densify tile, block counts not one of the gather tile."""
    layout = random_layout(3, 5, block_size, density=0.6)
    blocks = torch.randn(layout.packed_shape, device=device).half()
    t = layout.tables(device)
    torch.testing.assert_close(densify(blocks, t.block_rows, t.block_cols, 3, 5), ts.to_dense(blocks, layout),
                               rtol=0, atol=0)
    source = torch.randn(layout.shape, device=device).half()
    gathered = gather_blocks(source, t.block_rows, t.block_cols, block_size)
    torch.testing.assert_close(gathered, ts.from_dense(source, layout), rtol=0, atol=0)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("block_size, kernel", [(8, (3, 3)), (16, (1, 1)), (32, (3, 1)), (64, (5, 5))])
def test_conv_shaped_blocks(device, block_size, kernel):
    """Conv's blocks (nnz, bs, bs, kh, kw) as (nnz, bs, bs x kh x kw) rectangles of the (K, C x kh x kw) weight."""
    layout = random_layout(2, 3, block_size, density=0.6)
    blocks = torch.randn(*layout.packed_shape, *kernel, device=device).bfloat16()
    t = layout.tables(device)
    width = block_size * kernel[0] * kernel[1]
    dense = densify(blocks.reshape(-1, block_size, width), t.block_rows, t.block_cols, 2, 3)
    torch.testing.assert_close(dense.view(layout.shape[0], layout.shape[1], *kernel), ts.conv_to_dense(blocks, layout),
                               rtol=0, atol=0)
    weight = torch.randn(*layout.shape, *kernel, device=device).bfloat16()
    gathered = gather_blocks(weight.view(layout.shape[0], -1), t.block_rows, t.block_cols, block_size, width)
    torch.testing.assert_close(gathered.view(-1, block_size, block_size, *kernel), ts.conv_from_dense(weight, layout),
                               rtol=0, atol=0)


def test_strided_source_and_empty_layout():
    layout = random_layout(2, 2, 8, density=0.6)
    t = layout.tables()
    wide = torch.randn(16, 40)
    gathered = gather_blocks(wide[:, :16], t.block_rows, t.block_cols, 8)  # row stride 40
    torch.testing.assert_close(gathered, ts.from_dense(wide[:, :16].contiguous(), layout), rtol=0, atol=0)
    empty = ts.Layout(torch.zeros(2, 2, dtype=torch.bool), 8)
    e = empty.tables()
    assert gather_blocks(wide[:, :16], e.block_rows, e.block_cols, 8).shape == (0, 8, 8)
    assert densify(torch.empty(0, 8, 8), e.block_rows, e.block_cols, 2, 2).abs().sum() == 0
