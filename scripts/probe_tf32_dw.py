"""Development probe (Hopper): TF32 dW on row-major operands against feature-major copies.

TF32 wgmma reads both operands K-major only; dW's K is the batch, which row-major dY and x store strided. The
dW kernel had run on feature-major copies of both (two extra passes over 2 x 256 MB at 8192^2 fp32, 0.3-0.4
ms, most of the time at low density). The "turned" order reads row-major tiles: x's steps go to registers as
wgmma's A operand (any layout), and a warpgroup of its own turns each dY step K-major in shared memory for B.

For each case: the library's dW (``linear_ops.backward_weight_impl``, the layout's groups) in each variant,
interleaved cold-timer medians, the dense TF32 dY^T @ x of the same run, the relative error of each against
float64 on a slice of the blocks. Variants: "turned" (the configs as they are), "triton" (the Triton kernel:
``linear_sdd.hopper_ws_wins`` off), "turned+ws" (the Gluon kernel wherever it applies: ``hopper_ws_wins`` on).

The comparison with the feature-major copies ran at commit 3da1cbd (``--variants feature_major,turned``; that
order has since left the library): logs ``bench/results/tuning/h100-2026-11-27h-probe-tf32-dw*.log``.

Usage: PYTHONPATH=src python3 scripts/probe_tf32_dw.py [--repeats R] [--blocks 128,64] [--densities ...]
"""

import argparse
import dataclasses

import torch
from probe_ba_gap import interleaved_medians

from tilesparse.bench.linear import DEFAULT_TIMING, Case, Operands, _dense, _ours, make_layout, tf32, time_ms
from tilesparse.kernels import linear_sdd

VARIANTS = {"turned": None, "triton": False, "turned+ws": True}  # name: hopper_ws_wins override (None: as is)


def rel_err(dw, dy, x, layout, count=64):
    """||dW - ref|| / ||ref|| over the first ``count`` packed blocks, ref in float64."""
    t = layout.tables(dw.device)
    bs = layout.block_size
    rows, cols = t.block_rows[:count].long(), t.block_cols[:count].long()
    err = ref_norm = 0.0
    for k in range(rows.numel()):
        ref = dy[:, rows[k] * bs:(rows[k] + 1) * bs].double().T @ x[:, cols[k] * bs:(cols[k] + 1) * bs].double()
        err += (dw[k].double() - ref).square().sum().item()
        ref_norm += ref.square().sum().item()
    return (err / ref_norm) ** 0.5


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--blocks", default="128,64")
    parser.add_argument("--densities", default="0.5,0.25,0.1,0.05,0.01")
    parser.add_argument("--features", type=int, default=8192)
    parser.add_argument("--batch", type=int, default=8192)
    parser.add_argument("--variants", default="turned,triton", help=", ".join(VARIANTS))
    args = parser.parse_args()
    real_wins = linear_sdd.hopper_ws_wins
    device = torch.device("cuda")
    print(torch.cuda.get_device_name(), torch.__version__, flush=True)
    n = args.features
    base = Case("dw", "tf32", args.batch, n, n, 128, 0.5)
    ops = Operands(base, device)
    with tf32(True):
        dense_ms = time_ms(_dense(base, ops), device, DEFAULT_TIMING)
        print(f"dense TF32 dY^T @ x: {dense_ms:.3f} ms", flush=True)
        for bs in map(int, args.blocks.split(",")):
            for d in map(float, args.densities.split(",")):
                case = dataclasses.replace(base, block_size=bs, density=d)
                layout = make_layout(case)
                blocks = ops.randn(*layout.packed_shape, scale=ops.scale)
                fns, errs = {}, {}
                for name in args.variants.split(","):
                    wins = VARIANTS[name]
                    run = _ours(case, ops, blocks, layout)

                    def fn(run=run, wins=wins):
                        linear_sdd.hopper_ws_wins = real_wins if wins is None else (lambda *a, wins=wins: wins)
                        return run()

                    errs[name] = rel_err(fn(), ops.dy, ops.x, layout)
                    fns[name] = fn
                medians = interleaved_medians(fns, device, args.repeats)
                line = ", ".join(
                    f"{name} {ms:.3f} ms eff {dense_ms * layout.density / ms:.2f} err {errs[name]:.1e}"
                    for name, ms in medians.items()
                )
                print(f"b{bs} d={d} (nnz {layout.nnz}): {line}", flush=True)
    linear_sdd.hopper_ws_wins = real_wins


if __name__ == "__main__":
    main()
