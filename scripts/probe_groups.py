"""Development probe (Hopper): block-32 forward/dX on segment groups (``linear_hopper.linear_dsd_hopper_groups``:
G segments a program sharing each x tile, grouped by shared input blocks) against the Triton kernel the configs
run at block 32, with dense cuBLAS for efficiencies (dense x d / time), 8192^2 at batch 8192, random layouts.

Why: at block 32 each x tile read from L2 feeds one 32-wide block, and the Triton kernel runs at the L2's pace
(0.28-0.32 of cuBLAS). A random 256 x 256-block layout grouped 8 at a time by overlap loads an x tile for 4.1 /
2.4 / 1.65 / 1.47 blocks at d = 0.5 / 0.25 / 0.1 / 0.05 (4 at a time: 2.2 / 1.6 / 1.35 / 1.28).

First run (tuning/h100-2026-11-27l-probe-groups-1.log, groups of 8 and 4): groups of 4 1.22-1.27x of the Triton
kernel at d = 0.5 (TF32 1.46-1.50x, 1.10-1.12x at d = 0.25), 0.77-0.91x below; groups of 8 0.28-0.73x (TF32 1.01-1.05x
at d = 0.5). About 950 cycles a step against ~600 from L2 bandwidth: the producer loaded each entry's indices twice
(before and after its stores of zeros), two L2 latencies a step. The producer now loads the next entry's indices
while it waits for the stage. Second run (tuning/h100-2026-11-27l-probe-groups-2.log, groups of 4): 1.33-1.37x at
d = 0.5 (efficiency 0.40-0.48), 0.96-1.02x at 0.25, 0.77-0.85x at 0.1 and 0.05, 0.89-0.95x at 0.01; TF32 1.60x at
d = 0.5 (0.46-0.52), 1.09x at 0.25, 0.96-0.98x at 0.1.

Block 16 (``--block 16``, groups of 8: one wgmma of N = 128 a step, as 4 blocks of 32; the Triton kernel there
stages x feature-major; tuning/h100-2026-11-27m-probe-groups-b16*.log): 1.10-1.14x at d = 0.5, 0.69-0.72x at 0.25,
0.53-0.62x below, TF32 4-12x at every density (the Triton kernel's TF32 at block 16 ran at 0.03 of dense). 8, 12
or 16 ring stages (``--stages``) ran alike.

Why block 16 gains so little: a step took ~450 ns at blocks 16 and 32 alike, at every density (1.2 to 4 blocks of a
group present), with the MMA of block 16 half that of block 32. Ruled out on the H100 (logs -m-*):
- TMA requests (one a tile row; x read feature-major, ``x_t``, has 4x fewer): 1.01-1.04x at block 16 with its copy,
  0.94x at block 32;
- MMAs in flight (``--lags``, 1-3 a consumer): no change;
- the producer's index loads: ptxas moved each loop-carried index into a uniform register right after its load
  (SASS), so every step waited one L2 latency. Indices through shared memory by cp.async (chunks of 32 entries,
  two ahead): 1.02-1.07x (TF32 b16 1.07x). So the pace at block 16 is still unexplained.

Absent blocks zeroed by TMA (a box outside the blocks) instead of the producer's stores: 16-bit block 32 as before,
TF32 block 32 0.88-0.93x (the suite: 2.99 -> 3.22 ms at d = 0.5, 2.12 -> 2.40 at 0.25). At block 32 a step moves
24 KB (16-bit) or 48 KB (TF32) through TMA, zero boxes included, in ~450 / ~870 ns: ~7 TB/s, near what these
kernels reach from L2. The stores won on the cp.async producer (``--zero-stores`` then; gone with TMA's zeros).

The feature-major x and MMA-lag variants were removed once measured (they ran with ``--lags`` / by default at
commit ccdde68).

Stores won (tuning/h100-2026-11-27n-probe-groups-*-stores.log): block 16 1.24x, TF32 block 32 1.06x, 16-bit block
32 1.04-1.06x below d = 0.4 and 0.97x at 0.5. They are the default here since. ``--x-image``: x read from its tiles'
swizzled images (kernels/tile_image.py, 512-byte TMA rows; the copy included in the time): 0.96-0.99x at block 16,
0.93-0.95x at block 32 (the kernel alone ~1.01x). ncu (scripts/profile_groups.py) then showed the producer warp
busy the whole step (~230 instructions at block 16) and L2 tag lookups at 94% (one a TMA row of 32 bytes).
``--producers``: two producer warps taking the entries in turn: 1.10-1.24x at 16-bit block 32, 1.14-1.24x at TF32
block 16; with images 1.20-1.33x at 16-bit block 16 (-n-probe-groups-*-producers.log). Now it compares 2 and 4
producers (images at block 16) at every density; TMA's zeros lost to the stores there too, and were removed.
``--edges``: block 32 around the configured thresholds (16-bit d = 0.02-0.03, TF32 0.03-0.05).

Usage: PYTHONPATH=src python3 scripts/probe_groups.py [--eight] [--block 16 [--stages]] [--quick] [--x-image]
       [--producers [--edges]]
"""

import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))

from probe_ba_gap import interleaved_medians

from tilesparse.bench.linear import Case, Operands, block_count, random_mask, tf32
from tilesparse.kernels import linear_hopper as hopper
from tilesparse.kernels.linear_dsd import dsd_config, linear_dsd
from tilesparse.kernels.tile_image import tile_image
from tilesparse.layout import Layout, segment_groups

BLOCK = int(sys.argv[sys.argv.index("--block") + 1]) if "--block" in sys.argv else 32
if BLOCK == 16:
    GROUP_SIZES = (8,)
    STAGES = (8, 12, 16) if "--stages" in sys.argv else (None,)  # 16 stages at TF32 do not fit
else:
    GROUP_SIZES, STAGES = ((8, 4) if "--eight" in sys.argv else (4,)), (None,)
# (x_image, producer warps) of each group variant timed
if "--producers" in sys.argv and BLOCK == 16:
    GROUP_VARIANTS = ((True, 2), (True, 4), (False, 4))
elif "--producers" in sys.argv:
    GROUP_VARIANTS = ((False, 2), (False, 4))
elif "--x-image" in sys.argv:  # (run with one producer warp, since dropped)
    GROUP_VARIANTS = ((False, 4), (True, 4))
else:
    GROUP_VARIANTS = ((BLOCK == 16, 4),)


def variants(case, ops, layout, blocks):
    t = layout.tables(ops.device)
    forward = case.product == "forward"
    a = ops.x if forward else ops.dy
    seg = ((t.row_ptr, t.row_cols, t.row_blocks, t.row_order) if forward
           else (t.col_ptr, t.col_rows, t.col_blocks, t.col_order))
    segs = layout.blocks_shape[0 if forward else 1]
    triton_config = dsd_config(a.shape[0], BLOCK, a.element_size())  # no density given: never the groups
    fns = {"triton": lambda: linear_dsd(a, blocks, *seg, segs, forward, config=triton_config)}
    for g in GROUP_SIZES:
        groups = segment_groups(*seg, g)  # built once, as a layout would cache them
        for stages in STAGES:
            for image, producers in GROUP_VARIANTS:
                name = (f"groups of {g}" + (f", {stages} stages" if stages else "") + (", image" if image else "")
                        + f", {producers} producer" + ("s" if producers > 1 else ""))
                fns[name] = lambda groups=groups, g=g, stages=stages, image=image, p=producers: (
                    hopper.linear_dsd_hopper_groups(
                        a, blocks, torch.empty(a.shape[0], segs * BLOCK, device=a.device, dtype=a.dtype), None,
                        groups, forward, g, stages, x_image=image, producers=p))
    if any(image for image, _ in GROUP_VARIANTS):
        bb = hopper.group_batch_tile(GROUP_SIZES[0], BLOCK)
        fns["image copy"] = lambda: tile_image(a, bb, BLOCK)
    w = torch.randn(case.out_features, case.in_features, device=a.device, dtype=a.dtype)
    fns["dense"] = (lambda: a @ w.T) if forward else (lambda: a @ w)
    return fns


def main():
    device = torch.device("cuda")
    print(torch.cuda.get_device_name(), torch.__version__, flush=True)
    n, batch, repeats = 8192, 8192, 3
    runs = [("fp16", d) for d in (0.5, 0.25, 0.1, 0.05, 0.01)] + [("bf16", 0.5), ("bf16", 0.1)]
    runs += [("tf32", d) for d in ((0.5, 0.25, 0.1, 0.05, 0.01) if BLOCK == 16 else (0.5, 0.25, 0.1))]
    if any(option in sys.argv for option in ("--quick", "--x-image")):
        runs = [("fp16", 0.5), ("fp16", 0.25), ("fp16", 0.1), ("tf32", 0.5)]
    if "--edges" in sys.argv:  # block 32 near the configured thresholds: 16-bit 0.04, TF32 0.1
        runs = [("fp16", 0.03), ("fp16", 0.02), ("tf32", 0.05), ("tf32", 0.03)]
    for dtype, density in runs:
        nnz = block_count(n // BLOCK, n // BLOCK, density)
        layout = Layout(random_mask(n // BLOCK, n // BLOCK, nnz, torch.Generator().manual_seed(0)), BLOCK)
        for product in ("forward", "dx"):
            case = Case(product=product, dtype=dtype, batch=batch, out_features=n, in_features=n, block_size=BLOCK,
                        density=density)
            with tf32(dtype == "tf32"):
                ops = Operands(case, device)
                blocks = ops.randn(*layout.packed_shape, scale=ops.scale)
                fns = variants(case, ops, layout, blocks)
                ref = fns["triton"]().float()
                errs = {name: ((fn().float() - ref).norm() / ref.norm()).item()
                        for name, fn in fns.items() if name not in ("dense", "image copy")}
                medians = interleaved_medians(fns, device, repeats)
            line = ", ".join(
                f"{name} {ms * 1e3:.1f} us ({medians['triton'] / ms:.2f}x"
                + (f", eff {medians['dense'] * density / ms:.3f}, err {errs[name]:.1e})" if name in errs else ")")
                for name, ms in medians.items())
            print(f"{dtype} b{BLOCK} {product} d={density}: {line}", flush=True)


if __name__ == "__main__":
    main()
