"""Development probe (Hopper): what holds the block-128 forward below 0.90 at d <= 0.1?

At batch 8192, 8192^2, fp16, the persistent forward runs at 0.91 of cuBLAS per nonzero at d = 0.5 and 0.25, 0.81
at 0.1 and 0.59 at 0.05 (session16-full). An item (a 256-row batch tile's segment) walks 2 K steps a block, so at
d = 0.1 about 13 steps and at 0.05 about 6; every item ends in an epilogue (cast, turn, two TMA stores in halves)
while the tensor pipes wait, and the output (128 MB) is written whatever the density. This times the same kernel
with parts taken out, each variant in a process of its own (``--variant``), so that the Gluon functions it swaps
in are the ones compiled:

- ``full``: the library's kernel;
- ``no-store``: the epilogue without the TMA store (cast, turn and shared-memory write kept);
- ``no-epilogue``: no epilogue (behind a branch on the batch tile that never holds, so the MMAs stay);
- ``no-mma``: the consumers wait for each stage and hand it back without MMAs, then the full epilogue (zeros);
- ``loads-only``: neither MMAs nor epilogue: the producer's loads alone;
- ``lsu-store``: the output tile turned through shared memory as before, then stored by the consumer threads
  (16-byte st.global each) instead of by TMA, so the stores do not queue in the TMA unit with the producer's loads;
  ``lsu-store-cs``: the same with streaming stores (``.cs``, evict first).

Each process also times dense cuBLAS (for efficiencies) and a copy of x into y (128 MB read, 128 MB written:
the forward's least HBM traffic at these densities), with the suite's cold-L2 timer, medians of 5.

Usage: PYTHONPATH=src python3 scripts/probe_epilogue.py --variant full|no-store|no-epilogue|no-mma|loads-only
       [--compile-only]   (CPU: the variant compiled for sm_90a)
"""

import os
import re
import statistics
import sys

import torch
from triton.experimental import gluon
from triton.experimental.gluon import language as gl
from triton.experimental.gluon.language.nvidia.hopper import fence_async_shared, mbarrier, tma

from tilesparse.bench.linear import DEFAULT_TIMING, Case, Operands, block_count, random_mask, time_ms
from tilesparse.kernels import linear_hopper as hopper
from tilesparse.kernels import linear_hopper_gluon as kernels
from tilesparse.layout import Layout, to_dense

real_store_output = kernels.store_output
real_ring_slot = kernels.ring_slot


@gluon.jit
def store_rows_without_copy(acc, y_desc, y_smem, row, col):
    """store_rows less the TMA store."""
    tma.store_wait(pendings=0)
    y_smem.store(gl.permute(acc.to(y_desc.dtype), (1, 0)))
    fence_async_shared()


@gluon.jit
def store_output_never(acc, layout: gl.constexpr, y_desc, y_smem, bias_ptr, seg, tile, HAS_BIAS: gl.constexpr):
    """No epilogue: the batch tile is never negative, but the compiler cannot tell, so the MMAs stay."""
    if tile < 0:
        real_store_output(acc, layout, y_desc, y_smem, bias_ptr, seg, tile, HAS_BIAS)


@gluon.jit
def consume_item_without_mma(x_ring, w_ring, empty, ready, y_desc, y_smem, bias_ptr, seg, tile, count, done,
                             BS: gl.constexpr, TRANSPOSE_W: gl.constexpr, HAS_BIAS: gl.constexpr,
                             num_warps: gl.constexpr):
    """consume_item's waits and hand-backs, no MMAs; the epilogue stores zeros (or nothing, as swapped)."""
    STAGES: gl.constexpr = x_ring.shape[0]
    BB: gl.constexpr = x_ring.shape[1]
    BK: gl.constexpr = x_ring.shape[2]
    KS: gl.constexpr = BS // BK
    layout: gl.constexpr = kernels.mma_layout(BS, BB, num_warps, x_ring.dtype.primitive_bitwidth)
    acc = gl.zeros((BS, BB), dtype=gl.float32, layout=layout)
    steps = count * KS
    for j in range(steps):
        s, phase = real_ring_slot(done + j, STAGES)
        mbarrier.wait(ready.index(s), phase)
        mbarrier.arrive(empty.index(s), count=1)
    kernels.store_output(acc, layout, y_desc, y_smem, bias_ptr, seg, tile, HAS_BIAS)
    return done + steps


@gluon.jit
def store_rows_lsu(acc, y_smem, y_ptr, y_desc, row, col, STREAMING: gl.constexpr):
    """An (outputs, batch rows) chunk turned through y_smem, then stored with the consumer threads' st.global."""
    ROWS: gl.constexpr = y_smem.shape[0]
    COLS: gl.constexpr = y_smem.shape[1]
    warps: gl.constexpr = gl.num_warps()
    gl.thread_barrier()  # every thread's reads of the previous chunk done
    y_smem.store(gl.permute(acc.to(y_smem.dtype), (1, 0)))
    gl.thread_barrier()
    blocked: gl.constexpr = gl.BlockedLayout([1, 8], [32 // (COLS // 8), COLS // 8], [warps, 1], [1, 0])
    vals = y_smem.load(blocked)
    rows = row + gl.arange(0, ROWS, layout=gl.SliceLayout(1, blocked))
    cols = gl.multiple_of(col, 8) + gl.arange(0, COLS, layout=gl.SliceLayout(0, blocked))  # a segment's first column
    stride = gl.multiple_of(y_desc.strides[0], 8)  # TMA-ready: 16-byte row strides
    ptrs = y_ptr + rows.to(gl.int64)[:, None] * stride + cols[None, :]
    mask = (rows < y_desc.shape[0])[:, None] & (cols >= 0)[None, :]
    if STREAMING:
        gl.store(ptrs, vals, mask=mask, cache_modifier=".cs")
    else:
        gl.store(ptrs, vals, mask=mask)


@gluon.jit
def store_output_lsu(acc, layout: gl.constexpr, y_desc, y_smem, bias_ptr, seg, tile, HAS_BIAS: gl.constexpr):
    """store_output in halves by the consumer threads; without a bias the launcher passes y as ``bias_ptr``."""
    BS: gl.constexpr = acc.shape[0]
    BB: gl.constexpr = acc.shape[1]
    first, second = kernels.column_halves(acc)
    store_rows_lsu(first, y_smem, bias_ptr, y_desc, tile * BB, seg * BS, False)
    store_rows_lsu(second, y_smem, bias_ptr, y_desc, tile * BB + BB // 2, seg * BS, False)


@gluon.jit
def store_output_lsu_streaming(acc, layout: gl.constexpr, y_desc, y_smem, bias_ptr, seg, tile,
                               HAS_BIAS: gl.constexpr):
    BS: gl.constexpr = acc.shape[0]
    BB: gl.constexpr = acc.shape[1]
    first, second = kernels.column_halves(acc)
    store_rows_lsu(first, y_smem, bias_ptr, y_desc, tile * BB, seg * BS, True)
    store_rows_lsu(second, y_smem, bias_ptr, y_desc, tile * BB + BB // 2, seg * BS, True)


def swap(variant):
    if variant == "no-store":
        kernels.store_rows = store_rows_without_copy
    elif variant == "no-epilogue":
        kernels.store_output = store_output_never
    elif variant == "no-mma":
        kernels.consume_item = consume_item_without_mma
    elif variant == "loads-only":
        kernels.consume_item = consume_item_without_mma
        kernels.store_output = store_output_never
    elif variant == "lsu-store":
        kernels.store_output = store_output_lsu
    elif variant == "lsu-store-cs":
        kernels.store_output = store_output_lsu_streaming
    elif variant != "full":
        raise SystemExit("expected a variant of full, no-store, no-epilogue, no-mma, loads-only, lsu-store, "
                         f"lsu-store-cs; got {variant!r}")


def compile_only():
    """Each variant compiled for sm_90a on a CPU machine (through the GPU tests' helper)."""
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
    from test_linear_hopper import compile_for_hopper

    program = hopper.PERSISTENT
    descs = {"x_desc": [256, 64], "w_desc": [128, 64], "y_desc": [128, 128]}
    pointers = {"bias_ptr": "*fp16", "seg_idx_ptr": "*i32", "seg_blk_ptr": "*i32", "launch_ptr": "*i32",
                "counter_ptr": "*i32", "num_segs": "i32", "num_tiles": "i32", "tile_group": "i32", "num_hubs": "i32",
                "late_tiles": "i32"}
    constants = {"BS": 128, "TRANSPOSE_W": True, "HAS_BIAS": False, "STAGES": 4, "PERSISTENT": True}
    try:
        ptx = compile_for_hopper(kernels.linear_dsd_hopper_kernel, descs, pointers, constants, torch.float16, program)
    except AssertionError:  # the helper's first check wants wgmma: the variants without MMAs fail it once compiled
        print("compiled; the helper's checks failed (expected for the variants without MMAs)")
        return
    print("compiled:", ptx.count("wgmma.mma_async"), "wgmma,", ptx.count("cp.async.bulk.tensor.2d.global.shared"),
          "TMA stores, global stores:", sorted(set(re.findall(r"st\.global[.a-z0-9]*", ptx))))


def main():
    variant = sys.argv[sys.argv.index("--variant") + 1]
    swap(variant)
    if "--compile-only" in sys.argv:
        return compile_only()
    device = torch.device("cuda")
    n = batch = 8192
    bs, repeats = 128, 5
    print(torch.cuda.get_device_name(), torch.__version__, "variant", variant, flush=True)
    case = Case(product="forward", dtype="fp16", batch=batch, out_features=n, in_features=n, block_size=bs,
                density=0.5)
    ops = Operands(case, device)
    y_copy = torch.empty_like(ops.x)
    base = {"dense": lambda: ops.x @ ops.weight.T, "copy": lambda: y_copy.copy_(ops.x)}
    times = {name: statistics.median(time_ms(fn, device, DEFAULT_TIMING) for _ in range(repeats))
             for name, fn in base.items()}
    print(f"dense {times['dense'] * 1e3:.1f} us, copy x -> y {times['copy'] * 1e3:.1f} us "
          f"({2 * ops.x.numel() * 2 / times['copy'] / 1e9:.2f} TB/s)", flush=True)
    for density in (0.5, 0.25, 0.1, 0.05):
        nnz = block_count(n // bs, n // bs, density)
        layout = Layout(random_mask(n // bs, n // bs, nnz, torch.Generator().manual_seed(0)), bs)
        t = layout.tables(device)
        blocks = ops.randn(*layout.packed_shape, scale=ops.scale)
        y = torch.full((batch, n), float("nan"), device=device, dtype=torch.float16)

        def run():
            return hopper.linear_dsd_hopper(ops.x, blocks, y, None, t.row_ptr, t.row_cols, t.row_blocks, t.row_order,
                                            n // bs, True, hopper.PERSISTENT, launch=t.row_launch)

        run()
        torch.cuda.synchronize()
        if variant in ("full", "lsu-store", "lsu-store-cs"):  # the variants that store y: check them
            ref = ops.x.float() @ to_dense(blocks, layout).float().T
            err = ((y.float() - ref).norm() / ref.norm()).item()
        else:
            err = float("nan")
        ms = statistics.median(time_ms(run, device, DEFAULT_TIMING) for _ in range(repeats))
        steps = 2 * layout.nnz / (n // bs)
        print(f"d={layout.density:.3f} ({steps:.1f} steps an item): {ms * 1e3:.1f} us, "
              f"efficiency {times['dense'] * layout.density / ms:.3f}, of copy {ms / times['copy']:.2f}x, "
              f"err {err:.1e}", flush=True)


if __name__ == "__main__":
    main()
