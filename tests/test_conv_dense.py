"""The conv op's dense path (kernels/conv_dense.py): cuDNN on the densified weight where it beats the sparse
kernels. Its products against float64 over the geometries, which sizes take it, and the switch."""

import pytest
import torch

import tilesparse as ts
from backends import LOW_PRECISION, random_layout, record_calls
from test_conv import check_conv, image
from tilesparse.kernels import conv_dense
from tilesparse.kernels.conv_dense import CONV_DENSE_PATH_MIN_PIXELS, conv_dense_path_wins, use_conv_dense_path
from tilesparse.kernels.linear_dense import DENSE_PATH_MAX_BYTES

# The cuDNN paths' geometries: strides, 'same' with an even kernel (asymmetric padding), dilation, a 1x1 conv
# (kernel, stride, padding, dilation).
PATH_GEOMETRIES = [((3, 3), 2, 1, 1), ((2, 4), 1, "same", 1), ((3, 1), (1, 2), 0, (2, 1)), ((1, 1), 1, 0, 1)]


@pytest.mark.parametrize("dtype", LOW_PRECISION)
@pytest.mark.parametrize("block_size", ts.SUPPORTED_BLOCK_SIZES)
def test_dense_path_matches_dense(dense_path_device, block_size, dtype):
    layout = random_layout(3, 2, block_size)
    check_conv(layout, dtype, dense_path_device, image(2, layout.shape[1], 5, 6), (3, 3), padding=1)


@pytest.mark.parametrize("kernel, stride, padding, dilation", PATH_GEOMETRIES)
@pytest.mark.filterwarnings("ignore:Using padding=.same. with even kernel lengths:UserWarning")
def test_dense_path_geometry(dense_path_device, kernel, stride, padding, dilation):
    check_conv(random_layout(2, 3, 8), torch.float32, dense_path_device, image(2, 24, 7, 9), kernel, stride, padding,
               dilation)


def test_dense_path_channels_last_and_conv1d(dense_path_device):
    y = check_conv(random_layout(2, 2, 16), torch.float16, dense_path_device, image(2, 32, 6, 5, channels_last=True),
                   (3, 3), padding=1)
    assert y.is_contiguous(memory_format=torch.channels_last)
    check_conv(random_layout(2, 2, 8), torch.bfloat16, dense_path_device, torch.randn(3, 16, 11), (5,), padding=2)


def test_dense_path_layout_extremes(dense_path_device):
    for mask in (torch.zeros(2, 3, dtype=torch.bool), torch.ones(2, 3, dtype=torch.bool)):
        check_conv(ts.Layout(mask, 8), torch.float32, dense_path_device, image(2, 24, 4, 5), (3, 3), padding=1)


def test_dense_path_is_taken(monkeypatch):
    monkeypatch.setenv("TILESPARSE_BACKEND", "triton")
    monkeypatch.setenv("TILESPARSE_DENSE_PATH", "always")
    products = ("conv2d_forward_dense", "conv2d_backward_input_dense", "conv2d_backward_weight_dense")
    calls = record_calls(monkeypatch, conv_dense, products)
    layout = random_layout(2, 2, 8)
    x = image(2, 16, 4, 4).requires_grad_()
    blocks = torch.randn(*layout.packed_shape, 3, 3, requires_grad=True)
    ts.conv2d(x, blocks, layout, padding=1).sum().backward()
    assert sorted(calls) == sorted(products)


# -- which cases take it ---------------------------------------------------------------------------------------

PIXELS = CONV_DENSE_PATH_MIN_PIXELS


@pytest.mark.parametrize("key", sorted(conv_dense.CONV_DENSE_PATH_MIN_DENSITY))
def test_thresholds(key):
    product, block_size = key
    threshold = conv_dense.CONV_DENSE_PATH_MIN_DENSITY[key]
    assert conv_dense_path_wins(product, PIXELS, block_size, threshold, torch.float16)
    assert not conv_dense_path_wins(product, PIXELS, block_size, threshold * 0.9, torch.bfloat16)
    assert not conv_dense_path_wins(product, PIXELS - 1, block_size, 1.0, torch.float16)  # small images stay sparse
    assert not conv_dense_path_wins(product, PIXELS, block_size, 1.0, torch.float32)  # fp32 not measured
    assert not conv_dense_path_wins(product, PIXELS, block_size, 1.0, torch.float16, DENSE_PATH_MAX_BYTES + 1)


def test_modes_and_bad_inputs(monkeypatch):
    monkeypatch.setenv("TILESPARSE_DENSE_PATH", "never")
    assert not use_conv_dense_path("forward", PIXELS, 32, 4, 2, 2, torch.float16)
    monkeypatch.setenv("TILESPARSE_DENSE_PATH", "always")
    assert use_conv_dense_path("forward", 1, 32, 1, 2, 2, torch.float32)
    with pytest.raises(ValueError, match="expected product in"):
        conv_dense_path_wins("backward", PIXELS, 32, 0.5, torch.float16)
