"""The conv op's grouped path (kernels/conv_grouped.py): a block-diagonal layout runs as cuDNN's grouped conv. Its
products against float64 over group shapes and geometries, the weight permutes, which cases take it, the switch."""

import pytest
import torch
import torch.nn.functional as F

import tilesparse as ts
from backends import LOW_PRECISION, record_calls
from test_conv import check_conv, image, opcheck_conv
from test_conv_dense import PATH_GEOMETRIES
from tilesparse.kernels import conv_grouped
from tilesparse.kernels.conv_grouped import (
    CONV_GROUPED_MIN_PIXELS,
    grouped_weight,
    packed_from_grouped,
    use_conv_grouped_path,
)
from tilesparse.layout import diagonal_groups
from tilesparse.ops.conv import conv_to_dense

GROUP_SHAPES = [(4, 1, 1), (2, 2, 1), (3, 1, 2), (2, 2, 3)]  # (g, r, c): g diagonal tiles of r x c blocks


def diagonal_layout(g, r, c, block_size):
    rows = torch.arange(g * r) // r
    cols = torch.arange(g * c) // c
    return ts.Layout(rows[:, None] == cols[None, :], block_size)


def test_diagonal_groups_detected():
    assert diagonal_groups(diagonal_layout(4, 1, 1, 8).mask) == (4, 1, 1)
    assert diagonal_groups(diagonal_layout(2, 2, 3, 8).mask) == (2, 2, 3)
    assert diagonal_groups(ts.layouts.block_diagonal(512, 256, 32, 4).mask) == (4, 4, 2)
    assert diagonal_groups(torch.ones(3, 3, dtype=torch.bool)) is None  # one group: the dense path's case
    near = diagonal_layout(3, 1, 1, 8).mask.clone()
    near[0, 1] = True
    assert diagonal_groups(near) is None
    missing = diagonal_layout(2, 2, 2, 8).mask.clone()
    missing[1, 1] = False
    assert diagonal_groups(missing) is None
    assert diagonal_groups(torch.zeros(2, 2, dtype=torch.bool)) is None
    assert diagonal_groups(ts.layouts.block_diagonal_shuffled(64, 64, 8, 2).mask) is None
    table = diagonal_layout(2, 2, 3, 8).tables().diagonal_groups
    assert tuple(table.shape) == (2, 2, 3) and table.numel() == 12  # as many entries as blocks
    assert tuple(ts.layouts.random(64, 64, 8, 0.5, seed=0).tables().diagonal_groups.shape) == (0, 0, 0)


@pytest.mark.parametrize("groups", GROUP_SHAPES)
def test_grouped_weight_is_the_dense_weights_diagonal(groups):
    g, r, c = groups
    bs = 8
    layout = diagonal_layout(g, r, c, bs)
    blocks = torch.randn(*layout.packed_shape, 3, 2)
    w = grouped_weight(blocks, groups)
    dense = conv_to_dense(blocks, layout)
    for k in range(g):
        rows, cols = slice(k * r * bs, (k + 1) * r * bs), slice(k * c * bs, (k + 1) * c * bs)
        assert torch.equal(w[rows], dense[rows, cols])
    assert torch.equal(packed_from_grouped(w, groups, bs), blocks)


@pytest.mark.parametrize("dtype", LOW_PRECISION)
@pytest.mark.parametrize("groups", GROUP_SHAPES)
def test_grouped_path_matches_dense(dense_path_device, groups, dtype):
    layout = diagonal_layout(*groups, 8)
    check_conv(layout, dtype, dense_path_device, image(2, layout.shape[1], 5, 6), (3, 3), padding=1)


@pytest.mark.parametrize("kernel, stride, padding, dilation", PATH_GEOMETRIES)
@pytest.mark.filterwarnings("ignore:Using padding=.same. with even kernel lengths:UserWarning")
def test_grouped_path_geometry(dense_path_device, kernel, stride, padding, dilation):
    check_conv(diagonal_layout(2, 1, 2, 8), torch.float32, dense_path_device, image(2, 32, 7, 9), kernel, stride,
               padding, dilation)


def test_grouped_path_channels_last_and_conv1d(dense_path_device):
    y = check_conv(diagonal_layout(2, 2, 1, 16), torch.float16, dense_path_device,
                   image(2, 32, 6, 5, channels_last=True), (3, 3), padding=1)
    assert y.is_contiguous(memory_format=torch.channels_last)
    check_conv(diagonal_layout(3, 1, 1, 8), torch.bfloat16, dense_path_device, torch.randn(3, 24, 11), (5,),
               padding=2)


def test_grouped_path_is_taken(monkeypatch):
    monkeypatch.setenv("TILESPARSE_BACKEND", "triton")
    monkeypatch.setenv("TILESPARSE_DENSE_PATH", "always")
    products = ("conv2d_forward_grouped", "conv2d_backward_input_grouped", "conv2d_backward_weight_grouped")
    calls = record_calls(monkeypatch, conv_grouped, products)
    layout = diagonal_layout(2, 1, 1, 8)
    x = image(2, 16, 4, 4).requires_grad_()
    blocks = torch.randn(*layout.packed_shape, 3, 3, requires_grad=True)
    y = ts.conv2d(x, blocks, layout, padding=1)
    y.sum().backward()
    assert sorted(calls) == sorted(products)
    torch.testing.assert_close(y, F.conv2d(x, conv_to_dense(blocks, layout), padding=1))


# -- which cases take it ---------------------------------------------------------------------------------------

PIXELS = CONV_GROUPED_MIN_PIXELS


@pytest.mark.parametrize("product", sorted(conv_grouped.CONV_GROUPED_PATH))
def test_rules(monkeypatch, product):
    monkeypatch.setenv("TILESPARSE_DENSE_PATH", "auto")
    widest = conv_grouped.CONV_GROUPED_PATH[product]
    assert use_conv_grouped_path(product, PIXELS, 32, (16, 1, 1), torch.float16) == (32 <= widest)
    assert use_conv_grouped_path(product, PIXELS, 16, (8, 1, 2), torch.bfloat16) == (32 <= widest)
    assert not use_conv_grouped_path(product, PIXELS, 128, (2, 1, widest), torch.float16)  # wider than measured
    assert not use_conv_grouped_path(product, PIXELS, 32, (0, 0, 0), torch.float16)  # not block-diagonal
    assert not use_conv_grouped_path(product, PIXELS - 1, 32, (16, 1, 1), torch.float16)  # small images
    assert not use_conv_grouped_path(product, PIXELS, 32, (16, 1, 1), torch.float32)  # fp32 not measured


def test_modes_and_bad_inputs(monkeypatch):
    monkeypatch.setenv("TILESPARSE_DENSE_PATH", "never")
    assert not use_conv_grouped_path("forward", PIXELS, 32, (16, 1, 1), torch.float16)
    monkeypatch.setenv("TILESPARSE_DENSE_PATH", "always")
    assert use_conv_grouped_path("dx", 1, 128, (2, 1, 8), torch.float32)
    assert not use_conv_grouped_path("dx", 1, 128, (0, 0, 0), torch.float32)
    with pytest.raises(ValueError, match="expected product in"):
        use_conv_grouped_path("backward", PIXELS, 32, (16, 1, 1), torch.float16)


def test_opcheck_on_the_grouped_path(dense_path_device):
    """The custom ops' schema, fake kernels and autograd hold where the grouped path runs (a table's shape picks
    it, with no sync)."""
    opcheck_conv(diagonal_layout(2, 1, 1, 8), dense_path_device)
