"""Development probe (Hopper): 16-bit dW with the two consumer warpgroups as partitions of their own.

The TF32 dW kernel ("turned") runs its consumer warpgroups as separate partitions, and that version ran
15-18% faster than one with both warpgroups in one partition (where Triton's barriers keep them in step) even
though the latter kept an MMA in flight. ``linear_sdd_hopper(split_consumers=True)`` does the same for 16-bit
dW: each warpgroup takes half of the accumulator (dY's rows at block 128, the x blocks at 64) and stores from
the MMA layout. Variants per case: "triton" (``hopper_ws_wins`` off), "gluon" (on), "gluon split" (on, split).

Usage: PYTHONPATH=src python3 scripts/probe_dw_split.py [--repeats R] [--blocks 128,64] [--densities ...]
"""

import argparse
import dataclasses

import torch
from probe_ba_gap import interleaved_medians
from probe_tf32_dw import rel_err

from tilesparse.bench.linear import DEFAULT_TIMING, Case, Operands, _dense, _ours, make_layout, time_ms
from tilesparse.kernels import linear_hopper as hopper
from tilesparse.kernels import linear_sdd

VARIANTS = {"triton": (False, False), "gluon": (True, False), "gluon split": (True, True)}  # (ws, split)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--blocks", default="128,64")
    parser.add_argument("--densities", default="0.5,0.25,0.1,0.05,0.01")
    parser.add_argument("--dtype", default="fp16")
    args = parser.parse_args()
    device = torch.device("cuda")
    print(torch.cuda.get_device_name(), torch.__version__, flush=True)
    base = Case("dw", args.dtype, 8192, 8192, 8192, 128, 0.5)
    ops = Operands(base, device)
    dense_ms = time_ms(_dense(base, ops), device, DEFAULT_TIMING)
    print(f"dense dY^T @ x: {dense_ms:.3f} ms", flush=True)
    real_wins, real_launch = linear_sdd.hopper_ws_wins, hopper.linear_sdd_hopper
    for bs in map(int, args.blocks.split(",")):
        for d in map(float, args.densities.split(",")):
            case = dataclasses.replace(base, block_size=bs, density=d)
            layout = make_layout(case)
            blocks = ops.randn(*layout.packed_shape, scale=ops.scale)
            fns, errs = {}, {}
            for name, (ws, split) in VARIANTS.items():
                run = _ours(case, ops, blocks, layout)

                def fn(run=run, ws=ws, split=split):
                    linear_sdd.hopper_ws_wins = lambda *a: ws
                    hopper.linear_sdd_hopper = lambda *a: real_launch(*a, split_consumers=split)
                    return run()

                errs[name] = rel_err(fn(), ops.dy, ops.x, layout)
                fns[name] = fn
            medians = interleaved_medians(fns, device, args.repeats)
            line = ", ".join(
                f"{name} {ms:.3f} ms eff {dense_ms * layout.density / ms:.2f} err {errs[name]:.1e}"
                for name, ms in medians.items()
            )
            print(f"b{bs} d={d} (nnz {layout.nnz}): {line}", flush=True)
    linear_sdd.hopper_ws_wins, hopper.linear_sdd_hopper = real_wins, real_launch


if __name__ == "__main__":
    main()
