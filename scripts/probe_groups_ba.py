"""Development probe (Hopper): Barabasi-Albert layouts on segment groups. With two or four producer warps the
groups run block 32 from d = 0.04 on random layouts, while layouts with hub segments keep the Triton kernel (groups
keep no hub order), so the suite's BA/random time ratio rose to 1.18-1.22 at d = 0.1 (the target: 1.15;
bench/results session 14). Groups launch longest first, which may be enough: this times the suite's BA layouts on
the Triton kernel (as configured, hubs known) and on groups, against the random layouts on groups, interleaved.

First run (tuning/h100-2026-11-27n-probe-groups-ba.log, block 32): BA on groups 0.94-1.10x the time of random on
groups, and faster than the Triton kernel at every density; so groups now take layouts with hubs.

Usage: PYTHONPATH=src python3 scripts/probe_groups_ba.py [--block 16]
"""

import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))

from probe_ba_gap import interleaved_medians

from tilesparse.bench.linear import Case, Operands, make_layout
from tilesparse.kernels import linear_hopper as hopper
from tilesparse.kernels.linear_dsd import dsd_config, linear_dsd

BLOCK = int(sys.argv[sys.argv.index("--block") + 1]) if "--block" in sys.argv else 32


def run_fns(case, ops, layout, blocks):
    """The Triton kernel as configured for the layout (hub order) and the group kernel as configured without hubs."""
    t = layout.tables(ops.device)
    forward = case.product == "forward"
    a = ops.x if forward else ops.dy
    seg = ((t.row_ptr, t.row_cols, t.row_blocks, t.row_order) if forward
           else (t.col_ptr, t.col_rows, t.col_blocks, t.col_order))
    groups = ((t.row_group_launch, t.row_group_idx, t.row_group_blk) if forward
              else (t.col_group_launch, t.col_group_idx, t.col_group_blk))
    segs = layout.blocks_shape[0 if forward else 1]
    counts = seg[0][1:] - seg[0][:-1]
    n_hubs = (t.row_hubs if forward else t.col_hubs).numel()
    triton_cfg = dsd_config(a.shape[0], case.block_size, a.element_size(), mean_blocks=float(counts.float().mean()),
                            hubs=n_hubs > 0)
    groups_cfg = dsd_config(a.shape[0], case.block_size, a.element_size(), mean_blocks=float(counts.float().mean()),
                            density=case.density)
    shape = groups_cfg.hopper_shape
    return {
        "triton": lambda: linear_dsd(a, blocks, *seg, segs, forward, config=triton_cfg, hubs=n_hubs),
        "groups": lambda: hopper.linear_dsd_hopper_groups(
            a, blocks, torch.empty(a.shape[0], segs * case.block_size, device=a.device, dtype=a.dtype), None, groups,
            forward, hopper.SEGMENT_GROUP_SIZES[case.block_size],
            x_image=shape.x_image, producers=shape.group_producers),
    }, n_hubs


def main():
    device = torch.device("cuda")
    print(torch.cuda.get_device_name(), torch.__version__, flush=True)
    for dtype in ("fp16", "bf16"):
        for density in ((0.5, 0.25, 0.1, 0.01) if BLOCK == 16 else (0.5, 0.25, 0.1, 0.05)):
            for product in ("forward", "dx"):
                fns, hub_counts = {}, {}
                cases = {kind: Case(product=product, dtype=dtype, batch=8192, out_features=8192, in_features=8192,
                                    block_size=BLOCK, density=density, layout=kind) for kind in ("random", "ba")}
                ops = Operands(cases["random"], device)
                for kind, case in cases.items():
                    layout = make_layout(case)
                    blocks = ops.randn(*layout.packed_shape, scale=ops.scale)
                    kernels, hub_counts[kind] = run_fns(case, ops, layout, blocks)
                    fns.update({f"{kind} {name}": fn for name, fn in kernels.items()})
                ms = interleaved_medians(fns, device, 3)
                line = ", ".join(f"{name} {t * 1e3:.0f} us" for name, t in ms.items())
                ratios = f"triton {ms['ba triton'] / ms['random groups']:.2f}, groups " \
                         f"{ms['ba groups'] / ms['random groups']:.2f}"
                print(f"{dtype} b{BLOCK} {product} d={density} (hubs: BA {hub_counts['ba']}, random "
                      f"{hub_counts['random']}): {line}; BA/random: {ratios}", flush=True)


if __name__ == "__main__":
    main()
