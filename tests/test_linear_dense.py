"""The linear op's dense path (kernels/linear_dense.py): cuBLAS on the densified weight where it beats the
sparse kernels. Its products against float64, which densities and sizes take it, and the switch."""

import pytest
import torch

import tilesparse as ts
from backends import LOW_PRECISION, random_layout, record_calls
from test_linear import check_linear
from tilesparse.bench.linear import tf32
from tilesparse.kernels import linear_dense
from tilesparse.kernels.linear_dense import (
    DENSE_PATH_MAX_BYTES,
    DENSE_PATH_MIN_ROWS,
    LARGE_BATCH_ROWS,
    dense_path_wins,
    use_dense_path,
)


@pytest.mark.parametrize("dtype", LOW_PRECISION)
@pytest.mark.parametrize("block_size", ts.SUPPORTED_BLOCK_SIZES)
def test_dense_path_matches_dense(dense_path_device, block_size, dtype):
    """Forward, dX, dW and dbias on the dense path, with an empty row and column in the layout."""
    layout = random_layout(4, 3, block_size)
    check_linear(layout, dtype, dense_path_device, x_shape=(5, layout.shape[1]))


@pytest.mark.parametrize("block_size", [8, 32])
def test_dense_path_tf32(dense_path_device, block_size):
    with tf32(True):
        check_linear(random_layout(3, 5, block_size), torch.float32, dense_path_device, x_shape=(6, 5 * block_size),
                     tf32=True)


def test_dense_path_layout_extremes(dense_path_device):
    """An empty layout (dW has no blocks, y is the bias) and a full one."""
    for mask in (torch.zeros(3, 2, dtype=torch.bool), torch.ones(3, 2, dtype=torch.bool)):
        check_linear(ts.Layout(mask, 16), torch.float32, dense_path_device, x_shape=(4, 32))


def test_dense_path_is_taken(monkeypatch):
    """With ``always`` the op runs the dense products, not the kernels: on CPU tensors under the Triton backend
    nothing else could run without the interpreter's kernels, so count the calls."""
    monkeypatch.setenv("TILESPARSE_BACKEND", "triton")
    monkeypatch.setenv("TILESPARSE_DENSE_PATH", "always")
    products = ("linear_forward_dense", "linear_backward_input_dense", "linear_backward_weight_dense")
    calls = record_calls(monkeypatch, linear_dense, products)
    layout = random_layout(2, 3, 8)
    x = torch.randn(4, 24, requires_grad=True)
    blocks = torch.randn(layout.packed_shape, requires_grad=True)
    ts.linear(x, blocks, layout).sum().backward()
    assert sorted(calls) == sorted(products)


# -- which cases take it ---------------------------------------------------------------------------------------

BIG = LARGE_BATCH_ROWS
MEDIUM = DENSE_PATH_MIN_ROWS
SMALL_BYTES = 1 << 20


@pytest.mark.parametrize("rows, table", [(BIG, linear_dense.DENSE_PATH_MIN_DENSITY),
                                         (BIG - 1, linear_dense.DENSE_PATH_MIN_DENSITY_MEDIUM),
                                         (MEDIUM, linear_dense.DENSE_PATH_MIN_DENSITY_MEDIUM)])
@pytest.mark.parametrize("product", ["forward", "dx", "dw"])
def test_block_8_goes_dense_from_its_threshold(product, rows, table):
    threshold = table[product, 8, "16-bit"]
    assert dense_path_wins(product, rows, 8, threshold, torch.float16, SMALL_BYTES)
    assert not dense_path_wins(product, rows, 8, threshold * 0.9, torch.float16, SMALL_BYTES)


def test_dense_path_limits():
    assert not dense_path_wins("dw", MEDIUM - 1, 8, 0.5, torch.float16, SMALL_BYTES)  # small batch stays sparse
    assert not dense_path_wins("forward", MEDIUM, 16, 0.9, torch.float16, SMALL_BYTES)  # medium: kernels measured
    assert not dense_path_wins("dw", BIG, 8, 0.5, torch.float16, DENSE_PATH_MAX_BYTES + 1)  # the memory cap
    assert not dense_path_wins("forward", BIG, 128, 0.99, torch.float16, SMALL_BYTES)  # block 128 never
    with tf32(False):  # fp32 without TF32 was not measured: it stays on the kernels
        assert not dense_path_wins("dw", BIG, 8, 0.5, torch.float32, SMALL_BYTES)
    with tf32(True):
        assert dense_path_wins("dw", BIG, 8, 0.5, torch.float32, SMALL_BYTES)
        assert not dense_path_wins("dw", MEDIUM, 8, 0.05, torch.float32, SMALL_BYTES)  # medium TF32: from 0.06
        assert dense_path_wins("dw", MEDIUM, 8, 0.06, torch.float32, SMALL_BYTES)


def test_use_dense_path_modes(monkeypatch):
    args = ("forward", BIG, 8, 32, 8, 8, torch.float16)  # 32 of 64 blocks
    monkeypatch.setenv("TILESPARSE_DENSE_PATH", "auto")
    assert use_dense_path(*args)
    assert not use_dense_path("forward", BIG, 8, 0, 8, 8, torch.float16)
    monkeypatch.setenv("TILESPARSE_DENSE_PATH", "never")
    assert not use_dense_path(*args)
    monkeypatch.setenv("TILESPARSE_DENSE_PATH", "always")
    assert use_dense_path("forward", 1, 128, 1, 8, 8, torch.float16)


def test_bad_inputs(monkeypatch):
    with pytest.raises(ValueError, match="expected product in"):
        dense_path_wins("backward", BIG, 8, 0.5, torch.float16, SMALL_BYTES)
    monkeypatch.setenv("TILESPARSE_DENSE_PATH", "sometimes")
    with pytest.raises(ValueError, match="expected TILESPARSE_DENSE_PATH in .*got 'sometimes'"):
        use_dense_path("forward", BIG, 8, 32, 8, 8, torch.float16)


def test_dense_path_opcheck(dense_path_device):
    """The custom ops' fake implementations and autograd registration hold on the dense path too."""
    from test_linear import _op_args

    layout, tables, x, blocks, bias, dy = _op_args(dense_path_device)
    ops = torch.ops.tilesparse
    torch.library.opcheck(ops.linear_forward.default, (x, blocks, bias, tables, 3))
    torch.library.opcheck(ops.linear_backward_input.default, (dy, blocks.detach(), tables, 2))
    torch.library.opcheck(ops.linear_backward_weight.default, (dy, x.detach(), tables, 16))


def test_dense_path_strided_inputs(dense_path_device):
    """Feature-major x (feature_axis=0, the op sees x^T), a non-contiguous slice, leading dims, no bias."""
    layout = random_layout(3, 2, 16)
    x = torch.randn(32, 7, device=dense_path_device).half()
    check_linear(layout, torch.float16, dense_path_device, x=x, feature_axis=0, bias=False)
    wide = torch.randn(2, 3, 80, device=dense_path_device)
    check_linear(layout, torch.float32, dense_path_device, x=wide[..., 5:37])
