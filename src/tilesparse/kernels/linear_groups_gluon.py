"""Block-32 and block-16 forward/dX on segment groups (Gluon, Hopper): the kernel behind
``linear_hopper.linear_dsd_hopper_groups``.

At block 32 an x tile read from L2 feeds one 32-wide block: 2 x 32 flops per element loaded, so the Triton kernel
runs at the L2's pace (0.28-0.32 of cuBLAS at 8192^2, batch 8192). A program here owns G output segments
(``layout.segment_groups``, grouped by shared input blocks) and walks the union of their input blocks: each x tile
is loaded once for the whole group.

Each step multiplies the x tile by the group's G blocks side by side, one wgmma of N = G x 32 (the wgmma's M is
the batch); a segment with no block at that input block gets a slot the producer zeroed. That spends tensor time
on zeros, meant to hide under the L2 reads (groups of 4 at 256 batch rows: 4 x 128 cycles of MMA a step against
16 KB + 2 KB a block from L2). A first version skipped absent blocks with one MMA a segment in a branch each:
ptxas then reused the second K step's operand descriptor computed in one branch in the next (SASS of the default
partition), so a segment after an absent one read a stale x address.

Two consumer warpgroups, each a partition, own one half of the batch tile's rows: a (ROWS, G x BS) fp32
accumulator each (128 registers a thread: N = G x BS = 128 at 256 rows, 256 at 128). Block 16 runs groups of 8
(N = 128). Two or four producer warps issue the copies, taking the entries in turn: with one, the producer's
own instruction stream (zero stores, a proxy fence, G predicated expects and copies a step) set the pace (ncu,
scripts/profile_groups.py). At 16-bit block 16 the x tiles come from their images (kernels/tile_image.py): a
256-row box of 32-byte rows costs one L2 tag lookup a row (docs/performance.md, fourteenth session).
"""

from __future__ import annotations

from triton.experimental import gluon
from triton.experimental.gluon import language as gl
from triton.experimental.gluon.language.nvidia.ampere import async_copy
from triton.experimental.gluon.language.nvidia.hopper import (
    fence_async_shared,
    mbarrier,
    tma,
    warpgroup_mma,
    warpgroup_mma_wait,
)

from .linear_hopper_gluon import (
    add,
    column_halves,
    column_quarters,
    init_ring,
    lane_value,
    mma_layout,
    retire_previous,
    ring_slot,
    stage_barriers,
)

INDEX_CHUNK = gl.constexpr(32)  # merged entries a cp.async chunk of the producer's index buffers: a lane an entry


@gluon.constexpr_function
def x_tile_rows(box, block):
    """Batch rows of the x tile a box of ``x_desc`` holds: the tile's (rows, block), or its image's elements."""
    return box[0] * box[1] // block


@gluon.jit
def group_work(launch_ptr, num_groups, G: gl.constexpr):
    """(launch row, batch tile, first merged entry, merged entries) of this program: groups fastest, so programs
    running together share x."""
    pid = gl.program_id(0)
    row = launch_ptr + (pid % num_groups) * (G + 2)
    return row, pid // num_groups, gl.load(row + G), gl.load(row + G + 1)


@gluon.jit
def produce_entry(x_desc, w_desc, x_ring, w_ring, empty, ready, blks, col, lanes, tile, step, col_tiles,
                  G: gl.constexpr, X_IMAGE: gl.constexpr):
    """Ring stage ``step``: the x tile at input block ``col`` and the G blocks ``blks`` (segment g's in
    w_ring[s * G + g]) by TMA. The producer stores zeros into an absent block's (-1) slot, then a proxy fence; the
    stage's byte count goes through one of G predicated expects (an expect's count is fixed at compile time).
    Reading absent blocks as a box outside the blocks, which TMA fills with zeros, was slower: 0.97x at 16-bit
    block 32 with one producer warp, 0.80x at block 16 (scripts/probe_groups.py), and behind the stores at every
    density with two or four producers; a box out of bounds took TMA longer than a loaded one
    (scripts/probe_tma_rate.py)."""
    STAGES: gl.constexpr = x_ring.shape[0]
    BS: gl.constexpr = w_desc.block_type.shape[0]
    BB: gl.constexpr = x_ring.shape[1]
    s, phase = ring_slot(step, STAGES)
    mbarrier.wait(empty.index(s), phase ^ 1)
    bar = ready.index(s)
    zero_layout: gl.constexpr = gl.BlockedLayout([BS // 8, BS // 4], [8, 4], [1, 1], [1, 0])
    present = gl.reduce((blks >= 0).to(gl.int32), 0, add)
    for g in gl.static_range(G):
        if lane_value(blks, lanes, g) < 0:
            w_ring.index(s * G + g).store(gl.zeros([BS, BS], w_desc.dtype, layout=zero_layout))
    fence_async_shared()
    for n in gl.static_range(1, G + 1):  # a merged entry has a block in at least one segment
        mbarrier.expect(bar, x_desc.block_type.nbytes + n * w_desc.block_type.nbytes, pred=present == n)
    for g in gl.static_range(G):
        blk = lane_value(blks, lanes, g)
        tma.async_copy_global_to_shared(w_desc, [blk * BS, 0], bar, w_ring.index(s * G + g), pred=blk >= 0)
    if X_IMAGE:  # the tile's image (kernels/tile_image.py): its bytes as unswizzled rows, in swizzled order
        image = x_ring.index(s)._reinterpret(x_desc.dtype, x_desc.block_type.shape, x_desc.layout)
        tma.async_copy_global_to_shared(x_desc, [(tile * col_tiles + col) * x_desc.block_type.shape[0], 0], bar,
                                        image)
    else:
        tma.async_copy_global_to_shared(x_desc, [tile * BB, col * BS], bar, x_ring.index(s))


@gluon.jit
def fetch_entries(blk_buf, col_buf, group_blk_ptr, group_idx_ptr, start, first, count, G: gl.constexpr,
                  PRODUCER: gl.constexpr, PRODUCERS: gl.constexpr):
    """Start copying (cp.async, no registers held) the indices of this producer's entries first..first + CHUNK - 1
    (its own numbering: entry i is the group's PRODUCER + i x PRODUCERS; those below ``count``, zeros past it)
    into one slot of its index buffers, as one commit group."""
    CHUNK: gl.constexpr = col_buf.shape[0]
    rows_layout: gl.constexpr = gl.BlockedLayout([1, G], [32, 1], [1, 1], [1, 0])  # a lane an entry
    rows = PRODUCER + PRODUCERS * (first + gl.arange(0, CHUNK, layout=gl.SliceLayout(1, rows_layout)))
    sides = gl.arange(0, G, layout=gl.SliceLayout(0, rows_layout))
    async_copy.async_copy_global_to_shared(blk_buf, group_blk_ptr + (start + rows)[:, None] * G + sides[None, :],
                                           mask=(rows < count)[:, None])
    col_layout: gl.constexpr = gl.BlockedLayout([1, 1], [32, 1], [1, 1], [1, 0])
    col_rows = PRODUCER + PRODUCERS * (first + gl.arange(0, CHUNK, layout=gl.SliceLayout(1, col_layout)))
    async_copy.async_copy_global_to_shared(col_buf, (group_idx_ptr + start + col_rows)[:, None],
                                           mask=(col_rows < count)[:, None])
    async_copy.commit_group()


@gluon.jit
def produce_groups(x_desc, w_desc, x_ring, w_ring, empty, ready, blk_bufs, col_bufs, group_idx_ptr, group_blk_ptr,
                   launch_ptr, num_groups, col_tiles, G: gl.constexpr, X_IMAGE: gl.constexpr,
                   PRODUCER: gl.constexpr, PRODUCERS: gl.constexpr):
    """Producer warp PRODUCER of PRODUCERS: a ring stage per merged entry (``produce_entry``), the group's entries
    PRODUCER, PRODUCER + PRODUCERS, ..., their indices read from shared memory (its own buffers), where cp.async
    brings them a chunk at a time, two chunks ahead. Indices loaded into registers (one or two entries ahead) were
    waited for in the iteration that loaded them: ptxas moves a loop-carried index into a uniform register (R2UR,
    for the TMA coordinates) right after its load, so a step took one L2 latency, ~450 ns at blocks 16 and 32
    alike, whatever the MMA or the ring's depth. Several producers: one warp's instruction stream (~230
    instructions a step at block 16, with its fence and stalls) kept it busy the whole step (ncu,
    scripts/profile_groups.py)."""
    CHUNK: gl.constexpr = col_bufs.shape[1]
    all_lanes: gl.constexpr = gl.BlockedLayout([G], [32], [1], [0])  # every lane holds all G
    one: gl.constexpr = gl.BlockedLayout([1], [32], [1], [0])
    lanes = gl.arange(0, G, layout=all_lanes)
    rows_layout: gl.constexpr = gl.SwizzledSharedLayout(1, 1, 1, [0])  # the buffers as one row an entry
    blk_rows = blk_bufs._reinterpret(gl.int32, [2 * CHUNK, G], rows_layout)
    col_rows = col_bufs._reinterpret(gl.int32, [2 * CHUNK, 1], rows_layout)
    row, tile, start, count = group_work(launch_ptr, num_groups, G)
    fetch_entries(blk_bufs.index(0), col_bufs.index(0), group_blk_ptr, group_idx_ptr, start, 0, count, G, PRODUCER,
                  PRODUCERS)
    fetch_entries(blk_bufs.index(1), col_bufs.index(1), group_blk_ptr, group_idx_ptr, start, CHUNK, count, G,
                  PRODUCER, PRODUCERS)
    for i in range((count - PRODUCER + PRODUCERS - 1) // PRODUCERS):  # this producer's entries
        j = PRODUCER + PRODUCERS * i
        k = i % CHUNK
        slot = (i // CHUNK) % 2
        if k == 0:  # this chunk's copies are done (the next one's may be in flight), for every lane
            async_copy.wait_group(1)
            gl.thread_barrier()
        blks = blk_rows.index(slot * CHUNK + k).load(all_lanes)
        col = gl.reduce(col_rows.index(slot * CHUNK + k).load(one), 0, add)  # its one element
        produce_entry(x_desc, w_desc, x_ring, w_ring, empty, ready, blks, col, lanes, tile, j, col_tiles, G,
                      X_IMAGE)
        if k == CHUNK - 1:  # every lane has read this slot: it takes the chunk after next
            gl.thread_barrier()
            fetch_entries(blk_bufs.index(slot), col_bufs.index(slot), group_blk_ptr, group_idx_ptr, start,
                          i + 1 + CHUNK, count, G, PRODUCER, PRODUCERS)


@gluon.jit
def store_segment(acc, y_desc, y_smem, bias_ptr, seg, row, HAS_BIAS: gl.constexpr):
    """Bias, cast and start the TMA store of one segment's (rows, BS) output at y[row:, seg * BS:] (rows past M
    clipped); segment -1 (a group's padding) stores nothing."""
    BS: gl.constexpr = acc.shape[1]
    if seg >= 0:
        if HAS_BIAS:
            offs = seg * BS + gl.arange(0, BS, layout=gl.SliceLayout(0, acc.type.layout))
            acc += gl.load(bias_ptr + offs).to(gl.float32)[None, :]
        y_smem.store(acc.to(y_desc.dtype))
        fence_async_shared()
        tma.async_copy_shared_to_global(y_desc, [row, seg * BS], y_smem)


@gluon.jit
def store_quarter_group(acc, y_desc, outs, first, bias_ptr, row, out_row, HAS_BIAS: gl.constexpr):
    """The four segments ``row[0:4]`` of a (rows, 4 x BS) accumulator, through ``outs[first:first + 4]``."""
    a, b, c, d = column_quarters(acc)
    store_segment(a, y_desc, outs.index(first), bias_ptr, gl.load(row), out_row, HAS_BIAS)
    store_segment(b, y_desc, outs.index(first + 1), bias_ptr, gl.load(row + 1), out_row, HAS_BIAS)
    store_segment(c, y_desc, outs.index(first + 2), bias_ptr, gl.load(row + 2), out_row, HAS_BIAS)
    store_segment(d, y_desc, outs.index(first + 3), bias_ptr, gl.load(row + 3), out_row, HAS_BIAS)


@gluon.jit
def consume_groups(x_ring, w_ring, empty, ready, finished, y_desc, bias_ptr, launch_ptr, num_groups,
                   G: gl.constexpr, HAS_BIAS: gl.constexpr, OUT_IN_X: gl.constexpr, SIDE: gl.constexpr):
    """Consumer warpgroup SIDE (0 or 1: the first or second half of the batch tile's rows): acc (ROWS, G x BS)
    += its rows of the x tile @ the stage's G blocks side by side (forward orientation: rows = outputs), one MMA
    kept in flight (two or three ran no faster); then, once both warpgroups are done, its G outputs leave through
    the idle ring (the x ring or the weight ring, whichever holds all 2 x G output tiles)."""
    STAGES: gl.constexpr = x_ring.shape[0]
    BB: gl.constexpr = x_ring.shape[1]
    BS: gl.constexpr = x_ring.shape[2]
    ROWS: gl.constexpr = BB // 2
    layout: gl.constexpr = mma_layout(ROWS, G * BS, gl.num_warps(), x_ring.dtype.primitive_bitwidth)
    # the stage's G (BS, BS) blocks, stored one after another, as one (G x BS, BS) tile: the swizzle repeats
    # within each block's rows, so stacking them along rows is the same bytes
    wide_layout: gl.constexpr = gl.NVMMASharedLayout.get_default_for([G * BS, BS], w_ring.dtype)
    wide = w_ring._reinterpret(w_ring.dtype, [STAGES, G * BS, BS], wide_layout)
    row, tile, start, count = group_work(launch_ptr, num_groups, G)
    acc = gl.zeros((ROWS, G * BS), dtype=gl.float32, layout=layout)
    for j in range(count):
        s, phase = ring_slot(j, STAGES)
        mbarrier.wait(ready.index(s), phase)
        a = x_ring.index(s).slice(SIDE * ROWS, ROWS, dim=0)
        acc = warpgroup_mma(a, wide.index(s).permute((1, 0)), acc, is_async=True)
        acc = warpgroup_mma_wait(num_outstanding=1, deps=(acc,))
        retire_previous(empty, j, STAGES)
    acc = warpgroup_mma_wait(num_outstanding=0, deps=(acc,))
    mbarrier.arrive(finished, count=1)
    mbarrier.wait(finished, 0)  # both warpgroups' MMAs are done: the rings are idle
    if OUT_IN_X:
        outs = x_ring._reinterpret(y_desc.dtype, [2 * G] + y_desc.block_type.shape, y_desc.layout)
    else:
        outs = w_ring._reinterpret(y_desc.dtype, [2 * G] + y_desc.block_type.shape, y_desc.layout)
    out_row = tile * BB + SIDE * ROWS
    if G == 4:
        store_quarter_group(acc, y_desc, outs, SIDE * G, bias_ptr, row, out_row, HAS_BIAS)
    else:  # G == 8: two groups of four columns blocks
        first, second = column_halves(acc)
        store_quarter_group(first, y_desc, outs, SIDE * G, bias_ptr, row, out_row, HAS_BIAS)
        store_quarter_group(second, y_desc, outs, SIDE * G + 4, bias_ptr, row + 4, out_row, HAS_BIAS)
    tma.store_wait(pendings=0)


@gluon.jit
def linear_dsd_groups_kernel(x_desc, w_desc, y_desc, bias_ptr, group_idx_ptr, group_blk_ptr, launch_ptr, num_groups,
                             col_tiles, G: gl.constexpr, HAS_BIAS: gl.constexpr, STAGES: gl.constexpr,
                             OUT_IN_X: gl.constexpr, X_IMAGE: gl.constexpr,
                             PRODUCERS: gl.constexpr, PRODUCER_REGISTERS: gl.constexpr,
                             CONSUMER_REGISTERS: gl.constexpr, num_warps: gl.constexpr):
    """A program per (batch tile, segment group): the default partition is the first consumer warpgroup, the
    workers the second and the PRODUCERS (2 or 4) producer warps, which take the entries in turn. ``x_desc``
    reads x by (BB, BS) tiles, or with X_IMAGE its tile images (kernels/tile_image.py: ``col_tiles`` images a
    batch tile, each as whole boxes of unswizzled rows)."""
    BS: gl.constexpr = w_desc.block_type.shape[0]
    BB: gl.constexpr = x_tile_rows(x_desc.block_type.shape, BS)
    x_layout: gl.constexpr = gl.NVMMASharedLayout.get_default_for([BB, BS], x_desc.dtype)
    x_ring = gl.allocate_shared_memory(x_desc.dtype, [STAGES, BB, BS], x_layout)
    w_ring = gl.allocate_shared_memory(w_desc.dtype, [STAGES * G] + w_desc.block_type.shape, w_desc.layout)
    index_layout: gl.constexpr = gl.SwizzledSharedLayout(1, 1, 1, [1, 0])
    # each producer warp's own index buffers, two chunk slots of entries (a slice of one buffer would not compile)
    blk_bufs = gl.allocate_shared_memory(gl.int32, [2, INDEX_CHUNK, G], index_layout)
    col_bufs = gl.allocate_shared_memory(gl.int32, [2, INDEX_CHUNK, 1], index_layout)
    empty, ready = init_ring(STAGES, 2)
    finished = stage_barriers(1, 2).index(0)
    # (Gluon takes the partitions as one list literal, so each count spells them all out; one producer warp, the
    # thirteenth session's, was measured and dropped: its instruction stream set the pace.)
    if PRODUCERS == 2:
        blk_bufs_1 = gl.allocate_shared_memory(gl.int32, [2, INDEX_CHUNK, G], index_layout)
        col_bufs_1 = gl.allocate_shared_memory(gl.int32, [2, INDEX_CHUNK, 1], index_layout)
        gl.warp_specialize([
            (consume_groups, (x_ring, w_ring, empty, ready, finished, y_desc, bias_ptr, launch_ptr, num_groups, G,
                              HAS_BIAS, OUT_IN_X, 0)),
            (consume_groups, (x_ring, w_ring, empty, ready, finished, y_desc, bias_ptr, launch_ptr, num_groups, G,
                              HAS_BIAS, OUT_IN_X, 1)),
            (produce_groups, (x_desc, w_desc, x_ring, w_ring, empty, ready, blk_bufs, col_bufs,
                              group_idx_ptr, group_blk_ptr, launch_ptr, num_groups, col_tiles, G, X_IMAGE, 0, 2)),
            (produce_groups, (x_desc, w_desc, x_ring, w_ring, empty, ready, blk_bufs_1, col_bufs_1,
                              group_idx_ptr, group_blk_ptr, launch_ptr, num_groups, col_tiles, G, X_IMAGE, 1, 2)),
        ], [4, 1, 1], [CONSUMER_REGISTERS, PRODUCER_REGISTERS, PRODUCER_REGISTERS])
    else:  # 4: the producers fill the warpgroup one of them would take anyway
        blk_bufs_1 = gl.allocate_shared_memory(gl.int32, [2, INDEX_CHUNK, G], index_layout)
        col_bufs_1 = gl.allocate_shared_memory(gl.int32, [2, INDEX_CHUNK, 1], index_layout)
        blk_bufs_2 = gl.allocate_shared_memory(gl.int32, [2, INDEX_CHUNK, G], index_layout)
        col_bufs_2 = gl.allocate_shared_memory(gl.int32, [2, INDEX_CHUNK, 1], index_layout)
        blk_bufs_3 = gl.allocate_shared_memory(gl.int32, [2, INDEX_CHUNK, G], index_layout)
        col_bufs_3 = gl.allocate_shared_memory(gl.int32, [2, INDEX_CHUNK, 1], index_layout)
        gl.warp_specialize([
            (consume_groups, (x_ring, w_ring, empty, ready, finished, y_desc, bias_ptr, launch_ptr, num_groups, G,
                              HAS_BIAS, OUT_IN_X, 0)),
            (consume_groups, (x_ring, w_ring, empty, ready, finished, y_desc, bias_ptr, launch_ptr, num_groups, G,
                              HAS_BIAS, OUT_IN_X, 1)),
            (produce_groups, (x_desc, w_desc, x_ring, w_ring, empty, ready, blk_bufs, col_bufs,
                              group_idx_ptr, group_blk_ptr, launch_ptr, num_groups, col_tiles, G, X_IMAGE, 0, 4)),
            (produce_groups, (x_desc, w_desc, x_ring, w_ring, empty, ready, blk_bufs_1, col_bufs_1,
                              group_idx_ptr, group_blk_ptr, launch_ptr, num_groups, col_tiles, G, X_IMAGE, 1, 4)),
            (produce_groups, (x_desc, w_desc, x_ring, w_ring, empty, ready, blk_bufs_2, col_bufs_2,
                              group_idx_ptr, group_blk_ptr, launch_ptr, num_groups, col_tiles, G, X_IMAGE, 2, 4)),
            (produce_groups, (x_desc, w_desc, x_ring, w_ring, empty, ready, blk_bufs_3, col_bufs_3,
                              group_idx_ptr, group_blk_ptr, launch_ptr, num_groups, col_tiles, G, X_IMAGE, 3, 4)),
        ], [4, 1, 1, 1, 1], [CONSUMER_REGISTERS] + [PRODUCER_REGISTERS] * 4)
