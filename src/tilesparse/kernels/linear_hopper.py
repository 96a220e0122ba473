"""Warp-specialised Hopper kernels (Gluon) for the linear products at blocks 64 and 128 (16-bit and TF32), and
the forward/dX at blocks 16 and 32 on segment groups.

``linear_dsd_hopper`` (forward y = x W^T and dX = dY W) and ``linear_sdd_hopper`` (dW) compute what
``linear_dsd`` and ``linear_sdd`` compute, from the same tables, but with the schedule spelled out instead of
left to Triton's pipeliner, which kept the tensor pipes ~63% busy on a dense matmul (ncu; cuBLAS 94%):

- a producer warp issues TMA loads into a ring of STAGES shared-memory stages, each with a ready and an
  empty mbarrier: for dsd one K step (128 bytes of columns: 64 at 16 bits, 32 at fp32) of a block and the
  matching 256-row x tile; for dW one batch step (128 bytes of rows) of dY's row block and of the GROUP x
  column blocks, side by side;
- two consumer warpgroups (the default partition, 8 warps) wait on ready, issue the asynchronous wgmma with
  one kept in flight, and hand a stage back once the MMA reading it has retired; registers move to them
  (``maxnreg`` 168 for the kernel, 24 for the producer);
- dsd's epilogue (bias, cast, turn to y's orientation) goes through the idle x ring and leaves by TMA
  store; dW's stores the GROUP blocks from registers;
- dsd programs come in three shapes (``DsdShape``): WIDE, a program per work item (a 256-row batch tile's
  segment); PAIRED, two smaller ones an SM; PERSISTENT, a program per SM whose producer takes work items in
  launch order from a global counter and posts them to the consumers through a shared-memory queue, so the ring
  fills on across items and each output tile's TMA store (from a buffer of its own, in halves at block 128)
  runs under the next item's MMAs. Against WIDE (scripts/probe_paired.py --persistent / --chunks, fp16, 8192^2,
  batch 8192): block 128 1.10-1.11x at d = 0.1, 0.96-1.04x elsewhere; block 64 1.04-1.41x below d = 0.5;
- at block 64, SEGMENT_PAIRS (``linear_dsd_hopper_pairs``): a program per two segments, paired by shared input
  blocks (``layout.segment_pairs``), walking the union of their input blocks, so one x tile a step feeds both
  segments' MMAs (x-tile reads from L2 set block 64's pace); a consumer warpgroup per segment, each a partition
  that skips the steps its segment has no block at. Against WIDE (scripts/probe_paired.py --pairs): 1.24-1.25x at
  d = 0.5 (16-bit), 1.17x (TF32); against PERSISTENT 1.13-1.15x at d = 0.25, 1.05x at d = 0.1.

- at blocks 32 and 16, SEGMENT_GROUPS (``linear_dsd_hopper_groups``, kernels/linear_groups_gluon.py): a program
  per four segments (eight at block 16) sharing their x tiles, the blocks of a step side by side as one wgmma of
  N = 128 (absent ones zeroed), two or four producer warps issuing the copies. Against the Triton kernel
  (scripts/probe_groups.py, tuning/h100-2026-11-27n-probe-groups-*-producers-2.log): block 32 1.64-1.84x at
  d = 0.5 (TF32 1.67-1.70x), 1.01-1.13x at d = 0.05-0.1, 0.90-0.95x at 0.01; block 16 (x from tile images at 16
  bits) 2.0-2.2x at d = 0.5, 1.04-1.06x at 0.1, 1.2x at 0.01 (TF32 4.6-15x at every density). Where slower, the
  Triton kernel keeps running.

Measured on an H100 (scripts/probe_gluon.py, fp16, 8192^2, batch 8192; x = against the Triton kernels):
forward and dX at block 128 1.16-1.26x for d = 0.01-0.5, at block 64 1.09-1.11x at d = 0.5, even at 0.25,
slower below (few steps per program: the ring's fill is not hidden), so ``dsd_config`` takes it for long
segments only. dW at block 128 with pairs of blocks (GROUP 2) 1.13-1.25x for d = 0.05-0.5, single blocks
with 6 stages 1.42x at d = 0.01; at block 64 0.9-1.05x with groups of 4, 1.37x with pairs at d = 0.01, so
``sdd_config`` takes it there only. The same design on a dense matmul ran at 0.93-1.02 of cuBLAS (Triton's
own: 0.69-0.74). fp32 runs as TF32 (when PyTorch allows it), whose wgmma reads both operands K-major: dX on a
turned copy of the blocks (``--tf32``: block 128 forward/dX 1.27-1.43x; block 64 1.03-1.15x where chosen). TF32
dW reads row-major dY and x: x's steps go to registers as wgmma's A operand, a warpgroup of its own turns
dY's steps K-major in shared memory (``consume_dw_turned``). Against the feature-major copies of both it had
run on before (scripts/probe_tf32_dw.py, 8192^2 at batch 8192): block 128 1.02/1.10/1.61/2.32/2.90x at d =
0.5/0.25/0.1/0.05/0.01, block 64 1.32-2.05x; against the Triton kernel 3.3-3.9x (block 128) and 1.8-2.2x
(block 64, pairs at d = 0.01 included).

Gluon is Triton's experimental layer and its API moves between releases: these kernels run only on the
Triton versions they were written and GPU-tested against (``GLUON_TRITON_VERSIONS``), on compute
capability 9.0; elsewhere the Triton kernels run.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import torch
import triton

from ..backend import dot_precision, interpreting
from ..layout import SEGMENT_GROUP_SIZES, launch_table, segment_groups, segment_pairs
from . import sm_count

GLUON_TRITON_VERSIONS = ("3.6.",)
BLOCK_SIZES = (16, 32, 64, 128)  # 16 and 32: forward/dX on segment groups only
BATCH_TILE = 256  # dsd: batch rows per program, the wgmma's N
DSD_STAGES = 4
NUM_WARPS = 8  # the consumer warpgroups; the producer warp comes on top
MAX_REGISTERS = 168  # per thread over the kernel's 12 warps (the register file: 65536 / 384 = 170)
PRODUCER_REGISTERS = 24
# dW at TF32 on row-major operands ("turned", linear_hopper_gluon.consume_dw_turned): four warpgroups (two
# consumers, each a partition; the producer; the warps turning dY's tiles) launch 16 warps at 128 registers a
# thread, and setmaxnreg gives the consumers 216 and 208, the turning warps 64 (a 32 x 128 tile: 32 a thread).
TURNED_WARPS = 4  # the default partition: the first consumer warpgroup
TURNED_MAX_REGISTERS = 128
TURNED_CONSUMER_REGISTERS = 208  # the second consumer warpgroup
TURN_REGISTERS = 64
# Segment pairs (``linear_dsd_hopper_pairs``): two consumer warpgroups, each a partition (the default one of 4
# warps, a worker of 4) beside the producer, launched at MAX_REGISTERS over 12 warps; setmaxnreg gives the worker
# consumer 232 and the default one what is left (248) for its (64, 256) fp32 accumulator.
PAIR_WARPS = 4
PAIR_CONSUMER_REGISTERS = 232
SDD_SHARED_BUDGET = 200 * 1024  # dW's rings at TF32, below the 227 KB a program may have


@dataclass(frozen=True)
class DsdShape:
    """One dsd program's shape: batch rows (the wgmma's N), ring depth, consumer warps, and the registers a
    thread is launched with (``setmaxnreg`` then moves the producer's share to the consumers)."""

    batch_tile: int = BATCH_TILE
    stages: int = DSD_STAGES
    num_warps: int = NUM_WARPS
    max_registers: int = MAX_REGISTERS
    # A program per SM walking several work items (a batch tile's segment each), its output tile in a shared
    # buffer of its own so the store runs under the next item's MMAs, and the ring filling on across items;
    # ``stages`` is then an upper bound, cut to what fits beside that buffer (``persistent_stages``).
    persistent: bool = False
    # Persistent: the output tile leaves its buffer in this many batch-row chunks (1, 2 or 4), one after another,
    # so the buffer takes 1 / out_chunks of the tile and the ring keeps more stages. Block 128 and segment pairs
    # only (a one-segment program at block 64 splits the batch rows over its two warpgroups, and keeps 4 stages
    # beside the whole tile).
    out_chunks: int = 1
    # Two segments a program (``layout.segment_pairs``), walking the union of their input blocks so each x tile
    # is loaded once for both; a consumer warpgroup per segment (``linear_dsd_hopper_pairs``). Block 64. With
    # ``persistent``: a program per SM walking pair items, an output buffer per segment side.
    segment_pairs: bool = False
    # Blocks 16 and 32: groups of segments (``layout.segment_groups``) walking the union of their input blocks, their
    # blocks side by side as one wgmma's N (``linear_dsd_hopper_groups``); the other fields do not apply.
    segment_groups: bool = False
    # Segment groups: producer warps (2 or 4), and x read from its tile images (``linear_dsd_hopper_groups``).
    group_producers: int = 4
    x_image: bool = False


# One program per SM: 256 batch rows, two consumer warpgroups, 4 stages of 48 KB (16-bit, block 128).
WIDE = DsdShape()
# Two programs per SM, so one's ring fill and epilogue overlap the other's MMAs (short segments): 128 batch
# rows, one consumer warpgroup (a 128 x 128 fp32 accumulator: 128 registers a thread, 232 after setmaxnreg),
# 3 stages of 32 KB; 8 warps x 128 registers and 98 KB of shared memory a program (ptxas: no spills).
PAIRED = DsdShape(batch_tile=128, stages=3, num_warps=4, max_registers=128)
# WIDE's program, one an SM, walking work items. At block 128 the output tile leaves in halves, so the ring keeps
# 4 stages beside its buffer (scripts/probe_paired.py --chunks, tuning/h100-2026-11-27j-probe-chunks.log, fp16
# against WIDE: halves 1.10-1.11x at d=0.1 where the whole tile, 3 stages, gave 1.05-1.07x; 0.96-1.04x elsewhere
# as the whole tile; quarters 1.08x at d=0.1). TF32 block 128 in quarters (4 stages) with 2 tiles a sweep stayed
# below WIDE with 2 tiles a sweep (0.87-0.94x of it), so TF32 block 128 runs WIDE.
PERSISTENT = DsdShape(persistent=True, out_chunks=2)
# WIDE's program on two segments at once (scripts/probe_paired.py --pairs, tuning/h100-2026-11-27k-probe-pairs*.log).
SEGMENT_PAIRS = DsdShape(segment_pairs=True)
# SEGMENT_PAIRS' program, one an SM, walking pair items; each side's output tile leaves its buffer in halves (two
# 16 KB buffers at 16 bits), so the ring keeps 4 stages. TF32 in quarters, for the same.
PERSISTENT_PAIRS = DsdShape(segment_pairs=True, persistent=True, out_chunks=2)
PERSISTENT_PAIRS_TF32 = DsdShape(segment_pairs=True, persistent=True, out_chunks=4)
# Blocks 32 and 16: groups of 4 (8) segments sharing their x tiles (scripts/probe_groups.py);
# ``linear_dsd.hopper_shape`` sets the producer warps and the x images by block, dtype and density.
SEGMENT_GROUPS = DsdShape(segment_groups=True)
# Shared memory one program may allocate on an H100 (227 KB), less room for the mbarriers.
HOPPER_SHARED_LIMIT = 227 * 1024 - 1024


def output_chunks(shape: DsdShape, block_size: int) -> int:
    """Batch-row chunks the output tile leaves in: ``shape.out_chunks`` for persistent programs at block 128
    or on segment pairs, else the whole tile (see ``DsdShape.out_chunks``)."""
    return shape.out_chunks if shape.persistent and (block_size == 128 or shape.segment_pairs) else 1


def persistent_stages(shape: DsdShape, block_size: int, dtype: torch.dtype) -> int:
    """Ring depth of a persistent dsd program: ``shape.stages`` or what fits beside its output tiles' buffers
    (one a segment: two on segment pairs, whose stages also hold two weight steps)."""
    segments = 2 if shape.segment_pairs else 1
    stage = (shape.batch_tile + segments * block_size) * 128  # a K step is 128 bytes of each row of the tiles
    out_buffer = shape.batch_tile // output_chunks(shape, block_size) * block_size * dtype.itemsize
    return max(1, min(shape.stages, (HOPPER_SHARED_LIMIT - segments * out_buffer) // stage))


def k_step(dtype: torch.dtype) -> int:
    """Elements in one 128-byte swizzled row: dsd's block columns and dW's batch rows per ring stage."""
    return 128 // dtype.itemsize


@functools.cache
def gluon_available() -> bool:
    if not triton.__version__.startswith(GLUON_TRITON_VERSIONS):
        return False
    try:
        from . import linear_hopper_gluon  # noqa: F401
    except (ImportError, AttributeError):
        return False
    return True


def tma_ready(t: torch.Tensor) -> bool:
    """A 2-D tensor TMA can read: rows contiguous, base and row stride 16-byte aligned."""
    return t.stride(-1) == 1 and (t.stride(0) * t.element_size()) % 16 == 0 and t.data_ptr() % 16 == 0


def k_major_only(dtype: torch.dtype) -> bool:
    """fp32 runs as TF32, whose wgmma reads both operands K-major: dX then needs turned blocks, dW turns dY's
    steps in shared memory and reads x's from registers."""
    return dtype == torch.float32


def supported(block_size: int, *operands: torch.Tensor) -> bool:
    """Whether these kernels can run a product of ``operands`` on this device: a Hopper GPU, blocks of 64 or
    128, 16-bit operands (or fp32 where PyTorch's matmul precision allows TF32), all of one dtype, packed
    blocks (3-D) contiguous. Callers check TMA-readiness of what they pass (``tma_ready``)."""
    first = operands[0]
    dtypes = (torch.float16, torch.bfloat16) + ((torch.float32,) if dot_precision(torch.float32) == "tf32" else ())
    if not first.is_cuda or interpreting() or first.dtype not in dtypes:
        return False
    if block_size not in BLOCK_SIZES or any(t.dtype != first.dtype for t in operands):
        return False
    if any(t.numel() == 0 for t in operands):  # a TMA descriptor cannot describe an empty tensor
        return False
    if not all(t.is_contiguous() and t.data_ptr() % 16 == 0 for t in operands if t.dim() == 3):
        return False
    return torch.cuda.get_device_capability(first.device) == (9, 0) and gluon_available()


def _desc(t: torch.Tensor, block: list[int], unswizzled: bool = False):
    """A TMA descriptor of ``t`` by ``block`` boxes, in the swizzled shared layout TMA and wgmma both read, or
    ``unswizzled`` (a tile image's rows, ``tile_image``)."""
    from triton.experimental.gluon import language as gl
    from triton.experimental.gluon.nvidia.hopper import TensorDescriptor

    from .linear_hopper_gluon import shared_layout

    layout = gl.NVMMASharedLayout(0, 8 * t.element_size()) if unswizzled else shared_layout(block, t.dtype)
    return TensorDescriptor.from_tensor(t, block, layout)


def linear_dsd_hopper(
    x: torch.Tensor,
    blocks: torch.Tensor,
    y: torch.Tensor,
    bias: torch.Tensor | None,
    seg_ptr: torch.Tensor,
    seg_idx: torch.Tensor,
    seg_blk: torch.Tensor,
    seg_order: torch.Tensor,
    out_blocks: int,
    transpose_blocks: bool,
    shape: DsdShape = WIDE,
    tile_group: int = 1,
    *,
    hubs: int = 0,
    late_hub_tiles: int = 0,
    launch: torch.Tensor | None = None,
    groups: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None,
) -> torch.Tensor:
    """Fill ``y`` (M, out_blocks * bs) as ``linear_dsd`` does; the caller checked ``supported`` and that x is
    ``tma_ready``. fp32 (TF32) dX multiplies a transposed copy of the blocks (``k_major_only``). ``shape``:
    ``WIDE``, ``PAIRED`` or ``PERSISTENT`` (probes vary their fields). ``tile_group``: batch tiles that sweep
    the segments together (each weight block read serves that many programs running at once). With one tile a
    sweep, the ``hubs`` segments at the head of ``seg_order`` of the last ``late_hub_tiles`` batch tiles launch
    first, as in ``linear_dsd``. ``launch``: ``layout.launch_table(seg_ptr, seg_order)`` (built here unless given). A
    persistent ``shape`` launches a program per SM (``sm_count``), handing out items from a zeroed counter.
    ``shape.segment_pairs`` runs ``linear_dsd_hopper_pairs`` on ``groups`` (``layout.segment_pairs`` of these
    segments; built here unless given), ``shape.segment_groups`` ``linear_dsd_hopper_groups`` on
    ``layout.segment_groups`` of ``SEGMENT_GROUP_SIZES`` at the block size."""
    from .linear_hopper_gluon import linear_dsd_hopper_kernel

    if shape.segment_groups:
        size = SEGMENT_GROUP_SIZES[blocks.shape[-1]]
        groups = groups if groups is not None else segment_groups(seg_ptr, seg_idx, seg_blk, seg_order, size)
        return linear_dsd_hopper_groups(x, blocks, y, bias, groups, transpose_blocks, size,
                                        x_image=shape.x_image, producers=shape.group_producers)
    if k_major_only(x.dtype) and not transpose_blocks:
        blocks, transpose_blocks = blocks.transpose(1, 2).contiguous(), True
    if shape.segment_pairs:
        groups = groups if groups is not None else segment_pairs(seg_ptr, seg_idx, seg_blk, seg_order)
        return linear_dsd_hopper_pairs(x, blocks, y, bias, groups, transpose_blocks, shape)
    bs = blocks.shape[-1]
    k = k_step(x.dtype)
    w_tile = [bs, k] if transpose_blocks else [k, bs]
    bb = shape.batch_tile
    tiles = triton.cdiv(x.shape[0], bb)
    items = tiles * out_blocks
    grid = min(items, sm_count(x.device)) if shape.persistent else items
    stages = persistent_stages(shape, bs, x.dtype) if shape.persistent else shape.stages
    if launch is None:
        launch = launch_table(seg_ptr, seg_order)
    # A fresh counter each call (one small memset): safe under concurrent streams and CUDA graphs.
    counter = torch.zeros(1, dtype=torch.int32, device=x.device) if shape.persistent else launch  # else unread
    linear_dsd_hopper_kernel[(grid,)](
        _desc(x, [bb, k]), _desc(blocks.view(-1, bs), w_tile), _desc(y, [bb // output_chunks(shape, bs), bs]),
        bias if bias is not None else y, seg_idx, seg_blk, launch, counter, out_blocks, tiles, tile_group, hubs,
        late_hub_tiles, BS=bs, TRANSPOSE_W=transpose_blocks, HAS_BIAS=bias is not None, STAGES=stages,
        PERSISTENT=shape.persistent, PRODUCER_REGISTERS=PRODUCER_REGISTERS, num_warps=shape.num_warps,
        maxnreg=shape.max_registers,
    )
    return y


def linear_dsd_hopper_pairs(
    x: torch.Tensor,
    blocks: torch.Tensor,
    y: torch.Tensor,
    bias: torch.Tensor | None,
    pairs: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
    transpose_blocks: bool,
    shape: DsdShape = SEGMENT_PAIRS,
) -> torch.Tensor:
    """Fill ``y`` as ``linear_dsd_hopper`` does, a program per (256-row batch tile, segment pair), or with a
    persistent ``shape`` a program per SM walking those items; ``pairs`` is ``layout.segment_pairs(seg_ptr,
    seg_idx, seg_blk, seg_order)``. The caller checked ``supported`` (block 64 here: two (64, 256) fp32
    accumulators) and that x is ``tma_ready``; fp32 (TF32) dX needs turned blocks."""
    launch, pair_idx, pair_blk = pairs
    bs = blocks.shape[-1]
    k = k_step(x.dtype)
    if bs != 64:  # two (bs, 256) fp32 accumulators, one a consumer warpgroup: 128 registers a thread at 64
        raise ValueError(f"expected blocks of 64 for segment pairs, got {bs}")
    if shape.batch_tile != BATCH_TILE:
        raise ValueError(f"expected {BATCH_TILE} batch rows for segment pairs, got {shape.batch_tile}")
    stages = persistent_stages(shape, bs, x.dtype) if shape.persistent else shape.stages
    # one-item programs put both output tiles in the idle x ring
    if not shape.persistent and stages * BATCH_TILE * k < 2 * BATCH_TILE * bs:
        raise ValueError(f"expected at least {2 * bs // k} stages for two output tiles in the x ring, got {stages}")
    from .linear_hopper_gluon import linear_dsd_pairs_kernel

    tiles = triton.cdiv(x.shape[0], BATCH_TILE)
    items = tiles * launch.shape[0]
    grid = min(items, sm_count(x.device)) if shape.persistent else items
    # A fresh counter each call (one small memset): safe under concurrent streams and CUDA graphs.
    counter = torch.zeros(1, dtype=torch.int32, device=x.device) if shape.persistent else launch  # else unread
    linear_dsd_pairs_kernel[(grid,)](
        _desc(x, [BATCH_TILE, k]), _desc(blocks.view(-1, bs), [bs, k] if transpose_blocks else [k, bs]),
        _desc(y, [BATCH_TILE // output_chunks(shape, bs), bs]), bias if bias is not None else y, pair_idx, pair_blk,
        launch, counter, launch.shape[0], tiles, BS=bs, TRANSPOSE_W=transpose_blocks, HAS_BIAS=bias is not None,
        STAGES=stages, PERSISTENT=shape.persistent, PRODUCER_REGISTERS=PRODUCER_REGISTERS,
        CONSUMER_REGISTERS=PAIR_CONSUMER_REGISTERS, num_warps=PAIR_WARPS, maxnreg=MAX_REGISTERS,
    )
    return y


# Blocks 16 and 32 on segment groups (``linear_dsd_hopper_groups``, kernels/linear_groups_gluon.py): G segments a
# program sharing each x tile, their blocks side by side as one wgmma's N = G x block (absent ones zeroed), two
# consumer warpgroups splitting the batch tile's rows. The batch tile keeps a warpgroup's (rows, N) fp32
# accumulator at 128 registers a thread: 256 rows for N = 128 (4 blocks of 32, 8 of 16), 128 rows for N = 256.
GROUP_SIZES = (4, 8)
GROUP_BATCH_TILES = {128: 256, 256: 128}
GROUP_MAX_STAGES = 8
# The group producer holds two chunks of index addresses and a row of G indices (ptxas: 24 registers spilled);
# the default consumer then gets 232, as the other.
GROUP_PRODUCER_REGISTERS = 40


def group_batch_tile(group_size: int, block_size: int) -> int:
    """Batch rows of a segment-group program (``GROUP_BATCH_TILES`` by the wgmma's N)."""
    return GROUP_BATCH_TILES[group_size * block_size]


def group_stages(group_size: int, dtype: torch.dtype, block_size: int = 32) -> int:
    """Ring depth of a segment-group program: up to ``GROUP_MAX_STAGES`` of (x tile + G blocks) that fit."""
    stage = (group_batch_tile(group_size, block_size) + group_size * block_size) * block_size * dtype.itemsize
    return min(GROUP_MAX_STAGES, HOPPER_SHARED_LIMIT // stage)


def linear_dsd_hopper_groups(
    x: torch.Tensor,
    blocks: torch.Tensor,
    y: torch.Tensor,
    bias: torch.Tensor | None,
    groups: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
    transpose_blocks: bool,
    group_size: int = 4,
    stages: int | None = None,
    x_image: bool = False,
    producers: int = 4,
) -> torch.Tensor:
    """Fill ``y`` as ``linear_dsd_hopper`` does at blocks 16 and 32, a program per (batch tile, segment group);
    ``groups`` is ``layout.segment_groups(seg_ptr, seg_idx, seg_blk, seg_order, group_size)``. The caller checked
    that x is ``tma_ready`` and the operands are Hopper-ready (``supported`` but for the block size). dX multiplies
    turned blocks: the kernel reads a stage's blocks as one operand, stacked along its outputs. ``x_image``: x read from
    a copy of its tiles' shared-memory images (``tile_image``), which TMA brings in as 512-byte rows. ``producers``:
    producer warps (2 or 4), taking the entries in turn."""
    launch, group_idx, group_blk = groups
    bs = blocks.shape[-1]
    if bs not in (16, 32):
        raise ValueError(f"expected blocks of 16 or 32 for segment groups, got {bs}")
    if group_size not in GROUP_SIZES or group_size * bs not in GROUP_BATCH_TILES or group_blk.shape[-1] != group_size:
        widths = sorted(g for g in GROUP_SIZES if g * bs in GROUP_BATCH_TILES)
        raise ValueError(f"expected groups of {widths} at block {bs} matching the tables' {group_blk.shape[-1]}, "
                         f"got {group_size}")
    if producers not in (2, 4):
        raise ValueError(f"expected 2 or 4 producer warps, got {producers}")
    bb = group_batch_tile(group_size, bs)
    stages = stages or group_stages(group_size, x.dtype, bs)
    out_in_x = stages >= group_size  # the 2 x G output tiles of (bb / 2, bs) fit in the idle x ring, else the w ring
    if not out_in_x and stages * bs < bb:
        raise ValueError(f"expected at least {bb // bs} stages for the output tiles, got {stages}")
    if not transpose_blocks:
        blocks = blocks.transpose(1, 2).contiguous()
    from .linear_groups_gluon import linear_dsd_groups_kernel
    from .tile_image import tile_image

    tiles = triton.cdiv(x.shape[0], bb)
    if x_image:  # a tile's image as one box of whole unswizzled rows
        image = tile_image(x, bb, bs)
        x_desc = _desc(image, [bb * bs // image.shape[1], image.shape[1]], unswizzled=True)
    else:
        x_desc = _desc(x, [bb, bs])
    linear_dsd_groups_kernel[(tiles * launch.shape[0],)](
        x_desc, _desc(blocks.view(-1, bs), [bs, bs]), _desc(y, [bb // 2, bs]),
        bias if bias is not None else y, group_idx, group_blk, launch, launch.shape[0], x.shape[1] // bs, G=group_size,
        HAS_BIAS=bias is not None, STAGES=stages, OUT_IN_X=out_in_x, X_IMAGE=x_image, PRODUCERS=producers,
        PRODUCER_REGISTERS=GROUP_PRODUCER_REGISTERS, CONSUMER_REGISTERS=PAIR_CONSUMER_REGISTERS, num_warps=PAIR_WARPS,
        maxnreg=MAX_REGISTERS,
    )
    return y


def sdd_stages(block_size: int, group_size: int, dtype: torch.dtype) -> int:
    """Ring depth for dW: what was measured best and fits (stage = 128 bytes of rows x (1 + GROUP) blocks, and
    at TF32 one more block, dY's turned copy)."""
    if k_major_only(dtype):
        return min(4, SDD_SHARED_BUDGET // (128 * block_size * (group_size + 2)))
    return 6 if block_size == 128 and group_size == 1 else 4


# dW split over the batch (``linear_hopper_gluon.split_done``): where the groups, or those of the last round, would
# fill few SMs, those groups run as programs (split, group). scripts/probe_dw_splits.py (H100, fp16/bf16, batch
# 8192, block 128; logs tuning/h100-2026-11-27q-probe-dw-splits*.log), time against unsplit programs:
# - won with pairs filling at most half the SMs, in as many splits as one round holds: 4096^2 at d = 0.1 (60 pairs)
#   1.15-1.20x in 2; 2048^2 at d = 0.25 (36 pairs) 1.38x in 2, 1.44x in 3;
# - lost with single blocks (8192^2 at d = 0.01: 41 blocks, 0.91-0.94x in 2 or 3; 4096^2 at d = 0.05: 51, 0.94-0.98x
#   in 2), whose programs already wait on memory; with more groups than half the SMs (4096^2 at d = 0.25, 136 pairs:
#   0.99-1.00x in 2; 8192^2 at d = 0.1: 0.76-0.78x in 2); and wherever the split programs took more than one round.
# So the split groups are all of them where they fill at most half the SMs, else those of a last round that does
# (``dw_splits``). The last round's groups split alone (``--tail``, tuning/h100-2026-11-27q-probe-dw-tail.log): 8192^2
# at d = 0.25 (530 pairs: 4 rounds and 2 left) 1.09-1.11x in 2, 1.12-1.14x in 4, 1.11x in 8 (fp16, bf16); 4096^2 at
# d = 0.25 (136 pairs) 1.20x / 1.31x / 1.27x.
DW_MAX_SPLITS = 4
DW_MIN_SPLIT_STEPS = 16  # batch steps a split keeps at least (1024 rows at 16 bits)


def dw_splits(groups: int, steps: int, sms: int, group_size: int) -> tuple[int, int]:
    """(first split group, splits) for ``groups`` dW programs of ``group_size`` blocks over the batch's ``steps`` on
    ``sms`` SMs, by the measurements above: the groups that would fill at most half the SMs in their round (all of
    them, or those of the last round), split in as many as fit one round, up to DW_MAX_SPLITS, keeping
    DW_MIN_SPLIT_STEPS steps a split; (groups, 1) where nothing is split."""
    tail = groups if 2 * groups <= sms else groups % sms
    if group_size < 2 or tail == 0 or 2 * tail > sms:
        return groups, 1
    splits = min(DW_MAX_SPLITS, sms // tail, steps // DW_MIN_SPLIT_STEPS)
    return (groups - tail, splits) if splits > 1 else (groups, 1)


def linear_sdd_hopper(
    dy: torch.Tensor,
    x: torch.Tensor,
    dw: torch.Tensor,
    row_ptr: torch.Tensor,
    block_cols: torch.Tensor,
    group_first: torch.Tensor,
    group_rows: torch.Tensor,
    block_size: int,
    group_size: int,
    stages: int | None = None,
    splits: int | None = None,
    split_first: int = 0,
) -> torch.Tensor:
    """Fill packed ``dw`` (nnz, bs, bs) as ``linear_sdd`` does from row-major dY and x; the caller checked
    ``supported`` and that both are ``tma_ready``. ``stages``: the ring depth, ``sdd_stages`` unless given
    (probes vary it). ``splits``: of the batch, for the groups from ``split_first`` on (``dw_splits`` unless given);
    split programs sum their fp32 tiles through a workspace (splits x the split groups' tiles). TF32 runs the
    "turned" kernel (``linear_hopper_gluon.consume_dw_turned``), unsplit."""
    from .linear_hopper_gluon import linear_sdd_hopper_kernel

    k = k_step(x.dtype)
    tile = [k, block_size]
    turned = k_major_only(x.dtype)
    groups = group_first.numel()
    if splits is None:  # TF32's kernel runs unsplit (linear_sdd_hopper_kernel)
        split_first, splits = ((groups, 1) if turned else
                               dw_splits(groups, triton.cdiv(x.shape[0], k), sm_count(x.device), group_size))
    if splits < 1 or (turned and splits > 1):
        raise ValueError(f"expected splits >= 1 (1 at TF32), got {splits}")
    if not 0 <= split_first <= groups:
        raise ValueError(f"expected split_first in [0, {groups}], got {split_first}")
    split_groups = groups - split_first if splits > 1 else 0
    if split_groups:  # the workspace, and the counts zeroed every call
        partial = torch.empty(split_groups * splits * group_size * block_size * block_size, device=x.device,
                              dtype=torch.float32)
        counts = torch.zeros(split_groups, device=x.device, dtype=torch.int32)
    else:  # nothing split: the kernel specialised at one split reads neither (a zeroed count cost a memset launch,
        # 1.2 us a call at 8192^2, d = 0.01: tuning/h100-2026-11-27q-probe-dw-against-old-aa.log)
        splits, partial, counts = 1, dw, row_ptr
    linear_sdd_hopper_kernel[(groups + split_groups * (splits - 1),)](
        _desc(dy, tile), _desc(x, tile), dw, row_ptr, block_cols, group_first, group_rows, x.shape[0], partial, counts,
        split_first, splits, BS=block_size, GROUP=group_size,
        STAGES=stages or sdd_stages(block_size, group_size, x.dtype), PRODUCER_REGISTERS=PRODUCER_REGISTERS,
        TURN_REGISTERS=TURN_REGISTERS, CONSUMER_REGISTERS=TURNED_CONSUMER_REGISTERS,
        num_warps=TURNED_WARPS if turned else NUM_WARPS, maxnreg=TURNED_MAX_REGISTERS if turned else MAX_REGISTERS,
    )
    return dw
