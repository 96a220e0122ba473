"""Development probe (GPU only): where the segment-group kernel's step time goes (block 16: ~340 ns a step with
stores, block 32: ~450 ns, against 140 / 280 ns of MMA), for ncu.

Ruled out by timing (docs/performance.md, tuning/h100-2026-11-27n-*): ring depth, MMAs in flight, the index
loads, TMA rows of the x tile (x read as tile images, 512-byte rows: 145 ns a tile instead of 311 in the TMA probe,
the kernel 1.01x). Left: the producer warp's own instruction stream (zero stores, a fence, G predicated expects
and copies a step), the consumers' waits, the MMA.

Run once (tuning/h100-2026-11-27n-ncu-groups/), with one producer warp, the default then (now four, no images):
L2 tag lookups 94% / 83% of peak, the producer busy the whole step; docs/performance.md, fourteenth session.

``ncu CASE`` (CASE = b16 or b32, fp16 forward at d = 0.5, 8192^2, batch 8192, stores): one launch between
cudaProfilerStart/Stop, for ``ncu --profile-from-start off`` (scripts/gpu_s14_d.sh).
Usage: PYTHONPATH=src python3 scripts/profile_groups.py ncu CASE
"""

import sys

import torch

from tilesparse.bench.linear import block_count, random_mask
from tilesparse.kernels import linear_hopper as hopper
from tilesparse.layout import SEGMENT_GROUP_SIZES, Layout, segment_groups

N = 8192


def main():
    block = {"b16": 16, "b32": 32}[sys.argv[2]]
    group = SEGMENT_GROUP_SIZES[block]
    device = torch.device("cuda")
    layout = Layout(random_mask(N // block, N // block, block_count(N // block, N // block, 0.5),
                                torch.Generator().manual_seed(0)), block)
    t = layout.tables(device)
    groups = segment_groups(t.row_ptr, t.row_cols, t.row_blocks, t.row_order, group)
    x = torch.randn(N, N, device=device, dtype=torch.float16)
    blocks = torch.randn(*layout.packed_shape, device=device, dtype=torch.float16)
    y = torch.empty(N, N, device=device, dtype=torch.float16)

    def run():
        return hopper.linear_dsd_hopper_groups(x, blocks, y, None, groups, True, group)

    for _ in range(3):
        run()
    torch.cuda.synchronize()
    steps = int(groups[0][:, group + 1].sum()) * (N // hopper.group_batch_tile(group, block))
    print(f"block {block}: {steps} steps, {steps / 132:.0f} an SM", flush=True)
    torch.cuda.cudart().cudaProfilerStart()
    run()
    torch.cuda.synchronize()
    torch.cuda.cudart().cudaProfilerStop()


if __name__ == "__main__":
    main()
