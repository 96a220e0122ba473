"""The warp-specialised Hopper kernel of linear_dsd (kernels/linear_dsd_hopper.py, Gluon).

On CPU: when it is chosen and when it must decline, and that it compiles for sm_90a (wgmma, TMA, register
reallocation) without a GPU. On CUDA (marker gpu): forward (with and without bias) and dX against float64
on NaN-poisoned outputs, ragged batches, empty output blocks, both 16-bit dtypes; on a Hopper GPU the test
also checks that the Gluon kernel is what ran.
"""

import pytest
import torch
import triton

import tilesparse as ts
from backends import random_layout
from tilesparse.kernels import linear_dsd as dsd
from tilesparse.kernels import linear_dsd_hopper as hopper
from tolerances import assert_close

needs_gluon = pytest.mark.skipif(not hopper.gluon_available(), reason="this Triton has no tested Gluon")


def is_hopper() -> bool:
    return torch.cuda.is_available() and torch.cuda.get_device_capability() == (9, 0)


@pytest.mark.parametrize("block_size", [8, 16, 32, 64, 128])
@pytest.mark.parametrize("element_size", [2, 4])
def test_config_choice(block_size, element_size):
    """Blocks of 128 at 16 bits and large batch; blocks of 64 only with long segments (measured); never fp32,
    small batches or small blocks."""
    for m, mean_blocks in ((8192, 64.0), (8192, 12.8), (256, 30.0), (255, 64.0), (32, 64.0)):
        chosen = dsd.dsd_config(m, block_size, element_size, mean_blocks=mean_blocks).hopper_ws
        long_enough = block_size == 128 or (block_size == 64 and mean_blocks >= dsd.HOPPER_WS_MIN_BLOCKS_64)
        assert chosen == (element_size == 2 and m >= 256 and long_enough), (m, mean_blocks)


def test_declines_what_it_cannot_run():
    blocks = torch.zeros(4, 128, 128, dtype=torch.float16)
    x = torch.zeros(512, 1024, dtype=torch.float16)
    assert not hopper.supported(x, blocks)  # CPU tensors
    if not torch.cuda.is_available():
        return
    x, blocks = x.cuda(), blocks.cuda()
    assert hopper.supported(x, blocks) == (is_hopper() and hopper.gluon_available())
    assert not hopper.supported(x.float(), blocks.float())  # fp32
    assert not hopper.supported(x[:, 1:1001], blocks)  # base not 16-byte aligned
    assert not hopper.supported(x.T.contiguous().T, blocks)  # feature-major
    assert not hopper.supported(x, blocks[:, :64, :64])  # packed blocks not contiguous
    assert not hopper.supported(x, blocks[:, :32, :32].contiguous())  # block 32


@needs_gluon
@pytest.mark.parametrize("block_size, transpose", [(128, True), (64, False)])
def test_compiles_for_hopper(block_size, transpose):
    """Compiled for sm_90a on the CPU machine: the PTX has asynchronous wgmma, TMA tile loads and register
    reallocation between the producer and the consumers."""
    from triton.backends.compiler import GPUTarget
    from triton.experimental.gluon._runtime import GluonASTSource

    from tilesparse.kernels.linear_dsd_hopper_gluon import linear_dsd_hopper_kernel, shared_layout

    def desc(block):
        return f"tensordesc<fp16[{block[0]},{block[1]}],{shared_layout(block, torch.float16)!r}>"

    bb, bk = hopper.BATCH_TILE, hopper.K_STEP
    signature = {
        "x_desc": desc([bb, bk]), "w_desc": desc([block_size, bk] if transpose else [bk, block_size]),
        "y_desc": desc([bb, block_size]), "bias_ptr": "*fp16", "seg_ptr": "*i32", "seg_idx_ptr": "*i32",
        "seg_blk_ptr": "*i32", "seg_order_ptr": "*i32", "num_segs": "i32",
    }
    constants = {"BS": block_size, "TRANSPOSE_W": transpose, "HAS_BIAS": transpose, "STAGES": hopper.STAGES,
                 "PRODUCER_REGISTERS": hopper.PRODUCER_REGISTERS, "num_warps": hopper.NUM_WARPS}
    signature.update({name: "constexpr" for name in constants})
    kernel = triton.compile(
        GluonASTSource(linear_dsd_hopper_kernel, signature, constants), target=GPUTarget("cuda", 90, 32),
        options={"num_warps": hopper.NUM_WARPS, "maxnreg": hopper.MAX_REGISTERS},
    )
    ptx = kernel.asm["ptx"]
    assert "wgmma.mma_async" in ptx and "cp.async.bulk.tensor" in ptx and "setmaxnreg" in ptx
    assert kernel.metadata.shared <= 227 * 1024


@pytest.mark.gpu
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize("block_size", [64, 128])
@pytest.mark.parametrize("batch", [300, 1000])
def test_matches_float64(monkeypatch, batch, block_size, dtype):
    calls = []
    real = hopper.linear_dsd_hopper
    monkeypatch.setattr(hopper, "linear_dsd_hopper", lambda *a: calls.append(a[-1]) or real(*a))
    out_blocks, in_blocks = 5, 7
    layout = random_layout(out_blocks, in_blocks, block_size, density=0.7)  # empty last row and column
    t = layout.tables("cuda")
    blocks = torch.randn(layout.packed_shape, device="cuda").to(dtype)
    x = torch.randn(batch, in_blocks * block_size, device="cuda").to(dtype)
    dy = torch.randn(batch, out_blocks * block_size, device="cuda").to(dtype)
    bias = torch.randn(out_blocks * block_size, device="cuda").to(dtype)
    # the Hopper kernel forced on (block 64 would take it only for long segments)
    cfg = dsd.DsdConfig(block_m=256, num_warps=8, num_stages=4, transposed_tile=True, hopper_ws=True)
    rows = (t.row_ptr, t.row_cols, t.row_blocks, t.row_order)
    cols = (t.col_ptr, t.col_rows, t.col_blocks, t.col_order)
    y = dsd.linear_dsd(x, blocks, *rows, out_blocks, True, config=cfg)
    y_bias = dsd.linear_dsd(x, blocks, *rows, out_blocks, True, bias, config=cfg)
    dx = dsd.linear_dsd(dy, blocks, *cols, in_blocks, False, config=cfg)
    w64 = ts.to_dense(blocks.double(), layout)
    assert_close(y, x.double() @ w64.T, dtype, "forward")
    assert_close(y_bias, x.double() @ w64.T + bias.double(), dtype, "forward + bias")
    assert_close(dx, dy.double() @ w64, dtype, "dX")
    assert calls == ([True, True, False] if is_hopper() and hopper.gluon_available() else [])


@pytest.mark.gpu
def test_misaligned_input_falls_back():
    """x sliced off a 16-byte boundary cannot be a TMA source: the Triton kernel runs, same result."""
    layout = random_layout(3, 4, 128, density=0.7)
    t = layout.tables("cuda")
    blocks = torch.randn(layout.packed_shape, device="cuda", dtype=torch.float16)
    x = torch.randn(512, 4 * 128 + 1, device="cuda", dtype=torch.float16)[:, 1:]
    y = dsd.linear_dsd(x, blocks, t.row_ptr, t.row_cols, t.row_blocks, t.row_order, 3, True)
    assert_close(y, x.double() @ ts.to_dense(blocks.double(), layout).T, torch.float16, "forward")
