"""The warp-specialised Hopper kernels (kernels/linear_hopper.py, Gluon): linear forward/dX and dW at blocks 64/128.

On CPU: when they are chosen and when they must decline, and that they compile for sm_90a (wgmma, TMA,
register reallocation) without a GPU. On CUDA (marker gpu): every product against float64 on NaN-poisoned
outputs, ragged batches, empty output blocks and rows ending inside a dW group, both 16-bit dtypes; on a
Hopper GPU the tests also check that the Gluon kernels are what ran.
"""

import contextlib
import re
from dataclasses import replace

import pytest
import torch
import triton

import tilesparse as ts
from backends import random_layout
from tilesparse import Layout
from tilesparse.kernels import linear_dsd as dsd
from tilesparse.kernels import linear_hopper as hopper
from tilesparse.kernels import linear_sdd as sdd
from tilesparse.layout import row_groups, segment_groups
from tolerances import assert_close

needs_gluon = pytest.mark.skipif(not hopper.gluon_available(), reason="this Triton has no tested Gluon")


def runs_gluon() -> bool:
    return torch.cuda.is_available() and torch.cuda.get_device_capability() == (9, 0) and hopper.gluon_available()


@contextlib.contextmanager
def matmul_precision(precision):
    """PyTorch's float32 matmul precision for a while: "high" lets fp32 products run as TF32."""
    old = torch.get_float32_matmul_precision()
    torch.set_float32_matmul_precision(precision)
    try:
        yield
    finally:
        torch.set_float32_matmul_precision(old)


@pytest.fixture
def tf32_allowed():
    """fp32 products run as TF32 during the test (and may take the Hopper kernels)."""
    with matmul_precision("high"):
        yield


def spy(monkeypatch, name):
    """Record the calls of a launcher in kernels/linear_hopper.py (its last argument each time; dsd: its last
    three, the blocks' orientation, the program shape and the batch tiles a sweep)."""
    calls, real = [], getattr(hopper, name)
    last = 3 if name == "linear_dsd_hopper" else 1
    monkeypatch.setattr(hopper, name, lambda *a, **kw: calls.append(a[-last:] if last > 1 else a[-1]) or real(*a, **kw))
    return calls


@pytest.mark.parametrize("block_size", [8, 16, 32, 64, 128])
@pytest.mark.parametrize("element_size", [2, 4])
def test_config_choice(block_size, element_size):
    """Large batches only, blocks 64/128, where measured faster (kernels/linear_dsd.py, linear_sdd.py):
    dsd at block 128 (TF32: unless segments are near empty), at block 64 always; persistent programs at 16-bit
    block 128 above 4 blocks a segment and at block 64 below 6 (TF32: 12); segment pairs at block 64, persistent
    ones from 6 blocks below 24 (TF32: from 12 below 48), one-item ones above; two programs an SM for short 16-bit
    block-128 and very short TF32 block-64 segments; dW at block 128, at block 64 in pairs (16-bit) or in every
    group (TF32)."""
    for m, mean_blocks in ((8192, 64.0), (8192, 32.0), (8192, 12.8), (8192, 6.4), (8192, 3.2), (8192, 1.3), (8192, 0.6),
                           (256, 30.0), (255, 64.0), (32, 64.0)):
        cfg = dsd.dsd_config(m, block_size, element_size, mean_blocks=mean_blocks)
        if block_size == 128:
            wanted = element_size == 2 or mean_blocks >= 2
        else:
            wanted = block_size == 64
        assert cfg.hopper_ws == (m >= 256 and wanted), (m, mean_blocks)
        if block_size == 128:
            paired = element_size == 2 and mean_blocks <= 4
            persistent = element_size == 2 and mean_blocks > 4
        else:
            paired = element_size == 4 and mean_blocks <= 2
            persistent = not paired and mean_blocks < (12 if element_size == 4 else 6)
        pairs_from, persistent_below = (12, 48) if element_size == 4 else (6, 24)
        segment_pairs = block_size == 64 and mean_blocks >= persistent_below
        persistent_pairs = block_size == 64 and pairs_from <= mean_blocks < persistent_below
        assert (cfg.hopper_shape == hopper.SEGMENT_PAIRS) == (cfg.hopper_ws and segment_pairs), (m, mean_blocks)
        wanted_shape = hopper.PERSISTENT_PAIRS_TF32 if element_size == 4 else hopper.PERSISTENT_PAIRS
        assert (cfg.hopper_shape == wanted_shape) == (cfg.hopper_ws and persistent_pairs), (m, mean_blocks)
        assert (cfg.hopper_shape == hopper.PAIRED) == (cfg.hopper_ws and paired), (m, mean_blocks)
        assert (cfg.hopper_shape == hopper.PERSISTENT) == (cfg.hopper_ws and persistent), (m, mean_blocks)
        halves = cfg.hopper_ws and persistent and block_size == 128  # halves: 4 stages
        halves |= cfg.hopper_ws and persistent_pairs and element_size == 2
        quarters = cfg.hopper_ws and persistent_pairs and element_size == 4
        assert hopper.output_chunks(cfg.hopper_shape, block_size) == (2 if halves else 4 if quarters else 1)
        grouped = cfg.hopper_ws and block_size == 128 and element_size == 4 and mean_blocks >= 5
        assert cfg.hopper_tile_group == (2 if grouped else 1), (m, mean_blocks)
        for group in (1, 2, 4):
            chosen = sdd.sdd_config(m, block_size, group, element_size).hopper_ws
            wanted = block_size == 128 or (block_size == 64 and (element_size == 4 or group == 2))
            assert chosen == (m >= 256 and wanted), (m, group)


@pytest.mark.parametrize("block_size, mean_blocks, expected", [(128, 12.8, "PERSISTENT"), (128, 3.2, "PAIRED"),
                                                               (64, 64.0, "SEGMENT_PAIRS"), (64, 3.2, "PERSISTENT"),
                                                               (64, 12.8, "PERSISTENT_PAIRS")])
def test_config_shape_reaches_the_launcher(monkeypatch, block_size, mean_blocks, expected):
    """The program shape ``dsd_config`` picks is the one ``linear_dsd`` launches (on CPU: the Hopper checks and
    the launcher stubbed)."""
    launched = []
    monkeypatch.setattr(hopper, "supported", lambda *operands: True)
    monkeypatch.setattr(hopper, "tma_ready", lambda t: True)
    monkeypatch.setattr(hopper, "linear_dsd_hopper", lambda *a, **kw: launched.append(a[10]) or a[2])
    layout = random_layout(3, 4, block_size, density=0.7)
    t = layout.tables()
    x = torch.randn(256, 4 * block_size, dtype=torch.float16)
    blocks = torch.randn(layout.packed_shape, dtype=torch.float16)
    cfg = dsd.dsd_config(8192, block_size, 2, mean_blocks=mean_blocks)
    dsd.linear_dsd(x, blocks, t.row_ptr, t.row_cols, t.row_blocks, t.row_order, 3, True, config=cfg)
    assert launched == [getattr(hopper, expected)]


@pytest.mark.parametrize("element_size", [2, 4])
@pytest.mark.parametrize("block_size", [16, 32])
def test_small_blocks_take_segment_groups_where_dense(block_size, element_size):
    """Blocks 32 and 16 run the Hopper kernel on segment groups at large batch from a density where
    probe_groups measured it faster (block 32: 0.04 at 16 bits, 0.1 at TF32; block 16 every density but 16-bit
    0.02 < d < 0.075), with hub segments or not (probe_groups_ba), never below 256 rows. Two producer warps at
    block 32 from d = 0.4 (TF32 always), else four; x from its tile images at 16-bit block 16 from d = 0.075."""
    threshold = dsd.HOPPER_GROUPS_MIN_DENSITY[block_size, element_size]
    for m, density, hubs in ((8192, 0.5, False), (8192, 0.3, False), (8192, 0.1, False), (8192, 0.5, True),
                             (255, 0.5, False), (8192, threshold, False), (8192, threshold - 0.001, False),
                             (8192, 0.0, False), (8192, 0.05, False), (8192, 0.01, False)):  # density 0: not given
        cfg = dsd.dsd_config(m, block_size, element_size, mean_blocks=density * 8192 / block_size, hubs=hubs,
                             density=density)
        gap = block_size == 16 and element_size == 2 and 0.02 < density < 0.075
        wanted = m >= 256 and density > 0 and density >= threshold and not gap
        assert cfg.hopper_ws == wanted, (m, density, hubs)
        assert cfg.hopper_shape.segment_groups == wanted, (m, density, hubs)
        if wanted:
            two = block_size == 32 and (element_size == 4 or density >= 0.4)
            image = block_size == 16 and element_size == 2 and density >= 0.075
            assert (cfg.hopper_shape.group_producers, cfg.hopper_shape.x_image) == (2 if two else 4, image)


def test_block_32_groups_reach_the_launcher(monkeypatch):
    """``linear_dsd`` at block 32 on a dense-enough layout hands the layout's group tables to the group launcher,
    with two producer warps at d >= 0.4 and four below (on CPU: the Hopper checks and the group launcher
    stubbed)."""
    launched = []
    monkeypatch.setattr(hopper, "supported", lambda *operands: True)
    monkeypatch.setattr(hopper, "tma_ready", lambda t: True)
    monkeypatch.setattr(hopper, "linear_dsd_hopper_groups", lambda *a, **kw: launched.append((a[4], kw)) or a[2])
    rows, cols = torch.meshgrid(torch.arange(12), torch.arange(12), indexing="ij")
    for period, producers in ((2, 2), (4, 4)):  # d = 0.5 and 0.25, every row and column alike (no hubs)
        layout = Layout((rows + cols) % period == 0, 32)
        t = layout.tables()
        x = torch.randn(256, 12 * 32, dtype=torch.float16)
        blocks = torch.randn(layout.packed_shape, dtype=torch.float16)
        groups = (t.row_group_launch, t.row_group_idx, t.row_group_blk)
        dsd.linear_dsd(x, blocks, t.row_ptr, t.row_cols, t.row_blocks, t.row_order, 12, True, groups=groups)
        tables, options = launched.pop()
        assert all(a is b for a, b in zip(tables, groups, strict=True))
        assert options == {"x_image": False, "producers": producers}, period


@pytest.mark.parametrize("hubs, in_blocks, expected",
                         [(0, 64, "SEGMENT_PAIRS"), (2, 64, "WIDE"), (0, 16, "PERSISTENT_PAIRS"),
                          (2, 16, "PERSISTENT")])
def test_layouts_with_hubs_keep_the_hub_order(monkeypatch, hubs, in_blocks, expected):
    """Block 64: segment pairs keep no hub order, so with hub segments (``hubs``, counted at HUB_FACTOR) a layout
    runs the shape it would have without pairs (one-item or persistent ones): WIDE for segments of 64 blocks,
    PERSISTENT for 16 (``dsd_config``
    as ``linear_dsd`` builds it; on CPU: the Hopper checks and the launcher stubbed)."""
    launched = []
    monkeypatch.setattr(hopper, "supported", lambda *operands: True)
    monkeypatch.setattr(hopper, "tma_ready", lambda t: True)
    monkeypatch.setattr(hopper, "linear_dsd_hopper", lambda *a, **kw: launched.append(a[10]) or a[2])
    layout = ts.Layout(torch.ones(3, in_blocks, dtype=torch.bool), 64)
    t = layout.tables()
    x = torch.randn(256, layout.shape[1], dtype=torch.float16)
    blocks = torch.randn(layout.packed_shape, dtype=torch.float16)
    cfg = dsd.dsd_config(8192, 64, 2, mean_blocks=float(in_blocks))
    assert cfg.hopper_shape.segment_pairs
    dsd.linear_dsd(x, blocks, t.row_ptr, t.row_cols, t.row_blocks, t.row_order, 3, True, hubs=hubs)  # its own config
    assert launched == [getattr(hopper, expected)]


def test_declines_what_it_cannot_run():
    blocks = torch.zeros(4, 128, 128, dtype=torch.float16)
    x = torch.zeros(512, 1024, dtype=torch.float16)
    assert not hopper.supported(128, x, blocks)  # CPU tensors
    if not torch.cuda.is_available():
        return
    x, blocks = x.cuda(), blocks.cuda()
    assert hopper.supported(128, x, blocks) == runs_gluon()
    assert hopper.supported(128, x, x) == runs_gluon()  # dW's operands: dY and x
    assert not hopper.supported(128, x, blocks.bfloat16())  # mixed dtypes
    assert not hopper.supported(64, x, blocks[:, :64, :64])  # packed blocks not contiguous
    assert not hopper.supported(32, x, blocks[:, :32, :32].contiguous())  # block 32
    assert not hopper.supported(128, x, blocks[:0])  # an empty layout: no TMA descriptor for it
    with matmul_precision("highest"):
        assert not hopper.supported(128, x.float(), blocks.float())  # fp32, TF32 not allowed
    with matmul_precision("high"):
        assert hopper.supported(128, x.float(), blocks.float()) == runs_gluon()
    assert hopper.tma_ready(x) and not hopper.tma_ready(x[:, 1:1001])  # base off a 16-byte boundary
    assert not hopper.tma_ready(x.T.contiguous().T)  # feature-major
    assert not hopper.tma_ready(torch.zeros(512, 1028, device="cuda", dtype=torch.float16)[:, :1024])  # stride


def test_pairs_decline_what_they_cannot_run():
    """Segment pairs need blocks of 64 (two accumulators in registers), 256 batch rows and, at fp32, 4 stages of
    ring for the two output tiles: the launcher says so before it builds anything."""
    layout = random_layout(3, 4, 128, density=0.7)
    t = layout.tables()
    pairs = (t.row_launch, t.row_cols, t.row_blocks.view(-1, 1).expand(-1, 2))  # shapes only: never read
    x = torch.zeros(256, 4 * 128, dtype=torch.float16)
    with pytest.raises(ValueError, match="expected blocks of 64 for segment pairs, got 128"):
        hopper.linear_dsd_hopper_pairs(x, torch.zeros(layout.packed_shape, dtype=torch.float16), x, None, pairs, True)
    blocks = torch.zeros(5, 64, 64)
    with pytest.raises(ValueError, match="expected at least 4 stages for two output tiles in the x ring, got 2"):
        hopper.linear_dsd_hopper_pairs(x.float(), blocks, x.float(), None, pairs, True,
                                       replace(hopper.SEGMENT_PAIRS, stages=2))
    with pytest.raises(ValueError, match="expected 256 batch rows for segment pairs, got 128"):
        hopper.linear_dsd_hopper_pairs(x, blocks.half(), x, None, pairs, True, replace(hopper.SEGMENT_PAIRS,
                                                                                       batch_tile=128))


def program_shape(name):
    """``linear_hopper``'s program shape ``name``, "/2" or "/4" after it: the output tile in that many chunks."""
    base, _, chunks = name.partition("/")
    return replace(getattr(hopper, base), out_chunks=int(chunks or 1))


def compile_for_hopper(kernel, descs, pointers, constants, dtype=torch.float16, shape=None, worker_warps=4):
    """Compile for sm_90a (``descs``: each descriptor's box, in the default shared layout, or (box, layout));
    ``shape`` (a ``linear_hopper.DsdShape``) sets the default partition's warps and the
    launch registers, and the shared memory must then leave room for ``SM_SHARED // per_sm`` programs an SM.
    ``worker_warps``: the warps of the worker partitions, each rounded up to a warpgroup."""
    from triton.backends.compiler import GPUTarget
    from triton.experimental.gluon._runtime import GluonASTSource

    from tilesparse.kernels.linear_hopper_gluon import shared_layout

    short = {torch.float16: "fp16", torch.float32: "fp32"}[dtype]
    layouts = {name: b[1] if isinstance(b, tuple) else shared_layout(b, dtype) for name, b in descs.items()}
    boxes = {name: b[0] if isinstance(b, tuple) else b for name, b in descs.items()}
    signature = {name: f"tensordesc<{short}[{b[0]},{b[1]}],{layouts[name]!r}>" for name, b in boxes.items()}
    pointers = {name: kind.replace("fp16", short) for name, kind in pointers.items()}
    signature.update(pointers)
    shape = shape or hopper.WIDE
    constants = {"PRODUCER_REGISTERS": hopper.PRODUCER_REGISTERS, **constants, "num_warps": shape.num_warps}
    signature.update({name: "constexpr" for name in constants})
    compiled = triton.compile(
        GluonASTSource(kernel, signature, constants), target=GPUTarget("cuda", 90, 32),
        options={"num_warps": shape.num_warps, "maxnreg": shape.max_registers},
    )
    ptx = compiled.asm["ptx"]
    assert "wgmma.mma_async" in ptx and "cp.async.bulk.tensor" in ptx and "setmaxnreg" in ptx
    assert compiled.metadata.num_warps == shape.num_warps + worker_warps
    per_sm = 2 if shape == hopper.PAIRED else 1
    assert per_sm * (compiled.metadata.shared + 1024) <= 228 * 1024  # 1 KB reserved a program
    # the launch registers: the consumers' warps plus the workers' warpgroups, for every program an SM holds
    assert per_sm * (shape.num_warps + worker_warps) * 32 * shape.max_registers <= 65536
    return ptx


@needs_gluon
@pytest.mark.parametrize("dtype", [torch.float16, torch.float32], ids=["fp16", "tf32"])
@pytest.mark.parametrize("block_size, transpose", [(128, True), (64, False)])
@pytest.mark.parametrize("shape", ["WIDE", "PAIRED", "PERSISTENT", "PERSISTENT/2", "PERSISTENT/4"])
def test_dsd_compiles_for_hopper(block_size, transpose, dtype, shape):
    """Compiled for sm_90a on the CPU machine: asynchronous wgmma, TMA tile loads, register reallocation; in
    every program shape (PAIRED: two programs' shared memory fits an SM; PERSISTENT: the ring and the output
    tile's buffer, whole or a half or quarter of it ("/2", "/4"), fit one)."""
    from tilesparse.kernels.linear_hopper_gluon import linear_dsd_hopper_kernel

    if dtype == torch.float32 and not transpose:
        pytest.skip("TF32 dX runs on turned blocks: the forward's kernel")
    program = program_shape(shape)
    if program.out_chunks > 1 and block_size == 64:
        pytest.skip("block 64 keeps 4 stages beside the whole tile, whose batch rows are split over warpgroups")
    bb, bk = program.batch_tile, hopper.k_step(dtype)
    descs = {"x_desc": [bb, bk], "w_desc": [block_size, bk] if transpose else [bk, block_size],
             "y_desc": [bb // program.out_chunks, block_size]}
    pointers = {"bias_ptr": "*fp16", "seg_idx_ptr": "*i32", "seg_blk_ptr": "*i32", "launch_ptr": "*i32",
                "counter_ptr": "*i32", "num_segs": "i32", "num_tiles": "i32", "tile_group": "i32", "num_hubs": "i32",
                "late_tiles": "i32"}
    stages = hopper.persistent_stages(program, block_size, dtype) if program.persistent else program.stages
    constants = {"BS": block_size, "TRANSPOSE_W": transpose, "HAS_BIAS": transpose, "STAGES": stages,
                 "PERSISTENT": program.persistent}
    ptx = compile_for_hopper(linear_dsd_hopper_kernel, descs, pointers, constants, dtype, program)
    # a store waits for the one before it only until that one has read the buffer; one store a chunk
    assert "cp.async.bulk.wait_group.read" in ptx
    assert ptx.count("cp.async.bulk.tensor.2d.global.shared") == program.out_chunks
    if program.persistent:  # 48 KB stages at block 128 beside a 64 KB (16-bit) or 128 KB (fp32) tile
        expected = {(128, torch.float16): {1: 3, 2: 4, 4: 4}, (128, torch.float32): {1: 2, 2: 3, 4: 4}}
        assert stages == expected.get((block_size, dtype), {1: 4})[program.out_chunks]


@needs_gluon
@pytest.mark.parametrize("dtype", [torch.float16, torch.float32], ids=["fp16", "tf32"])
@pytest.mark.parametrize("transpose", [True, False], ids=["forward", "dx"])
@pytest.mark.parametrize("shape", ["SEGMENT_PAIRS", "PERSISTENT_PAIRS", "PERSISTENT_PAIRS_TF32"])
def test_dsd_pairs_compiles_for_hopper(transpose, dtype, shape):
    """Segment pairs at block 64 compile for sm_90a: two consumer warpgroups (the default partition and a
    worker) and the producer; each stage the x tile and up to two weight steps, each a predicated TMA load.
    Persistent: 4 stages beside each side's output buffer (a half of the 16-bit tile, a quarter of the fp32 one;
    3 beside halves of it), one store a chunk a side."""
    from tilesparse.kernels.linear_hopper_gluon import linear_dsd_pairs_kernel

    if dtype == torch.float32 and not transpose:
        pytest.skip("TF32 dX runs on turned blocks: the forward's kernel")
    program = replace(getattr(hopper, shape), num_warps=hopper.PAIR_WARPS)
    chunks = hopper.output_chunks(program, 64)
    bk = hopper.k_step(dtype)
    descs = {"x_desc": [256, bk], "w_desc": [64, bk] if transpose else [bk, 64], "y_desc": [256 // chunks, 64]}
    pointers = {"bias_ptr": "*fp16", "pair_idx_ptr": "*i32", "pair_blk_ptr": "*i32", "launch_ptr": "*i32",
                "counter_ptr": "*i32", "num_pairs": "i32", "num_tiles": "i32"}
    stages = hopper.persistent_stages(program, 64, dtype) if program.persistent else program.stages
    assert stages == (3 if dtype == torch.float32 and chunks == 2 else 4)  # 32 KB of tile a side then
    constants = {"BS": 64, "TRANSPOSE_W": transpose, "HAS_BIAS": transpose, "STAGES": stages,
                 "PERSISTENT": program.persistent, "CONSUMER_REGISTERS": hopper.PAIR_CONSUMER_REGISTERS}
    ptx = compile_for_hopper(linear_dsd_pairs_kernel, descs, pointers, constants, dtype, program, worker_warps=8)
    assert ptx.count("cp.async.bulk.tensor.2d.shared::cluster.global") == 3  # x tile, segment a's, b's step
    assert ptx.count("cp.async.bulk.tensor.2d.global.shared") == 2 * chunks  # each warpgroup's output tile


@needs_gluon
@pytest.mark.parametrize("dtype", [torch.float16, torch.float32], ids=["fp16", "tf32"])
@pytest.mark.parametrize("block_size, group, x_image, producers",
                         [(32, 8, False, 2), (32, 4, False, 2), (16, 8, False, 2), (32, 4, True, 2), (16, 8, True, 2),
                          (32, 4, False, 4), (16, 8, True, 4), (16, 8, False, 4)])
def test_dsd_groups_compiles_for_hopper(dtype, block_size, group, x_image, producers):
    """Segment groups at blocks 32 and 16 compile for sm_90a: two consumer warpgroups (the default partition and a
    worker), each one wgmma of N = G x block a K step of 32 bytes, and the producer; the rings fit (block 32: 8
    stages of 24 KB at 16 bits, 4 of 48 KB at TF32; block 16: 8 of 12 or 24 KB) and hold the outputs, which leave
    one TMA store a segment. The producer zeroes absent blocks' slots with stores (G byte counts, one expected a
    stage). ``x_image``: x tiles come from their images (``tile_image``), a box
    of unswizzled 512-byte rows each. ``producers``: two or four producer warps (each issuing its stages' copies)."""
    from triton.experimental.gluon import language as gl

    from tilesparse.kernels.linear_groups_gluon import linear_dsd_groups_kernel

    bb = hopper.group_batch_tile(group, block_size)
    stages = hopper.group_stages(group, dtype, block_size)
    assert stages == (8 if dtype == torch.float16 or block_size == 16 else 4)
    image_columns = 512 // dtype.itemsize
    image = ([bb * block_size // image_columns, image_columns], gl.NVMMASharedLayout(0, 8 * dtype.itemsize))
    descs = {"x_desc": image if x_image else [bb, block_size], "w_desc": [block_size, block_size],
             "y_desc": [bb // 2, block_size]}
    pointers = {"bias_ptr": "*fp16", "group_idx_ptr": "*i32", "group_blk_ptr": "*i32", "launch_ptr": "*i32",
                "num_groups": "i32", "col_tiles": "i32"}
    constants = {"G": group, "HAS_BIAS": True, "STAGES": stages, "OUT_IN_X": stages >= group,
                 "X_IMAGE": x_image, "PRODUCERS": producers,
                 "CONSUMER_REGISTERS": hopper.PAIR_CONSUMER_REGISTERS,
                 "PRODUCER_REGISTERS": hopper.GROUP_PRODUCER_REGISTERS}
    ptx = compile_for_hopper(linear_dsd_groups_kernel, descs, pointers, constants, dtype,
                             hopper.DsdShape(num_warps=hopper.PAIR_WARPS), worker_warps=8)
    k_steps = block_size * dtype.itemsize // 32  # wgmma K: 32 bytes
    rows_steps = bb // 2 // 64  # 64-row wgmma instructions a warpgroup
    mmas = re.findall(rf"wgmma\.mma_async\.sync\.aligned\.m64n{group * block_size}k.*;", ptx)
    assert len(mmas) == 2 * k_steps * rows_steps
    if dtype != torch.float32:  # 16-bit wgmma ends with its operands' turns: A (x) read as stored
        assert {mma.split(", ")[-2] for mma in mmas} == {"0"}
    # x tile, each block (each producer's copy of them)
    assert ptx.count("cp.async.bulk.tensor.2d.shared::cluster.global") == (group + 1) * producers
    assert ptx.count("mbarrier.arrive.expect_tx") == group * producers  # the byte counts a stage may expect
    assert ptx.count("cp.async.bulk.tensor.2d.global.shared") == 2 * group  # each warpgroup's G outputs


def test_groups_decline_what_they_cannot_run():
    """Segment groups need blocks of 16 or 32, tables of a group size that makes a wgmma of N = 128 or 256
    (4 or 8 blocks of 32, 8 of 16), the one asked for, and 2 or 4 producer warps."""
    layout = random_layout(5, 4, 32, density=0.7)
    t = layout.tables()
    groups = segment_groups(t.row_ptr, t.row_cols, t.row_blocks, t.row_order, 8)
    x = torch.zeros(256, 4 * 32, dtype=torch.float16)
    with pytest.raises(ValueError, match="expected blocks of 16 or 32 for segment groups, got 64"):
        hopper.linear_dsd_hopper_groups(x, torch.zeros(5, 64, 64, dtype=torch.float16), x, None, groups, True)
    with pytest.raises(ValueError, match=r"expected groups of \[4, 8\] at block 32 matching the tables' 8, got 4"):
        hopper.linear_dsd_hopper_groups(x, torch.zeros(layout.packed_shape, dtype=torch.float16), x, None, groups,
                                        True, group_size=4)
    with pytest.raises(ValueError, match=r"expected groups of \[4, 8\] at block 32 matching the tables' 8, got 2"):
        hopper.linear_dsd_hopper_groups(x, torch.zeros(layout.packed_shape, dtype=torch.float16), x, None, groups,
                                        True, group_size=2)
    fours = segment_groups(t.row_ptr, t.row_cols, t.row_blocks, t.row_order, 4)
    with pytest.raises(ValueError, match=r"expected groups of \[8\] at block 16 matching the tables' 4, got 4"):
        hopper.linear_dsd_hopper_groups(x, torch.zeros(5, 16, 16, dtype=torch.float16), x, None, fours, True,
                                        group_size=4)
    with pytest.raises(ValueError, match="expected 2 or 4 producer warps, got 1"):
        hopper.linear_dsd_hopper_groups(x, torch.zeros(layout.packed_shape, dtype=torch.float16), x, None, groups,
                                        True, group_size=8, producers=1)


@needs_gluon
@pytest.mark.parametrize("dtype", [torch.float16, torch.float32], ids=["fp16", "tf32"])
@pytest.mark.parametrize("block_size, group", [(128, 1), (128, 2), (64, 2), (64, 4)])
def test_sdd_compiles_for_hopper(block_size, group, dtype):
    """Compiled for sm_90a from row-major tiles. TF32 ("turned", ``consume_dw_turned``): the default partition
    is one consumer warpgroup; the other, the producer and the turning warps are workers, each a warpgroup;
    wgmma reads x's steps from registers and dY's turned steps from shared memory."""
    from tilesparse.kernels.linear_hopper_gluon import linear_sdd_hopper_kernel

    tile = [hopper.k_step(dtype), block_size]
    pointers = {"dw_ptr": "*fp16", "row_ptr": "*i32", "block_cols_ptr": "*i32", "group_first_ptr": "*i32",
                "group_rows_ptr": "*i32", "M": "i32", "partial_ptr": "*fp32", "count_ptr": "*i32", "split_first": "i32",
                "splits": "i32"}
    constants = {"BS": block_size, "GROUP": group, "TURN_REGISTERS": hopper.TURN_REGISTERS,
                 "CONSUMER_REGISTERS": hopper.TURNED_CONSUMER_REGISTERS,
                 "STAGES": hopper.sdd_stages(block_size, group, dtype)}
    turned = dtype == torch.float32
    turned_shape = hopper.DsdShape(num_warps=hopper.TURNED_WARPS, max_registers=hopper.TURNED_MAX_REGISTERS)
    ptx = compile_for_hopper(linear_sdd_hopper_kernel, {"dy_desc": tile, "x_desc": tile}, pointers, constants, dtype,
                             turned_shape if turned else None, worker_warps=12 if turned else 4)
    # register A: wgmma {accumulators}, {A registers}, B descriptor, ...
    assert bool(re.search(r"wgmma\.mma_async\S* \{[^}]*\}, \{[^}]*\}, %rd", ptx)) == turned
    if turned:  # no MMA left running over the next step's loads into its A registers (consume_dw_turned)
        assert set(re.findall(r"wgmma\.wait_group\.sync\.aligned (\d+)", ptx)) == {"0"}


@pytest.mark.gpu
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32], ids=["fp16", "bf16", "tf32"])
@pytest.mark.parametrize("block_size", [64, 128])
@pytest.mark.parametrize("batch", [300, 1000])
@pytest.mark.parametrize("shape, tile_group", [("WIDE", 1), ("PAIRED", 1), ("WIDE", 2), ("PAIRED", 3),
                                               ("PERSISTENT", 1), ("PERSISTENT", 3), ("PERSISTENT/2", 1),
                                               ("PERSISTENT/4", 2)],
                         ids=["wide", "paired", "wide-2-tiles", "paired-3-tiles", "persistent", "persistent-3-tiles",
                              "persistent-halves", "persistent-quarters-2-tiles"])
def test_dsd_matches_float64(monkeypatch, tf32_allowed, batch, block_size, dtype, shape, tile_group):
    """Every program shape (one or two programs per SM, or persistent ones, here 3, taking the 10-20 items
    from a counter as they go) and batch tiles sweeping alone or together (3 tiles a sweep: the last sweep has
    fewer), whichever the configs would choose. Three calls a case: the counter starts at zero every call.
    "/2", "/4": the output tile leaves in halves or quarters of its batch rows (block 128; 300 rows: the second
    half and the last two quarters of the last tile lie past M)."""
    calls = spy(monkeypatch, "linear_dsd_hopper")
    monkeypatch.setattr(hopper, "sm_count", lambda device: 3)
    out_blocks, in_blocks = 5, 7
    layout = random_layout(out_blocks, in_blocks, block_size, density=0.7)  # empty last row and column
    t = layout.tables("cuda")
    blocks = torch.randn(layout.packed_shape, device="cuda").to(dtype)
    x = torch.randn(batch, in_blocks * block_size, device="cuda").to(dtype)
    dy = torch.randn(batch, out_blocks * block_size, device="cuda").to(dtype)
    bias = torch.randn(out_blocks * block_size, device="cuda").to(dtype)
    # the Hopper kernel forced on (block 64 takes it by default only for long segments)
    program = program_shape(shape)
    cfg = dsd.DsdConfig(block_m=256, num_warps=8, num_stages=4, transposed_tile=True, hopper_ws=True,
                        hopper_shape=program, hopper_tile_group=tile_group)
    rows = (t.row_ptr, t.row_cols, t.row_blocks, t.row_order)
    cols = (t.col_ptr, t.col_rows, t.col_blocks, t.col_order)
    y = dsd.linear_dsd(x, blocks, *rows, out_blocks, True, config=cfg)
    y_bias = dsd.linear_dsd(x, blocks, *rows, out_blocks, True, bias, config=cfg)
    dx = dsd.linear_dsd(dy, blocks, *cols, in_blocks, False, config=cfg)
    w64 = ts.to_dense(blocks.double(), layout)
    tf32 = dtype == torch.float32
    assert_close(y, x.double() @ w64.T, dtype, "forward", tf32)
    assert_close(y_bias, x.double() @ w64.T + bias.double(), dtype, "forward + bias", tf32)
    assert_close(dx, dy.double() @ w64, dtype, "dX", tf32)
    expected = [(True, program, tile_group), (True, program, tile_group), (False, program, tile_group)]
    assert calls == (expected if runs_gluon() else [])


def dw_case(block_size, group, batch, dtype):
    """The dW tests' case: a 4 x 5 layout with rows of 0, 1, 2 and 3 blocks (groups that end inside their row's
    last pair), its tables and ``group`` groups on the GPU, random dY and x, and float64 dW of every block pair."""
    mask = torch.zeros(4, 5, dtype=torch.bool)
    for r, cols in enumerate(([], [2], [0, 4], [1, 2, 3])):
        mask[r, cols] = True
    layout = ts.Layout(mask, block_size)
    t = layout.tables("cuda")
    first, rows = row_groups(t.row_ptr, group)
    x = torch.randn(batch, 5 * block_size, device="cuda").to(dtype)
    dy = torch.randn(batch, 4 * block_size, device="cuda").to(dtype)
    full = (dy.double().T @ x.double()).view(4, block_size, 5, block_size).permute(0, 2, 1, 3)
    return layout, t, first, rows, x, dy, full[t.block_rows.long(), t.block_cols.long()]


@pytest.mark.gpu
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32], ids=["fp16", "bf16", "tf32"])
@pytest.mark.parametrize("block_size, group", [(128, 1), (128, 2), (64, 2), (64, 4)])
@pytest.mark.parametrize("batch", [300, 301, 1000])
def test_sdd_matches_float64(monkeypatch, tf32_allowed, batch, block_size, group, dtype):
    """Rows of 0, 1, 2 and 3 blocks: groups that end inside their row's last pair. The Hopper kernel forced
    on (the configs take it for some of these only). 301 and 300 rows: a batch step past the end (TMA reads
    zeros there)."""
    calls = spy(monkeypatch, "linear_sdd_hopper")
    _, t, first, rows, x, dy, expected = dw_case(block_size, group, batch, dtype)
    cfg = replace(sdd.sdd_config(batch, block_size, group, x.element_size()), hopper_ws=True)
    dw = sdd.linear_sdd(dy, x, t.row_ptr, t.block_cols, first, rows, block_size, group, cfg)
    assert_close(dw, expected, dtype, "dW", dtype == torch.float32)
    assert calls == ([group] if runs_gluon() else [])


def test_dw_splits_rule():
    """The groups that would fill at most half the SMs in their round are split, in as many as fit one round (up to
    4, keeping 16 steps a split): all 60 pairs of 4096^2 at d = 0.1 on 132 SMs in 2, all 36 of 2048^2 at d = 0.25 in
    3; the last 2 of 530 pairs (8192^2 at d = 0.25: 4 full rounds) in 4. Nothing for single blocks (8192^2 at
    d = 0.01, 41), groups or last rounds over half the SMs (136 pairs: a last round of 4 is split; 221 pairs: a last
    round of 89 is not), or a short batch (16 steps)."""
    assert hopper.dw_splits(60, 128, 132, 2) == (0, 2)
    assert hopper.dw_splits(36, 128, 132, 2) == (0, 3)
    assert hopper.dw_splits(530, 128, 132, 2) == (528, 4)
    assert hopper.dw_splits(136, 128, 132, 2) == (132, 4)
    assert hopper.dw_splits(221, 128, 132, 2) == (221, 1)
    assert hopper.dw_splits(264, 128, 132, 2) == (264, 1)  # whole rounds
    assert hopper.dw_splits(41, 128, 132, 1) == (41, 1)
    assert hopper.dw_splits(67, 128, 132, 2) == (67, 1)
    assert hopper.dw_splits(66, 128, 132, 2) == (0, 2)
    assert hopper.dw_splits(36, 16, 132, 2) == (36, 1)
    assert hopper.dw_splits(36, 40, 132, 4) == (0, 2)
    assert hopper.dw_splits(1, 128, 132, 2) == (0, hopper.DW_MAX_SPLITS)


@pytest.mark.parametrize("splits, split_first, message", [
    (0, 0, r"expected splits >= 1 \(1 at TF32\), got 0"), (2, 0, r"expected splits >= 1 \(1 at TF32\), got 2"),
    (1, 2, r"expected split_first in \[0, 1\], got 2"), (1, -1, r"expected split_first in \[0, 1\], got -1")])
def test_dw_splits_bad_counts(splits, split_first, message):
    """Splits below 1, any split at TF32 (whose kernel runs unsplit), and a first split group outside the groups
    are refused before anything runs."""
    x = torch.zeros(64, 128)
    first, rows = torch.zeros(1, dtype=torch.int32), torch.zeros(1, dtype=torch.int32)
    with pytest.raises(ValueError, match=message):
        hopper.linear_sdd_hopper(x, x, x, first, first, first, rows, 128, 1, splits=splits, split_first=split_first)


@pytest.mark.gpu
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16], ids=["fp16", "bf16"])
@pytest.mark.parametrize("block_size, group", [(128, 1), (128, 2), (64, 2), (64, 4)])
@pytest.mark.parametrize("batch, splits, split_first", [(1000, 2, 0), (1000, 3, 0), (1000, 5, 0), (4097, 3, 0),
                                                        (4097, 8, 0), (1000, 3, 2), (4097, 2, 3), (1000, 4, 1)])
def test_sdd_splits_match_float64(batch, splits, split_first, block_size, group, dtype):
    """dW with the batch split: each split's tile through the workspace, the last split to count in summing them.
    1000 rows = 16 steps: shares of 8, 6 (the last 4) and 4 (the fifth split none); 4097 rows: a last step of one
    row; groups that end inside their row's last pair; only the groups from ``split_first`` on split (of 6 single
    blocks, 4 pairs or 3 groups of four; from 3: none of the groups of four). Poisoned output, and every block
    written; two calls agree bit for bit (the sum's order does not depend on which split finished last)."""
    if not runs_gluon():
        pytest.skip("needs the Gluon kernels (Hopper, a tested Triton)")
    layout, t, first, rows, x, dy, expected = dw_case(block_size, group, batch, dtype)
    results = []
    for _ in range(2):
        dw = torch.full(layout.packed_shape, float("nan"), device="cuda", dtype=dtype)
        hopper.linear_sdd_hopper(dy, x, dw, t.row_ptr, t.block_cols, first, rows, block_size, group, splits=splits,
                                 split_first=split_first)
        assert_close(dw, expected, dtype, f"dW in {splits} splits from group {split_first}")
        results.append(dw)
    assert torch.equal(results[0], results[1])


@pytest.mark.gpu
def test_sdd_splits_chosen(monkeypatch):
    """Through ``linear_sdd`` on 12 SMs: 4 pairs over 64 steps split in 3 (the rule), the sum matches float64; on
    3 SMs, the last round's pair in 3."""
    if not runs_gluon():
        pytest.skip("needs the Gluon kernels (Hopper, a tested Triton)")
    assert hopper.dw_splits(4, 64, 12, 2) == (0, 3) and hopper.dw_splits(4, 64, 3, 2) == (3, 3)
    _, t, first, rows, x, dy, expected = dw_case(128, 2, 4096, torch.float16)
    assert first.numel() == 4
    cfg = replace(sdd.sdd_config(4096, 128, 2, 2), hopper_ws=True)
    for sms in (12, 3):
        monkeypatch.setattr(hopper, "sm_count", lambda device, sms=sms: sms)
        dw = sdd.linear_sdd(dy, x, t.row_ptr, t.block_cols, first, rows, 128, 2, cfg)
        assert_close(dw, expected, torch.float16, f"dW, splits on {sms} SMs")


@pytest.mark.gpu
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32], ids=["fp16", "bf16", "tf32"])
@pytest.mark.parametrize("batch", [300, 1000])
@pytest.mark.parametrize("shape", ["SEGMENT_PAIRS", "SEGMENT_PAIRS/2-stages", "PERSISTENT_PAIRS",
                                   "PERSISTENT_PAIRS_TF32", "PERSISTENT_PAIRS/2-stages"])
def test_dsd_pairs_matches_float64(monkeypatch, tf32_allowed, batch, dtype, shape):
    """Segment pairs at block 64 (``SEGMENT_PAIRS``: ``linear_dsd_hopper_pairs`` on the layout's pair tables): each
    program walks the union of two segments' input blocks, a consumer warpgroup per segment skipping the steps
    where its segment has none. 5 output segments: the last pair has one segment; an empty row and column; rows
    past M in the last batch tile; a ring shorter than the merged entries (2 stages); TF32 dX on turned blocks.
    Persistent pair programs (here 2, taking the 6-12 items from a counter; each side's tile leaving in halves or
    quarters, the ring filling on across items)."""
    name, _, stages = shape.partition("/")
    program = replace(getattr(hopper, name), stages=2) if stages else getattr(hopper, name)
    if dtype == torch.float32 and not program.persistent and program.stages < 4:
        pytest.skip("two fp32 output tiles need 4 stages of the x ring")
    calls = spy(monkeypatch, "linear_dsd_hopper_pairs")
    monkeypatch.setattr(hopper, "sm_count", lambda device: 2)
    out_blocks, in_blocks = 5, 9
    layout = random_layout(out_blocks, in_blocks, 64, density=0.6)  # empty last row and column
    t = layout.tables("cuda")
    assert t.row_group_launch.shape[0] == 3 and -1 in t.row_group_launch[:, 1].tolist()
    blocks = torch.randn(layout.packed_shape, device="cuda").to(dtype)
    x = torch.randn(batch, in_blocks * 64, device="cuda").to(dtype)
    dy = torch.randn(batch, out_blocks * 64, device="cuda").to(dtype)
    bias = torch.randn(out_blocks * 64, device="cuda").to(dtype)
    cfg = replace(dsd.dsd_config(batch, 64, x.element_size()), hopper_ws=True,
                  hopper_shape=program)
    rows = (t.row_ptr, t.row_cols, t.row_blocks, t.row_order)
    cols = (t.col_ptr, t.col_rows, t.col_blocks, t.col_order)
    row_pairs = (t.row_group_launch, t.row_group_idx, t.row_group_blk)
    col_pairs = (t.col_group_launch, t.col_group_idx, t.col_group_blk)
    y = dsd.linear_dsd(x, blocks, *rows, out_blocks, True, config=cfg, groups=row_pairs)
    y_bias = dsd.linear_dsd(x, blocks, *rows, out_blocks, True, bias, config=cfg, groups=row_pairs)
    dx = dsd.linear_dsd(dy, blocks, *cols, in_blocks, False, config=cfg, groups=col_pairs)
    dx_built_here = dsd.linear_dsd(dy, blocks, *cols, in_blocks, False, config=cfg)  # pairs built by the launcher
    w64 = ts.to_dense(blocks.double(), layout)
    tf32 = dtype == torch.float32
    assert_close(y, x.double() @ w64.T, dtype, "forward", tf32)
    assert_close(y_bias, x.double() @ w64.T + bias.double(), dtype, "forward + bias", tf32)
    assert_close(dx, dy.double() @ w64, dtype, "dX", tf32)
    assert torch.equal(dx_built_here, dx)
    # the pair kernel ran, in the shape given
    assert calls == ([program] * 4 if runs_gluon() else [])


def groups_case(out_blocks, in_blocks, block_size, group, dtype, batch):
    """A random layout of density 0.6 on the GPU (its last row and column empty), its packed blocks, x and dY of
    ``batch`` rows, and its row and column groups of ``group`` segments."""
    layout = random_layout(out_blocks, in_blocks, block_size, density=0.6)
    t = layout.tables("cuda")
    blocks = torch.randn(layout.packed_shape, device="cuda").to(dtype)
    x = torch.randn(batch, in_blocks * block_size, device="cuda").to(dtype)
    dy = torch.randn(batch, out_blocks * block_size, device="cuda").to(dtype)
    row_groups_ = segment_groups(t.row_ptr, t.row_cols, t.row_blocks, t.row_order, group)
    col_groups_ = segment_groups(t.col_ptr, t.col_rows, t.col_blocks, t.col_order, group)
    return layout, blocks, x, dy, row_groups_, col_groups_


# How a group program reads x and issues its copies: (x_image, producer warps)
GROUP_VARIANTS = pytest.mark.parametrize(
    "variant", [(False, 2), (True, 2), (False, 4), (True, 4)],
    ids=["two-producers", "x-image-two-producers", "four-producers", "x-image-four-producers"])


def run_groups(a, blocks, segs, groups, transpose, group, variant, bias=None):
    """``linear_dsd_hopper_groups`` into a NaN-filled output of ``segs`` segments, so an unwritten tile shows."""
    out = torch.full((a.shape[0], segs * blocks.shape[-1]), float("nan"), device=a.device, dtype=a.dtype)
    x_image, producers = variant
    return hopper.linear_dsd_hopper_groups(a, blocks, out, bias, groups, transpose, group, x_image=x_image,
                                           producers=producers)


@pytest.mark.gpu
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32], ids=["fp16", "bf16", "tf32"])
@pytest.mark.parametrize("batch", [296, 1000])
@pytest.mark.parametrize("block_size, group", [(32, 8), (32, 4), (16, 8)])
@GROUP_VARIANTS
def test_dsd_groups_matches_float64(tf32_allowed, batch, dtype, block_size, group, variant):
    """Segment groups at blocks 32 and 16 (``linear_dsd_hopper_groups`` on ``layout.segment_groups``): each
    program walks the union of its segments' input blocks, the group's blocks side by side in one MMA a step
    (absent ones zeroed). 11 output segments: the last group is short (padding segments store nothing); an empty
    row and column; rows past M in the last batch tile; bias; dX on turned blocks; x read by tiles or from its tile
    images; two or four producer warps. Outputs start as NaN, so an unwritten tile fails."""
    if not runs_gluon():
        pytest.skip("needs a Hopper GPU and a tested Gluon")
    out_blocks, in_blocks = 11, 9
    layout, blocks, x, dy, row_groups_, col_groups_ = groups_case(out_blocks, in_blocks, block_size, group, dtype,
                                                                  batch)
    bias = torch.randn(out_blocks * block_size, device="cuda").to(dtype)
    assert (row_groups_[0][:, :group] < 0).any()  # a short group
    y = run_groups(x, blocks, out_blocks, row_groups_, True, group, variant)
    y_bias = run_groups(x, blocks, out_blocks, row_groups_, True, group, variant, bias)
    dx = run_groups(dy, blocks, in_blocks, col_groups_, False, group, variant)
    w64 = ts.to_dense(blocks.double(), layout)
    tf32 = dtype == torch.float32
    assert_close(y, x.double() @ w64.T, dtype, "forward", tf32)
    assert_close(y_bias, x.double() @ w64.T + bias.double(), dtype, "forward + bias", tf32)
    assert_close(dx, dy.double() @ w64, dtype, "dX", tf32)


@pytest.mark.gpu
@pytest.mark.parametrize("dtype", [torch.float16, torch.float32], ids=["fp16", "tf32"])
@pytest.mark.parametrize("block_size, group", [(32, 4), (16, 8)])
@GROUP_VARIANTS
def test_dsd_long_groups_match_float64(tf32_allowed, dtype, block_size, group, variant):
    """Groups walking more merged entries than the producer's index buffers hold at once (``INDEX_CHUNK`` = 32 a
    chunk, two chunks): 75 input blocks at density 0.6, so a group of 4 or 8 rows walks 60-75 entries and the
    producer refills both chunk slots, the last chunk partial. Forward and dX against float64 on NaN-filled
    outputs."""
    if not runs_gluon():
        pytest.skip("needs a Hopper GPU and a tested Gluon")
    out_blocks, in_blocks = 2 * group + 1, 75
    layout, blocks, x, dy, row_groups_, col_groups_ = groups_case(out_blocks, in_blocks, block_size, group, dtype,
                                                                  296)
    assert int(row_groups_[0][:, group + 1].max()) > 2 * 32  # entries beyond two chunks
    w64 = ts.to_dense(blocks.double(), layout)
    tf32 = dtype == torch.float32
    assert_close(run_groups(x, blocks, out_blocks, row_groups_, True, group, variant), x.double() @ w64.T,
                 dtype, "forward", tf32)
    assert_close(run_groups(dy, blocks, in_blocks, col_groups_, False, group, variant), dy.double() @ w64,
                 dtype, "dX", tf32)


HUB_ORDER_CASES = [(9, 7, 2, 3), (5, 7, 2, 2), (3, 7, 2, 8), (4, 5, 0, 3), (4, 5, 5, 2), (1, 6, 3, 4), (5, 7, 2, 0)]


@pytest.mark.gpu
@pytest.mark.parametrize("tiles, segs, hubs, late_tiles", HUB_ORDER_CASES)
def test_gluon_hubs_first_position(tiles, segs, hubs, late_tiles):
    """The Gluon copy of the dsd launch order gives the Triton kernel's order (test_linear_kernels)."""
    if not runs_gluon():
        pytest.skip("needs a Hopper GPU and a tested Gluon")
    from gluon_positions import hubs_first_positions_kernel
    from test_linear_kernels import expected_hubs_first_order

    out = torch.full((tiles * segs, 2), -1, dtype=torch.int32, device="cuda")
    hubs_first_positions_kernel[(tiles * segs,)](out, tiles, segs, hubs, late_tiles, num_warps=1)
    assert [tuple(p) for p in out.tolist()] == expected_hubs_first_order(tiles, segs, hubs, late_tiles)


@pytest.mark.gpu
@pytest.mark.parametrize("shape", ["WIDE", "PAIRED", "PERSISTENT"])
def test_dsd_hub_order_matches_float64(monkeypatch, shape):
    """A layout with a hub row and a hub column through the Gluon forward/dX with the hubs of the last batch
    tiles first: every output tile is written (outputs are poisoned, conftest) with the right sums. Persistent:
    5 programs sharing the 60-72 items."""
    calls = spy(monkeypatch, "linear_dsd_hopper")
    monkeypatch.setattr(hopper, "sm_count", lambda device: 5)
    mask = torch.zeros(12, 10, dtype=torch.bool)
    mask[0, :] = True  # a hub row: 10 blocks against a mean of 1.75
    mask[:, 0] = True  # a hub column: 12 blocks against a mean of 2.1
    layout = ts.Layout(mask, 128)
    t = layout.tables("cuda")
    assert t.row_hubs_wide.numel() > 0 and t.col_hubs_wide.numel() > 0
    x = torch.randn(256 * 5 + 37, 10 * 128, device="cuda", dtype=torch.float16)  # 6 batch tiles, the last partial
    dy = torch.randn(x.shape[0], 12 * 128, device="cuda", dtype=torch.float16)
    blocks = torch.randn(layout.packed_shape, device="cuda", dtype=torch.float16)
    cfg = replace(dsd.dsd_config(x.shape[0], 128, 2), hopper_ws=True, hopper_shape=getattr(hopper, shape),
                  late_hub_tiles=4)
    y = dsd.linear_dsd(x, blocks, t.row_ptr, t.row_cols, t.row_blocks, t.row_order, 12, True, config=cfg,
                       wide_hubs=t.row_hubs_wide.numel())
    dx = dsd.linear_dsd(dy, blocks, t.col_ptr, t.col_rows, t.col_blocks, t.col_order, 10, False, config=cfg,
                        wide_hubs=t.col_hubs_wide.numel())
    w64 = ts.to_dense(blocks.double(), layout)
    assert_close(y, x.double() @ w64.T, torch.float16, "forward")
    assert_close(dx, dy.double() @ w64, torch.float16, "dX")
    assert len(calls) == (2 if runs_gluon() else 0)


@pytest.mark.gpu
def test_empty_layout(monkeypatch):
    """No blocks at all: zeros (plus bias) from the Triton kernel, as TMA cannot describe an empty tensor."""
    calls = spy(monkeypatch, "linear_dsd_hopper")
    layout = ts.Layout(torch.zeros(3, 4, dtype=torch.bool), 128)
    t = layout.tables("cuda")
    blocks = torch.randn(layout.packed_shape, device="cuda", dtype=torch.float16)
    x = torch.randn(512, 4 * 128, device="cuda", dtype=torch.float16)
    bias = torch.randn(3 * 128, device="cuda", dtype=torch.float16)
    y = dsd.linear_dsd(x, blocks, t.row_ptr, t.row_cols, t.row_blocks, t.row_order, 3, True, bias)
    assert_close(y, bias.double().expand(512, -1), torch.float16, "forward")
    assert calls == []


@pytest.mark.gpu
def test_misaligned_input_falls_back():
    """x sliced off a 16-byte boundary cannot be a TMA source: the Triton kernels run, same results."""
    layout = random_layout(3, 4, 128, density=0.7)
    t = layout.tables("cuda")
    blocks = torch.randn(layout.packed_shape, device="cuda", dtype=torch.float16)
    x = torch.randn(512, 4 * 128 + 1, device="cuda", dtype=torch.float16)[:, 1:]
    dy = torch.randn(512, 3 * 128, device="cuda", dtype=torch.float16)
    y = dsd.linear_dsd(x, blocks, t.row_ptr, t.row_cols, t.row_blocks, t.row_order, 3, True)
    w64 = ts.to_dense(blocks.double(), layout)
    assert_close(y, x.double() @ w64.T, torch.float16, "forward")
    first, rows = row_groups(t.row_ptr, 2)
    dw = sdd.linear_sdd(dy, x, t.row_ptr, t.block_cols, first, rows, 128, 2)
    full = (dy.double().T @ x.double()).view(3, 128, 4, 128).permute(0, 2, 1, 3)
    assert_close(dw, full[t.block_rows.long(), t.block_cols.long()], torch.float16, "dW")
