"""Development probe (Hopper): how fast TMA brings boxes of each shape into shared memory, one program an SM, no
MMA: a producer warp issues BOXES loads a ring stage, a consumer warpgroup waits for each stage and releases it.
Prints, per box shape, nanoseconds a box and a box row per SM, and the total rate in TB/s.

Why (thirteenth session, docs/performance.md "Block 16 on segment groups"): the group kernel's step took ~450 ns
at blocks 16 and 32 alike, with half the MMA and bytes at block 16; fewer tile rows (x read feature-major) or
indices through shared memory changed it by 1-4%. If TMA's cost goes by boxes and rows more than by bytes, block
16's step (a 256 x 16 x tile and 8 boxes of 16 x 16) is paced by TMA; and a box wholly out of bounds (the kernel's
zero fill for absent blocks) may cost what a loaded one does.

The source is a 32 MB fp16 matrix (L2-resident after a warm-up pass): boxes walk it in a scattered order; ``oob``
boxes start at row -R, wholly outside.

Run (tuning/h100-2026-11-27n-probe-tma-rate*.log): below 128-byte rows TMA pays by the row (256 x 32 B: 311 ns an
SM; 256 x 64 B: 320 ns); the same 8 KB as 16 unswizzled rows of 512 B (a tile image) 145 ns; out-of-bounds boxes
took longer than loaded ones (39 against 24 ns for 16 x 16).

Usage: PYTHONPATH=src python3 scripts/probe_tma_rate.py
"""

import torch
import triton
from triton.experimental import gluon
from triton.experimental.gluon import language as gl
from triton.experimental.gluon.language.nvidia.hopper import mbarrier, tma

from tilesparse.kernels.linear_hopper import _desc
from tilesparse.kernels.linear_hopper_gluon import init_ring, ring_slot

COLUMNS = 64  # the source's row: 128 bytes
ROWS = 1 << 18  # 32 MB of fp16


@gluon.jit
def issue_boxes(desc, ring, empty, ready, steps, rows_total, BOXES: gl.constexpr, OOB: gl.constexpr):
    """Producer warp: ``steps`` ring stages of BOXES boxes each, at scattered rows (or all at row -R)."""
    STAGES: gl.constexpr = ring.shape[0] // BOXES
    R: gl.constexpr = desc.block_type.shape[0]
    pid = gl.program_id(0)
    for j in range(steps):
        s, phase = ring_slot(j, STAGES)
        mbarrier.wait(empty.index(s), phase ^ 1)
        bar = ready.index(s)
        mbarrier.expect(bar, BOXES * desc.block_type.nbytes)
        for b in gl.static_range(BOXES):
            row = ((pid * 7919 + j * 131 + b * 17) * R) % rows_total
            if OOB:
                row = -R
            tma.async_copy_global_to_shared(desc, [row, 0], bar, ring.index(s * BOXES + b))


@gluon.jit
def release_boxes(ring, empty, ready, steps, BOXES: gl.constexpr):
    """Consumer warpgroup: waits for each stage and gives it back."""
    STAGES: gl.constexpr = ring.shape[0] // BOXES
    for j in range(steps):
        s, phase = ring_slot(j, STAGES)
        mbarrier.wait(ready.index(s), phase)
        mbarrier.arrive(empty.index(s), count=1)


@gluon.jit
def tma_rate_kernel(desc, steps, rows_total, BOXES: gl.constexpr, STAGES: gl.constexpr, OOB: gl.constexpr,
                    num_warps: gl.constexpr):
    ring = gl.allocate_shared_memory(desc.dtype, [STAGES * BOXES] + desc.block_type.shape, desc.layout)
    empty, ready = init_ring(STAGES, 1)
    gl.warp_specialize([
        (release_boxes, (ring, empty, ready, steps, BOXES)),
        (issue_boxes, (desc, ring, empty, ready, steps, rows_total, BOXES, OOB)),
    ], [1], [24])


# (rows, columns) of a box, boxes a stage, what it stands for
CASES = [
    ((256, 16), 1, "block-16 x tile"),
    ((16, 16), 8, "block-16 blocks, 8 a stage"),
    ((16, 64), 4, "block-16 x^T tile in 4 boxes"),
    ((256, 32), 1, "block-32 x tile"),
    ((32, 32), 4, "block-32 blocks, 4 a stage"),
    ((256, 64), 1, "block-64 x tile"),
    ((64, 64), 2, "block-64 blocks"),
]
OOB_CASES = [((16, 16), 8, "block-16 blocks, out of bounds"), ((32, 32), 4, "block-32 blocks, out of bounds")]
# The same bytes as rows of 512 B, unswizzled: what a copy of the operands laid out as the swizzled shared-memory
# image of their tiles would let TMA bring in (a tile's bytes contiguous, so any box width lands them alike).
IMAGE_CASES = [
    ((16, 256), 1, "block-16 x tile as an image"),
    ((1, 256), 8, "block-16 blocks as images"),
    ((32, 256), 1, "block-32 x tile as an image"),
    ((4, 256), 4, "block-32 blocks as images"),
    ((64, 256), 1, "block-64 x tile as an image"),
]


def main():
    device = torch.device("cuda")
    sms = torch.cuda.get_device_properties(device).multi_processor_count
    print(torch.cuda.get_device_name(), torch.__version__, triton.__version__, f"{sms} SMs", flush=True)
    src = torch.randn(ROWS, COLUMNS, device=device, dtype=torch.float16)
    steps = 4000
    cases = [(c, False) for c in CASES] + [(c, True) for c in OOB_CASES] + [(c, False) for c in IMAGE_CASES]
    for (box, boxes, what), oob in cases:
        if box[1] > COLUMNS:  # an image: unswizzled rows of 512 B
            desc = _desc(src.view(-1, box[1]), list(box), unswizzled=True)
        else:
            desc = _desc(src[:, :box[1]], list(box))
        rows_total = src.numel() // max(box[1], COLUMNS)
        stage = boxes * box[0] * box[1] * 2
        stages = max(2, min(8, (160 * 1024) // stage))

        def run(desc=desc, boxes=boxes, stages=stages, oob=oob, rows_total=rows_total):
            tma_rate_kernel[(sms,)](desc, steps, rows_total, BOXES=boxes, STAGES=stages, OOB=oob, num_warps=4)

        run()  # compile, and bring the source into L2
        ms = triton.testing.do_bench(run, warmup=20, rep=100)
        per_box = ms * 1e6 / (steps * boxes)
        rate = sms * steps * stage / (ms * 1e-3) / 1e12
        print(f"{what}: box {box[0]}x{box[1]} ({box[0] * box[1] * 2} B), {boxes} a stage, {stages} stages: "
              f"{per_box:.1f} ns a box an SM, {per_box / box[0]:.2f} ns a row, {rate:.2f} TB/s", flush=True)


if __name__ == "__main__":
    main()
