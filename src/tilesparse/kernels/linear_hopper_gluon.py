"""The Gluon kernels behind ``kernels/linear_hopper.py`` (design and measurements there). Kept apart so that the
launchers import on Triton builds without Gluon."""

from __future__ import annotations

import torch
import triton
from triton.experimental import gluon
from triton.experimental.gluon import language as gl
from triton.experimental.gluon.language.nvidia.hopper import (
    fence_async_shared,
    mbarrier,
    tma,
    warpgroup_mma,
    warpgroup_mma_wait,
)

from ..layout import LAUNCH_TABLE_WIDTH

LAUNCH_WIDTH = gl.constexpr(LAUNCH_TABLE_WIDTH)  # a jitted function may read a constexpr global
GL_DTYPES = {torch.float16: gl.float16, torch.bfloat16: gl.bfloat16, torch.float32: gl.float32}


def shared_layout(shape, dtype):
    """The 128-byte swizzled shared layout TMA and wgmma both read."""
    return gl.NVMMASharedLayout.get_default_for(shape, GL_DTYPES[dtype])


@gluon.constexpr_function
def wgmma_warps(m, num_warps):
    """Warps over the accumulator's (M, N): a warpgroup covers 64 rows of M; further warpgroups go along M
    while M has rows left, else along N."""
    warps = [4, 1]
    while warps[0] * warps[1] != num_warps:
        if m > 16 * warps[0]:
            warps[0] *= 2
        else:
            warps[1] *= 2
    return warps


@gluon.constexpr_function
def wgmma_n(m, n, num_warps):
    """The widest wgmma N (a multiple of 8 up to 256) dividing the share of N one warpgroup owns."""
    share = max(n // triton.cdiv(num_warps, triton.cdiv(m, 16)), 8)
    width = 256
    while width > share or n % width != 0:
        width -= 8
    return width


@gluon.constexpr_function
def mma_layout(m, n, num_warps, bitwidth):
    """The wgmma accumulator layout of an (m, n) tile: instructions 16 x N x (32 bytes of K); fp32 operands
    run as TF32."""
    return gl.NVMMADistributedLayout(version=[3, 0], warps_per_cta=wgmma_warps(m, num_warps),
                                     instr_shape=[16, wgmma_n(m, n, num_warps), 256 // bitwidth])


@gluon.jit
def ring_slot(step, STAGES: gl.constexpr):
    """Stage of the ring a step uses, and the mbarrier phase of its round."""
    return step % STAGES, (step // STAGES) & 1


@gluon.jit
def retire_previous(empty, step, STAGES: gl.constexpr, first=0):
    """After wgmma_wait(1) the MMA before ``step``'s has retired: its stage goes back to the producer (unless
    ``step`` is the first of its accumulation, ``first``)."""
    mbarrier.arrive(empty.index((step + STAGES - 1) % STAGES), count=1, pred=step > first)


# -- dsd: forward and dX --------------------------------------------------------------------------------------


@gluon.jit
def item_slot(item, num_segs, num_tiles, tile_group, num_hubs, late_tiles):
    """(launch slot, batch tile) of work item ``item`` (a batch tile's segment; items in launch order)."""
    if tile_group > 1:
        # Output blocks fastest, so programs running together share x panels; within a sweep, tile_group batch
        # tiles take each segment in turn, so a weight block read from memory serves that many programs at once.
        sweep = item // (tile_group * num_segs)
        first_tile = sweep * tile_group
        tiles_in_sweep = gl.minimum(num_tiles - first_tile, tile_group)
        in_sweep = item - sweep * tile_group * num_segs
        slot = in_sweep // tiles_in_sweep
        tile = first_tile + in_sweep % tiles_in_sweep
    else:  # output blocks fastest, the hubs of the last batch tiles first (as the Triton kernel)
        tile, slot = hubs_first_position(item, num_tiles, num_segs, num_hubs, late_tiles)
    return slot, tile


@gluon.jit
def item_work(item, launch_ptr, num_segs, num_tiles, tile_group, num_hubs, late_tiles):
    """(segment, batch tile, first entry, entries) of work item ``item``, from one row of the launch table."""
    slot, tile = item_slot(item, num_segs, num_tiles, tile_group, num_hubs, late_tiles)
    row = launch_ptr + slot * LAUNCH_WIDTH
    return gl.load(row), tile, gl.load(row + 1), gl.load(row + 2)


@gluon.jit
def load_block_step(w_desc, blk, k0, bar, dest, BS: gl.constexpr, TRANSPOSE_W: gl.constexpr, pred=True):
    """TMA load of packed block ``blk``'s K step at ``k0`` (``pred``: only where the block is present)."""
    if TRANSPOSE_W:  # forward: block rows are outputs; the step covers inputs k0..k0+BK (block columns)
        tma.async_copy_global_to_shared(w_desc, [blk * BS, k0], bar, dest, pred=pred)
    else:  # dX: block columns are outputs; the step covers block rows k0..k0+BK
        tma.async_copy_global_to_shared(w_desc, [blk * BS + k0, 0], bar, dest, pred=pred)


@gluon.jit
def block_operand(step, TRANSPOSE_W: gl.constexpr):
    """A block step in shared memory as wgmma's A operand, (BS outputs, BK)."""
    if TRANSPOSE_W:
        return step
    else:
        return step.permute((1, 0))  # stored (BK, BS outputs); wgmma reads it turned


@gluon.jit
def produce_item(x_desc, w_desc, x_ring, w_ring, empty, ready, seg_idx_ptr, seg_blk_ptr, tile, start, count, done,
                 BS: gl.constexpr, TRANSPOSE_W: gl.constexpr):
    """One ring stage per K step of each of the ``count`` blocks from entry ``start`` (block K step + x tile);
    ``done`` steps went through the ring before."""
    STAGES: gl.constexpr = x_ring.shape[0]
    BB: gl.constexpr = x_desc.block_type.shape[0]
    BK: gl.constexpr = x_desc.block_type.shape[1]
    KS: gl.constexpr = BS // BK
    for j in range(count * KS):
        entry = start + j // KS
        k0 = (j % KS) * BK
        col = gl.load(seg_idx_ptr + entry)
        blk = gl.load(seg_blk_ptr + entry)
        s, phase = ring_slot(done + j, STAGES)
        mbarrier.wait(empty.index(s), phase ^ 1)  # a fresh barrier counts as released: the first round passes
        bar = ready.index(s)
        mbarrier.expect(bar, x_desc.block_type.nbytes + w_desc.block_type.nbytes)
        load_block_step(w_desc, blk, k0, bar, w_ring.index(s), BS, TRANSPOSE_W)
        tma.async_copy_global_to_shared(x_desc, [tile * BB, col * BS + k0], bar, x_ring.index(s))
    return done + count * KS


@gluon.jit
def consume_item(x_ring, w_ring, empty, ready, y_desc, y_smem, bias_ptr, seg, tile, count, done,
                 BS: gl.constexpr, TRANSPOSE_W: gl.constexpr, HAS_BIAS: gl.constexpr, num_warps: gl.constexpr):
    """acc (BS outputs x BB batch rows) += block step @ x_tile^T over the item's steps, then the epilogue
    through ``y_smem`` (``store_output``)."""
    STAGES: gl.constexpr = x_ring.shape[0]
    BB: gl.constexpr = x_ring.shape[1]
    BK: gl.constexpr = x_ring.shape[2]
    KS: gl.constexpr = BS // BK
    layout: gl.constexpr = mma_layout(BS, BB, num_warps, x_ring.dtype.primitive_bitwidth)
    acc = gl.zeros((BS, BB), dtype=gl.float32, layout=layout)
    steps = count * KS
    for j in range(steps):
        s, phase = ring_slot(done + j, STAGES)
        mbarrier.wait(ready.index(s), phase)
        a = block_operand(w_ring.index(s), TRANSPOSE_W)
        acc = warpgroup_mma(a, x_ring.index(s).permute((1, 0)), acc, is_async=True)
        acc = warpgroup_mma_wait(num_outstanding=1, deps=(acc,))  # one MMA stays in flight
        retire_previous(empty, done + j, STAGES, done)
    acc = warpgroup_mma_wait(num_outstanding=0, deps=(acc,))
    retire_previous(empty, done + steps, STAGES, done)  # the last MMA's stage
    store_output(acc, layout, y_desc, y_smem, bias_ptr, seg, tile, HAS_BIAS)
    return done + steps


@gluon.jit
def store_output(acc, layout: gl.constexpr, y_desc, y_smem, bias_ptr, seg, tile, HAS_BIAS: gl.constexpr):
    """The epilogue of an (outputs, batch rows) accumulator: bias, cast, turn to y's orientation and TMA store
    to segment ``seg``'s columns of batch tile ``tile``, through ``y_smem`` whole, or in 2 or 4 batch-row chunks
    one after another (a smaller buffer leaves a persistent ring more stages). The caller waits for the store."""
    BS: gl.constexpr = acc.shape[0]
    BB: gl.constexpr = acc.shape[1]
    if HAS_BIAS:
        offs = seg * BS + gl.arange(0, BS, layout=gl.SliceLayout(1, layout))
        acc += gl.load(bias_ptr + offs).to(gl.float32)[:, None]
    ROWS: gl.constexpr = y_smem.shape[0]
    row = tile * BB
    if ROWS == BB:
        store_rows(acc, y_desc, y_smem, row, seg * BS)
    elif ROWS * 2 == BB:
        first, second = column_halves(acc)
        store_rows(first, y_desc, y_smem, row, seg * BS)
        store_rows(second, y_desc, y_smem, row + ROWS, seg * BS)
    else:
        a, b, c, d = column_quarters(acc)
        store_rows(a, y_desc, y_smem, row, seg * BS)
        store_rows(b, y_desc, y_smem, row + ROWS, seg * BS)
        store_rows(c, y_desc, y_smem, row + 2 * ROWS, seg * BS)
        store_rows(d, y_desc, y_smem, row + 3 * ROWS, seg * BS)


@gluon.jit
def column_halves(acc):
    """A (rows, columns) tile -> its first and second halves of columns (an (outputs, batch rows) accumulator's
    halves of batch rows)."""
    R: gl.constexpr = acc.shape[0]
    C: gl.constexpr = acc.shape[1]
    return gl.split(gl.permute(gl.reshape(acc, (R, 2, C // 2)), (0, 2, 1)))


@gluon.jit
def column_quarters(acc):
    """A (rows, 4C) tile -> its four (rows, C) column blocks, in order."""
    first, second = column_halves(acc)
    a, b = column_halves(first)
    c, d = column_halves(second)
    return a, b, c, d


@gluon.jit
def store_rows(acc, y_desc, y_smem, row, col):
    """Cast an (outputs, batch rows) tile, turn it to y's orientation in y_smem and start its TMA store at
    y[row:, col:] (rows past M are clipped), once an earlier store has finished reading y_smem."""
    tma.store_wait(pendings=0)
    y_smem.store(gl.permute(acc.to(y_desc.dtype), (1, 0)))
    fence_async_shared()
    tma.async_copy_shared_to_global(y_desc, [row, col], y_smem)


@gluon.jit
def produce_dsd(x_desc, w_desc, x_ring, w_ring, empty, ready, seg_idx_ptr, seg_blk_ptr, launch_ptr, num_segs,
                num_tiles, tile_group, num_hubs, late_tiles, BS: gl.constexpr, TRANSPOSE_W: gl.constexpr):
    """Producer warp of a program owning one work item: its program id."""
    seg, tile, start, count = item_work(gl.program_id(0), launch_ptr, num_segs, num_tiles, tile_group, num_hubs,
                                        late_tiles)
    produce_item(x_desc, w_desc, x_ring, w_ring, empty, ready, seg_idx_ptr, seg_blk_ptr, tile, start, count, 0, BS,
                 TRANSPOSE_W)


@gluon.jit
def consume_dsd(x_ring, w_ring, empty, ready, y_desc, y_smem, bias_ptr, launch_ptr, num_segs, num_tiles,
                tile_group, num_hubs, late_tiles, BS: gl.constexpr, TRANSPOSE_W: gl.constexpr,
                HAS_BIAS: gl.constexpr, num_warps: gl.constexpr):
    """Consumer warpgroups of a program owning one work item."""
    seg, tile, start, count = item_work(gl.program_id(0), launch_ptr, num_segs, num_tiles, tile_group, num_hubs,
                                        late_tiles)
    consume_item(x_ring, w_ring, empty, ready, y_desc, y_smem, bias_ptr, seg, tile, count, 0, BS, TRANSPOSE_W,
                 HAS_BIAS, num_warps)
    tma.store_wait(pendings=0)


# -- persistent dsd: items handed out at run time ---------------------------------------------------------------
# A program per SM takes the next work item in launch order from a global counter whenever its producer is ready
# for one, as the hardware hands out programs of the one-item kernel; so the programs running at any moment work
# on neighbouring items (the same few x panels stay in L2). A static round-robin schedule let them drift apart,
# over 6-13 batch tiles at once, and ran 0.72-0.91x of the one-item kernel below d = 0.25
# (tuning/h100-2026-11-27j-probe-persistent-static.log). The producer passes each item to the consumers through
# a small queue in shared memory: a row of 32 ints, [segment, batch tile, entries, ...], segment -1 at the end.


@gluon.jit
def add(a, b):
    return a + b


@gluon.jit
def lane_value(row, lanes, lane):
    """Element ``lane`` of a row every thread holds whole, as a scalar. (gl.sum's combine function is a Triton
    one, which the CPU tests' interpreter wraps, and Gluon then refuses it.)"""
    return gl.reduce(gl.where(lanes == lane, row, 0), 0, add)


@gluon.jit
def warp_lanes():
    """0 .. 31, one a lane of the (one-warp) producer."""
    return gl.arange(0, 32, layout=gl.BlockedLayout([1], [32], [1], [0]))


@gluon.jit
def take_ticket(counter_ptr):
    """The next item number from the global counter (one lane's atomic, shared across the warp)."""
    lanes = warp_lanes()
    old = gl.atomic_add(counter_ptr + lanes * 0, lanes * 0 + 1, mask=lanes == 0, sem="relaxed")
    return lane_value(old, lanes, 0)


@gluon.jit
def post_item(queue, posted, taken, k, seg, tile, count):
    """Producer: put item ``k`` (segment, batch tile, entries) in the queue's slot k % Q."""
    Q: gl.constexpr = queue.shape[0]
    lanes = warp_lanes()
    mbarrier.wait(taken.index(k % Q), ((k // Q) & 1) ^ 1)
    row = gl.where(lanes == 0, seg, gl.where(lanes == 1, tile, count))
    queue.index(k % Q).store(row)
    mbarrier.arrive(posted.index(k % Q), count=1)


@gluon.jit
def fetch_item(queue, posted, taken, k, num_warps: gl.constexpr):
    """Consumers: item ``k`` from the queue (segment -1: no more items)."""
    Q: gl.constexpr = queue.shape[0]
    whole_row: gl.constexpr = gl.BlockedLayout([32], [32], [num_warps], [0])  # every thread reads the row
    lanes = gl.arange(0, 32, layout=whole_row)
    mbarrier.wait(posted.index(k % Q), (k // Q) & 1)
    row = queue.index(k % Q).load(whole_row)
    mbarrier.arrive(taken.index(k % Q), count=1)
    return lane_value(row, lanes, 0), lane_value(row, lanes, 1), lane_value(row, lanes, 2)


@gluon.jit
def produce_dsd_persistent(x_desc, w_desc, x_ring, w_ring, empty, ready, queue, posted, taken, counter_ptr,
                           seg_idx_ptr, seg_blk_ptr, launch_ptr, num_segs, num_tiles, tile_group, num_hubs,
                           late_tiles, BS: gl.constexpr, TRANSPOSE_W: gl.constexpr):
    """Producer warp: take an item, post it, load its steps; the next ticket is taken before the loads, so its
    atomic's latency hides under them. (Tickets two items ahead, the next launch row and each step's block
    indices read ahead ran 0.89-0.97x of this below d = 0.25: programs held more items for the end;
    tuning/h100-2026-11-27j-probe-persistent-lookahead.log.)"""
    items = num_tiles * num_segs
    item = take_ticket(counter_ptr)
    k = 0
    done = 0
    while item < items:
        following = take_ticket(counter_ptr)
        seg, tile, start, count = item_work(item, launch_ptr, num_segs, num_tiles, tile_group, num_hubs, late_tiles)
        post_item(queue, posted, taken, k, seg, tile, count)
        done = produce_item(x_desc, w_desc, x_ring, w_ring, empty, ready, seg_idx_ptr, seg_blk_ptr, tile, start,
                            count, done, BS, TRANSPOSE_W)
        k += 1
        item = following
    post_item(queue, posted, taken, k, -1, 0, 0)


@gluon.jit
def consume_dsd_persistent(x_ring, w_ring, empty, ready, queue, posted, taken, y_desc, y_smem, bias_ptr,
                           BS: gl.constexpr, TRANSPOSE_W: gl.constexpr, HAS_BIAS: gl.constexpr,
                           num_warps: gl.constexpr):
    """Consumer warpgroups: the posted items in turn; each output tile's store runs under the next item's MMAs."""
    k = 0
    done = 0
    seg, tile, count = fetch_item(queue, posted, taken, k, num_warps)
    while seg >= 0:
        done = consume_item(x_ring, w_ring, empty, ready, y_desc, y_smem, bias_ptr, seg, tile, count, done, BS,
                            TRANSPOSE_W, HAS_BIAS, num_warps)
        k += 1
        seg, tile, count = fetch_item(queue, posted, taken, k, num_warps)
    tma.store_wait(pendings=0)


@gluon.jit
def stage_barriers(STAGES: gl.constexpr, ARRIVALS: gl.constexpr = 1):
    """An mbarrier per stage, completed by ``ARRIVALS`` arrivals."""
    bars = gl.allocate_shared_memory(gl.int64, [STAGES, 1], mbarrier.MBarrierLayout())
    for i in gl.static_range(STAGES):
        mbarrier.init(bars.index(i), count=ARRIVALS)
    return bars


@gluon.jit
def init_ring(STAGES: gl.constexpr, CONSUMERS: gl.constexpr = 1):
    """A ready and an empty mbarrier per stage; a stage is empty once its ``CONSUMERS`` partitions released it."""
    return stage_barriers(STAGES, CONSUMERS), stage_barriers(STAGES)


@gluon.jit
def hubs_first_position(pid, tiles, slots, num_hubs, late_tiles):
    """(batch tile, launch slot) of program ``pid``: ``linear_dsd.hubs_first_position`` (the Triton kernel's
    order, documented there) for the Gluon kernel (calling the Triton function failed to compile under the
    CPU tests' interpreter). The hubs (the first ``num_hubs`` slots) of the last E = min(late_tiles, tiles)
    tiles come first, then tiles 0 .. T-E-1, then the rest of the last E."""
    late_count = gl.minimum(late_tiles, tiles)
    late = tiles - late_count
    head = late_count * num_hubs
    after_head = pid - head
    in_last = after_head - late * slots
    others = gl.maximum(slots - num_hubs, 1)
    tile = gl.where(pid < head, late + pid // gl.maximum(num_hubs, 1),
                    gl.where(in_last >= 0, late + in_last // others, after_head // slots))
    slot = gl.where(pid < head, pid % gl.maximum(num_hubs, 1),
                    gl.where(in_last >= 0, num_hubs + in_last % others, after_head % slots))
    return tile, slot


# persistent dsd: items the producer may post ahead of the consumers (an empty item posts no ring steps)
QUEUE_DEPTH = gl.constexpr(4)


# The hub count changes with the layout's pattern: unspecialised, as in the Triton kernel
@gluon.jit(do_not_specialize=["num_hubs"])
def linear_dsd_hopper_kernel(x_desc, w_desc, y_desc, bias_ptr, seg_idx_ptr, seg_blk_ptr, launch_ptr, counter_ptr,
                             num_segs, num_tiles, tile_group, num_hubs, late_tiles, BS: gl.constexpr,
                             TRANSPOSE_W: gl.constexpr, HAS_BIAS: gl.constexpr, STAGES: gl.constexpr,
                             PERSISTENT: gl.constexpr, PRODUCER_REGISTERS: gl.constexpr, num_warps: gl.constexpr):
    """A program per work item (a batch tile's segment), or PERSISTENT: a program per SM taking items from
    ``counter_ptr`` (zero at launch), with an output tile buffer of its own so its store overlaps the next item."""
    x_ring = gl.allocate_shared_memory(x_desc.dtype, [STAGES] + x_desc.block_type.shape, x_desc.layout)
    w_ring = gl.allocate_shared_memory(w_desc.dtype, [STAGES] + w_desc.block_type.shape, w_desc.layout)
    empty, ready = init_ring(STAGES)
    if PERSISTENT:
        y_smem = gl.allocate_shared_memory(y_desc.dtype, y_desc.block_type.shape, y_desc.layout)
        queue = gl.allocate_shared_memory(gl.int32, [QUEUE_DEPTH, 32], gl.SwizzledSharedLayout(1, 1, 1, [0]))
        posted, taken = stage_barriers(QUEUE_DEPTH), stage_barriers(QUEUE_DEPTH)
        gl.warp_specialize([
            (consume_dsd_persistent, (x_ring, w_ring, empty, ready, queue, posted, taken, y_desc, y_smem, bias_ptr,
                                      BS, TRANSPOSE_W, HAS_BIAS, num_warps)),
            (produce_dsd_persistent, (x_desc, w_desc, x_ring, w_ring, empty, ready, queue, posted, taken,
                                      counter_ptr, seg_idx_ptr, seg_blk_ptr, launch_ptr, num_segs, num_tiles,
                                      tile_group, num_hubs, late_tiles, BS, TRANSPOSE_W)),
        ], [1], [PRODUCER_REGISTERS])
    else:
        # The program's one item: once its MMAs are done the x ring is idle and holds the output tile.
        y_smem = x_ring._reinterpret(y_desc.dtype, y_desc.block_type.shape, y_desc.layout)
        gl.warp_specialize([
            (consume_dsd, (x_ring, w_ring, empty, ready, y_desc, y_smem, bias_ptr, launch_ptr, num_segs, num_tiles,
                           tile_group, num_hubs, late_tiles, BS, TRANSPOSE_W, HAS_BIAS, num_warps)),
            (produce_dsd, (x_desc, w_desc, x_ring, w_ring, empty, ready, seg_idx_ptr, seg_blk_ptr, launch_ptr,
                           num_segs, num_tiles, tile_group, num_hubs, late_tiles, BS, TRANSPOSE_W)),
        ], [1], [PRODUCER_REGISTERS])


# -- paired dsd: two segments sharing their x tiles ---------------------------------------------------------------
# At block 64 a WIDE program reads a 32 KB x tile for every 8 KB weight step: x-tile reads from L2 set its pace.
# A SEGMENT_PAIRS program owns two segments (``layout.segment_pairs``) and walks the union of their input blocks:
# one x tile a step feeds both segments' MMAs where both have a block there. Each segment has a consumer warpgroup
# of its own (a partition), which skips the steps its segment has no block at.


@gluon.jit
def pair_work(item, launch_ptr, num_pairs):
    """(launch row, batch tile) of work item ``item``: output pairs fastest, so programs running together
    share x."""
    return launch_ptr + (item % num_pairs) * LAUNCH_WIDTH, item // num_pairs


@gluon.jit
def produce_pair_steps(x_desc, w_desc, x_ring, w_ring, empty, ready, pair_idx_ptr, pair_blk_ptr, tile, start, count,
                       done, BS: gl.constexpr, TRANSPOSE_W: gl.constexpr):
    """Per merged entry from ``start`` and K step, the x tile and the weight step of each segment with a block
    there (ring stage s holds segment a's step in w_ring[2s], b's in w_ring[2s + 1]); ``done`` steps went
    through the ring before."""
    STAGES: gl.constexpr = x_ring.shape[0]
    BB: gl.constexpr = x_desc.block_type.shape[0]
    BK: gl.constexpr = x_desc.block_type.shape[1]
    KS: gl.constexpr = BS // BK
    for j in range(count * KS):
        entry = start + j // KS
        k0 = (j % KS) * BK
        col = gl.load(pair_idx_ptr + entry)
        blk_a = gl.load(pair_blk_ptr + 2 * entry)
        blk_b = gl.load(pair_blk_ptr + 2 * entry + 1)
        s, phase = ring_slot(done + j, STAGES)
        mbarrier.wait(empty.index(s), phase ^ 1)
        bar = ready.index(s)
        both = (blk_a >= 0) & (blk_b >= 0)  # else one of them: a merged entry has a block in a or b
        mbarrier.expect(bar, x_desc.block_type.nbytes + w_desc.block_type.nbytes, pred=(blk_a < 0) | (blk_b < 0))
        mbarrier.expect(bar, x_desc.block_type.nbytes + 2 * w_desc.block_type.nbytes, pred=both)
        load_block_step(w_desc, blk_a, k0, bar, w_ring.index(2 * s), BS, TRANSPOSE_W, pred=blk_a >= 0)
        load_block_step(w_desc, blk_b, k0, bar, w_ring.index(2 * s + 1), BS, TRANSPOSE_W, pred=blk_b >= 0)
        tma.async_copy_global_to_shared(x_desc, [tile * BB, col * BS + k0], bar, x_ring.index(s))
    return done + count * KS


@gluon.jit
def consume_pair_steps(x_ring, w_ring, empty, ready, pair_blk_ptr, start, count, done, layout: gl.constexpr,
                       BS: gl.constexpr, TRANSPOSE_W: gl.constexpr, SIDE: gl.constexpr):
    """One segment's side of a pair item: acc (BS outputs x BB batch rows) += its block step @ x tile^T at the
    steps it has a block, each stage released once the MMA reading it has retired (the item's last at the end).
    Returns the accumulator and the ring's step count after the item."""
    STAGES: gl.constexpr = x_ring.shape[0]
    BB: gl.constexpr = x_ring.shape[1]
    BK: gl.constexpr = x_ring.shape[2]
    KS: gl.constexpr = BS // BK
    acc = gl.zeros((BS, BB), dtype=gl.float32, layout=layout)
    steps = count * KS
    for j in range(steps):
        blk = gl.load(pair_blk_ptr + 2 * (start + j // KS) + SIDE)
        s, phase = ring_slot(done + j, STAGES)
        mbarrier.wait(ready.index(s), phase)
        if blk >= 0:
            a = block_operand(w_ring.index(2 * s + SIDE), TRANSPOSE_W)
            acc = warpgroup_mma(a, x_ring.index(s).permute((1, 0)), acc, is_async=True)
            acc = warpgroup_mma_wait(num_outstanding=1, deps=(acc,))  # the step before's MMA has retired
        else:
            acc = warpgroup_mma_wait(num_outstanding=0, deps=(acc,))
        retire_previous(empty, done + j, STAGES, done)
    acc = warpgroup_mma_wait(num_outstanding=0, deps=(acc,))
    retire_previous(empty, done + steps, STAGES, done)  # the last MMA's stage
    return acc, done + steps


@gluon.jit
def produce_pairs(x_desc, w_desc, x_ring, w_ring, empty, ready, pair_idx_ptr, pair_blk_ptr, launch_ptr, num_pairs,
                  BS: gl.constexpr, TRANSPOSE_W: gl.constexpr):
    """Producer warp of a program owning one pair item: its program id."""
    row, tile = pair_work(gl.program_id(0), launch_ptr, num_pairs)
    produce_pair_steps(x_desc, w_desc, x_ring, w_ring, empty, ready, pair_idx_ptr, pair_blk_ptr, tile,
                       gl.load(row + 2), gl.load(row + 3), 0, BS, TRANSPOSE_W)


@gluon.jit
def consume_pair(x_ring, w_ring, empty, ready, finished, y_desc, bias_ptr, pair_blk_ptr, launch_ptr, num_pairs,
                 BS: gl.constexpr, TRANSPOSE_W: gl.constexpr, HAS_BIAS: gl.constexpr, SIDE: gl.constexpr):
    """One segment's consumer warpgroup (SIDE 0: segment a, 1: b) of a program owning one pair item; once both
    warpgroups are done, its output tile leaves through the x ring (idle then): the first or second half of it."""
    BB: gl.constexpr = x_ring.shape[1]
    layout: gl.constexpr = mma_layout(BS, BB, gl.num_warps(), x_ring.dtype.primitive_bitwidth)
    row, tile = pair_work(gl.program_id(0), launch_ptr, num_pairs)
    seg = gl.load(row + SIDE)
    acc, done = consume_pair_steps(x_ring, w_ring, empty, ready, pair_blk_ptr, gl.load(row + 2), gl.load(row + 3),
                                   0, layout, BS, TRANSPOSE_W, SIDE)
    mbarrier.arrive(finished, count=1)
    mbarrier.wait(finished, 0)  # both warpgroups' MMAs are done: the x ring is idle
    if seg >= 0:
        # the ring as two output tiles, one a warpgroup (the launcher checked it holds both)
        y_smem = x_ring._reinterpret(y_desc.dtype, [2] + y_desc.block_type.shape, y_desc.layout).index(SIDE)
        store_output(acc, layout, y_desc, y_smem, bias_ptr, seg, tile, HAS_BIAS)
        tma.store_wait(pendings=0)


# Persistent pair programs: a program per SM whose producer takes pair items (launch row, batch tile) in order
# from a global counter and posts them through the queue ([launch row, batch tile], row -1 at the end), as the
# one-segment persistent program does; each consumer warpgroup stores its side's tile from a buffer of its own,
# under the next item's MMAs, instead of through the idle x ring.


@gluon.jit
def produce_pairs_persistent(x_desc, w_desc, x_ring, w_ring, empty, ready, queue, posted, taken, counter_ptr,
                             pair_idx_ptr, pair_blk_ptr, launch_ptr, num_pairs, num_tiles, BS: gl.constexpr,
                             TRANSPOSE_W: gl.constexpr):
    """Producer warp: take an item, post it, load its steps (the next ticket taken before the loads)."""
    items = num_tiles * num_pairs
    item = take_ticket(counter_ptr)
    k = 0
    done = 0
    while item < items:
        following = take_ticket(counter_ptr)
        row, tile = pair_work(item, launch_ptr, num_pairs)
        post_item(queue, posted, taken, k, item % num_pairs, tile, 0)
        done = produce_pair_steps(x_desc, w_desc, x_ring, w_ring, empty, ready, pair_idx_ptr, pair_blk_ptr, tile,
                                  gl.load(row + 2), gl.load(row + 3), done, BS, TRANSPOSE_W)
        k += 1
        item = following
    post_item(queue, posted, taken, k, -1, 0, 0)


@gluon.jit
def consume_pairs_persistent(x_ring, w_ring, empty, ready, queue, posted, taken, y_desc, y_bufs, bias_ptr,
                             pair_blk_ptr, launch_ptr, BS: gl.constexpr, TRANSPOSE_W: gl.constexpr,
                             HAS_BIAS: gl.constexpr, SIDE: gl.constexpr):
    """One segment side's consumer warpgroup: the posted items in turn, each output tile stored from its own
    buffer ``y_bufs[SIDE]`` under the next item's MMAs."""
    BB: gl.constexpr = x_ring.shape[1]
    layout: gl.constexpr = mma_layout(BS, BB, gl.num_warps(), x_ring.dtype.primitive_bitwidth)
    y_smem = y_bufs.index(SIDE)
    k = 0
    done = 0
    slot, tile, unused = fetch_item(queue, posted, taken, k, gl.num_warps())
    while slot >= 0:
        row = launch_ptr + slot * LAUNCH_WIDTH
        seg = gl.load(row + SIDE)
        acc, done = consume_pair_steps(x_ring, w_ring, empty, ready, pair_blk_ptr, gl.load(row + 2),
                                       gl.load(row + 3), done, layout, BS, TRANSPOSE_W, SIDE)
        if seg >= 0:
            store_output(acc, layout, y_desc, y_smem, bias_ptr, seg, tile, HAS_BIAS)
        k += 1
        slot, tile, unused = fetch_item(queue, posted, taken, k, gl.num_warps())
    tma.store_wait(pendings=0)


@gluon.jit
def linear_dsd_pairs_kernel(x_desc, w_desc, y_desc, bias_ptr, pair_idx_ptr, pair_blk_ptr, launch_ptr, counter_ptr,
                            num_pairs, num_tiles, BS: gl.constexpr, TRANSPOSE_W: gl.constexpr,
                            HAS_BIAS: gl.constexpr, STAGES: gl.constexpr, PERSISTENT: gl.constexpr,
                            PRODUCER_REGISTERS: gl.constexpr, CONSUMER_REGISTERS: gl.constexpr,
                            num_warps: gl.constexpr):
    """A program per (batch tile, segment pair), or PERSISTENT: a program per SM taking pair items from
    ``counter_ptr`` (zero at launch). The default partition is segment a's consumer warpgroup, the workers
    segment b's and the producer."""
    x_ring = gl.allocate_shared_memory(x_desc.dtype, [STAGES] + x_desc.block_type.shape, x_desc.layout)
    w_ring = gl.allocate_shared_memory(w_desc.dtype, [2 * STAGES] + w_desc.block_type.shape, w_desc.layout)
    empty, ready = init_ring(STAGES, 2)
    if PERSISTENT:
        y_bufs = gl.allocate_shared_memory(y_desc.dtype, [2] + y_desc.block_type.shape, y_desc.layout)
        queue = gl.allocate_shared_memory(gl.int32, [QUEUE_DEPTH, 32], gl.SwizzledSharedLayout(1, 1, 1, [0]))
        posted, taken = stage_barriers(QUEUE_DEPTH), stage_barriers(QUEUE_DEPTH, 2)  # both consumers take it
        gl.warp_specialize([
            (consume_pairs_persistent, (x_ring, w_ring, empty, ready, queue, posted, taken, y_desc, y_bufs,
                                        bias_ptr, pair_blk_ptr, launch_ptr, BS, TRANSPOSE_W, HAS_BIAS, 0)),
            (consume_pairs_persistent, (x_ring, w_ring, empty, ready, queue, posted, taken, y_desc, y_bufs,
                                        bias_ptr, pair_blk_ptr, launch_ptr, BS, TRANSPOSE_W, HAS_BIAS, 1)),
            (produce_pairs_persistent, (x_desc, w_desc, x_ring, w_ring, empty, ready, queue, posted, taken,
                                        counter_ptr, pair_idx_ptr, pair_blk_ptr, launch_ptr, num_pairs, num_tiles,
                                        BS, TRANSPOSE_W)),
        ], [4, 1], [CONSUMER_REGISTERS, PRODUCER_REGISTERS])
    else:
        finished = stage_barriers(1, 2).index(0)
        gl.warp_specialize([
            (consume_pair, (x_ring, w_ring, empty, ready, finished, y_desc, bias_ptr, pair_blk_ptr, launch_ptr,
                            num_pairs, BS, TRANSPOSE_W, HAS_BIAS, 0)),
            (consume_pair, (x_ring, w_ring, empty, ready, finished, y_desc, bias_ptr, pair_blk_ptr, launch_ptr,
                            num_pairs, BS, TRANSPOSE_W, HAS_BIAS, 1)),
            (produce_pairs, (x_desc, w_desc, x_ring, w_ring, empty, ready, pair_idx_ptr, pair_blk_ptr, launch_ptr,
                             num_pairs, BS, TRANSPOSE_W)),
        ], [4, 1], [CONSUMER_REGISTERS, PRODUCER_REGISTERS])


# -- sdd: dW ----------------------------------------------------------------------------------------------------


@gluon.jit
def produce_dw(dy_desc, x_desc, dy_ring, x_ring, empty, ready, row_ptr, block_cols_ptr, row, first, step0, steps,
               BS: gl.constexpr, GROUP: gl.constexpr):
    """Producer warp: per batch step (128 bytes of rows) of the ``steps`` from ``step0``, dY's row block and the
    group's GROUP x column blocks, as (BK, BS) tiles of the row-major operands."""
    STAGES: gl.constexpr = dy_ring.shape[0]
    BK: gl.constexpr = dy_desc.block_type.shape[0]
    row_end = gl.load(row_ptr + row + 1)
    for step in range(steps):
        s, phase = ring_slot(step, STAGES)
        mbarrier.wait(empty.index(s), phase ^ 1)
        bar = ready.index(s)
        mbarrier.expect(bar, dy_desc.block_type.nbytes + GROUP * x_desc.block_type.nbytes)
        k = (step0 + step) * BK  # batch rows past M read as zeros
        tma.async_copy_global_to_shared(dy_desc, [k, row * BS], bar, dy_ring.index(s))
        for g in gl.static_range(GROUP):
            # a group running past its row's end loads the row's last block again; that result is not stored
            col = gl.load(block_cols_ptr + gl.minimum(first + g, row_end - 1))
            tma.async_copy_global_to_shared(x_desc, [k, col * BS], bar, x_ring.index(s * GROUP + g))


@gluon.jit
def turn_dy(dy_ring, dyt_ring, ready, turned, steps):
    """TF32 on row-major operands: this partition turns each stage's dY tile (BK, BS) into a K-major (BS, BK)
    copy in shared memory (TF32 wgmma reads its B operand K-major only), then marks it ``turned``."""
    STAGES: gl.constexpr = dy_ring.shape[0]
    # 4 x 4 elements a thread: 16-byte reads of dY's rows and 16-byte writes of the turned tile's rows
    layout: gl.constexpr = gl.BlockedLayout([4, 4], [8, 4], [1, gl.num_warps()], [1, 0])
    for step in range(steps):
        s, phase = ring_slot(step, STAGES)
        mbarrier.wait(ready.index(s), phase)
        tile = dy_ring.index(s).load(layout)
        dyt_ring.index(s).permute((1, 0)).store(tile)
        fence_async_shared()
        mbarrier.arrive(turned.index(s), count=1)


@gluon.jit
def wide_x_ring(x_ring, GROUP: gl.constexpr):
    """The ring's STAGES * GROUP row-major (BK, BS) x tiles as STAGES (BK, GROUP * BS) tiles: a 128-byte
    swizzled tile is stored as its 128-byte column slices one after another, so each stage's GROUP tiles read
    as one operand."""
    STAGES: gl.constexpr = x_ring.shape[0] // GROUP
    shape: gl.constexpr = [x_ring.shape[1], GROUP * x_ring.shape[2]]
    layout: gl.constexpr = gl.NVMMASharedLayout.get_default_for(shape, x_ring.dtype)
    return x_ring._reinterpret(x_ring.dtype, [STAGES] + shape, layout)


@gluon.jit
def store_dw(out, layout: gl.constexpr, dw_ptr, row_ptr, row, first, offset, BS: gl.constexpr,
             TURNED: gl.constexpr):
    """Store a group's tile: (BS, GROUP * BS), dY's block rows by the GROUP blocks side by side, or TURNED
    (x's columns from ``offset`` in the group, BS)."""
    row_end = gl.load(row_ptr + row + 1)
    if TURNED:
        offs_j = offset + gl.arange(0, out.shape[0], layout=gl.SliceLayout(1, layout))  # x's side
        offs_i = gl.arange(0, BS, layout=gl.SliceLayout(0, layout))  # dY's side: the block's rows
        blk = first + offs_j // BS
        ptrs = dw_ptr + (blk.to(gl.int64) * BS * BS + offs_j % BS)[:, None] + offs_i[None, :] * BS
        gl.store(ptrs, out, mask=(blk < row_end)[:, None])
    else:
        offs_i = gl.arange(0, BS, layout=gl.SliceLayout(1, layout))
        offs_j = gl.arange(0, out.shape[1], layout=gl.SliceLayout(0, layout))
        blk = first + offs_j // BS
        ptrs = dw_ptr + (blk.to(gl.int64) * BS * BS + offs_j % BS)[None, :] + offs_i[:, None] * BS
        gl.store(ptrs, out, mask=(blk < row_end)[None, :])


@gluon.jit
def consume_dw(dy_ring, x_ring, empty, ready, dw_ptr, row_ptr, row, first, steps, partial_ptr, count_ptr, unit,
               units, split, splits, BS: gl.constexpr, GROUP: gl.constexpr, num_warps: gl.constexpr):
    """16-bit consumer warpgroups: acc (BS, GROUP * BS) += dY step^T @ (the GROUP x steps side by side), both
    read from shared memory turned (wgmma reads 16-bit operands either way), then the GROUP blocks are stored
    (a group split over the batch in ``splits``: by the split that finishes last, ``split_done``; ``unit``: the
    group's place among the ``units`` split ones; ``units`` 0: this group is whole). Passing a per-program split
    count here instead of the kernel's (specialised) ``splits`` crashed the compiler (an LLVM assertion in
    ConvertTritonGPUToLLVM) on the unsplit kernel."""
    STAGES: gl.constexpr = dy_ring.shape[0]
    layout: gl.constexpr = mma_layout(BS, GROUP * BS, num_warps, x_ring.dtype.primitive_bitwidth)
    wide_ring = wide_x_ring(x_ring, GROUP)
    acc = gl.zeros((BS, GROUP * BS), dtype=gl.float32, layout=layout)
    for step in range(steps):
        s, phase = ring_slot(step, STAGES)
        mbarrier.wait(ready.index(s), phase)
        acc = warpgroup_mma(dy_ring.index(s).permute((1, 0)), wide_ring.index(s), acc, is_async=True)
        acc = warpgroup_mma_wait(num_outstanding=1, deps=(acc,))
        retire_previous(empty, step, STAGES)
    acc = warpgroup_mma_wait(num_outstanding=0, deps=(acc,))
    if splits > 1 and units > 0:  # (no such branch where ``splits`` is specialised at 1)
        if split_done(acc, layout, partial_ptr, count_ptr, unit, units, split, splits):
            store_dw_rows(sum_of_splits(layout, BS, GROUP * BS, partial_ptr, unit, units, splits), dw_ptr, row_ptr,
                          row, first, BS, num_warps)
    else:
        store_dw_rows(acc, dw_ptr, row_ptr, row, first, BS, num_warps)


@gluon.jit
def store_dw_rows(acc, dw_ptr, row_ptr, row, first, BS: gl.constexpr, num_warps: gl.constexpr):
    """``store_dw`` of a 16-bit consumer's (BS, GROUP * BS) fp32 tile, cast and laid out for 16-byte stores."""
    store_layout: gl.constexpr = gl.BlockedLayout([1, 8], [4, 8], [num_warps, 1], [1, 0])
    store_dw(gl.convert_layout(acc.to(dw_ptr.dtype.element_ty), store_layout), store_layout, dw_ptr, row_ptr, row,
             first, 0, BS, False)


# dW split over the batch (``linear_hopper.dw_splits``): a program per group leaves SMs idle where the groups, or
# those of the last round, fill few of them (36 pairs at 2048^2, d = 0.25, on 132 SMs). The groups from
# ``split_first`` on run as programs (split, group), splits slowest, so the programs running together read the same
# batch rows; each writes its fp32 tile to a workspace and counts itself in; the one that counts last sums the tiles
# in split order (the same sum whichever finishes last) and stores the blocks.


@gluon.jit
def tile_offsets(layout: gl.constexpr, R: gl.constexpr, C: gl.constexpr):
    """Offsets of an (R, C) row-major tile's elements, in ``layout``."""
    r = gl.arange(0, R, layout=gl.SliceLayout(1, layout))
    c = gl.arange(0, C, layout=gl.SliceLayout(0, layout))
    return r[:, None] * C + c[None, :]


@gluon.jit
def count_arrival(count_ptr):
    """Add one to ``count_ptr`` (one thread's atomic, after every warp of the partition got here) and return the
    count before it, in every thread: the split's place in the order the splits finished."""
    warps: gl.constexpr = gl.num_warps()
    lanes = gl.arange(0, 32 * warps, layout=gl.BlockedLayout([1], [32], [warps], [0]))
    gl.thread_barrier()  # the partition's stores before the count that releases them
    old = gl.atomic_add(count_ptr + lanes * 0, lanes * 0 + 1, mask=lanes == 0, sem="acq_rel", scope="gpu")
    return gl.reduce(gl.where(lanes == 0, old, 0), 0, add)


@gluon.jit
def split_done(acc, layout: gl.constexpr, partial_ptr, count_ptr, unit, units, split, splits):
    """One split of output tile ``unit`` (of ``units``) done: its fp32 tile to the workspace ``partial_ptr``
    (splits, units, R, C), and counted in on ``count_ptr[unit]``; true for the split that counts last."""
    R: gl.constexpr = acc.shape[0]
    C: gl.constexpr = acc.shape[1]
    gl.store(partial_ptr + (split * units + unit).to(gl.int64) * (R * C) + tile_offsets(layout, R, C), acc)
    return count_arrival(count_ptr + unit) == splits - 1


@gluon.jit
def sum_of_splits(layout: gl.constexpr, R: gl.constexpr, C: gl.constexpr, partial_ptr, unit, units, splits):
    """Output tile ``unit``: every split's tile from the workspace (read past L1), summed in split order, so the
    sum is the same whichever split finished last. (The last split's own tile is read back too: holding it in
    registers beside the sum took 256 registers a thread, and ptxas spilled.)"""
    offs = tile_offsets(layout, R, C)
    total = gl.zeros((R, C), dtype=gl.float32, layout=layout)
    for t in range(splits):
        total += gl.load(partial_ptr + (t * units + unit).to(gl.int64) * (R * C) + offs, cache_modifier=".cg")
    return total


@gluon.jit
def consume_dw_turned(x_ring, dyt_ring, empty, ready, turned, dw_ptr, row_ptr, row, first, steps, BS: gl.constexpr,
                      GROUP: gl.constexpr, HALF: gl.constexpr):
    """TF32 on row-major operands, one of two consumer warpgroups, each a partition of its own: acc^T (half of
    the GROUP * BS columns of x, BS) += its x columns' step^T, read into registers, @ dY's step turned K-major
    by ``turn_dy``.

    wgmma reads a register A while it runs, and ptxas does not keep the next step's load off those registers
    (with one MMA left in flight the SASS reloaded them under it, and single blocks at 8192 rows came out
    wrong). So each step's MMA completes before the next load; the two warpgroups are separate partitions so
    that one's MMA runs while the other loads (in one partition, barriers kept them in step)."""
    STAGES: gl.constexpr = dyt_ring.shape[0]
    ROWS: gl.constexpr = GROUP * BS // 2
    layout: gl.constexpr = mma_layout(ROWS, BS, gl.num_warps(), 32)
    a_layout: gl.constexpr = gl.DotOperandLayout(operand_index=0, parent=layout, k_width=1)
    wide_ring = wide_x_ring(x_ring, GROUP)
    acc = gl.zeros((ROWS, BS), dtype=gl.float32, layout=layout)
    for step in range(steps):
        s, phase = ring_slot(step, STAGES)
        mbarrier.wait(ready.index(s), phase)
        a = wide_ring.index(s).slice(HALF * ROWS, ROWS, dim=1).permute((1, 0)).load(a_layout)
        mbarrier.wait(turned.index(s), phase)
        acc = warpgroup_mma(a, dyt_ring.index(s).permute((1, 0)), acc, is_async=True)
        acc = warpgroup_mma_wait(num_outstanding=0, deps=(acc,))
        mbarrier.arrive(empty.index(s), count=1)  # the stage's empty barrier counts both warpgroups
    store_dw(acc, layout, dw_ptr, row_ptr, row, first, HALF * ROWS, BS, True)


# Triton specialises ``splits`` == 1, so the unsplit kernel compiles without the splits' epilogue (unspecialised it
# ran 0.978-0.997x of the kernel before the splits; tuning/h100-2026-11-27q-probe-dw-against-old.log); the price is
# one more compile the first time a layout splits. ``split_first`` moves with the layout: unspecialised.
@gluon.jit(do_not_specialize=["split_first"])
def linear_sdd_hopper_kernel(dy_desc, x_desc, dw_ptr, row_ptr, block_cols_ptr, group_first_ptr, group_rows_ptr, M,
                             partial_ptr, count_ptr, split_first, splits, BS: gl.constexpr, GROUP: gl.constexpr,
                             STAGES: gl.constexpr, PRODUCER_REGISTERS: gl.constexpr, TURN_REGISTERS: gl.constexpr,
                             CONSUMER_REGISTERS: gl.constexpr, num_warps: gl.constexpr):
    """A program per group before ``split_first``, over the whole batch; from it on, a program per (split, group):
    the group's blocks over the split's share of the batch steps, splits slowest (``split_done``)."""
    # the program's group, whole (no split units) ...
    group = gl.program_id(0)
    unit = 0
    units = 0
    split = 0
    step0 = 0
    steps = gl.cdiv(M, dy_desc.block_type.shape[0])
    if splits > 1:  # ... unless it is one of the splits (no such branch where ``splits`` is specialised at 1)
        tail = gl.program_id(0) - split_first
        if tail >= 0:
            units = (gl.num_programs(0) - split_first) // splits
            unit = tail % units
            group = split_first + unit
            split = tail // units
            share = gl.cdiv(steps, splits)
            step0 = split * share
            steps = gl.maximum(gl.minimum(share, steps - step0), 0)  # the last splits may have fewer, or none
    first = gl.load(group_first_ptr + group)
    row = gl.load(group_rows_ptr + group)
    dy_ring = gl.allocate_shared_memory(dy_desc.dtype, [STAGES] + dy_desc.block_type.shape, dy_desc.layout)
    x_ring = gl.allocate_shared_memory(x_desc.dtype, [STAGES * GROUP] + x_desc.block_type.shape, x_desc.layout)
    # TF32, see consume_dw_turned: 4 + 4 consumer warps, producer, 4 turning warps. Unsplit (``linear_sdd_hopper``):
    # its consumers compiled with the splits' epilogue spilled (4 bytes; none without), and unsplit it reached
    # 0.88-1.00 of cuBLAS per nonzero at d = 0.05-0.5 (session16-full).
    if dy_desc.dtype == gl.float32:
        BK: gl.constexpr = dy_desc.block_type.shape[0]
        dyt_layout: gl.constexpr = gl.NVMMASharedLayout.get_default_for([BS, BK], dy_desc.dtype)
        dyt_ring = gl.allocate_shared_memory(dy_desc.dtype, [STAGES, BS, BK], dyt_layout)
        empty, ready = init_ring(STAGES, 2)
        turned = stage_barriers(STAGES)  # dY's step turned (turn_dy)
        gl.warp_specialize([
            (consume_dw_turned, (x_ring, dyt_ring, empty, ready, turned, dw_ptr, row_ptr, row, first, steps, BS,
                                 GROUP, 0)),
            (consume_dw_turned, (x_ring, dyt_ring, empty, ready, turned, dw_ptr, row_ptr, row, first, steps, BS,
                                 GROUP, 1)),
            (produce_dw, (dy_desc, x_desc, dy_ring, x_ring, empty, ready, row_ptr, block_cols_ptr, row, first, step0,
                          steps, BS, GROUP)),
            (turn_dy, (dy_ring, dyt_ring, ready, turned, steps)),
        ], [4, 1, 4], [CONSUMER_REGISTERS, PRODUCER_REGISTERS, TURN_REGISTERS])
    else:
        empty, ready = init_ring(STAGES)
        gl.warp_specialize([
            (consume_dw, (dy_ring, x_ring, empty, ready, dw_ptr, row_ptr, row, first, steps, partial_ptr, count_ptr,
                          unit, units, split, splits, BS, GROUP, num_warps)),
            (produce_dw, (dy_desc, x_desc, dy_ring, x_ring, empty, ready, row_ptr, block_cols_ptr, row, first, step0,
                          steps, BS, GROUP)),
        ], [1], [PRODUCER_REGISTERS])
